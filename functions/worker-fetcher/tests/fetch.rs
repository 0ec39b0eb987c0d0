//! The fetch pipeline against moto and a local Greenhouse-shaped board: dedup, quota,
//! scoring queue, source bookkeeping, partial batch failures and the dispatcher.

use std::collections::HashSet;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use jobmon_ingest::dispatch::Dispatcher;
use jobmon_ingest::fetch::FetchService;
use jobmon_ingest::sources::{CreateSource, SourcesService};
use jobmon_tests::TestStack;
use jobmon_tests::fixture::{FixtureServer, greenhouse_board};
use jobmon_tests::requests::Dying;
use serde_json::json;
use shared::adapters::dynamo::keys;
use shared::adapters::{DynamoStore, SqsQueue};
use shared::auth::Principal;
use shared::domain::{
    Email, JobStatus, PlanCatalog, Role, SourceId, SubscriptionStatus, Tenant, TenantId,
    TenantName, User, UserId,
};
use shared::messages::FetchTask;
use shared::ports::{
    AccountStore, AnalyticsStore, JobQuery, JobStore, PageRequest, QuotaStore, SourceStore,
    UsageReader,
};

struct Env {
    stack: TestStack,
    store: Arc<DynamoStore>,
    board: FixtureServer,
    sources: SourcesService,
    fetch: FetchService,
    dispatcher: Dispatcher,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let board = FixtureServer::start().await;
    // As the functions wire them.
    let core = stack.core(PlanCatalog::builtin(), &board.connector_vars());
    Env {
        sources: jobmon_ingest::wiring::sources_service(&core).expect("wired"),
        fetch: jobmon_ingest::wiring::fetch_service(&core).expect("wired"),
        dispatcher: jobmon_ingest::wiring::dispatcher(&core).expect("wired"),
        store: Arc::new(core.store.clone()),
        stack,
        board,
    }
}

async fn tenant(env: &Env) -> Principal {
    let tenant = Tenant {
        id: TenantId::new(),
        name: TenantName::parse("Acme").unwrap(),
        plan: PlanCatalog::builtin().default_plan().id.clone(),
        subscription_status: SubscriptionStatus::None,
        past_due_since: None,
        created_at: Utc::now(),
    };
    let user = User {
        id: UserId::new(),
        tenant_id: tenant.id,
        email: Email::parse(&format!("{}@example.com", ulid::Ulid::new())).unwrap(),
        role: Role::Admin,
        email_verified: true,
        password_hash: "x".into(),
        created_at: Utc::now(),
        session_generation: 0,
    };
    env.store.create_account(&tenant, &user).await.unwrap();
    Principal {
        tenant: tenant.id,
        user: user.id,
        role: Role::Admin,
    }
}

async fn greenhouse_source(env: &Env, who: Principal, board: &str) -> SourceId {
    let created = env
        .sources
        .create(
            who,
            CreateSource {
                name: format!("{board} careers"),
                kind: "greenhouse".into(),
                config: json!({"board": board}),
                enabled: None,
            },
        )
        .await
        .unwrap();
    created.id
}

fn sqs_event(bodies: &[String]) -> SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("msg-{i}"),
                "receiptHandle": format!("rh-{i}"),
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795860000000",
                               "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795860000001"},
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:FetchQueue",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn task(who: Principal, source: SourceId) -> String {
    serde_json::to_string(&FetchTask {
        tenant_id: who.tenant,
        source_id: source,
        reason: "manual".into(),
    })
    .unwrap()
}

