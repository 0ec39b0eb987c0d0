//! A conditional move of a job card, as the DynamoDB and the in-memory store both apply it.

use chrono::{DateTime, Utc};

use crate::domain::{JobCard, JobStatus, Score, ScoringEntry};

/// What a failed job shows when no attempt left an error behind.
const FAILED_WITHOUT_ERROR: &str = "scoring failed after repeated attempts";

/// One move of a card's status (and score): what both stores apply, each with the same
/// condition (the card's status and attempt as read).
pub(crate) struct CardMove<'a> {
    /// The card as read; its status and `attempt` are the move's condition.
    pub card: &'a JobCard,
    pub attempt: u32,
    pub to: JobStatus,
    /// A new score (a scoring), with when it was given.
    pub score: Option<(Score, DateTime<Utc>)>,
    /// The attempt the card will wait for (a requeue), else unchanged.
    pub next_attempt: Option<u32>,
    /// `Some(Some(e))` sets `lastError`, `Some(None)` removes it; `None` leaves it, unless
    /// `keep_error_or` says what to set when there is none.
    pub last_error: Option<Option<&'a str>>,
    pub keep_error_or: Option<&'a str>,
}

impl<'a> CardMove<'a> {
    /// A plain status change (archive, restore, a waiting job put back), nothing else.
    pub(crate) fn status(card: &'a JobCard, attempt: u32, to: JobStatus) -> Self {
        Self {
            card,
            attempt,
            to,
            score: None,
            next_attempt: None,
            last_error: None,
            keep_error_or: None,
        }
    }

    /// `queued → scored` with the entry's score; the last error goes.
    pub(crate) fn scored(card: &'a JobCard, entry: &ScoringEntry) -> Self {
        Self {
            score: Some((entry.score, entry.created_at)),
            last_error: Some(None),
            ..Self::status(card, entry.attempt, JobStatus::Scored)
        }
    }

    /// `queued → failed`, keeping the attempt's error (or saying none was left).
    pub(crate) fn failed(card: &'a JobCard, attempt: u32, error: Option<&'a str>) -> Self {
        Self {
            last_error: error.map(Some),
            keep_error_or: Some(FAILED_WITHOUT_ERROR),
            ..Self::status(card, attempt, JobStatus::Failed)
        }
    }

    /// Back to `queued` for the next attempt; the last error goes.
    pub(crate) fn requeued(card: &'a JobCard, attempt: u32) -> Self {
        Self {
            next_attempt: Some(attempt + 1),
            last_error: Some(None),
            ..Self::status(card, attempt, JobStatus::Queued)
        }
    }

    /// The card after the move.
    pub(crate) fn applied(&self) -> JobCard {
        let mut card = self.card.clone();
        card.status = self.to;
        if let Some((score, at)) = self.score {
            card.score = Some(score);
            card.scored_at = Some(at);
        }
        card
    }
}
