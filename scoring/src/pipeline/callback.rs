//! `POST /v1/webhooks/scoring`: a signed result from an external scorer.

use super::*;

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
    ) -> Result<&'static str, ApiError> {
        let result = self
            .verifier
            .verify(signature, body, now)
            .map_err(|e| match e {
                WebhookError::Unauthorized(reason) => {
                    tracing::warn!(%reason, "scoring webhook refused");
                    ApiError::Unauthorized
                }
                WebhookError::InvalidBody(reason) => ApiError::Validation {
                    message: format!("invalid scoring result: {reason}"),
                    details: None,
                },
                WebhookError::TooLarge => ApiError::PayloadTooLarge,
            })?;
        shared::telemetry::logs::record_tenant(&tracing::Span::current(), result.tenant_id);
        let at = DateTime::from_timestamp(now, 0).unwrap_or_else(|| self.recorder.clock.now());
        let entry = entry_from(&result.scoring(), result.attempt, at)
            .map_err(|e| ApiError::validation("reason", e.to_string()))?;
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
            Recorded::Replayed => Err(ApiError::Unauthorized),
            // `record` stores without a profile version: never stale.
            Recorded::NotAwaited | Recorded::StaleProfile => Err(ApiError::Conflict(
                "the job is not waiting for a score of this attempt".into(),
            )),
        }
    }
}
