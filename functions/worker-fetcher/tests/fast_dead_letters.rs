//! `worker-fetch-dlq`'s handler on the in-memory store: fast tier, no moto. A dead-lettered
//! fetch task becomes its source's failure; a body that is no fetch task is dropped (it can
//! never be recorded); a storage error hands the message back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use jobmon_ingest::abandoned::{ABANDONED, AbandonedFetches};
use jobmon_tests::contract;
use shared::adapters::MemoryStore;
use shared::domain::{PlanCatalog, Role, SourceKind, Tenant, TenantId};
use shared::messages::FetchTask;
use shared::ports::{AccountStore, SourceStore, StoreError, SystemClock, TenantReader};

/// The memory store's tenants, unreadable while `down` is set.
struct FlakyTenants {
    store: MemoryStore,
    down: AtomicBool,
}

#[async_trait]
impl TenantReader for FlakyTenants {
    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("table unreachable".into()));
        }
        self.store.get_tenant(tenant).await
    }
}

fn event(bodies: &[Option<String>]) -> SqsEvent {
    let mut event = SqsEvent::default();
    for (i, body) in bodies.iter().enumerate() {
        let mut m = SqsMessage::default();
        m.message_id = Some(format!("m{i}"));
        m.body = body.clone();
        event.records.push(m);
    }
    event
}

#[tokio::test]
async fn dead_lettered_fetches_are_recorded_on_their_sources() {
    let store = MemoryStore::new();
    let tenants = Arc::new(FlakyTenants {
        store: store.clone(),
        down: AtomicBool::new(false),
    });
    let service = AbandonedFetches {
        sources: Arc::new(store.clone()),
        tenants: tenants.clone(),
        plans: PlanCatalog::builtin(),
        clock: SystemClock::shared(),
    };
    let t = contract::tenant("Dead letters");
    let admin = contract::user(&t, &format!("{}@example.com", t.id), Role::Admin);
    store.create_account(&t, &admin).await.unwrap();
    let source = contract::source(
        t.id,
        SourceKind::Greenhouse,
        serde_json::json!({"board": "acme"}),
    );
    store.create_source(&source, 10).await.unwrap();
    let task = serde_json::to_string(&FetchTask {
        tenant_id: t.id,
        source_id: source.id,
        reason: "schedule".into(),
    })
    .unwrap();

    let response = worker_fetcher::handle_dead_letters(
        &service,
        event(&[Some(task.clone()), Some("{not json".into()), None]),
    )
    .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "garbage is dropped, not retried"
    );
    let stored = store.get_source(t.id, source.id).await.unwrap().unwrap();
    assert_eq!(stored.consecutive_failures, 1);
    assert_eq!(stored.last_error.as_deref(), Some(ABANDONED));

    tenants.down.store(true, Ordering::SeqCst);
    let response = worker_fetcher::handle_dead_letters(&service, event(&[Some(task)])).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, vec!["m0".to_owned()]);
    let stored = store.get_source(t.id, source.id).await.unwrap().unwrap();
    assert_eq!(stored.consecutive_failures, 1, "nothing half-written");
}
