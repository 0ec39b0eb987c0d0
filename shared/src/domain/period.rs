//! The usage period: a calendar month in UTC, `YYYY-MM`. Quotas are counted per period.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period(String);

impl Period {
    /// The period `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        Self(format!("{:04}-{:02}", at.year(), at.month()))
    }

    /// `YYYY-MM`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_utc_calendar_month() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T23:59:59-01:00")
            .expect("valid time")
            .with_timezone(&Utc);
        assert_eq!(Period::of(at).as_str(), "2026-12");
        let at = DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z")
            .expect("valid time")
            .with_timezone(&Utc);
        assert_eq!(Period::of(at).to_string(), "2026-01");
        assert_eq!(
            serde_json::to_string(&Period::of(at)).expect("serialises"),
            "\"2026-01\""
        );
    }
}
