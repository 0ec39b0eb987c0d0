//! The scheduled dispatcher on the in-memory store and queue: fast tier, no moto.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use jobmon_ingest::dispatch::Dispatcher;
use jobmon_tests::contract;
use shared::adapters::MemoryStore;
use shared::adapters::memory::MemoryQueue;
use shared::domain::{PlanCatalog, Role, Source, SourceKind, SourceName, TenantId};
use shared::messages::FetchTask;
use shared::ports::{AccountStore, SourceStore};

struct Dispatch {
    dispatcher: Dispatcher,
    store: MemoryStore,
    queue: Arc<MemoryQueue>,
}

fn dispatch() -> Dispatch {
    let store = MemoryStore::new();
    let queue = Arc::new(MemoryQueue::default());
    let shared = Arc::new(store.clone());
    Dispatch {
        dispatcher: Dispatcher {
            sources: shared.clone(),
            tenants: shared,
            fetch_queue: queue.clone(),
            plans: PlanCatalog::builtin(),
        },
        store,
        queue,
    }
}

async fn tenant(store: &MemoryStore) -> TenantId {
    let t = contract::tenant("Dispatch");
    store
        .create_account(
            &t,
            &contract::user(&t, &format!("{}@example.com", t.id), Role::Admin),
        )
        .await
        .unwrap();
    t.id
}

fn source(tenant: TenantId, next: Option<DateTime<Utc>>, enabled: bool) -> Source {
    Source {
        name: SourceName::parse("Board").unwrap(),
        enabled,
        next_fetch_at: next,
        ..contract::source(
            tenant,
            SourceKind::Greenhouse,
            serde_json::json!({"board": "acme"}),
        )
    }
}

fn sent(queue: &MemoryQueue) -> Vec<FetchTask> {
    queue
        .take_sent()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

#[tokio::test]
async fn due_sources_are_claimed_and_sent_once() {
    let d = dispatch();
    let t = tenant(&d.store).await;
    let now = Utc::now();
    let due = source(t, Some(now - Duration::minutes(5)), true);
    let later = source(t, Some(now + Duration::minutes(5)), true);
    let disabled = source(t, Some(now - Duration::minutes(5)), false);
    for s in [&due, &later, &disabled] {
        d.store.create_source(s, 10).await.unwrap();
    }

    assert_eq!(d.dispatcher.run(now).await.unwrap(), 1);
    let tasks = sent(&d.queue);
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].source_id, due.id);
    assert_eq!(tasks[0].reason, "schedule");
    // Claimed: the next fetch moved a plan interval (free: a day) ahead.
    let stored = d.store.get_source(t, due.id).await.unwrap().unwrap();
    assert_eq!(stored.next_fetch_at, Some(now + Duration::minutes(24 * 60)));

    // A second run at the same moment finds nothing due.
    assert_eq!(d.dispatcher.run(now).await.unwrap(), 0);
    assert!(sent(&d.queue).is_empty());
}

#[tokio::test]
async fn when_the_queue_is_down_the_run_fails() {
    let d = dispatch();
    let t = tenant(&d.store).await;
    let now = Utc::now();
    d.store
        .create_source(&source(t, Some(now - Duration::minutes(1)), true), 10)
        .await
        .unwrap();
    d.queue.set_unavailable(true);
    assert!(d.dispatcher.run(now).await.is_err());
}

#[tokio::test]
async fn a_queue_failure_gives_the_claims_back_so_no_source_loses_its_interval() {
    let d = dispatch();
    let t = tenant(&d.store).await;
    let now = Utc::now();
    let due_at = now - Duration::minutes(1);
    let mut ids = Vec::new();
    for _ in 0..25 {
        let s = source(t, Some(due_at), true);
        d.store.create_source(&s, 100).await.unwrap();
        ids.push(s.id);
    }
    d.queue.set_unavailable(true);
    assert!(d.dispatcher.run(now).await.is_err());
    for id in &ids {
        let s = d.store.get_source(t, *id).await.unwrap().unwrap();
        assert_eq!(
            s.next_fetch_at,
            Some(due_at),
            "still due after the failed send"
        );
    }

    d.queue.set_unavailable(false);
    assert_eq!(d.dispatcher.run(now).await.unwrap(), 25);
    let mut sent_ids: Vec<_> = sent(&d.queue).into_iter().map(|t| t.source_id).collect();
    sent_ids.sort();
    ids.sort();
    assert_eq!(sent_ids, ids, "each source sent once, in chunks");
}
