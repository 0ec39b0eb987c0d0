//! The work queue port.

use std::time::Duration;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("message could not be serialised: {0}")]
    Serialize(String),
    #[error("{failed} of {total} messages were not accepted: {reason}")]
    Rejected {
        failed: usize,
        total: usize,
        reason: String,
    },
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Sends every body (JSON text), batching as the queue allows. Either all are
    /// accepted or an error says how many were not.
    async fn send_all(&self, bodies: &[String]) -> Result<(), QueueError>;
    /// Sends one body that becomes visible after `delay` (at most [`MAX_SEND_DELAY`]).
    async fn send_delayed(&self, body: &str, delay: Duration) -> Result<(), QueueError>;
    /// Keeps a received message hidden for `delay` from now (at most
    /// [`MAX_VISIBILITY_DELAY`]), so that its next delivery comes no sooner.
    async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError>;
}

/// SQS's `DelaySeconds` limit.
pub const MAX_SEND_DELAY: Duration = Duration::from_secs(15 * 60);
/// SQS's visibility timeout limit.
pub const MAX_VISIBILITY_DELAY: Duration = Duration::from_secs(12 * 60 * 60);
