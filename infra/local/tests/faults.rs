//! Faults through the local stack, with real processes: worker instances SIGKILLed through
//! the gateway's `POST /_local/functions/{id}/kill` while the scorer answers 500s and 429s,
//! and a fetcher killed right after the job board answered. Afterwards the tenant's data
//! must add up: every posting stored once, nothing `queued`, one history entry per scored
//! job, and the usage counter and analytics equal to what the jobs say.
//!
//! Time is compressed in one place only: the queues' visibility timeout is lowered from the
//! template's 180 s (through moto, after start-up) so a message of a killed invocation comes
//! back within seconds instead of minutes. Everything else is the real template.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{Api, Gateway, http};
use jobmon_tests::fixture::greenhouse_board;
use serde_json::{Value, json};

const VISIBILITY_SECS: &str = "8";
const POSTINGS: u32 = 8;

/// Serves `app` on a free loopback port; its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// SIGKILLs the function's instances that are mid-invocation; how many.
async fn kill(gateway_port: u16, function: &str) -> u64 {
    let path = format!("/_local/functions/{function}/kill");
    let r = http(gateway_port, "POST", &path, &[], Vec::new()).await;
    assert_eq!(r.status, 200);
    r.json()["killed"].as_u64().unwrap()
}

/// Lowers every queue's visibility timeout (see the module comment).
async fn shorten_visibility(gw: &Gateway) {
    let conf = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(gw.aws_endpoint())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    let sqs = aws_sdk_sqs::Client::from_conf(conf);
    let queues = sqs.list_queues().send().await.expect("ListQueues");
    assert!(!queues.queue_urls().is_empty());
    for url in queues.queue_urls() {
        sqs.set_queue_attributes()
            .queue_url(url)
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                VISIBILITY_SECS,
            )
            .send()
            .await
            .expect("SetQueueAttributes");
    }
}

async fn start(env: &[(&str, &str)]) -> (Gateway, Api) {
    // The keys and JOBMON_ALLOW_PRIVATE_SOURCES=1 are jobmon-local's local defaults.
    let gw = Gateway::start_stack(env);
    shorten_visibility(&gw).await;
    let api = Api { port: gw.port };
    (gw, api)
}

/// A tenant with a profile and a Greenhouse source on `board`, fetched now.
async fn tenant_fetching(api: &Api, board: &str) -> String {
    let token = api.signup("Faulty").await;
    let (status, _) = api
        .call(
            "PUT",
            "/v1/profile",
            Some(&token),
            Some(json!({"mustHave": ["rust"], "titles": ["Software Engineer"]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, source) = api
        .call(
            "POST",
            "/v1/sources",
            Some(&token),
            Some(json!({"name": board, "kind": "greenhouse", "config": {"board": board}})),
        )
        .await;
    assert_eq!(status, 201, "{source}");
    let (status, queued) = api
        .call(
            "POST",
            "/v1/jobs/fetch",
            Some(&token),
            Some(json!({"sourceId": source["id"]})),
        )
        .await;
    assert_eq!(status, 202, "{queued}");
    token
}

async fn jobs(api: &Api, token: &str) -> Vec<Value> {
    let (status, list) = api
        .call("GET", "/v1/jobs?limit=100", Some(token), None)
        .await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

/// Waits until the board's postings are all stored and none is `new` or `queued` any more.
async fn settled(api: &Api, token: &str, gw: &Gateway) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let items = jobs(api, token).await;
        let open = items
            .iter()
            .any(|j| j["status"] == "queued" || j["status"] == "new");
        if items.len() >= POSTINGS as usize && !open {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "jobs never settled: {items:?}\ngateway output:\n{}",
            gw.output()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every invariant a crash must not break, checked against the API.
async fn assert_consistent(api: &Api, token: &str, items: &[Value]) {
    let ids: HashSet<&str> = items.iter().map(|j| j["id"].as_str().unwrap()).collect();
    let urls: HashSet<&str> = items.iter().map(|j| j["url"].as_str().unwrap()).collect();
    assert_eq!(
        items.len(),
        POSTINGS as usize,
        "each posting once: {items:?}"
    );
    assert_eq!(ids.len(), items.len());
    assert_eq!(
        urls.len(),
        items.len(),
        "no posting stored twice: {items:?}"
    );
    let count = |s: &str| items.iter().filter(|j| j["status"] == s).count();
    assert_eq!(
        count("scored") + count("failed"),
        items.len(),
        "every job scored or failed: {items:?}"
    );
    for job in items.iter().filter(|j| j["status"] == "scored") {
        let (status, history) = api
            .call(
                "GET",
                &format!("/v1/jobs/{}/history", job["id"].as_str().unwrap()),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{history}");
        assert_eq!(
            history["items"].as_array().unwrap().len(),
            1,
            "exactly one history entry for {job}: {history}"
        );
    }
    let (_, tenant) = api.call("GET", "/v1/tenant", Some(token), None).await;
    assert_eq!(
        tenant["usage"]["scoredJobs"].as_u64(),
        Some(count("scored") as u64),
        "usage counts the scored jobs, units of failed ones are back: {tenant}"
    );
    let (status, overview) = api
        .call("GET", "/v1/analytics/overview", Some(token), None)
        .await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["totalJobs"], items.len());
    assert_eq!(overview["byStatus"]["scored"], count("scored"));
    assert_eq!(overview["byStatus"]["failed"], count("failed"));
    assert_eq!(overview["byStatus"]["queued"], 0);
    assert_eq!(overview["scoredInRange"], count("scored"), "{overview}");
}

/// The OpenAI-compatible scorer of the first test: its first requests cycle through a 500,
/// a 429 (retry after 0.5 s) and a kill of the scoring worker that is waiting for this very
/// answer; after that it scores.
struct Scorer {
    requests: AtomicUsize,
    kills: AtomicUsize,
    gateway_port: AtomicUsize,
}

/// Two rounds of 500, 429, kill: every kill also hands the whole batch back and counts a
/// receive, so more rounds only lengthen the transient backoff (10 s doubled per receive).
const FAULTY_REQUESTS: usize = 6;

async fn completion(State(s): State<Arc<Scorer>>) -> Response {
    let n = s.requests.fetch_add(1, Ordering::SeqCst);
    if n < FAULTY_REQUESTS {
        match n % 3 {
            0 => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({"error": {"message": "upstream hiccup"}})),
                )
                    .into_response();
            }
            1 => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after-ms", "500")],
                    axum::Json(
                        json!({"error": {"message": "slow down", "code": "rate_limit_exceeded"}}),
                    ),
                )
                    .into_response();
            }
            _ => {
                let port = s.gateway_port.load(Ordering::SeqCst) as u16;
                // Its own task: the kill drops the worker's connection, and axum then
                // cancels this handler, which must not also cancel the count.
                let counter = s.clone();
                let _ = tokio::spawn(async move {
                    let killed = kill(port, "WorkerScorerFunction").await;
                    counter.kills.fetch_add(killed as usize, Ordering::SeqCst);
                })
                .await;
            }
        }
    }
    let verdict = json!({"score": 7, "reason": "Rust services, as the profile asks"});
    axum::Json(json!({
        "id": format!("cmpl-{n}"),
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": verdict.to_string()}}]
    }))
    .into_response()
}

