//! Analytics from the daily counters, through real-shaped events against moto; the counters
//! are written by the real pipeline (fetch-style inserts, concurrent scoring, rescoring,
//! archiving) and must come out exact.

use std::sync::Arc;

use api_analytics::{App, handle};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Utc;
use futures_util::future::join_all;
use jobmon_scoring::pipeline::ScoringWorker;
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{account_service, signup};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::seed;
use serde_json::{Value, json};
use shared::adapters::DynamoStore;
use shared::auth::Principal;
use shared::domain::{JobStatus, PlanCatalog, Role, UserId};
use shared::messages::{ScoreTask, to_body};
use shared::ports::JobStore;
use shared::services::AuthLimits;
use shared::services::analytics::AnalyticsService;

struct Env {
    _stack: TestStack,
    store: Arc<DynamoStore>,
    app: App,
    worker: ScoringWorker,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let store = Arc::new(seed::store(&stack));
    // As the function wires it (JOBMON_SCORER unset: the profile scorer).
    let worker = jobmon_scoring::wiring::worker(&stack.core(PlanCatalog::builtin(), &[]))
        .await
        .expect("wired");
    let app = App {
        analytics: AnalyticsService {
            counters: store.clone(),
            sources: store.clone(),
            clock: shared::ports::SystemClock::shared(),
        },
        tokens: accounts.issuer.clone(),
    };
    Env {
        _stack: stack,
        store,
        app,
        worker,
    }
}

async fn get(env: &Env, token: &str, path: &str, query: &str) -> (u16, Value) {
    let mut event = HttpEvent::new("GET", path).bearer(token);
    if !query.is_empty() {
        event = event.query(query);
    }
    parts(handle(&env.app, event.request()).await)
}

fn message(id: usize, body: String) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(format!("m{id}"));
    m.body = Some(body);
    m.attributes
        .insert("ApproximateReceiveCount".into(), "1".into());
    m
}

#[tokio::test]
async fn counters_are_exact_under_concurrent_scoring() {
    let env = env().await;
    let accounts_stack = &env._stack;
    let accounts = account_service(accounts_stack, AuthLimits::default()).await;
    let (admin, tenant) = signup(&accounts, "Analyst").await;
    let titles: Vec<(&str, &str)> = (0..24).map(|_| ("Engineer", "Rust")).collect();
    let jobs = seed::queued_jobs(&env.store, tenant, &titles).await;

    // Twelve concurrent deliveries of two messages each (as twelve Lambda instances would
    // run), one of them a duplicate delivery that must not count twice.
    let tasks: Vec<String> = jobs
        .iter()
        .map(|j| {
            to_body(&ScoreTask {
                tenant_id: tenant,
                job_id: j.card.id,
                attempt: 1,
                reserved_at: None,
            })
        })
        .collect();
    let batches = tasks.chunks(2).enumerate().map(|(i, pair)| {
        let mut event = SqsEvent::default();
        event.records = pair
            .iter()
            .enumerate()
            .map(|(k, body)| message(i * 2 + k, body.clone()))
            .collect();
        event
    });
    let mut all: Vec<SqsEvent> = batches.collect();
    let mut duplicate = SqsEvent::default();
    duplicate.records.push(message(99, tasks[0].clone()));
    all.push(duplicate);
    let responses = join_all(
        all.into_iter()
            .map(|e| worker_scorer::handle(&env.worker, e)),
    )
    .await;
    // A conflict between concurrent transactions on the day's counters is retried inside
    // the store; whatever still failed is redelivered, as SQS would.
    for (i, r) in responses.iter().enumerate() {
        assert!(
            r.batch_item_failures.is_empty(),
            "batch {i}: {:?}",
            r.batch_item_failures
        );
    }

    // Then one is archived: it leaves "scored" for "archived" and keeps its score.
    let archived = env
        .store
        .get_job(tenant, jobs[1].card.id)
        .await
        .unwrap()
        .unwrap();
    env.store
        .set_status(
            tenant,
            &archived.card,
            archived.attempt,
            JobStatus::Archived,
        )
        .await
        .unwrap()
        .unwrap();

    let mut expected_scores = [0i64; 10];
    for j in &jobs {
        let stored = env.store.get_job(tenant, j.card.id).await.unwrap().unwrap();
        expected_scores[usize::from(stored.card.score.unwrap().value()) - 1] += 1;
    }

    let (status, overview) = get(&env, &admin, "/v1/analytics/overview", "").await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["totalJobs"], 24);
    assert_eq!(
        overview["scoredInRange"], 24,
        "the duplicate delivery did not count"
    );
    assert_eq!(
        overview["byStatus"],
        json!({"new": 0, "queued": 0, "scored": 23, "failed": 0, "archived": 1, "pending_upgrade": 0})
    );
    let sum: i64 = expected_scores
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1) * n)
        .sum();
    let average = ((sum as f64 / 24.0) * 100.0).round() / 100.0;
    assert_eq!(overview["averageScore"].as_f64(), Some(average));

    let (_, distribution) = get(&env, &admin, "/v1/analytics/score-distribution", "").await;
    let counts: Vec<i64> = distribution["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, expected_scores.to_vec());

    let (_, per_day) = get(&env, &admin, "/v1/analytics/jobs-per-day", "").await;
    let days = per_day["days"].as_array().unwrap();
    assert_eq!(days.len(), 30, "the last 30 days by default");
    let today = days.last().unwrap();
    assert_eq!(today["date"], Utc::now().date_naive().to_string());
    assert_eq!(
        (today["created"].as_i64(), today["scored"].as_i64()),
        (Some(24), Some(24))
    );

    let (_, sources) = get(&env, &admin, "/v1/analytics/sources", "").await;
    let sources = sources.as_array().unwrap();
    let jobs_total: i64 = sources.iter().map(|s| s["jobs"].as_i64().unwrap()).sum();
    assert_eq!(jobs_total, 24);
    assert!(
        sources.iter().all(|s| s["name"] == "(deleted source)"),
        "seeded sources are not stored"
    );

    // A range without jobs, and a range in the past, are zeros, not errors.
    let (status, empty) = get(
        &env,
        &admin,
        "/v1/analytics/overview",
        "from=2025-01-01&to=2025-01-31",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (empty["totalJobs"].as_i64(), empty["averageScore"].clone()),
        (Some(0), Value::Null)
    );
}

