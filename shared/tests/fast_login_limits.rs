//! Login limits that cannot lock the owner out (issue 17, point 3), on the in-memory
//! store with a fixed clock: only failures count, and they slow down the e-mail + IP that
//! makes them, progressively.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use shared::adapters::memory::MemoryStore;
use shared::http::ApiError;
use shared::ports::{FailureCounter, Failures, StoreError};
use support::*;

/// The memory store's failure runs, counting the writes that end one.
struct CountingClears {
    store: MemoryStore,
    clears: AtomicUsize,
}

#[async_trait]
impl FailureCounter for CountingClears {
    async fn failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: Duration,
    ) -> Result<Failures, StoreError> {
        self.store.failures(key, now, forget_after).await
    }

    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: Duration,
    ) -> Result<Failures, StoreError> {
        self.store.record_failure(key, now, forget_after).await
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        self.clears.fetch_add(1, Ordering::Relaxed);
        self.store.clear_failures(key).await
    }
}

const ATTACKER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";

/// One login attempt: `Ok(())`, `Err(None)` for a plain refusal, or `Err(Some(secs))`
/// for a 429 with its Retry-After.
async fn attempt(a: &Accounts, password: &str, ip: &str) -> Result<(), Option<u64>> {
    match a
        .service
        .login(login("owner@example.com", password), ip)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => match ApiError::from(e) {
            ApiError::RateLimited { retry_after_secs } => Err(Some(retry_after_secs)),
            other => {
                assert_eq!(other.code(), "unauthorized");
                Err(None)
            }
        },
    }
}

#[tokio::test]
async fn twenty_failures_from_one_ip_do_not_stop_the_owner_elsewhere_and_back_off_more_each_time() {
    let a = accounts();
    register(&a, "owner@example.com").await;
    let mut failures = 0;
    let mut waits = Vec::new();
    while failures < 20 {
        match attempt(&a, "a wrong guess!!", ATTACKER).await {
            Ok(()) => panic!("a wrong password let in"),
            Err(None) => failures += 1,
            // Held back: the attacker waits exactly as long as told, then tries again.
            Err(Some(secs)) => {
                waits.push(secs);
                a.clock
                    .advance(Duration::seconds(i64::try_from(secs).unwrap()));
            }
        }
        // The owner, from elsewhere, is never held back by any of it.
        if failures % 5 == 0 {
            attempt(&a, PASSWORD, OWNER)
                .await
                .expect("the owner signs in from another IP");
        }
    }
    // The first 5 failures were free; each one after made the next wait twice as long,
    // up to the 15-minute cap.
    assert_eq!(waits.len(), 15, "{waits:?}");
    assert!(
        waits.windows(2).all(|w| w[1] > w[0] || w[1] == 900),
        "waits must grow: {waits:?}"
    );
    assert_eq!(waits[0], 2);
    assert_eq!(*waits.last().unwrap(), 900);
    // Even the right password waits out the attacker's own IP's run…
    assert!(matches!(
        attempt(&a, PASSWORD, ATTACKER).await,
        Err(Some(_))
    ));
    // …but not from the owner's.
    attempt(&a, PASSWORD, OWNER).await.expect("owner signs in");
}

#[tokio::test]
async fn successful_logins_never_count_against_the_address() {
    let a = accounts();
    register(&a, "owner@example.com").await;
    // Far more than any attempt limit: every one of them had the right password.
    for _ in 0..30 {
        attempt(&a, PASSWORD, OWNER).await.expect("signed in");
    }
    // A few failures then a success from the same place: the run starts again.
    for _ in 0..4 {
        assert_eq!(attempt(&a, "a wrong guess!!", OWNER).await, Err(None));
    }
    attempt(&a, PASSWORD, OWNER).await.expect("signed in");
    for _ in 0..4 {
        assert_eq!(
            attempt(&a, "a wrong guess!!", OWNER).await,
            Err(None),
            "the success cleared the run"
        );
    }
}

#[tokio::test]
async fn a_run_of_failures_is_forgotten_a_day_after_the_last() {
    let a = accounts();
    register(&a, "owner@example.com").await;
    for _ in 0..5 {
        assert_eq!(attempt(&a, "a wrong guess!!", ATTACKER).await, Err(None));
    }
    assert_eq!(attempt(&a, PASSWORD, ATTACKER).await, Err(Some(2)));
    a.clock.advance(Duration::hours(24));
    attempt(&a, PASSWORD, ATTACKER)
        .await
        .expect("a day later the run is forgotten");
}

#[tokio::test]
async fn a_login_after_no_failure_writes_no_clear() {
    let mut a = accounts();
    let counter = Arc::new(CountingClears {
        store: a.store.clone(),
        clears: AtomicUsize::new(0),
    });
    a.service.failures = counter.clone();
    register(&a, "owner@example.com").await;
    for _ in 0..3 {
        attempt(&a, PASSWORD, OWNER).await.expect("signed in");
    }
    assert_eq!(counter.clears.load(Ordering::Relaxed), 0);

    // A failure, then a success from the same place: that run is ended, once.
    assert_eq!(attempt(&a, "a wrong guess!!", OWNER).await, Err(None));
    attempt(&a, PASSWORD, OWNER).await.expect("signed in");
    assert_eq!(counter.clears.load(Ordering::Relaxed), 1);
    // A failure from elsewhere is another run: it needs no clear here.
    assert_eq!(attempt(&a, "a wrong guess!!", ATTACKER).await, Err(None));
    attempt(&a, PASSWORD, OWNER).await.expect("signed in");
    assert_eq!(counter.clears.load(Ordering::Relaxed), 1);
}
