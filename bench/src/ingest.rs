//! Ingestion cost: requests, items and write capacity per fetch.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use jobmon_connectors::{FetchSettings, Fetcher};
use jobmon_ingest::fetch::FetchService;
use jobmon_tests::TestStack;
use jobmon_tests::fixture::{FixtureServer, greenhouse_board};
use shared::adapters::{DynamoStore, SqsQueue};
use shared::config::SecretKey;
use shared::domain::{
    Email, PlanCatalog, PlanId, Role, Source, SourceKind, SourceName, SubscriptionStatus, Tenant,
    TenantId, TenantName, User, UserId,
};
use shared::messages::FetchTask;
use shared::ports::{AccountStore, SourceStore};
use shared::ports::{NoEvents, NoLiveUpdates};

use crate::counting::{Counter, Tally};

/// Board size; `JOBMON_BENCH_BOARD` changes it for a quick run.
fn board_size() -> u32 {
    std::env::var("JOBMON_BENCH_BOARD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

pub(crate) struct Rig {
    store: Arc<DynamoStore>,
    pub fetch: FetchService,
    pub counter: Counter,
    pub board: FixtureServer,
}

pub(crate) async fn rig(stack: &TestStack) -> Rig {
    let counter = Counter::default();
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.config)
            .interceptor(counter.clone())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&stack.config)
            .interceptor(counter.clone())
            .build(),
    );
    let store = Arc::new(DynamoStore::new(
        dynamo,
        stack.table(),
        SecretKey::new(&[1u8; 32]).expect("32 bytes").cursor_codec(),
    ));
    let board = FixtureServer::start().await;
    let base = board.base_url.clone();
    let fetcher = Fetcher::new(
        FetchSettings::from_vars(|n| match n {
            "JOBMON_GREENHOUSE_BASE_URL" => Some(base.clone()),
            "JOBMON_ALLOW_PRIVATE_SOURCES" => Some("1".into()),
            _ => None,
        })
        .expect("settings"),
    );
    let fetch = FetchService {
        sources: store.clone(),
        ingest: store.clone(),
        tenants: store.clone(),
        quota: store.clone(),
        admissions: store.clone(),
        scoring_queue: Arc::new(SqsQueue::new(sqs, stack.queue_url("ScoringQueue"))),
        events: Arc::new(NoEvents),
        live: Arc::new(NoLiveUpdates),
        fetcher: Arc::new(fetcher),
        plans: PlanCatalog::builtin(),
        clock: shared::ports::SystemClock::shared(),
        close_after_absences: jobmon_ingest::closing::DEFAULT_CLOSE_AFTER_ABSENCES,
    };
    Rig {
        store,
        fetch,
        counter,
        board,
    }
}

/// A tenant on the enterprise plan (20,000 scored jobs a month), so the quota does not
/// cut the first fetch short, with one Greenhouse source on `board`.
pub(crate) async fn tenant_with_source(rig: &Rig, board: &str) -> FetchTask {
    let tenant = Tenant {
        id: TenantId::new(),
        name: TenantName::parse("Bench").expect("name"),
        plan: PlanId::parse("enterprise").expect("plan id"),
        subscription_status: SubscriptionStatus::Active,
        past_due_since: None,
        created_at: Utc::now(),
    };
    let user = User {
        id: UserId::new(),
        tenant_id: tenant.id,
        email: Email::parse(&format!("{}@bench.example.com", ulid::Ulid::new())).expect("email"),
        role: Role::Admin,
        email_verified: true,
        password_hash: "-".into(),
        created_at: Utc::now(),
        session_generation: 0,
    };
    rig.store
        .create_account(&tenant, &user)
        .await
        .expect("account");
    let source = Source {
        name: SourceName::parse(board).expect("a bench board name"),
        ..jobmon_tests::contract::source(
            tenant.id,
            SourceKind::Greenhouse,
            serde_json::json!({"board": board}),
        )
    };
    rig.store.create_source(&source, 200).await.expect("source");
    FetchTask {
        tenant_id: tenant.id,
        source_id: source.id,
        reason: "bench".into(),
    }
}

fn print(label: &str, new: usize, tally: &Tally, millis: u128) {
    println!("\n{label}");
    println!("  new postings stored          {new}");
    println!(
        "  DynamoDB requests            {}",
        tally.total_requests() - tally.requests.get("SendMessageBatch").copied().unwrap_or(0)
    );
    for (op, n) in &tally.requests {
        println!("    {op:<26} {n}");
    }
    println!("  DynamoDB write requests      {}", tally.writes());
    println!("  items written                {}", tally.items_written);
    println!("  write capacity (WCU, est.)   {:.0}", tally.write_units);
    println!(
        "  SQS SendMessageBatch calls   {}",
        tally.requests.get("SendMessageBatch").copied().unwrap_or(0)
    );
    println!("  scoring messages sent        {}", tally.messages_sent);
    println!("  wall time against moto       {millis} ms");
}

pub async fn run() {
    let board = board_size();
    let known = board.saturating_sub(10);
    let stack = TestStack::new().await;
    let rig = rig(&stack).await;
    println!(
        "ingest benchmark: a {board}-posting Greenhouse-shaped board on 127.0.0.1, DynamoDB and SQS in moto"
    );
    println!(
        "(write capacity is estimated per DynamoDB's rules from the items sent: 1 WCU per started KiB, x2 in transactions)"
    );

    // 1. First fetch: every posting is new.
    rig.board.set(
        "/v1/boards/first/jobs",
        200,
        greenhouse_board("first", 0..board),
    );
    let task = tenant_with_source(&rig, "first").await;
    rig.counter.take();
    let started = Instant::now();
    let report = rig.fetch.run(&task).await.expect("first fetch");
    let first = rig.counter.take();
    print(
        &format!("first fetch, {board} new postings"),
        report.new,
        &first,
        started.elapsed().as_millis(),
    );

    // 2. The tenant knows 1,990 postings; the board now has 2,000.
    rig.board.set(
        "/v1/boards/known/jobs",
        200,
        greenhouse_board("known", 0..known),
    );
    let task = tenant_with_source(&rig, "known").await;
    rig.fetch.run(&task).await.expect("seeding fetch");
    rig.board.set(
        "/v1/boards/known/jobs",
        200,
        greenhouse_board("known", 0..board),
    );
    rig.counter.take();
    let started = Instant::now();
    let report = rig.fetch.run(&task).await.expect("refetch");
    let refetch = rig.counter.take();
    print(
        &format!("refetch, {known} known + 10 new"),
        report.new,
        &refetch,
        started.elapsed().as_millis(),
    );

    // 3. Nothing new at all.
    let started = Instant::now();
    let report = rig.fetch.run(&task).await.expect("unchanged fetch");
    let unchanged = rig.counter.take();
    print(
        "refetch, nothing new",
        report.new,
        &unchanged,
        started.elapsed().as_millis(),
    );

    println!(
        "\nper new posting on the refetch: {:.1} items written, {:.1} WCU; fixed part (no new postings): {} writes, {} items",
        (refetch.items_written - unchanged.items_written) as f64 / 10.0,
        (refetch.write_units - unchanged.write_units) / 10.0,
        unchanged.writes(),
        unchanged.items_written
    );
}
