//! `POST /v1/webhooks/scoring` with real-shaped events against moto: only a fresh, correctly
//! signed result for the attempt the job waits for is stored; everything else writes nothing.

use std::sync::Arc;

use api_webhooks::{App, handle};
use jobmon_scoring::pipeline::WebhookCallback;
use jobmon_scoring::{SIGNATURE_HEADER, WebhookVerifier, sign};
use jobmon_tests::TestStack;
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::seed;
use serde_json::{Value, json};
use shared::adapters::DynamoStore;
use shared::domain::{Job, JobStatus, PlanCatalog};
use shared::ports::{JobStore, PageRequest, ScoringStore};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

struct Env {
    _stack: TestStack,
    store: Arc<DynamoStore>,
    app: App,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let store = Arc::new(seed::store(&stack));
    let app = App {
        callback: Some(WebhookCallback {
            recorder: jobmon_scoring::wiring::recorder(&stack.core(PlanCatalog::builtin(), &[])),
            verifier: WebhookVerifier::new(SECRET).unwrap(),
        }),
    };
    Env {
        _stack: stack,
        store,
        app,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn result(job: &Job, score: Value, reason: &str, attempt: u32) -> String {
    json!({
        "jobId": job.card.id,
        "tenantId": job.tenant_id,
        "score": score,
        "reason": reason,
        "attempt": attempt,
    })
    .to_string()
}

fn signed(body: &str, secret: &[u8], at: i64) -> HttpEvent {
    HttpEvent::new("POST", "/v1/webhooks/scoring")
        .raw_body(body)
        .header(SIGNATURE_HEADER, &sign(secret, at, body.as_bytes()))
}

async fn call(env: &Env, event: HttpEvent) -> (u16, Value) {
    parts(handle(&env.app, event.request()).await)
}

async fn state(env: &Env, job: &Job) -> (JobStatus, usize) {
    let stored = env
        .store
        .get_job(job.tenant_id, job.card.id)
        .await
        .unwrap()
        .unwrap();
    let history = env
        .store
        .history(job.tenant_id, job.card.id, &PageRequest::first(10))
        .await
        .unwrap();
    (stored.card.status, history.items.len())
}

#[tokio::test]
async fn a_signed_result_is_stored_once_and_replays_are_refused() {
    let env = env().await;
    let tenant = seed::tenant(&env.store, "free").await.id;
    let job = seed::queued_jobs(&env.store, tenant, &[("Rust Engineer", "x")])
        .await
        .remove(0);
    let body = result(&job, json!(8), "Strong Rust match.", 1);
    let at = now();

    let (status, reply) = call(&env, signed(&body, SECRET, at)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"], "scored");
    assert_eq!(state(&env, &job).await, (JobStatus::Scored, 1));
    let entry = &env
        .store
        .history(tenant, job.card.id, &PageRequest::first(1))
        .await
        .unwrap()
        .items[0];
    assert_eq!((entry.scorer.as_str(), entry.score.value()), ("webhook", 8));

    // The very same request again: a replay.
    let (status, reply) = call(&env, signed(&body, SECRET, at)).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // The scorer retrying with a fresh signature: acknowledged, nothing new written.
    let (status, reply) = call(&env, signed(&body, SECRET, at + 1)).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("duplicate")));
    assert_eq!(state(&env, &job).await, (JobStatus::Scored, 1));
}

#[tokio::test]
async fn forged_stale_unsigned_and_invalid_results_write_nothing() {
    let env = env().await;
    let tenant = seed::tenant(&env.store, "free").await.id;
    let job = seed::queued_jobs(&env.store, tenant, &[("Rust Engineer", "x")])
        .await
        .remove(0);
    let good = result(&job, json!(7), "Fine.", 1);

    let cases: Vec<(&str, HttpEvent, u16)> = vec![
        ("unsigned", HttpEvent::new("POST", "/v1/webhooks/scoring").raw_body(&good), 401),
        ("wrong secret", signed(&good, b"another-secret-of-32-bytes-000000", now()), 401),
        ("stale", signed(&good, SECRET, now() - 10 * 60), 401),
        ("from the future", signed(&good, SECRET, now() + 10 * 60), 401),
        (
            "garbage header",
            HttpEvent::new("POST", "/v1/webhooks/scoring")
                .raw_body(&good)
                .header(SIGNATURE_HEADER, "t=1,v1=zz"),
            401,
        ),
        ("score 11", signed(&result(&job, json!(11), "Too good.", 1), SECRET, now()), 400),
        ("score 0", signed(&result(&job, json!(0), "Bad.", 1), SECRET, now()), 400),
        ("fractional score", signed(&result(&job, json!(7.5), "Hm.", 1), SECRET, now()), 400),
        ("empty reason", signed(&result(&job, json!(7), "  ", 1), SECRET, now()), 400),
        ("old attempt", signed(&result(&job, json!(7), "Late.", 3), SECRET, now()), 409),
        (
            "unknown field",
            signed(
                &json!({"jobId": job.card.id, "tenantId": tenant, "score": 7, "reason": "x", "attempt": 1, "extra": 1}).to_string(),
                SECRET,
                now(),
            ),
            400,
        ),
        ("not JSON", signed("{nope", SECRET, now()), 400),
    ];
    for (name, event, expected) in cases {
        let (status, reply) = call(&env, event).await;
        assert_eq!(status, expected, "{name}: {reply}");
        assert!(reply["error"]["code"].is_string(), "{name}: {reply}");
    }
    assert_eq!(
        state(&env, &job).await,
        (JobStatus::Queued, 0),
        "nothing written"
    );

    // Signed for another tenant's id: the job is not found under that tenant.
    let other = seed::tenant(&env.store, "free").await.id;
    let body =
        json!({"jobId": job.card.id, "tenantId": other, "score": 7, "reason": "x", "attempt": 1})
            .to_string();
    let (status, _) = call(&env, signed(&body, SECRET, now())).await;
    assert_eq!(status, 409);
    assert_eq!(state(&env, &job).await, (JobStatus::Queued, 0));
}

#[tokio::test]
async fn without_a_configured_secret_every_call_is_refused() {
    let env = env().await;
    let app = App { callback: None };
    let tenant = seed::tenant(&env.store, "free").await.id;
    let job = seed::queued_jobs(&env.store, tenant, &[("Rust Engineer", "x")])
        .await
        .remove(0);
    let body = result(&job, json!(7), "Fine.", 1);
    let (status, _) = parts(handle(&app, signed(&body, SECRET, now()).request()).await);
    assert_eq!(status, 401);
    jobmon_tests::assert_routes_match_template(
        "ApiWebhooksFunction",
        &shared::http::routes::keys(api_webhooks::ROUTES),
    );
    let routes = jobmon_tests::template_routes("ApiWebhooksFunction");
    assert_eq!(
        routes,
        vec![("POST".to_owned(), "/v1/webhooks/scoring".to_owned())]
    );
}
