//! The port in front of the job boards: ingestion asks a [`SourceConnector`] for a
//! source's postings, so the use cases can be tested with a fake board. The connectors'
//! [`Fetcher`] (HTTP to the real boards) is the one deployed implementation.

use async_trait::async_trait;
use jobmon_connectors::{DetectError, Detected, FetchOutcome, Fetcher, SourceConfig, SourceError};
use shared::domain::SourceValidators;

#[async_trait]
pub trait SourceConnector: Send + Sync {
    /// Fetches `source`, conditionally when `validators` hold something.
    async fn fetch(
        &self,
        source: &SourceConfig,
        validators: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError>;

    /// Recognises the source behind a pasted careers URL. A connector that cannot look
    /// pages up (a test's fake board) finds nothing.
    async fn detect(&self, _url: &str) -> Result<Detected, DetectError> {
        Err(DetectError::NothingFound)
    }
}

#[async_trait]
impl SourceConnector for Fetcher {
    async fn fetch(
        &self,
        source: &SourceConfig,
        validators: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError> {
        Fetcher::fetch(self, source, validators).await
    }

    async fn detect(&self, url: &str) -> Result<Detected, DetectError> {
        Fetcher::detect(self, url).await
    }
}
