//! `POST /v1/webhooks/scoring`: a signed result from an external scorer.

use super::*;

/// Why a scorer's callback was refused.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// A bad or stale signature, or a replayed result: one answer, details only logged.
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid scoring result: {0}")]
    InvalidBody(String),
    #[error("request body is too large")]
    TooLarge,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the job is not waiting for a score of this attempt")]
    NotAwaited,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CallbackError> for ApiError {
    fn from(e: CallbackError) -> Self {
        match e {
            CallbackError::Unauthenticated => ApiError::Unauthorized,
            // The whole body is at fault, not one field: no `details`.
            CallbackError::InvalidBody(_) => ApiError::Validation {
                message: e.to_string(),
                details: None,
            },
            CallbackError::TooLarge => ApiError::PayloadTooLarge,
            CallbackError::Invalid(e) => e.into(),
            CallbackError::NotAwaited => ApiError::Conflict(e.to_string()),
            CallbackError::Store(e) => e.into(),
        }
    }
}

/// `POST /v1/webhooks/scoring`: a signed result from an external scorer.
pub struct WebhookCallback {
    pub recorder: Arc<Recorder>,
    pub verifier: WebhookVerifier,
}

impl WebhookCallback {
    /// `200 {"status": "scored" | "duplicate"}` on success.
    pub async fn accept(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<&'static str, CallbackError> {
        let result = self
            .verifier
            .verify(signature, body, now)
            .map_err(|e| match e {
                WebhookError::Unauthorized(reason) => {
                    tracing::warn!(%reason, "scoring webhook refused");
                    CallbackError::Unauthenticated
                }
                WebhookError::InvalidBody(reason) => CallbackError::InvalidBody(reason),
                WebhookError::TooLarge => CallbackError::TooLarge,
            })?;
        shared::telemetry::logs::record_tenant(&tracing::Span::current(), result.tenant_id);
        let at = DateTime::from_timestamp(now, 0).unwrap_or_else(|| self.recorder.clock.now());
        let entry = entry_from(&result.scoring(), result.attempt, at)
            .map_err(|e| Invalid::new("reason", e))?;
        let replay = ReplayMarker {
            key: result.replay_key(),
            expires_at: result.replay_expires_at(),
        };
        match self
            .recorder
            .record(result.tenant_id, result.job_id, &entry, Some(&replay))
            .await?
        {
            Recorded::Scored(_) => Ok("scored"),
            Recorded::AlreadyScored => Ok("duplicate"),
            Recorded::Replayed => Err(CallbackError::Unauthenticated),
            // `record` stores without a profile version: never stale.
            Recorded::NotAwaited | Recorded::StaleProfile => Err(CallbackError::NotAwaited),
        }
    }
}
