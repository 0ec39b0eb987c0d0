//! Job statuses and the one table of allowed transitions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Stored, not yet handed to the scorer.
    New,
    /// A scoring message is on the queue.
    Queued,
    /// Scored at least once; the latest score is on the job.
    Scored,
    /// Scoring failed past its retries; can be rescored.
    Failed,
    /// Hidden from the default list by the user; nothing is deleted.
    Archived,
    /// Over the plan's monthly quota: stored, not scored until an upgrade or a new month.
    PendingUpgrade,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a job cannot go from `{from}` to `{to}`")]
pub struct TransitionError {
    pub from: JobStatus,
    pub to: JobStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job status `{0}`")]
pub struct UnknownStatus(pub String);

use JobStatus::*;

/// The single source of truth for status changes: `(from, allowed targets)`.
///
/// - `queued` is entered for a first scoring, a rescore (`scored`/`failed`) and when quota
///   frees up (`pending_upgrade`).
/// - `archived` can be entered from anywhere and left only back to a resting state
///   (the restore target is the status the job had when it was archived, or `new`);
///   never straight into `queued`, which needs a scoring message to be sent.
const TRANSITIONS: &[(JobStatus, &[JobStatus])] = &[
    (New, &[Queued, PendingUpgrade, Archived]),
    (Queued, &[Scored, Failed, Archived]),
    (Scored, &[Queued, Archived]),
    (Failed, &[Queued, Archived]),
    (PendingUpgrade, &[Queued, Archived]),
    (Archived, &[New, Scored, Failed, PendingUpgrade]),
];

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [New, Queued, Scored, Failed, Archived, PendingUpgrade];

    pub fn as_str(self) -> &'static str {
        match self {
            New => "new",
            Queued => "queued",
            Scored => "scored",
            Failed => "failed",
            Archived => "archived",
            PendingUpgrade => "pending_upgrade",
        }
    }

    pub fn can_become(self, to: JobStatus) -> bool {
        TRANSITIONS
            .iter()
            .find(|(from, _)| *from == self)
            .is_some_and(|(_, targets)| targets.contains(&to))
    }

    /// Whether a job in this status may carry a score: scored, a rescoring waiting or
    /// failed (the previous score stays on the card), and archived jobs that had one.
    /// `new` and `pending_upgrade` jobs were never scored.
    pub fn carries_score(self) -> bool {
        matches!(
            self,
            JobStatus::Scored | JobStatus::Queued | JobStatus::Failed | JobStatus::Archived
        )
    }

    /// Checks a move against the table; callers apply it only on `Ok`.
    pub fn transition(self, to: JobStatus) -> Result<JobStatus, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written out by hand, independently of `TRANSITIONS`, as a 6x6 matrix:
    /// row = from, column = to, in the order of `JobStatus::ALL`
    /// (new, queued, scored, failed, archived, pending_upgrade).
    const EXPECTED: [[bool; 6]; 6] = [
        // new    queued scored failed archiv pending
        [false, true, false, false, true, true],  // new
        [false, false, true, true, true, false],  // queued
        [false, true, false, false, true, false], // scored
        [false, true, false, false, true, false], // failed
        [true, false, true, true, false, true],   // archived
        [false, true, false, false, true, false], // pending_upgrade
    ];

    #[test]
    fn every_pair_matches_the_matrix() {
        for (i, from) in JobStatus::ALL.into_iter().enumerate() {
            for (j, to) in JobStatus::ALL.into_iter().enumerate() {
                let allowed = EXPECTED[i][j];
                assert_eq!(from.can_become(to), allowed, "{from} -> {to}");
                match from.transition(to) {
                    Ok(next) => {
                        assert!(allowed);
                        assert_eq!(next, to);
                    }
                    Err(e) => {
                        assert!(!allowed);
                        assert_eq!(e, TransitionError { from, to });
                    }
                }
            }
        }
    }

    #[test]
    fn every_status_has_a_row_and_none_loops_to_itself() {
        for status in JobStatus::ALL {
            assert_eq!(TRANSITIONS.iter().filter(|(f, _)| *f == status).count(), 1);
            assert!(!status.can_become(status));
        }
    }

    #[test]
    fn text_and_json_forms_agree() {
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert!("Scored".parse::<JobStatus>().is_err());
        assert!("deleted".parse::<JobStatus>().is_err());
    }
}