#[tokio::test]
async fn analytics_are_for_admins_and_bad_ranges_are_named() {
    let env = env().await;
    let accounts = account_service(&env._stack, AuthLimits::default()).await;
    let (admin, tenant) = signup(&accounts, "Analyst").await;
    let member = accounts
        .issuer
        .issue(
            Principal {
                tenant,
                user: UserId::new(),
                role: Role::Member,
            },
            Utc::now().timestamp(),
        )
        .unwrap();
    for path in [
        "/v1/analytics/overview",
        "/v1/analytics/score-distribution",
        "/v1/analytics/jobs-per-day",
        "/v1/analytics/sources",
    ] {
        let (status, err) = get(&env, &member, path, "").await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
        let (status, _) = get(&env, &admin, path, "").await;
        assert_eq!(status, 200, "{path}");
        let (status, _) = parts(handle(&env.app, HttpEvent::new("GET", path).request()).await);
        assert_eq!(status, 401);
    }
    for (query, field) in [
        ("from=2026-12-01&to=2026-11-01", "from"),
        ("from=2020-01-01&to=2026-01-01", "from"),
        ("from=tomorrow", "from"),
        ("to=2026-02-30", "to"),
        ("days=3", "days"),
    ] {
        let (status, err) = get(&env, &admin, "/v1/analytics/overview", query).await;
        assert_eq!(status, 400, "{query}: {err}");
        assert!(
            err["error"]["details"].get(field).is_some(),
            "{query}: {err}"
        );
    }
    let (_, per_day) = get(
        &env,
        &admin,
        "/v1/analytics/jobs-per-day",
        "from=2026-11-01&to=2026-11-03",
    )
    .await;
    assert_eq!(per_day["days"].as_array().unwrap().len(), 3);
    jobmon_tests::assert_routes_match_template(
        "ApiAnalyticsFunction",
        &shared::http::routes::keys(api_analytics::ROUTES),
    );
    let routes = jobmon_tests::template_routes("ApiAnalyticsFunction");
    assert_eq!(routes.len(), 4);
}
