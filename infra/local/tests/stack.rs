//! End to end through the local stack: the real `template.yaml`, the real function binaries,
//! moto, a job board played by a fixture server. Two tenants, each with a WebSocket: each
//! hears only about its own jobs, from fetch to score to rescore.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Api, Gateway, http};
use futures_util::StreamExt;
use jobmon_tests::fixture::{FixtureServer, greenhouse_board};
use serde_json::{Value, json};

/// The whole stack, its Greenhouse connector pointed at `board`.
fn stack_over(board: &FixtureServer) -> Gateway {
    // The keys and JOBMON_ALLOW_PRIVATE_SOURCES=1 are jobmon-local's local defaults.
    Gateway::start_stack(&[("JOBMON_GREENHOUSE_BASE_URL", board.base_url.as_str())])
}

/// Every message one socket received, as JSON.
type Heard = Arc<Mutex<Vec<Value>>>;

async fn listen(api: &Api, token: &str) -> Heard {
    let (status, ticket) = api
        .call("POST", "/v1/auth/ws-ticket", Some(token), None)
        .await;
    assert_eq!(status, 200, "{ticket}");
    let url = format!(
        "ws://127.0.0.1:{}/ws?ticket={}",
        api.port,
        ticket["ticket"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("the ticket opens the socket");
    // Spent: the same ticket cannot open another.
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err()
    );
    let heard: Heard = Arc::default();
    let sink = heard.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = ws.next().await {
            if let Ok(text) = message.into_text()
                && let Ok(value) = serde_json::from_str::<Value>(&text)
            {
                sink.lock().unwrap().push(value);
            }
        }
    });
    heard
}

fn of_type(heard: &Heard, kind: &str) -> Vec<Value> {
    heard
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == kind)
        .map(|m| m["data"].clone())
        .collect()
}

