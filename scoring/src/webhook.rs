//! External scorers reached by webhook (n8n-compatible).
//!
//! Out: [`WebhookScorer::dispatch`] POSTs `{jobId, tenantId, attempt, job, profile,
//! callbackUrl}` signed with `X-Jobmon-Signature`; the job stays `queued`. Back:
//! the scorer POSTs `{jobId, tenantId, score, reason, attempt}`, signed with the same
//! secret and scheme, to `callbackUrl` (`POST /v1/webhooks/scoring`), where
//! [`WebhookVerifier::verify`] checks it.
//!
//! What the verifier cannot check, the caller must, against storage:
//! - replays: record [`WebhookResult::replay_key`] with a conditional put (TTL
//!   [`WebhookResult::replay_expires_at`]) and answer 401 when it already exists;
//! - that `jobId` belongs to `tenantId` and that `attempt` is the job's outstanding
//!   attempt (a late answer to an older attempt must not overwrite a newer score). The
//!   secret is one per deployment, so the body's `tenantId` is only as trusted as the
//!   scorer holding the secret: look the job up under that tenant, never across tenants.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use shared::domain::{JobId, Score, TenantId};
use url::Url;

use crate::error::ScoreError;
use crate::gate::pregate;
use crate::http_failure::{classify, read_capped, transport};
use crate::job::JobForScoring;
use crate::profile_scorer::ProfileScorer;
use crate::scorer::Scoring;
use crate::signature::{self, SIGNATURE_HEADER, SignatureError, TOLERANCE, VerifiedSignature};
use shared::domain::Profile;

/// Shorter secrets are guessable; a 32-byte random value in hex or base64 is typical.
pub const MIN_SECRET_BYTES: usize = 16;
/// Result bodies are a few hundred bytes; anything far larger is refused unread.
pub const MAX_RESULT_BYTES: usize = 64 * 1024;
const MAX_REASON_CHARS: usize = 2000;

/// The body jobmon sends to the external scorer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRequest<'a> {
    pub job_id: JobId,
    pub tenant_id: TenantId,
    /// Echoed back in the result, so that a late answer to an older attempt is spotted.
    pub attempt: u32,
    pub job: &'a JobForScoring,
    pub profile: &'a Profile,
    pub callback_url: &'a str,
}

/// What [`WebhookScorer::dispatch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    /// The request was accepted; the result arrives at the callback URL.
    Sent,
    /// The pre-gate answered (the posting breaks the profile): store this now.
    Scored(Scoring),
}

pub struct WebhookScorer {
    client: reqwest::Client,
    url: Url,
    secret: Vec<u8>,
    callback_url: String,
    timeout: Duration,
    answer_within: Duration,
    gate: Option<Score>,
}

impl std::fmt::Debug for WebhookScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookScorer")
            .field("url", &self.url.as_str())
            .field("callback_url", &self.callback_url)
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

impl WebhookScorer {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a handed-out job waits for its answer by default: then it is `failed`
    /// (and can be rescored) instead of `queued` for ever.
    pub const DEFAULT_ANSWER_WITHIN: Duration = Duration::from_secs(15 * 60);
    /// The longest wait for an answer: a day.
    pub const MAX_ANSWER_WITHIN: Duration = Duration::from_secs(24 * 60 * 60);

    /// `url` is the external scorer's endpoint, `callback_url` jobmon's public
    /// `.../v1/webhooks/scoring`. Builds the client once (at init).
    pub fn new(
        url: &str,
        secret: &[u8],
        callback_url: &str,
        timeout: Duration,
    ) -> Result<Self, ScoreError> {
        let url = http_url(url, "webhook URL")?;
        let callback = http_url(callback_url, "callback URL")?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ScoreError::Config(format!(
                "the webhook secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        let client = reqwest::Client::builder()
            // A redirected POST would turn into a GET or carry the body elsewhere; a 3xx is
            // a configuration problem to report, not to follow.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| ScoreError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            url,
            secret: secret.to_vec(),
            callback_url: callback.into(),
            timeout,
            answer_within: Self::DEFAULT_ANSWER_WITHIN,
            gate: None,
        })
    }

    /// Answer postings that break the profile locally (see [`crate::GatedScorer`]).
    pub fn with_gate(mut self, threshold: Score) -> Self {
        self.gate = Some(threshold);
        self
    }

    /// How long a job handed out waits for its answer at the callback (at most
    /// [`Self::MAX_ANSWER_WITHIN`]).
    pub fn with_answer_within(mut self, answer_within: Duration) -> Self {
        self.answer_within = answer_within.min(Self::MAX_ANSWER_WITHIN);
        self
    }

    pub fn answer_within(&self) -> Duration {
        self.answer_within
    }

    pub fn callback_url(&self) -> &str {
        &self.callback_url
    }

    /// The body and its `X-Jobmon-Signature` value, signed at `now` (unix seconds).
    pub fn signed_request(
        &self,
        request: &WebhookRequest<'_>,
        now: i64,
    ) -> Result<(Vec<u8>, String), ScoreError> {
        let body = serde_json::to_vec(request)
            .map_err(|e| ScoreError::Config(format!("could not encode the request: {e}")))?;
        let header = signature::sign(&self.secret, now, &body);
        Ok((body, header))
    }

