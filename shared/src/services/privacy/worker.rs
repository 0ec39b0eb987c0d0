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
        let step = self.walk(task).await?;
        let (ErasureStep::Continued { deleted }
        | ErasureStep::FirstPassDone { deleted }
        | ErasureStep::Done { deleted }) = step;
        crate::telemetry::MetricSet::new()
            .count("ErasedItems", deleted)
            .emit();
        Ok(step)
    }

    /// Pages from the task's position until the walk ends or the budget is spent.
    async fn walk(&self, task: EraseTenantTask) -> Result<ErasureStep, PrivacyError> {
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
        if task.pass == 1 {
            let second = EraseTenantTask {
                pass: 2,
                position: None,
                ..task
            };
            self.send(&second, Some(MAX_SEND_DELAY)).await?;
            return Ok(ErasureStep::FirstPassDone { deleted });
        }
        let took_secs = (chrono::Utc::now() - task.requested_at).num_seconds();
        tracing::info!(tenant = %task.tenant_id, took_secs, "tenant erased");
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::Utc;

    use super::*;
    use crate::adapters::memory::MemoryQueue;
    use crate::domain::TenantId;
    use crate::ports::{ErasedPage, StoreError};

    /// A table of `pages` pages of 3 items; records every page asked for.
    struct Pages {
        pages: usize,
        asked: Mutex<Vec<Option<String>>>,
    }

    #[async_trait]
    impl TenantEraser for Pages {
        async fn erase_page(
            &self,
            _: &ErasureTarget,
            start: Option<&str>,
            _: u32,
        ) -> Result<ErasedPage, StoreError> {
            self.asked.lock().unwrap().push(start.map(str::to_owned));
            let at: usize = start.map_or(0, |s| s.parse().unwrap());
            let next = (at + 1 < self.pages).then(|| (at + 1).to_string());
            Ok(ErasedPage { deleted: 3, next })
        }
        async fn release_emails(&self, _: &[String]) -> Result<(), StoreError> {
            Ok(())
        }
    }

    struct Stripe {
        fails: bool,
        cancelled: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl SubscriptionCanceller for Stripe {
        async fn cancel_subscription(&self, subscription: &str) -> Result<(), String> {
            self.cancelled.lock().unwrap().push(subscription.to_owned());
            if self.fails {
                Err("Stripe is down".into())
            } else {
                Ok(())
            }
        }
    }

    fn task() -> EraseTenantTask {
        EraseTenantTask {
            tenant_id: TenantId::new(),
            emails: vec!["a@example.com".into()],
            subscription_id: Some("sub_1".into()),
            requested_at: Utc::now(),
            pass: 1,
            position: None,
        }
    }

    fn setup(
        pages: usize,
        stripe_fails: bool,
        budget: Duration,
    ) -> (ErasureWorker, Arc<Pages>, Arc<Stripe>, Arc<MemoryQueue>) {
        let eraser = Arc::new(Pages {
            pages,
            asked: Mutex::default(),
        });
        let stripe = Arc::new(Stripe {
            fails: stripe_fails,
            cancelled: Mutex::default(),
        });
        let queue = Arc::new(MemoryQueue::default());
        let worker = ErasureWorker {
            eraser: eraser.clone(),
            queue: queue.clone(),
            canceller: Some(stripe.clone()),
            page_size: 3,
            budget,
        };
        (worker, eraser, stripe, queue)
    }

    #[tokio::test]
    async fn a_subscription_is_cancelled_before_anything_is_deleted_and_a_failing_stripe_deletes_nothing()
     {
        let (worker, eraser, stripe, queue) = setup(2, true, Duration::from_secs(60));
        assert!(worker.handle(task()).await.is_err());
        assert_eq!(stripe.cancelled.lock().unwrap().as_slice(), ["sub_1"]);
        assert!(
            eraser.asked.lock().unwrap().is_empty(),
            "deleted before the subscription ended"
        );
        assert!(queue.take_sent().is_empty() && queue.take_delayed().is_empty());

        let (worker, eraser, stripe, _) = setup(2, false, Duration::from_secs(60));
        assert_eq!(
            worker.handle(task()).await.unwrap(),
            ErasureStep::FirstPassDone { deleted: 6 }
        );
        assert_eq!(stripe.cancelled.lock().unwrap().len(), 1);
        assert_eq!(eraser.asked.lock().unwrap().len(), 2);
        // Without Stripe configured, a tenant with a subscription is not erased silently.
        let no_stripe = ErasureWorker {
            canceller: None,
            ..worker
        };
        assert!(no_stripe.handle(task()).await.is_err());
    }

    #[tokio::test]
    async fn the_walk_goes_on_from_its_position_and_ends_with_a_delayed_second_pass() {
        let (worker, eraser, stripe, queue) = setup(3, false, Duration::ZERO);
        let first = task();
        assert_eq!(
            worker.handle(first.clone()).await.unwrap(),
            ErasureStep::Continued { deleted: 3 }
        );
        let sent = queue.take_sent();
        let rest: EraseTenantTask = serde_json::from_str(&sent[0]).unwrap();
        assert_eq!(rest.position.as_deref(), Some("1"));
        assert_eq!(
            EraseTenantTask {
                position: None,
                ..rest.clone()
            },
            first
        );
        // A continuation never cancels again; it starts where the last page ended.
        worker.handle(rest).await.unwrap();
        let rest: EraseTenantTask = serde_json::from_str(&queue.take_sent()[0]).unwrap();
        assert_eq!(
            worker.handle(rest).await.unwrap(),
            ErasureStep::FirstPassDone { deleted: 3 }
        );
        assert_eq!(stripe.cancelled.lock().unwrap().len(), 1);
        assert_eq!(
            eraser.asked.lock().unwrap().as_slice(),
            [None, Some("1".into()), Some("2".into())]
        );
        let delayed = queue.take_delayed();
        assert_eq!(delayed[0].1, MAX_SEND_DELAY);
        let second: EraseTenantTask = serde_json::from_str(&delayed[0].0).unwrap();
        assert_eq!((second.pass, second.position), (2, None));
        // The second pass cancels nothing and ends the erasure.
        let (worker, _, stripe, queue) = setup(1, false, Duration::ZERO);
        let second = EraseTenantTask { pass: 2, ..task() };
        assert_eq!(
            worker.handle(second).await.unwrap(),
            ErasureStep::Done { deleted: 3 }
        );
        assert!(stripe.cancelled.lock().unwrap().is_empty());
        assert!(queue.take_sent().is_empty() && queue.take_delayed().is_empty());
    }
}
