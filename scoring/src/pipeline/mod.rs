//! The scoring use cases around the scorers: the queue worker, its dead-letter consumer,
//! rescoring (one job, or all after a profile change) and the signed webhook callback.
//!
//! Every path that stores a score goes through [`Recorder::record`]: one transaction
//! writes the history entry and moves the job `queued → scored`, keyed by the job and the
//! attempt, so a repeated delivery or a late answer writes nothing. What follows a stored
//! score (`JobScored` on EventBridge, `job_scored` and `usage_updated` on the tenant's
//! WebSockets) is best effort: the score is already safe.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::domain::{
    Job, JobCard, JobId, JobStatus, Period, PlanCatalog, Profile, ProfileError, ScoringEntry,
    TenantId,
};
use shared::http::ApiError;
use shared::messages::{
    AnswerDeadline, RescoreAllTask, ScoreTask, ScoringMessage, to_bodies, to_body,
};
use shared::ports::{
    Clock, EventPublisher, JobStore, LiveMessage, LiveNotifier, MAX_SEND_DELAY, QuotaStore,
    Recorded, ReplayMarker, ScoringStore, StoreError, TenantReader, UsageReader, WorkQueue,
};
use shared::services::Invalid;

use crate::config::ConfiguredScorer;
use crate::error::{Disposition, ScoreError};
use crate::job::JobForScoring;
use crate::scorer::Scoring;
use crate::webhook::{Dispatch, WebhookError, WebhookVerifier};

mod callback;
pub mod deferral;
mod preview;
mod profiles;
mod recorder;
mod rescorer;
mod warnings;
mod worker;

pub use callback::{CallbackError, WebhookCallback};
pub use preview::{
    PREVIEWS_PER_MINUTE, PreviewError, PreviewedJob, ProfilePreview, ProfilePreviewer,
};
pub use profiles::ProfileCache;
pub use recorder::Recorder;
pub use rescorer::{Attempt, Failed, RescoreError, Rescorer, save_profile};
pub use warnings::{RECENT_JOBS, SavedProfile};
pub use worker::{Delivery, Outcome, ScoringWorker};

/// Jobs a bulk-rescore message handles before it passes the rest on.
pub const RESCORE_PAGE: u16 = 100;

/// Longest reason kept in the history; scorers are told to be brief, this is the backstop.
const MAX_REASON_CHARS: usize = 2000;

/// Checks what any scorer answered before it is stored: the score is typed 1..=10
/// already; the reason must say something.
pub fn entry_from(
    scoring: &Scoring,
    attempt: u32,
    at: DateTime<Utc>,
) -> Result<ScoringEntry, ScoreError> {
    let reason = scoring.reason.trim();
    if reason.is_empty() {
        return Err(ScoreError::InvalidOutput("the reason is empty".into()));
    }
    Ok(ScoringEntry {
        score: scoring.score,
        reason: reason.chars().take(MAX_REASON_CHARS).collect(),
        scorer: scoring.scorer.to_owned(),
        model: scoring.model.clone(),
        created_at: at,
        attempt,
    })
}
