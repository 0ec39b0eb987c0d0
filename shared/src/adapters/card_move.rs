//! A conditional move of a job card, as the DynamoDB and the in-memory store both apply it.

use chrono::{DateTime, Utc};

use crate::domain::{JobCard, JobStatus, Score};

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

impl CardMove<'_> {
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