    /// Sends the job out (or answers from the pre-gate). Any 2xx is acceptance; failures
    /// map like the OpenAI scorer's (429 quota, 402 billing, 5xx/timeouts transient).
    pub async fn dispatch(
        &self,
        job_id: JobId,
        tenant_id: TenantId,
        attempt: u32,
        job: &JobForScoring,
        profile: &Profile,
    ) -> Result<Dispatch, ScoreError> {
        if let Some(threshold) = self.gate
            && let Some(scoring) = pregate(&ProfileScorer::default(), threshold, job, profile)
        {
            return Ok(Dispatch::Scored(scoring));
        }
        let request = WebhookRequest {
            job_id,
            tenant_id,
            attempt,
            job,
            profile,
            callback_url: &self.callback_url,
        };
        let (body, signature) = self.signed_request(&request, Utc::now().timestamp())?;
        let response = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| transport(&e, self.timeout))?;
        let status = response.status();
        if status.is_success() {
            return Ok(Dispatch::Sent);
        }
        let headers = response.headers().clone();
        let body = read_capped(response, self.timeout)
            .await
            .unwrap_or_default();
        Err(classify(status, &headers, &body, Utc::now()))
    }
}

/// A verified result from an external scorer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResult {
    pub job_id: JobId,
    pub tenant_id: TenantId,
    pub attempt: u32,
    pub score: Score,
    /// Trimmed, non-empty, at most 2000 characters.
    pub reason: String,
    signature: VerifiedSignature,
    tolerance: Duration,
}

impl WebhookResult {
    /// As stored in the job's history.
    pub fn scoring(&self) -> Scoring {
        Scoring {
            score: self.score,
            reason: self.reason.clone(),
            scorer: Scoring::WEBHOOK,
            model: None,
        }
    }

    /// Record this with a conditional put before acting; if it exists, answer 401.
    pub fn replay_key(&self) -> String {
        self.signature.replay_key()
    }

    /// Unix seconds after which the replay record may expire.
    pub fn replay_expires_at(&self) -> i64 {
        self.signature.replay_expires_at(self.tolerance)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Unsigned, forged or stale: answer 401 and say nothing more.
    #[error("unauthorized: {0}")]
    Unauthorized(SignatureError),
    /// Signed, but the body is not a valid result: 400 `validation_failed`.
    #[error("invalid scoring result: {0}")]
    InvalidBody(String),
    /// 413 `payload_too_large`.
    #[error("scoring result larger than {MAX_RESULT_BYTES} bytes")]
    TooLarge,
}

/// Checks results posted to `POST /v1/webhooks/scoring`. Built once, at init.
pub struct WebhookVerifier {
    secret: Vec<u8>,
    tolerance: Duration,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResultBody {
    job_id: JobId,
    tenant_id: TenantId,
    score: serde_json::Number,
    reason: String,
    attempt: u32,
}

impl WebhookVerifier {
    pub fn new(secret: &[u8]) -> Result<Self, ScoreError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ScoreError::Config(format!(
                "the webhook secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        Ok(Self {
            secret: secret.to_vec(),
            tolerance: TOLERANCE,
        })
    }

    /// `signature` is the raw `X-Jobmon-Signature` value (`None` when absent), `body` the
    /// raw request body (before any JSON parsing: the signature covers the bytes), `now`
    /// the receiver's clock in unix seconds.
    pub fn verify(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<WebhookResult, WebhookError> {
        if body.len() > MAX_RESULT_BYTES {
            return Err(WebhookError::TooLarge);
        }
        // Authenticate before parsing: an unsigned request learns nothing about the body
        // format from the answer.
        let verified = signature::verify(&self.secret, signature, body, now, self.tolerance)
            .map_err(WebhookError::Unauthorized)?;
        let parsed: ResultBody =
            serde_json::from_slice(body).map_err(|e| WebhookError::InvalidBody(e.to_string()))?;
        let score = parsed
            .score
            .as_i64()
            .and_then(|n| Score::new(n).ok())
            .ok_or_else(|| {
                WebhookError::InvalidBody(format!(
                    "score must be an integer from 1 to 10, got {}",
                    parsed.score
                ))
            })?;
        let reason = parsed.reason.trim();
        if reason.is_empty() {
            return Err(WebhookError::InvalidBody("reason must not be empty".into()));
        }
        Ok(WebhookResult {
            job_id: parsed.job_id,
            tenant_id: parsed.tenant_id,
            attempt: parsed.attempt,
            score,
            reason: reason.chars().take(MAX_REASON_CHARS).collect(),
            signature: verified,
            tolerance: self.tolerance,
        })
    }
}

fn http_url(raw: &str, what: &str) -> Result<Url, ScoreError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| ScoreError::Config(format!("invalid {what} {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ScoreError::Config(format!(
            "{what} {raw:?} must be http(s) with a host"
        )));
    }
    Ok(url)
}

/// The webhook side as a port, so the worker's service can be tested with a fake. Kept
/// apart from [`crate::Scorer`] because a webhook answers later, not in the call.
#[async_trait]
pub trait Dispatcher: Send + Sync {
    async fn dispatch(
        &self,
        job_id: JobId,
        tenant_id: TenantId,
        attempt: u32,
        job: &JobForScoring,
        profile: &Profile,
    ) -> Result<Dispatch, ScoreError>;
}

#[async_trait]
impl Dispatcher for WebhookScorer {
    async fn dispatch(
        &self,
        job_id: JobId,
        tenant_id: TenantId,
        attempt: u32,
        job: &JobForScoring,
        profile: &Profile,
    ) -> Result<Dispatch, ScoreError> {
        WebhookScorer::dispatch(self, job_id, tenant_id, attempt, job, profile).await
    }
}

#[cfg(test)]
mod tests;
