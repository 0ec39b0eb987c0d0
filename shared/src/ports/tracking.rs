//! Application tracking of jobs: the stage on the card, stage changes and notes beside it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{JobCard, JobId, NoteText, Stage, TenantId, TrackingEntry};

#[async_trait]
pub trait TrackingStore: Send + Sync {
    /// Sets the card's stage (conditional on the stage as read on `card`) and records the
    /// change in the job's tracking history, together or not at all. The new card, or
    /// `None` if the job is gone or its stage changed meanwhile.
    async fn set_stage(
        &self,
        tenant: TenantId,
        card: &JobCard,
        to: Stage,
        at: DateTime<Utc>,
    ) -> Result<Option<JobCard>, StoreError>;
    /// Adds a note to a job, counting it on the card, unless the job has
    /// [`MAX_NOTES`] already.
    async fn add_note(
        &self,
        tenant: TenantId,
        job: JobId,
        text: &NoteText,
        at: DateTime<Utc>,
    ) -> Result<NoteAdded, StoreError>;
    /// The job's newest [`MAX_TRACKING_ENTRIES`] stage changes and notes, oldest first.
    async fn tracking(
        &self,
        tenant: TenantId,
        job: JobId,
    ) -> Result<Vec<TrackingEntry>, StoreError>;
}

/// How many tracking entries a job view reads (one query of at most ~1 MB of notes).
pub const MAX_TRACKING_ENTRIES: usize = 100;
/// How many notes one job takes: with [`MAX_TRACKING_ENTRIES`] every note stays visible
/// unless stage changes crowd out the oldest.
pub const MAX_NOTES: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteAdded {
    Added,
    JobGone,
    Full,
}
