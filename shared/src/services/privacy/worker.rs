//! `worker-erasure`: one erasure message at a time.
//!
//! A message is resumable and idempotent by construction. It carries the walk's position;
//! the worker deletes page after page until its time budget is spent, then sends the rest
//! on as a new message and acknowledges its own. Deleting an absent item succeeds, so a
//! page done twice (a message delivered twice, a worker killed after deleting but before
//! sending on, whose message comes back) only costs the repeated reads. A killed worker's
//! message reappears after the queue's visibility timeout and starts again from its own
//! position; at worst two chains walk the same range, and both end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::PrivacyError;
use crate::messages::EraseTenantTask;
use crate::ports::{ErasureTarget, MAX_SEND_DELAY, SubscriptionCanceller, TenantEraser, WorkQueue};

/// What one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureStep {
    /// Budget spent; the rest was sent on from this position.
    Continued { deleted: usize },
    /// The first walk ended; the second is queued 15 minutes from now.
    FirstPassDone { deleted: usize },
    /// Nothing of the tenant is left.
    Done { deleted: usize },
}

pub struct ErasureWorker {
    pub eraser: Arc<dyn TenantEraser>,
    pub queue: Arc<dyn WorkQueue>,
    /// `None` when Stripe is not configured (then no tenant can have a subscription).
    pub canceller: Option<Arc<dyn SubscriptionCanceller>>,
    /// Items the walk reads per page (`Scan`'s `Limit`).
    pub page_size: u32,
    /// Past this, the worker sends the rest on instead of starting another page.
    pub budget: Duration,
}

impl ErasureWorker {
    pub async fn handle(&self, task: EraseTenantTask) -> Result<ErasureStep, PrivacyError> {
        if task.pass == 1 && task.position.is_none() {
            self.cancel_subscription(&task).await?;
        }
        let target = ErasureTarget {
            tenant: task.tenant_id,
            emails: task.emails.clone(),
        };
        let started = Instant::now();
        let mut position = task.position.clone();
        let mut deleted = 0;
        loop {
            let page = self
                .eraser
                .erase_page(&target, position.as_deref(), self.page_size)
                .await?;
            deleted += page.deleted;
            position = page.next;
            let Some(at) = &position else { break };
            if started.elapsed() >= self.budget {
                let rest = EraseTenantTask {
                    position: Some(at.clone()),
                    ..task
                };
                self.send(&rest, None).await?;
                return Ok(ErasureStep::Continued { deleted });
            }
        }
        crate::telemetry::MetricSet::new()
            .count("ErasedItems", deleted)
            .emit();
        if task.pass == 1 {
            let second = EraseTenantTask {
                pass: 2,
                position: None,
                ..task
            };
            self.send(&second, Some(MAX_SEND_DELAY)).await?;
            return Ok(ErasureStep::FirstPassDone { deleted });
        }
        tracing::info!(tenant = %task.tenant_id, "tenant erased");
        Ok(ErasureStep::Done { deleted })
    }

    /// Before anything is deleted: a subscription left running would keep charging a
    /// tenant that no longer exists. A Stripe failure or hang fails the message, which
    /// the queue retries (and, after its last try, keeps in the dead-letter queue, with
    /// an alarm) — nothing is deleted before the subscription has ended.
    async fn cancel_subscription(&self, task: &EraseTenantTask) -> Result<(), PrivacyError> {
        let Some(subscription) = &task.subscription_id else {
            return Ok(());
        };
        match &self.canceller {
            Some(stripe) => stripe
                .cancel_subscription(subscription)
                .await
                .map_err(|e| PrivacyError::Internal(format!("cancel subscription: {e}"))),
            None => Err(PrivacyError::Internal(
                "the tenant has a subscription but Stripe is not configured".into(),
            )),
        }
    }

    async fn send(
        &self,
        task: &EraseTenantTask,
        delay: Option<Duration>,
    ) -> Result<(), PrivacyError> {
        let body =
            serde_json::to_string(task).map_err(|e| PrivacyError::Internal(e.to_string()))?;
        let sent = match delay {
            Some(delay) => self.queue.send_delayed(&body, delay).await,
            None => self.queue.send_all(&[body]).await,
        };
        sent.map_err(|e| PrivacyError::Internal(e.to_string()))
    }
}
