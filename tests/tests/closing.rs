//! Closing and reopening vanished postings in the DynamoDB adapter against moto: the
//! requests are counted (batched per 100 postings, no request per posting) and a job
//! already in the wanted state is left as it is.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use jobmon_tests::TestStack;
use jobmon_tests::contract::{job, tenant, user};
use jobmon_tests::requests::counted_store;
use shared::adapters::DynamoStore;
use shared::domain::{Job, JobStatus, Role, SourceId, TenantId};
use shared::ports::{AccountStore, IngestStore, JobStore};

/// `n` jobs of one board source, listed under native ids `n0`, `n1`, …
async fn board_jobs(store: &DynamoStore, n: usize) -> (TenantId, SourceId, Vec<Job>) {
    let t = tenant("Closing");
    store
        .create_account(&t, &user(&t, &format!("{}@example.com", t.id), Role::Admin))
        .await
        .unwrap();
    let source = SourceId::new();
    let jobs: Vec<Job> = (0..n)
        .map(|i| {
            let mut j = job(
                t.id,
                &format!("https://jobs.example.com/{i}"),
                JobStatus::Scored,
            );
            j.native_id = Some(format!("n{i}"));
            j.card.source_id = source;
            j
        })
        .collect();
    store.insert_jobs(&jobs).await.unwrap();
    (t.id, source, jobs)
}

fn natives(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("n{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_go_a_hundred_postings_per_request() {
    let stack = TestStack::new().await;
    let (store, requests) = counted_store(&stack);
    let (t, source, jobs) = board_jobs(&store, 250).await;

    // n7 closed a day ago by an earlier fetch: closing it again must not move its date.
    let earlier = Utc::now() - Duration::days(1);
    assert_eq!(
        store
            .close_vanished(t, source, &natives(7..8), earlier)
            .await
            .unwrap(),
        1
    );
    requests.take();

    // 250 known ids, 3 the source never listed, one id twice.
    let mut vanished = natives(0..253);
    vanished.push("n0".into());
    let now = Utc::now();
    let closed = store
        .close_vanished(t, source, &vanished, now)
        .await
        .unwrap();
    assert_eq!(
        closed, 249,
        "every open job closes, the closed one stays as it was"
    );
    let counted = requests.take();
    assert_eq!(
        counted,
        BTreeMap::from([("BatchGetItem", 6), ("TransactWriteItems", 3)]),
        "3 chunks of ≤ 100: markers, cards, one transaction each"
    );
    let n7 = store.get_job(t, jobs[7].card.id).await.unwrap().unwrap();
    assert_eq!(
        n7.card.closed_at.map(|at| at.timestamp()),
        Some(earlier.timestamp()),
        "not clobbered"
    );
    for j in [&jobs[0], &jobs[150], &jobs[249]] {
        let stored = store.get_job(t, j.card.id).await.unwrap().unwrap();
        assert_eq!(
            stored.card.closed_at.map(|at| at.timestamp()),
            Some(now.timestamp())
        );
        assert_eq!(
            stored.card.status,
            JobStatus::Scored,
            "only closedAt changes"
        );
    }

    // Nothing left to close: reads only, no transaction.
    requests.take();
    assert_eq!(
        store
            .close_vanished(t, source, &natives(0..250), now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(requests.take(), BTreeMap::from([("BatchGetItem", 6)]));

    // 120 return: two chunks, each one transaction.
    assert_eq!(
        store
            .reopen_listed(t, source, &natives(0..120))
            .await
            .unwrap(),
        120
    );
    assert_eq!(
        requests.take(),
        BTreeMap::from([("BatchGetItem", 4), ("TransactWriteItems", 2)])
    );
    let open = store.get_job(t, jobs[119].card.id).await.unwrap().unwrap();
    assert!(open.card.closed_at.is_none());
    let still = store.get_job(t, jobs[120].card.id).await.unwrap().unwrap();
    assert!(still.card.closed_at.is_some());
}
