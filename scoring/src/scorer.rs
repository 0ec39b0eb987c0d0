//! The scorer port and what it answers.

use async_trait::async_trait;
use serde::Serialize;
use shared::domain::Score;

use crate::error::ScoreError;
use crate::job::JobForScoring;
use shared::domain::Profile;

/// Rates one posting against one profile.
///
/// Implementations hold their clients (built once, at init) and are shared between
/// concurrent calls, hence `Send + Sync` and `&self`.
#[async_trait]
pub trait Scorer: Send + Sync {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError>;
}

/// A score with its reason and the scorer that gave it, as stored in the job's history
/// (`{score, reason, scorer, model?}` in docs/openapi.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scoring {
    pub score: Score,
    /// Plain text for a person; never empty.
    pub reason: String,
    /// [`Scoring::PROFILE`], [`Scoring::HYBRID`], [`Scoring::OPENAI`] or [`Scoring::WEBHOOK`].
    pub scorer: &'static str,
    /// The model that answered, when a model did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Scoring {
    pub const PROFILE: &'static str = "profile";
    pub const OPENAI: &'static str = "openai";
    pub const WEBHOOK: &'static str = "webhook";
    pub const HYBRID: &'static str = "hybrid";
}

#[async_trait]
impl<S: Scorer + ?Sized> Scorer for Box<S> {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        (**self).score(job, profile).await
    }
}

#[async_trait]
impl<S: Scorer + ?Sized> Scorer for std::sync::Arc<S> {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        (**self).score(job, profile).await
    }
}
