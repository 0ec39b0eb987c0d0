//! `POST /v1/profile/preview`: how the tenant's newest jobs would score under a draft
//! profile, so the dashboard can show the effect of an edit while the user types.
//!
//! The draft is validated exactly as `PUT /v1/profile` validates it, and scored with the
//! built-in [`ProfileScorer`] over the same currency table the worker is configured with,
//! never with the LLM or the webhook: a preview is free, instant and repeatable, and a
//! tenant typing must not spend scoring quota or an operator's model budget. Nothing is
//! stored.

use serde::Serialize;
use shared::domain::Score;
use shared::ports::RateLimiter;
use shared::services::{RateLimited, rate_limited};

use super::rescorer::{invalid_profile, validated};
use super::warnings::recent_jobs;
use super::*;
use crate::profile_scorer::{ProfileScorer, ProfileWarning, profile_warnings};

/// Previews one tenant may ask for per minute. The dashboard debounces typing (one
/// request after 400 ms of quiet), so a person editing stays well below it; a script
/// looping on the route is held to it, as each preview reads up to 51 items.
pub const PREVIEWS_PER_MINUTE: u32 = 30;

/// One of the newest jobs: its stored score and the draft's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewedJob {
    pub id: JobId,
    pub title: String,
    pub company: String,
    /// The stored score; absent for a job not scored yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_score: Option<Score>,
    pub preview_score: Score,
    pub reason: String,
}

/// The preview: the newest jobs (newest first) and the warnings a save would answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilePreview {
    pub jobs: Vec<PreviewedJob>,
    pub warnings: Vec<ProfileWarning>,
}

/// Why a preview was refused.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Invalid(#[from] ProfileError),
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PreviewError> for ApiError {
    fn from(e: PreviewError) -> Self {
        match e {
            PreviewError::Invalid(e) => invalid_profile(e),
            PreviewError::RateLimited(e) => e.into(),
            PreviewError::Store(e) => e.into(),
        }
    }
}

/// Scores drafts against the tenant's newest jobs.
pub struct ProfilePreviewer {
    pub jobs: Arc<dyn JobStore>,
    pub limiter: Arc<dyn RateLimiter>,
    pub clock: Arc<dyn Clock>,
    pub scorer: ProfileScorer,
}

impl ProfilePreviewer {
    pub async fn preview(
        &self,
        tenant: TenantId,
        draft: Profile,
    ) -> Result<ProfilePreview, PreviewError> {
        let draft = validated(draft)?;
        rate_limited::check::<PreviewError>(
            &*self.limiter,
            &format!("profile-preview:tenant:{tenant}"),
            PREVIEWS_PER_MINUTE,
            60,
            self.clock.now(),
        )
        .await?;
        let recent = recent_jobs(&*self.jobs, tenant).await?;
        let postings: Vec<JobForScoring> = recent.iter().map(JobForScoring::from_job).collect();
        let jobs = recent
            .iter()
            .zip(&postings)
            .map(|(job, posting)| {
                let evaluation = self.scorer.evaluate(posting, &draft);
                PreviewedJob {
                    id: job.card.id,
                    title: job.card.title.clone(),
                    company: job.card.company.clone(),
                    current_score: job.card.score,
                    preview_score: evaluation.score,
                    reason: evaluation.reason,
                }
            })
            .collect();
        Ok(ProfilePreview {
            jobs,
            warnings: profile_warnings(&draft, &postings),
        })
    }
}
