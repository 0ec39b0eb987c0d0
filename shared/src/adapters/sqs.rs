//! SQS work queue: sends in batches of 10, the most `SendMessageBatch` takes.

use std::time::Duration;

use async_trait::async_trait;
pub use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::adapters::SdkClient;
use crate::adapters::aws::describe;
use crate::ports::{MAX_SEND_DELAY, MAX_VISIBILITY_DELAY, QueueError, WorkQueue};

/// `SendMessageBatch` accepts at most 10 entries.
pub const MAX_BATCH: usize = 10;

#[derive(Clone)]
pub struct SqsQueue {
    client: SdkClient<aws_sdk_sqs::Client>,
    url: String,
}

impl SqsQueue {
    pub fn new(client: impl Into<SdkClient<aws_sdk_sqs::Client>>, url: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            url: url.into(),
        }
    }

    /// Sends one batch; returns the indexes (into `chunk`) SQS did not accept, with the
    /// reason of the first one, retrying once those SQS marks as not the sender's fault.
    async fn send_chunk(&self, chunk: &[String]) -> Result<(), QueueError> {
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut last_reason = String::new();
        for _attempt in 0..2 {
            let entries = pending
                .iter()
                .map(|&i| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&chunk[i])
                        .build()
                        .map_err(|e| QueueError::Serialize(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .get()
                .await
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::Unavailable(describe(&e)))?;
            let mut retry = Vec::new();
            for failure in out.failed() {
                last_reason = format!("{}: {}", failure.code(), failure.message().unwrap_or(""));
                let Ok(i) = failure.id().parse::<usize>() else {
                    continue;
                };
                if failure.sender_fault() {
                    return Err(QueueError::Rejected {
                        failed: out.failed().len(),
                        total: chunk.len(),
                        reason: last_reason,
                    });
                }
                retry.push(i);
            }
            if retry.is_empty() {
                return Ok(());
            }
            pending = retry;
        }
        Err(QueueError::Rejected {
            failed: pending.len(),
            total: chunk.len(),
            reason: last_reason,
        })
    }
}

#[async_trait]
impl WorkQueue for SqsQueue {
    async fn send_all(&self, bodies: &[String]) -> Result<(), QueueError> {
        for chunk in bodies.chunks(MAX_BATCH) {
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn send_delayed(&self, body: &str, delay: Duration) -> Result<(), QueueError> {
        let seconds = delay.min(MAX_SEND_DELAY).as_secs();
        self.client
            .get()
            .await
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(i32::try_from(seconds).unwrap_or(0))
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(describe(&e)))?;
        Ok(())
    }

    async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        let seconds = delay.min(MAX_VISIBILITY_DELAY).as_secs();
        self.client
            .get()
            .await
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(0))
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(describe(&e)))?;
        Ok(())
    }
}