#[tokio::test(flavor = "multi_thread")]
async fn scoring_survives_killed_workers_and_a_failing_scorer() {
    let board_body = greenhouse_board("acme", 0..POSTINGS);
    let board = serve(Router::new().route(
        "/v1/boards/acme/jobs",
        get(move || {
            let body = board_body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    ))
    .await;
    let scorer = Arc::new(Scorer {
        requests: AtomicUsize::new(0),
        kills: AtomicUsize::new(0),
        gateway_port: AtomicUsize::new(0),
    });
    let openai = serve(
        Router::new()
            .route("/v1/chat/completions", post(completion))
            .with_state(scorer.clone()),
    )
    .await;
    let openai_v1 = format!("{openai}/v1");
    let (gw, api) = start(&[
        ("JOBMON_GREENHOUSE_BASE_URL", board.as_str()),
        ("JOBMON_PARAM_Scorer", "openai"),
        ("JOBMON_PARAM_OpenAiBaseUrl", openai_v1.as_str()),
        ("JOBMON_PARAM_OpenAiModel", "fault-test"),
        ("JOBMON_PARAM_ScoringPregate", "off"),
    ])
    .await;
    scorer
        .gateway_port
        .store(usize::from(gw.port), Ordering::SeqCst);
    let token = tenant_fetching(&api, "acme").await;

    let items = settled(&api, &token, &gw).await;
    assert!(
        scorer.kills.load(Ordering::SeqCst) >= 1,
        "the scoring worker was really killed mid-request ({} kills); output:\n{}",
        scorer.kills.load(Ordering::SeqCst),
        gw.output()
    );
    assert!(gw.output().contains("killing instance"));
    assert_consistent(&api, &token, &items).await;
    // Six faulty answers stay well inside 5 receives a message: every job gets scored.
    assert!(
        items.iter().all(|j| j["status"] == "scored"),
        "{items:?}\n{}",
        gw.output()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fetcher_killed_right_after_the_board_answered_loses_nothing() {
    let hits = Arc::new(AtomicUsize::new(0));
    let gateway_port = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicUsize::new(0));
    let board_body = greenhouse_board("acme", 0..POSTINGS);
    let handler = {
        let (hits, gateway_port, killed) = (hits.clone(), gateway_port.clone(), killed.clone());
        move || {
            let (hits, gateway_port, killed) = (hits.clone(), gateway_port.clone(), killed.clone());
            let body = board_body.clone();
            async move {
                if hits.fetch_add(1, Ordering::SeqCst) == 0 {
                    // The answer is on its way; the fetcher dies while it stores it.
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(40)).await;
                        let port = gateway_port.load(Ordering::SeqCst) as u16;
                        let n = kill(port, "WorkerFetcherFunction").await;
                        killed.fetch_add(n as usize, Ordering::SeqCst);
                    });
                }
                ([("content-type", "application/json")], body)
            }
        }
    };
    let board = serve(Router::new().route("/v1/boards/acme/jobs", get(handler))).await;
    let (gw, api) = start(&[("JOBMON_GREENHOUSE_BASE_URL", board.as_str())]).await;
    gateway_port.store(usize::from(gw.port), Ordering::SeqCst);
    let token = tenant_fetching(&api, "acme").await;

    let items = settled(&api, &token, &gw).await;
    assert_eq!(
        killed.load(Ordering::SeqCst),
        1,
        "the fetcher was killed mid-fetch; output:\n{}",
        gw.output()
    );
    assert!(hits.load(Ordering::SeqCst) >= 2, "the fetch was retried");
    assert_consistent(&api, &token, &items).await;
    assert!(items.iter().all(|j| j["status"] == "scored"), "{items:?}");
}
