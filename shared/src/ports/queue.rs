//! The work queue port.

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
}
