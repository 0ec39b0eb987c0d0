//! The port in front of the job boards: ingestion asks a [`SourceConnector`] for a
//! source's postings, so the use cases can be tested with a fake board. The connectors'
//! [`Fetcher`] (HTTP to the real boards) is the one deployed implementation.

use async_trait::async_trait;
use jobmon_connectors::{FetchOutcome, Fetcher, SourceConfig, SourceError};
use shared::domain::SourceValidators;

#[async_trait]
pub trait SourceConnector: Send + Sync {
    /// Fetches `source`, conditionally when `validators` hold something.
    async fn fetch(
        &self,
        source: &SourceConfig,
        validators: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError>;
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
}