async fn drain(stack: &TestStack, queue: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    loop {
        let got = stack
            .sqs
            .receive_message()
            .queue_url(stack.queue_url(queue))
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            return out;
        }
        for m in got {
            out.push(serde_json::from_str(m.body().unwrap()).unwrap());
            stack
                .sqs
                .delete_message()
                .queue_url(stack.queue_url(queue))
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

async fn all_jobs(
    env: &Env,
    who: Principal,
    status: Option<JobStatus>,
) -> Vec<shared::domain::JobCard> {
    let mut page = PageRequest::first(100);
    let mut items = Vec::new();
    loop {
        let got = env
            .store
            .list_jobs(
                who.tenant,
                &JobQuery {
                    status,
                    ..JobQuery::default()
                },
                &page,
            )
            .await
            .unwrap();
        items.extend(got.items);
        match got.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return items,
        }
    }
}

#[tokio::test]
async fn a_fetch_stores_new_jobs_once_and_queues_them_for_scoring() {
    let env = env().await;
    let who = tenant(&env).await;
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..12));
    let source = greenhouse_source(&env, who, "acme").await;

    let response = worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    assert!(response.batch_item_failures.is_empty());
    let jobs = all_jobs(&env, who, None).await;
    assert_eq!(jobs.len(), 12);
    assert!(
        jobs.iter()
            .all(|j| j.status == JobStatus::Queued && j.company == "Acme")
    );
    assert!(
        jobs.iter().all(|j| !j.url.as_str().contains("gh_src")),
        "canonical URLs"
    );
    let queued = drain(&env.stack, "ScoringQueue").await;
    assert_eq!(queued.len(), 12);
    assert!(
        queued
            .iter()
            .all(|m| m["tenantId"] == who.tenant.to_string() && m["attempt"] == 1)
    );

    let stored = env
        .store
        .get_source(who.tenant, source)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.jobs_found, 12);
    assert!(stored.last_fetched_at.is_some() && stored.last_error.is_none());
    assert!(stored.next_fetch_at.unwrap() > Utc::now() + chrono::Duration::hours(23));
    let job = env
        .store
        .get_job(who.tenant, jobs[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(job.description.contains("Rust") && !job.description.contains("alert"));

    // The board grows by three: only those three are stored and queued.
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..15));
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    assert_eq!(all_jobs(&env, who, None).await.len(), 15);
    assert_eq!(drain(&env.stack, "ScoringQueue").await.len(), 3);
    let stored = env
        .store
        .get_source(who.tenant, source)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.jobs_found, 15);
}

#[tokio::test]
async fn past_the_monthly_quota_jobs_wait_as_pending_upgrade_even_under_concurrency() {
    let env = env().await;
    let who = tenant(&env).await;
    // Free plan: 50 scored jobs a month. Two boards of 40 fetched at the same time.
    env.board
        .set("/v1/boards/one/jobs", 200, greenhouse_board("one", 0..40));
    env.board.set(
        "/v1/boards/two/jobs",
        200,
        greenhouse_board("two", 100..140),
    );
    let one = greenhouse_source(&env, who, "one").await;
    let two = greenhouse_source(&env, who, "two").await;
    let (a, b) = tokio::join!(
        worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, one)])),
        worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, two)])),
    );
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty());
    let queued = all_jobs(&env, who, Some(JobStatus::Queued)).await;
    let pending = all_jobs(&env, who, Some(JobStatus::PendingUpgrade)).await;
    assert_eq!(queued.len(), 50, "never past the quota");
    assert_eq!(pending.len(), 30);
    assert_eq!(drain(&env.stack, "ScoringQueue").await.len(), 50);
    let period = shared::domain::Period::of(Utc::now());
    assert_eq!(
        env.store.scored_jobs(who.tenant, &period).await.unwrap(),
        50
    );
}

#[tokio::test]
async fn a_broken_source_is_recorded_and_does_not_fail_the_batch() {
    let env = env().await;
    let who = tenant(&env).await;
    env.board
        .set("/v1/boards/good/jobs", 200, greenhouse_board("good", 0..3));
    let good = greenhouse_source(&env, who, "good").await;
    let missing = greenhouse_source(&env, who, "missing").await; // 404 on the board
    let response = worker_fetcher::handle(
        &env.fetch,
        sqs_event(&[task(who, good), "{not json".into(), task(who, missing)]),
    )
    .await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(
        failed,
        vec!["msg-1".to_string()],
        "only the poison message fails"
    );
    assert_eq!(all_jobs(&env, who, None).await.len(), 3);
    let broken = env
        .store
        .get_source(who.tenant, missing)
        .await
        .unwrap()
        .unwrap();
    assert!(
        broken
            .last_error
            .as_deref()
            .unwrap()
            .contains("does not exist"),
        "{broken:?}"
    );
    assert_eq!(broken.consecutive_failures, 1);
    assert!(broken.enabled);

    // Repeated failures disable the source with the reason shown.
    for _ in 0..4 {
        worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, missing)])).await;
    }
    let broken = env
        .store
        .get_source(who.tenant, missing)
        .await
        .unwrap()
        .unwrap();
    assert!(!broken.enabled);
    assert!(
        broken
            .last_error
            .unwrap()
            .starts_with("Disabled after 5 failed fetches")
    );
    assert_eq!(broken.next_fetch_at, None);
}

