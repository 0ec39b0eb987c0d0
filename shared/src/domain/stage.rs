//! Application tracking: where the user stands with a job (beside its scoring status),
//! and the stage changes and notes kept as the job's tracking history.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The application stage. A job has none until the user sets one; any stage may follow any
/// other, because people correct mistakes and recruiters come back after a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Saved,
    Applied,
    Interviewing,
    Offer,
    Rejected,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of saved, applied, interviewing, offer, rejected, withdrawn")]
pub struct UnknownStage;

impl Stage {
    /// In the order a board shows its columns.
    pub const ALL: [Stage; 6] = [
        Stage::Saved,
        Stage::Applied,
        Stage::Interviewing,
        Stage::Offer,
        Stage::Rejected,
        Stage::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Saved => "saved",
            Stage::Applied => "applied",
            Stage::Interviewing => "interviewing",
            Stage::Offer => "offer",
            Stage::Rejected => "rejected",
            Stage::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or(UnknownStage)
    }
}

/// A note's text: trimmed, not empty, at most [`NoteText::MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most 10000 characters")]
    TooLong,
}

impl NoteText {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, NoteError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(NoteError::Empty);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(NoteError::TooLong);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One entry of a job's tracking history (`TrackingEntry` in docs/openapi.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrackingEntry {
    /// The stage changed to `stage` (from `from`, absent for the first).
    Stage {
        stage: Stage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Stage>,
        at: DateTime<Utc>,
    },
    Note {
        text: String,
        at: DateTime<Utc>,
    },
}

impl TrackingEntry {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            TrackingEntry::Stage { at, .. } | TrackingEntry::Note { at, .. } => *at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_parse_by_name_only() {
        for stage in Stage::ALL {
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
        assert_eq!("Applied".parse::<Stage>(), Err(UnknownStage));
        assert_eq!("hired".parse::<Stage>(), Err(UnknownStage));
    }

    #[test]
    fn notes_are_bounded_and_trimmed() {
        assert_eq!(
            NoteText::parse("  call back  ").unwrap().as_str(),
            "call back"
        );
        assert_eq!(NoteText::parse(" \n "), Err(NoteError::Empty));
        let max = "é".repeat(NoteText::MAX_CHARS);
        assert!(NoteText::parse(&max).is_ok());
        assert_eq!(NoteText::parse(&format!("{max}x")), Err(NoteError::TooLong));
    }

    #[test]
    fn entries_serialise_with_their_kind() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let entry = TrackingEntry::Stage {
            stage: Stage::Applied,
            from: Some(Stage::Saved),
            at,
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["kind"], "stage");
        assert_eq!(json["stage"], "applied");
        assert_eq!(json["from"], "saved");
        let back: TrackingEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
    }
}
