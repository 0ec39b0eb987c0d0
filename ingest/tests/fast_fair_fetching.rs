//! Fairness between tenants with the real HTTP fetcher: one tenant's three feeds trickle a
//! byte a second, another tenant's board answers at once. Each fetch task runs as its own
//! invocation, as the fetch queue delivers them (BatchSize 1 in template.yaml). The normal
//! tenant's postings are stored while the slow fetches are still running, and every slow
//! source ends at the deadline with a visible error. No moto: the in-memory store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobmon_connectors::{FetchSettings, Fetcher};
use jobmon_ingest::fetch::FetchService;
use jobmon_tests::contract;
use jobmon_tests::fixture::{FixtureServer, TrickleServer, greenhouse_board};
use shared::adapters::MemoryStore;
use shared::adapters::memory::MemoryQueue;
use shared::domain::{PlanCatalog, Role, SourceKind, TenantId};
use shared::messages::FetchTask;
use shared::ports::{AccountStore, NoEvents, NoLiveUpdates, SourceStore, SystemClock};

const DEADLINE: Duration = Duration::from_secs(4);

fn service(store: &MemoryStore, board: &FixtureServer) -> FetchService {
    let base = board.base_url.clone();
    let settings = FetchSettings::from_vars(|name| match name {
        "JOBMON_GREENHOUSE_BASE_URL" => Some(base.clone()),
        "JOBMON_ALLOW_PRIVATE_SOURCES" => Some("1".into()),
        "JOBMON_FETCH_DEADLINE_SECS" => Some(DEADLINE.as_secs().to_string()),
        _ => None,
    })
    .unwrap();
    let shared = Arc::new(store.clone());
    FetchService {
        sources: shared.clone(),
        ingest: shared.clone(),
        tenants: shared.clone(),
        quota: shared.clone(),
        admissions: shared,
        scoring_queue: Arc::new(MemoryQueue::default()),
        events: Arc::new(NoEvents),
        live: Arc::new(NoLiveUpdates),
        fetcher: Arc::new(Fetcher::new(settings)),
        plans: PlanCatalog::builtin(),
        clock: SystemClock::shared(),
        close_after_absences: jobmon_ingest::closing::DEFAULT_CLOSE_AFTER_ABSENCES,
    }
}

async fn tenant(store: &MemoryStore, name: &str) -> TenantId {
    let t = contract::tenant(name);
    let admin = contract::user(&t, &format!("{}@example.com", t.id), Role::Admin);
    store.create_account(&t, &admin).await.unwrap();
    t.id
}

async fn source(
    store: &MemoryStore,
    tenant: TenantId,
    kind: SourceKind,
    config: serde_json::Value,
) -> FetchTask {
    let source = contract::source(tenant, kind, config);
    store.create_source(&source, 10).await.unwrap();
    FetchTask {
        tenant_id: tenant,
        source_id: source.id,
        reason: "schedule".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_trickling_feeds_does_not_delay_another_tenants_board() {
    let board = FixtureServer::start().await;
    board.set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..20));
    let trickle = TrickleServer::start(Duration::from_secs(1)).await;
    let store = MemoryStore::new();
    let fetch = Arc::new(service(&store, &board));
    let slow = tenant(&store, "Slow").await;
    let normal = tenant(&store, "Normal").await;

    // The normal tenant alone, for the figure printed below.
    let alone = source(
        &store,
        normal,
        SourceKind::Greenhouse,
        serde_json::json!({"board": "acme"}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(fetch.run(&alone).await.unwrap().new, 20);
    let alone_took = started.elapsed();
    store.delete_source(normal, alone.source_id).await.unwrap();
    let other = tenant(&store, "Normal again").await;
    let normal_task = source(
        &store,
        other,
        SourceKind::Greenhouse,
        serde_json::json!({"board": "acme"}),
    )
    .await;

    let mut slow_tasks = Vec::new();
    for n in 0..3 {
        let url = format!("{}/feed-{n}.json", trickle.base_url);
        slow_tasks.push(
            source(
                &store,
                slow,
                SourceKind::JsonFeed,
                serde_json::json!({"url": url}),
            )
            .await,
        );
    }
    let started = Instant::now();
    let running: Vec<_> = slow_tasks
        .iter()
        .cloned()
        .map(|task| {
            let fetch = fetch.clone();
            tokio::spawn(async move { fetch.run(&task).await })
        })
        .collect();
    let report = fetch.run(&normal_task).await.unwrap();
    let normal_took = started.elapsed();
    assert_eq!(report.new, 20);
    assert_eq!(store.jobs_of(other).len(), 20);
    assert!(
        running.iter().all(|r| !r.is_finished()),
        "the normal board was stored while the slow feeds were still trickling"
    );

    for r in running {
        let report = r.await.unwrap().unwrap();
        let error = report.error.expect("the slow feed failed");
        assert!(error.starts_with("timed out after 4 s"), "{error}");
    }
    let slow_took = started.elapsed();
    for task in &slow_tasks {
        let s = store
            .get_source(slow, task.source_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.consecutive_failures, 1);
        assert!(s.last_error.unwrap().starts_with("timed out after 4 s"));
    }
    assert!(store.jobs_of(slow).is_empty());
    eprintln!(
        "fairness: normal board alone {alone_took:?}, beside 3 trickling feeds {normal_took:?}; the trickling feeds ended after {slow_took:?} (deadline {DEADLINE:?})"
    );
}