async fn wait_until(what: &str, gw: &Gateway, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; gateway output:\n{}",
            gw.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates a Greenhouse source on `board` and asks for a fetch now; the source id.
async fn fetch(api: &Api, token: &str, board: &str) -> String {
    let (status, source) = api
        .call(
            "POST",
            "/v1/sources",
            Some(token),
            Some(json!({"name": board, "kind": "greenhouse", "config": {"board": board}})),
        )
        .await;
    assert_eq!(status, 201, "{source}");
    let id = source["id"].as_str().unwrap().to_owned();
    let (status, queued) = api
        .call(
            "POST",
            "/v1/jobs/fetch",
            Some(token),
            Some(json!({"sourceId": id})),
        )
        .await;
    assert_eq!(status, 202, "{queued}");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tenants_each_hear_only_their_own_jobs_scored() {
    let board = FixtureServer::start().await;
    board.set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..3));
    board.set(
        "/v1/boards/globex/jobs",
        200,
        greenhouse_board("globex", 10..12),
    );
    let gw = stack_over(&board);
    let api = Api { port: gw.port };
    let alice = api.signup("Alice").await;
    let bob = api.signup("Bob").await;
    let (status, _) = api
        .call(
            "PUT",
            "/v1/profile",
            Some(&alice),
            Some(json!({"mustHave": ["rust"], "titles": ["Software Engineer"]})),
        )
        .await;
    assert_eq!(status, 200);
    let alice_hears = listen(&api, &alice).await;
    let bob_hears = listen(&api, &bob).await;

    let alice_source = fetch(&api, &alice, "acme").await;
    let bob_source = fetch(&api, &bob, "globex").await;

    // Fetcher → scoring queue → scoring worker → @connections → each tenant's socket.
    wait_until("three job_scored for Alice, two for Bob", &gw, || {
        of_type(&alice_hears, "job_scored").len() == 3
            && of_type(&bob_hears, "job_scored").len() == 2
    })
    .await;
    for (heard, source, count) in [
        (&alice_hears, &alice_source, 3),
        (&bob_hears, &bob_source, 2),
    ] {
        let created = of_type(heard, "jobs_created");
        assert_eq!(created, vec![json!({"sourceId": source, "count": count})]);
        for card in of_type(heard, "job_scored") {
            assert_eq!(
                &card["sourceId"], source,
                "a job of the other tenant: {card}"
            );
            assert_eq!(card["status"], "scored");
            let score = card["score"].as_i64().unwrap();
            assert!((1..=10).contains(&score));
        }
        let usage = of_type(heard, "usage_updated");
        assert_eq!(usage.last().unwrap()["limit"], 50, "free plan");
        assert_eq!(usage.last().unwrap()["scoredJobs"], count);
    }

    // Each tenant's list holds its own jobs only, scored.
    for (token, count) in [(&alice, 3), (&bob, 2)] {
        let (status, list) = api
            .call("GET", "/v1/jobs?sort=score", Some(token), None)
            .await;
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), count);
        assert!(items.iter().all(|c| c["status"] == "scored"));
    }

    // The score is stored with its history; a rescore is another entry, pushed again.
    let job = of_type(&alice_hears, "job_scored")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, view) = api
        .call("GET", &format!("/v1/jobs/{job}"), Some(&alice), None)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["history"].as_array().unwrap().len(), 1);
    assert_eq!(view["history"][0]["scorer"], "profile");
    assert!(view["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let (status, _) = api
        .call("GET", &format!("/v1/jobs/{job}"), Some(&bob), None)
        .await;
    assert_eq!(status, 404, "Bob cannot see Alice's job");

    let (status, card) = api
        .call(
            "POST",
            &format!("/v1/jobs/{job}/rescore"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 202, "{card}");
    wait_until("the rescore's job_scored", &gw, || {
        of_type(&alice_hears, "job_scored").len() == 4
    })
    .await;
    let (_, history) = api
        .call(
            "GET",
            &format!("/v1/jobs/{job}/history"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        of_type(&bob_hears, "job_scored").len(),
        2,
        "Bob heard nothing of it"
    );
    assert!(
        of_type(&bob_hears, "job_updated").is_empty()
            && of_type(&alice_hears, "job_updated").len() == 1,
        "the rescore's queued card went to Alice only"
    );
}

/// A Stripe event from `events/api-billing/`, filled in.
fn stripe_event(file: &str, fill: &[(&str, &str)]) -> String {
    let path = format!(
        "{}/../../events/api-billing/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text = std::fs::read_to_string(path).expect("sample event");
    for (from, to) in fill {
        text = text.replace(from, to);
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_stripe_webhook_upgrades_the_tenant_through_the_stack() {
    const SECRET: &str = "whsec_e2e_0123456789abcdef";
    let gw = Gateway::start_stack(&[("JOBMON_STRIPE_WEBHOOK_SECRET", SECRET)]);
    let api = Api { port: gw.port };
    let token = api.signup("Payer").await;
    let (status, me) = api.call("GET", "/v1/auth/me", Some(&token), None).await;
    assert_eq!(status, 200);
    let tenant = me["tenant"]["id"].as_str().unwrap().to_owned();
    let (_, billing) = api.call("GET", "/v1/billing", Some(&token), None).await;
    assert_eq!(billing["plan"], "free", "{billing}");

    let now = chrono::Utc::now().timestamp().to_string();
    let body = stripe_event(
        "checkout-session-completed.json",
        &[
            ("EVENT_ID", "evt_e2e_1"),
            ("CREATED", &now),
            ("TENANT_ID", &tenant),
            ("PLAN_ID", "pro"),
            ("CUSTOMER_ID", "cus_e2e"),
            ("SUBSCRIPTION_ID", "sub_e2e"),
        ],
    );
    let secret = jobmon_billing::WebhookSecret::new(SECRET);
    let port = gw.port;
    let post = move |body: String, signature: String| async move {
        let r = http(
            port,
            "POST",
            "/v1/billing/webhook",
            &[
                ("content-type", "application/json"),
                ("stripe-signature", signature.as_str()),
            ],
            body.into_bytes(),
        )
        .await;
        r.status
    };
    let signature = secret.sign(chrono::Utc::now().timestamp(), body.as_bytes());
    // Tampered, unsigned or signed with another secret: 400, nothing changes.
    assert_eq!(
        post(body.replace("pro", "enterprise"), signature.clone()).await,
        400
    );
    let other = jobmon_billing::WebhookSecret::new("whsec_someone_else_0000000000");
    assert_eq!(
        post(
            body.clone(),
            other.sign(chrono::Utc::now().timestamp(), body.as_bytes())
        )
        .await,
        400
    );
    let (_, billing) = api.call("GET", "/v1/billing", Some(&token), None).await;
    assert_eq!(billing["plan"], "free");

    assert_eq!(post(body.clone(), signature.clone()).await, 200);
    let (_, billing) = api.call("GET", "/v1/billing", Some(&token), None).await;
    assert_eq!(billing["plan"], "pro", "{billing}");
    let (_, tenant_view) = api.call("GET", "/v1/tenant", Some(&token), None).await;
    assert_eq!(
        tenant_view["usage"]["limit"], 1000,
        "the pro plan's limits at once"
    );
    // Stripe retries the same event: acknowledged, nothing changes.
    assert_eq!(post(body, signature).await, 200);
    let (_, billing) = api.call("GET", "/v1/billing", Some(&token), None).await;
    assert_eq!(billing["plan"], "pro");
}

/// The sum of `metric` in `/_local/metrics` over the rows `matches` accepts.
fn metric_sum(snapshot: &Value, metric: &str, matches: impl Fn(&Value) -> bool) -> f64 {
    snapshot["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["metric"] == metric && matches(row))
        .map(|row| row["sum"].as_f64().unwrap())
        .sum()
}

/// A real flow through the stack (sign-up, a fetch, its scorings, a failed login, the
/// readiness check): every EMF line the functions print is valid, and `/_local/metrics`
/// adds them up as CloudWatch would.
#[tokio::test(flavor = "multi_thread")]
async fn the_functions_emf_metrics_are_valid_and_summed_at_local_metrics() {
    let board = FixtureServer::start().await;
    board.set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..3));
    let gw = stack_over(&board);
    let api = Api { port: gw.port };
    let token = api.signup("Metrics").await;
    fetch(&api, &token, "acme").await;
    let (status, _) = api
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": "nobody@example.com", "password": "not the password"})),
        )
        .await;
    assert_eq!(status, 401);
    let (status, ready) = api.call("GET", "/v1/health/ready", None, None).await;
    assert_eq!(status, 200, "{ready}");

    let snapshot = || async {
        let r = http(gw.port, "GET", "/_local/metrics", &[], Vec::new()).await;
        assert_eq!(r.status, 200);
        r.json()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let snap = loop {
        let snap = snapshot().await;
        if metric_sum(&snap, "Scorings", |_| true) >= 3.0 {
            break snap;
        }
        assert!(
            Instant::now() < deadline,
            "no three scorings in {snap}; output:\n{}",
            gw.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(snap["invalidDocuments"], 0, "{snap}");
    let fetcher = |row: &Value| row["function"].as_str().unwrap().contains("WorkerFetcher");
    assert_eq!(
        metric_sum(&snap, "PostingsNew", |r| fetcher(r)
            && r["dimensions"]
                .as_str()
                .unwrap()
                .contains("source_kind=greenhouse")),
        3.0
    );
    assert_eq!(metric_sum(&snap, "JobsAdmitted", fetcher), 3.0);
    assert_eq!(
        metric_sum(&snap, "Scorings", |r| r["dimensions"] == "scorer=profile"),
        3.0
    );
    assert_eq!(metric_sum(&snap, "LoginFailures", |_| true), 1.0);

    // What /_local/metrics summed is what the functions printed, each line valid EMF.
    let lines: Vec<Value> = gw
        .output()
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, rest)| rest))
        .filter(|rest| rest.starts_with('{') && rest.contains("\"_aws\""))
        .map(|rest| serde_json::from_str(rest).unwrap())
        .collect();
    assert!(lines.len() >= 5, "{} EMF lines", lines.len());
    for line in &lines {
        shared::telemetry::check_document(line).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "jobmon");
    }
}