#[tokio::test]
async fn the_dispatcher_sends_each_due_source_once() {
    let env = env().await;
    let who = tenant(&env).await;
    let due = greenhouse_source(&env, who, "due").await;
    let other = tenant(&env).await;
    let also_due = greenhouse_source(&env, other, "alsodue").await;
    let now = Utc::now() + chrono::Duration::seconds(2);
    let sent = env.dispatcher.run(now).await.unwrap();
    assert!(
        sent >= 2,
        "at least our two sources (the table is ours alone): {sent}"
    );
    let tasks = drain(&env.stack, "FetchQueue").await;
    let ids: Vec<String> = tasks
        .iter()
        .map(|t| t["sourceId"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&due.to_string()) && ids.contains(&also_due.to_string()));
    // Claimed: the next run finds nothing due until the plan interval has passed.
    assert_eq!(env.dispatcher.run(now).await.unwrap(), 0);
    let moved = env
        .store
        .get_source(who.tenant, due)
        .await
        .unwrap()
        .unwrap();
    assert!(moved.next_fetch_at.unwrap() > now + chrono::Duration::hours(23));
    assert_eq!(
        env.dispatcher
            .run(now + chrono::Duration::hours(25))
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn concurrent_fetches_of_the_same_postings_store_each_job_once() {
    let env = env().await;
    let who = tenant(&env).await;
    env.board
        .set("/v1/boards/same/jobs", 200, greenhouse_board("same", 0..30));
    // Two sources of one tenant that list the same postings, fetched at the same time.
    let first = greenhouse_source(&env, who, "same").await;
    let second = greenhouse_source(&env, who, "same").await;
    let (a, b) = tokio::join!(
        worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, first)])),
        worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, second)])),
    );
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty());
    assert_eq!(
        all_jobs(&env, who, None).await.len(),
        30,
        "the ingest lease serialises the writes"
    );
    assert_eq!(drain(&env.stack, "ScoringQueue").await.len(), 30);
}

/// The fetcher of `env` in a process that dies after `requests` DynamoDB and SQS requests.
fn dying_fetch(env: &Env, requests: u64) -> (FetchService, Dying) {
    let core = env
        .stack
        .core(PlanCatalog::builtin(), &env.board.connector_vars());
    let mut fetch = jobmon_ingest::wiring::fetch_service(&core).expect("wired");
    let dying = Dying::after(requests);
    let store = Arc::new(dying.store(&env.stack));
    fetch.sources = store.clone();
    fetch.ingest = store.clone();
    fetch.tenants = store.clone();
    fetch.quota = store.clone();
    fetch.admissions = store;
    fetch.scoring_queue = Arc::new(SqsQueue::new(
        dying.sqs(&env.stack),
        env.stack.queue_url("ScoringQueue"),
    ));
    (fetch, dying)
}

/// What a dead holder's lease looks like once its two minutes are over.
async fn expire_ingest_lease(env: &Env, tenant: TenantId) {
    let result = env
        .stack
        .dynamo
        .update_item()
        .table_name(env.stack.table())
        .key(keys::PK, AttributeValue::S(keys::tenant_pk(tenant)))
        .key(keys::SK, AttributeValue::S(keys::INGEST_LEASE_SK.into()))
        .update_expression("SET expiresAt = :past")
        .condition_expression("attribute_exists(holder)")
        .expression_attribute_values(":past", AttributeValue::N("0".into()))
        .send()
        .await;
    // No holder: the dead fetch never took the lease.
    if let Err(e) = result {
        let no_holder = e
            .as_service_error()
            .is_some_and(|e| e.is_conditional_check_failed_exception());
        assert!(no_holder, "lease expired: {e}");
    }
}

