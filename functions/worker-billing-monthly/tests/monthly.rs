//! The monthly admission against moto: tenants are found through the pending marker
//! (written when the fetcher stores `pending_upgrade` jobs), their jobs queued oldest
//! first within the new month's quota, and a second run queues nothing twice.

use jobmon_tests::{TestStack, seed};
use shared::domain::{JobStatus, PlanCatalog};
use shared::ports::{IngestStore, JobStore, PendingUpgrades};

#[tokio::test]
async fn pending_jobs_are_queued_within_the_new_months_quota() {
    let stack = TestStack::new().await;
    let store = seed::store(&stack);
    // As the function wires it; free: 50 a month.
    let admitter =
        jobmon_billing::wiring::admitter(&stack.core(PlanCatalog::builtin(), &[])).expect("wired");
    let small = seed::tenant(&store, "free").await.id;
    let big = seed::tenant(&store, "free").await.id;
    let untouched = seed::tenant(&store, "free").await.id;
    let pending = |tenant, n: usize| -> Vec<_> {
        (0..n)
            .map(|i| seed::job(tenant, i, &format!("J{i}"), "d", JobStatus::PendingUpgrade))
            .collect()
    };
    let small_jobs = pending(small, 3);
    let big_jobs = pending(big, 60);
    store.insert_jobs(&small_jobs).await.unwrap();
    for chunk in big_jobs.chunks(20) {
        store.insert_jobs(chunk).await.unwrap();
    }
    assert!(store.pending_marker(small).await.unwrap().is_some());
    assert!(store.pending_marker(untouched).await.unwrap().is_none());

    let report = worker_billing_monthly::handle(&admitter, serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(report["tenants"], 2, "only tenants with a marker: {report}");
    assert_eq!(report["queued"], 53);
    assert_eq!(report["stillPending"], 1);

    for job in &small_jobs {
        let card = store
            .get_job(small, job.card.id)
            .await
            .unwrap()
            .unwrap()
            .card;
        assert_eq!(card.status, JobStatus::Queued);
    }
    let mut big_ids: Vec<_> = big_jobs.iter().map(|j| j.card.id).collect();
    big_ids.sort();
    for (i, id) in big_ids.iter().enumerate() {
        let status = store.get_job(big, *id).await.unwrap().unwrap().card.status;
        let want = if i < 50 {
            JobStatus::Queued
        } else {
            JobStatus::PendingUpgrade
        };
        assert_eq!(status, want, "job {i}: oldest first");
    }
    assert!(
        store.pending_marker(small).await.unwrap().is_none(),
        "drained: unlisted"
    );
    assert!(
        store.pending_marker(big).await.unwrap().is_some(),
        "10 still wait"
    );

    // Again in the same month: the quota is used up, nothing more is queued.
    let again = worker_billing_monthly::handle(&admitter, serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(again["tenants"], 1);
    assert_eq!(again["queued"], 0);
}
