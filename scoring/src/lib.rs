//! Scoring: rate a job posting from 1 to 10 against a tenant's profile, with a written
//! reason.
//!
//! - [`Scorer`] is the one port the scoring worker calls; [`ScoreError::disposition`] tells
//!   it what to do with the SQS message when a call fails.
//! - [`ProfileScorer`]: built-in, deterministic, offline; the default.
//! - [`HybridScorer`]: the profile scorer plus a semantic stage (MiniLM sentence
//!   embeddings of the profile's summary and the posting), `JOBMON_SCORER=hybrid`.
//! - [`OpenAiScorer`]: any OpenAI-compatible chat-completions endpoint with JSON-schema
//!   output (OpenAI, Ollama, vLLM, llama.cpp's server).
//! - [`GatedScorer`]: answers postings that break a hard constraint of the profile with the
//!   profile score and sends only the rest to the (paid) inner scorer.
//! - [`WebhookScorer`] posts a signed, n8n-compatible request out; [`WebhookVerifier`]
//!   checks the signed result that comes back to `POST /v1/webhooks/scoring`.
//! - [`ScorerConfig`] reads the `JOBMON_SCORER*` variables and builds the configured one.

pub mod admit;
mod config;
mod error;
mod gate;
mod http_failure;
mod hybrid;
mod job;
mod openai;
pub mod pipeline;
mod profile_scorer;
mod prompt;
mod scorer;
mod signature;
mod webhook;
pub mod wiring;
mod words;

pub use config::{ConfigError, ConfiguredScorer, ScorerConfig, ScorerKind, SecretSource};
pub use error::{Disposition, ScoreError};
pub use gate::GatedScorer;
pub use hybrid::{HybridScorer, MAX_SHIFT, SemanticTuning};
pub use job::JobForScoring;
pub use openai::{OpenAiConfig, OpenAiScorer, TokenLimitField};
pub use profile_scorer::{
    Evaluation, HardViolation, ProfileScorer, ProfileWarning, RateTable, profile_warnings,
    work_mode,
};
pub use scorer::{Scorer, Scoring};
pub use shared::domain::{FieldError, Profile, ProfileError, RemotePreference, Seniority};
pub use signature::{SIGNATURE_HEADER, SignatureError, TOLERANCE, VerifiedSignature, sign, verify};
pub use webhook::{
    Dispatch, Dispatcher, MAX_RESULT_BYTES, MIN_SECRET_BYTES, WebhookError, WebhookRequest,
    WebhookResult, WebhookScorer, WebhookVerifier,
};