/// The fetcher dies after each of the DynamoDB requests of a fetch in turn (after 0, 1, 2,
/// … until one run gets through), and a fresh process retries the message. Whatever the
/// point, the postings end up stored once, counted once in the day and source-day
/// counters, every queued job has its scoring message and the month's usage counts
/// exactly the queued jobs. `reserved` units of the free plan's 50 are taken beforehand;
/// returns how many points of death were tried. Each batch write holds whole jobs, so no
/// death leaves a job half written (docs/data-model.md).
async fn die_after_every_request(reserved: u32, queued: i64, waiting: i64) -> u64 {
    const POSTINGS: usize = 8;
    let env = env().await;
    env.board.set(
        "/v1/boards/crash/jobs",
        200,
        greenhouse_board("crash", 0..POSTINGS as u32),
    );
    let period = shared::domain::Period::of(Utc::now());
    let mut deaths = 0;
    for requests in 0.. {
        let who = tenant(&env).await;
        let source = greenhouse_source(&env, who, "crash").await;
        env.store
            .reserve_quota(who.tenant, &period, reserved, 50)
            .await
            .unwrap();
        let (dying, process) = dying_fetch(&env, requests);
        let first = worker_fetcher::handle(&dying, sqs_event(&[task(who, source)])).await;
        if !process.died() {
            assert!(first.batch_item_failures.is_empty());
            break;
        }
        deaths += 1;
        expire_ingest_lease(&env, who.tenant).await;
        let retry = worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
        assert!(retry.batch_item_failures.is_empty(), "after {requests}");

        let jobs = all_jobs(&env, who, None).await;
        let urls: HashSet<_> = jobs.iter().map(|j| j.url.as_str().to_owned()).collect();
        assert_eq!(
            jobs.len(),
            POSTINGS,
            "each posting once, died after {requests}"
        );
        assert_eq!(urls.len(), POSTINGS, "died after {requests}");
        let count = |s: JobStatus| jobs.iter().filter(|j| j.status == s).count() as i64;
        assert_eq!(
            (count(JobStatus::Queued), count(JobStatus::PendingUpgrade)),
            (queued, waiting),
            "died after {requests}"
        );

        let today = Utc::now().date_naive();
        let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
        let days = env.store.day_counters(who.tenant, from, to).await.unwrap();
        let created: i64 = days.iter().map(|d| d.created).sum();
        let by = |s: JobStatus| -> i64 {
            days.iter()
                .map(|d| d.by_status.get(&s).copied().unwrap_or(0))
                .sum()
        };
        assert_eq!(
            created, POSTINGS as i64,
            "day counters, died after {requests}"
        );
        assert_eq!(
            (by(JobStatus::Queued), by(JobStatus::PendingUpgrade)),
            (queued, waiting),
            "status counters, died after {requests}"
        );
        let source_days = env
            .store
            .source_day_counters(who.tenant, from, to)
            .await
            .unwrap();
        let created: i64 = source_days.iter().map(|d| d.created).sum();
        assert_eq!(
            created, POSTINGS as i64,
            "source-day counters, died after {requests}"
        );

        let messages: HashSet<String> = drain(&env.stack, "ScoringQueue")
            .await
            .into_iter()
            .filter(|m| m["tenantId"] == who.tenant.to_string())
            .map(|m| m["jobId"].as_str().unwrap().to_owned())
            .collect();
        for job in jobs.iter().filter(|j| j.status == JobStatus::Queued) {
            assert!(
                messages.contains(&job.id.to_string()),
                "queued job without a message, died after {requests}"
            );
        }
        assert_eq!(
            i64::from(env.store.scored_jobs(who.tenant, &period).await.unwrap()),
            i64::from(reserved) + queued,
            "usage: the reserved units plus the queued jobs, died after {requests}"
        );
    }
    eprintln!("{deaths} points of death tried with {reserved} units reserved");
    deaths
}

/// 4 jobs queued (an admission is open until they are), 4 wait as `pending_upgrade`.
#[tokio::test]
async fn a_fetcher_dying_after_any_request_leaves_jobs_and_counters_exact_after_the_retry() {
    let deaths = die_after_every_request(46, 4, 4).await;
    // Every request of a fetch is a point: fewer means a fetch makes fewer requests, and
    // this bound should follow it down.
    assert!(deaths >= 18, "only {deaths} points of death");
}

/// No quota left: no admission, so when the jobs were all written before the death the
/// retry has nothing new and nothing open, and still takes the lease to count them.
#[tokio::test]
async fn past_the_quota_a_dead_fetchers_jobs_are_counted_by_a_retry_with_nothing_new() {
    let deaths = die_after_every_request(50, 0, 8).await;
    assert!(deaths >= 15, "only {deaths} points of death");
}

#[tokio::test]
async fn a_posting_that_vanishes_from_a_board_gets_closed_at_and_nothing_is_deleted() {
    let env = env().await;
    let who = tenant(&env).await;
    env.board.set(
        "/v1/boards/close/jobs",
        200,
        greenhouse_board("close", 0..5),
    );
    let source = greenhouse_source(&env, who, "close").await;
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    // Postings 0 and 1 are taken down. The first fetch without them only counts the
    // absence (kept on the source item); the second in a row closes them.
    env.board.set(
        "/v1/boards/close/jobs",
        200,
        greenhouse_board("close", 2..5),
    );
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    assert!(
        all_jobs(&env, who, None)
            .await
            .iter()
            .all(|j| j.closed_at.is_none()),
        "one absence closes nothing"
    );
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    let jobs = all_jobs(&env, who, None).await;
    assert_eq!(jobs.len(), 5, "nothing is deleted");
    let mut closed: Vec<&str> = jobs
        .iter()
        .filter(|j| j.closed_at.is_some())
        .map(|j| j.title.as_str())
        .collect();
    closed.sort_unstable();
    assert_eq!(closed, vec!["Software Engineer 0", "Software Engineer 1"]);
    // A later fetch does not close them again or touch the open ones.
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    assert_eq!(
        all_jobs(&env, who, None)
            .await
            .iter()
            .filter(|j| j.closed_at.is_some())
            .count(),
        2
    );
    // Both are put back up: their jobs are open again, and nothing is stored twice.
    env.board.set(
        "/v1/boards/close/jobs",
        200,
        greenhouse_board("close", 0..5),
    );
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, source)])).await;
    let jobs = all_jobs(&env, who, None).await;
    assert_eq!(jobs.len(), 5);
    assert!(jobs.iter().all(|j| j.closed_at.is_none()));
}

