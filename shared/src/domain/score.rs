//! A fit score: an integer from 1 (no fit) to 10 (perfect fit).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("score must be an integer from 1 to 10, got {0}")]
pub struct ScoreError(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Score(u8);

impl Score {
    pub const MIN: Score = Score(1);
    pub const MAX: Score = Score(10);

    pub fn new(value: i64) -> Result<Self, ScoreError> {
        if (1..=10).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(ScoreError(value))
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// Every score, lowest first (for distributions).
    pub fn all() -> impl Iterator<Item = Score> {
        (1..=10).map(Score)
    }
}

impl TryFrom<i64> for Score {
    type Error = ScoreError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Score {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = i64::deserialize(d)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_one_to_ten() {
        for v in -3..=13 {
            assert_eq!(Score::new(v).is_ok(), (1..=10).contains(&v), "{v}");
        }
        assert_eq!(Score::all().count(), 10);
        assert_eq!(Score::new(7).unwrap().value(), 7);
    }

    #[test]
    fn json_is_a_plain_number_and_is_validated() {
        assert_eq!(serde_json::to_string(&Score::new(9).unwrap()).unwrap(), "9");
        assert!(serde_json::from_str::<Score>("0").is_err());
        assert!(serde_json::from_str::<Score>("11").is_err());
        assert!(serde_json::from_str::<Score>("7.5").is_err());
        assert_eq!(serde_json::from_str::<Score>("10").unwrap(), Score::MAX);
    }
}