#[tokio::test]
async fn a_users_edit_during_a_fetch_is_not_overwritten_by_the_fetch_outcome() {
    let env = env().await;
    let who = tenant(&env).await;
    env.board
        .set("/v1/boards/edit/jobs", 200, greenhouse_board("edit", 0..2));
    let source = greenhouse_source(&env, who, "edit").await;
    let as_read = env
        .store
        .get_source(who.tenant, source)
        .await
        .unwrap()
        .unwrap();
    // The user disables the source while a fetch that read it enabled is running.
    let mut disabled = as_read.clone();
    disabled.enabled = false;
    disabled.next_fetch_at = None;
    env.store.put_source(&disabled).await.unwrap().unwrap();
    let mut outcome = as_read.clone();
    outcome.last_fetched_at = Some(Utc::now());
    outcome.next_fetch_at = Some(Utc::now() + chrono::Duration::hours(24));
    assert!(!env.store.record_fetch(&outcome, &as_read).await.unwrap());
    let stored = env
        .store
        .get_source(who.tenant, source)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.enabled, "the user's change wins");
    assert_eq!(stored.next_fetch_at, None);
    // Unchanged meanwhile: the outcome is recorded.
    let mut again = stored.clone();
    again.last_fetched_at = Some(Utc::now());
    assert!(env.store.record_fetch(&again, &stored).await.unwrap());
}

/// The EMF documents a real fetch prints: valid for CloudWatch, one namespace, the fetch's
/// counts by source kind and outcome, failures by reason, the tenant as a property only.
#[tokio::test]
async fn fetches_emit_valid_emf_metrics_with_the_tenant_as_a_property() {
    let env = env().await;
    let who = tenant(&env).await;
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..4));
    let good = greenhouse_source(&env, who, "acme").await;
    let missing = greenhouse_source(&env, who, "missing").await;
    worker_fetcher::handle(&env.fetch, sqs_event(&[task(who, good)])).await;
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..6));
    let capture = shared::telemetry::capture();
    worker_fetcher::handle(
        &env.fetch,
        sqs_event(&[task(who, good), task(who, missing)]),
    )
    .await;
    let documents = capture.documents();
    for document in &documents {
        shared::telemetry::check_document(document).unwrap();
        let directive = &document["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "jobmon");
        assert_eq!(document["tenant_id"], who.tenant.to_string());
        let dimensions = directive["Dimensions"].to_string();
        assert!(!dimensions.contains("tenant"), "{dimensions}");
    }
    let fetches = capture.with_metric("Fetches");
    assert_eq!(fetches.len(), 2);
    let ok = &fetches[0];
    assert_eq!(ok["source_kind"], "greenhouse");
    assert_eq!(ok["outcome"], "fetched");
    assert_eq!(ok["PostingsSeen"], 6.0);
    assert_eq!(ok["PostingsNew"], 2.0);
    assert!(ok["FetchDuration"].as_f64().unwrap() > 0.0);
    let admitted = capture.with_metric("JobsAdmitted");
    assert_eq!(admitted.len(), 2);
    assert_eq!(admitted[0]["PostingsDuplicate"], 4.0);
    assert_eq!(admitted[0]["JobsAdmitted"], 2.0);
    assert_eq!(admitted[0]["JobsPendingUpgrade"], 0.0);
    assert_eq!(
        admitted[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([["function"]]),
        "no breakdown: each dimension value is a billed metric"
    );
    let units: Vec<&str> = ok["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Unit"].as_str().unwrap())
        .collect();
    assert!(units.contains(&"Milliseconds") && units.contains(&"Count"));
    assert_eq!(fetches[1]["outcome"], "failed");
    let failures = capture.with_metric("FetchFailures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["reason"], "not_found");
    assert_eq!(failures[0]["FetchFailures"], 1.0);
}
