//! The deliverer against moto (markers and channels in DynamoDB) and real local receivers:
//! exactly once per channel even when the event arrives twice, nothing below the
//! threshold, the SSRF guard at send time, a hanging receiver costing only its channel.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use jobmon_connectors::AddressPolicy;
use jobmon_notify::deliver::{Deliverer, Disposition, HttpPoster};
use jobmon_notify::settings::{Channel, ChannelKind};
use jobmon_notify::{DynamoNotifications, NotificationStore};
use jobmon_tests::TestStack;
use jobmon_tests::scripted::{FakeServer, Reply};
use serde_json::json;
use shared::adapters::eventbridge::job_scored_detail;
use shared::domain::{
    CanonicalUrl, JobCard, JobId, JobStatus, Score, ScoringEntry, SourceId, TenantId,
};
use shared::ports::SystemClock;

struct Env {
    _stack: TestStack,
    store: Arc<DynamoNotifications>,
    tenant: TenantId,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let store = Arc::new(DynamoNotifications::new(
        stack.dynamo.clone(),
        stack.table(),
    ));
    Env {
        _stack: stack,
        store,
        tenant: TenantId::new(),
    }
}

fn deliverer(env: &Env, policy: AddressPolicy, timeout: Duration) -> Deliverer {
    Deliverer {
        channels: env.store.clone(),
        log: env.store.clone(),
        poster: Arc::new(HttpPoster::new(policy, timeout)),
        clock: SystemClock::shared(),
        app_url: "http://127.0.0.1:3000".into(),
        mail: None,
    }
}

async fn channel(env: &Env, kind: ChannelKind, url: &str, min_score: i64) -> Channel {
    channel_of(&env.store, env.tenant, kind, url, min_score).await
}

async fn channel_of(
    store: &DynamoNotifications,
    tenant: TenantId,
    kind: ChannelKind,
    url: &str,
    min_score: i64,
) -> Channel {
    let now = Utc::now();
    let channel = Channel {
        id: ulid::Ulid::new().to_string(),
        tenant_id: tenant,
        kind,
        url: url.into(),
        min_score: Score::new(min_score).unwrap(),
        enabled: true,
        signing_secret: (kind == ChannelKind::Webhook).then(|| "ab".repeat(32)),
        last_error: None,
        consecutive_failures: 0,
        created_at: now,
        updated_at: now,
    };
    store.create_channel(&channel).await.unwrap();
    channel
}

/// The reason every test event carries.
const REASON: &str = "Rust and remote in the EU, as the profile asks.";

/// A `JobScored` event as the EventBridge → SQS target delivers it, its detail built by
/// the publisher's own function so the two cannot drift apart.
fn event(tenant: TenantId, job: JobId, score: i64) -> String {
    let now = Utc::now();
    let card = JobCard {
        id: job,
        title: "Rust <Engineer>".into(),
        company: "Acme".into(),
        location: "Berlin".into(),
        remote: true,
        url: CanonicalUrl::parse("https://jobs.example.com/1").unwrap(),
        source_id: SourceId::new(),
        status: JobStatus::Scored,
        score: Some(Score::new(score).unwrap()),
        created_at: now,
        scored_at: Some(now),
        closed_at: None,
        stage: None,
        stage_changed_at: None,
        salary: None,
        work_mode: None,
    };
    let entry = ScoringEntry {
        score: Score::new(score).unwrap(),
        reason: REASON.into(),
        scorer: "profile".into(),
        model: None,
        created_at: now,
        attempt: 1,
    };
    json!({
        "version": "0", "id": ulid::Ulid::new().to_string(), "source": "jobmon",
        "detail-type": "JobScored", "account": "000000000000",
        "time": now, "region": "us-east-1", "resources": [],
        "detail": job_scored_detail(tenant, &card, &entry),
    })
    .to_string()
}

fn ok() -> Reply {
    Reply::json(200, "ok")
}

#[tokio::test]
async fn each_channel_gets_a_match_exactly_once_even_when_the_event_comes_twice() {
    let env = env().await;
    let (slack, discord, hook) = (
        FakeServer::start(vec![ok(), ok()]).await,
        FakeServer::start(vec![ok(), ok()]).await,
        FakeServer::start(vec![ok(), ok()]).await,
    );
    channel(
        &env,
        ChannelKind::Slack,
        &format!("{}/slack", slack.base_url),
        7,
    )
    .await;
    channel(
        &env,
        ChannelKind::Discord,
        &format!("{}/discord", discord.base_url),
        7,
    )
    .await;
    channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/hook", hook.base_url),
        7,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    let body = event(env.tenant, JobId::new(), 8);

    // Twice at the same time (two deliveries of one message), then once more later.
    let (a, b) = tokio::join!(app.handle(&body), app.handle(&body));
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (Disposition::Done, Disposition::Done)
    );
    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Done);

    let slack = slack.requests();
    assert_eq!(slack.len(), 1);
    let slack = slack[0].json();
    assert_eq!(slack["text"], "New match 8/10: Rust <Engineer> at Acme");
    assert!(
        slack["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("Rust &lt;Engineer&gt;")
    );
    assert_eq!(slack["blocks"][1]["text"]["text"], REASON);
    let discord = discord.requests();
    assert_eq!(discord.len(), 1);
    assert_eq!(discord[0].json()["embeds"][0]["fields"][0]["value"], "8/10");
    assert_eq!(discord[0].json()["embeds"][0]["description"], REASON);
    let hook = hook.requests();
    assert_eq!(hook.len(), 1);
    let signature = hook[0].header("x-jobmon-signature");
    let now = Utc::now().timestamp();
    let secret = "ab".repeat(32);
    jobmon_scoring::verify(
        secret.as_bytes(),
        signature,
        &hook[0].body,
        now,
        jobmon_scoring::TOLERANCE,
    )
    .expect("the webhook body is signed like the scoring webhook");
    assert_eq!(hook[0].json()["job"]["score"], 8);
    assert_eq!(hook[0].json()["job"]["reason"], REASON);
    for c in env.store.channels(env.tenant).await.unwrap() {
        assert_eq!((c.consecutive_failures, c.last_error), (0, None));
    }
}

#[tokio::test]
async fn below_threshold_sends_nothing_and_a_rescore_over_it_sends_once() {
    let env = env().await;
    let receiver = FakeServer::start(vec![ok(), ok(), ok()]).await;
    channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/hook", receiver.base_url),
        7,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    let job = JobId::new();

    app.handle(&event(env.tenant, job, 6)).await.unwrap();
    assert_eq!(receiver.requests().len(), 0, "6 is below 7");
    app.handle(&event(env.tenant, job, 8)).await.unwrap();
    assert_eq!(
        receiver.requests().len(),
        1,
        "the rescore crossed the threshold"
    );
    app.handle(&event(env.tenant, job, 9)).await.unwrap();
    app.handle(&event(env.tenant, job, 5)).await.unwrap();
    app.handle(&event(env.tenant, job, 8)).await.unwrap();
    assert_eq!(receiver.requests().len(), 1, "already announced");
}

/// A batch as the queue hands it over: `(message id, body)`.
fn batch(bodies: &[String]) -> Vec<(String, String)> {
    bodies
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("m{i}"), b.clone()))
        .collect()
}

#[tokio::test]
async fn matches_of_one_batch_are_one_message_per_channel_and_a_failed_one_brings_back_only_its_messages()
 {
    let env = env().await;
    // Slack fails once (503), then takes everything; the webhook takes everything.
    let slack = FakeServer::start(vec![Reply::json(503, "busy"), ok(), ok()]).await;
    let hook = FakeServer::start(vec![ok(), ok()]).await;
    channel(
        &env,
        ChannelKind::Slack,
        &format!("{}/s", slack.base_url),
        7,
    )
    .await;
    channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/h", hook.base_url),
        7,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    let (low, good, best) = (JobId::new(), JobId::new(), JobId::new());
    let best_event = event(env.tenant, best, 9);
    let messages = batch(&[
        event(env.tenant, low, 6),
        event(env.tenant, good, 8),
        best_event.clone(),
        best_event,
    ]);

    // Slack's 503: the messages of the two jobs it carried come back (the duplicate
    // included), not the one under the threshold.
    let back = app.handle_batch(&messages).await;
    assert_eq!(back, ["m1", "m2", "m3"]);
    let hooked = hook.requests();
    assert_eq!(hooked.len(), 1, "one signed request for the batch");
    let body = hooked[0].json();
    assert_eq!(body["type"], "jobs.matched");
    let ids: Vec<String> = body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [best.to_string(), good.to_string()], "best first");
    jobmon_scoring::verify(
        "ab".repeat(32).as_bytes(),
        hooked[0].header("x-jobmon-signature"),
        &hooked[0].body,
        Utc::now().timestamp(),
        jobmon_scoring::TOLERANCE,
    )
    .expect("signed");

    // The queue's retry: Slack gets its one message; the webhook nothing more.
    let again = app.handle_batch(&messages).await;
    assert!(again.is_empty(), "{again:?}");
    let posted = slack.requests();
    assert_eq!(posted.len(), 2, "the failed try, then the retry");
    assert_eq!(
        posted[1].json()["text"],
        "2 new matches, best 9/10: Rust <Engineer> at Acme"
    );
    assert_eq!(hook.requests().len(), 1);
    // And once more: everything is marked sent.
    assert!(app.handle_batch(&messages).await.is_empty());
    assert_eq!((slack.requests().len(), hook.requests().len()), (2, 1));
}

#[tokio::test]
async fn the_guard_refuses_private_receivers_at_send_time() {
    let env = env().await;
    let receiver = FakeServer::start(vec![ok()]).await;
    // Stored as a laptop deployment would allow; sent by one that does not.
    let c = channel(
        &env,
        ChannelKind::Slack,
        &format!("{}/x", receiver.base_url),
        5,
    )
    .await;
    let named = receiver.base_url.replace("127.0.0.1", "localhost");
    channel(&env, ChannelKind::Slack, &format!("{named}/y"), 5).await;
    let app = deliverer(&env, AddressPolicy::PublicOnly, Duration::from_secs(5));
    let disposition = app
        .handle(&event(env.tenant, JobId::new(), 9))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done, "a refusal is not retried");
    assert!(
        receiver.requests().is_empty(),
        "nothing reached the private address"
    );
    let stored = env.store.channel(env.tenant, &c.id).await.unwrap().unwrap();
    assert_eq!(stored.consecutive_failures, 1);
    assert!(stored.last_error.is_some());
    for c in env.store.channels(env.tenant).await.unwrap() {
        assert!(c.last_error.is_some(), "{c:?}");
    }
}

#[tokio::test]
async fn a_hanging_receiver_costs_its_channel_a_failure_not_the_batch() {
    let env = env().await;
    let hanging = FakeServer::start(vec![ok().delayed(Duration::from_secs(30))]).await;
    let healthy = FakeServer::start(vec![ok()]).await;
    let stuck = channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/h", hanging.base_url),
        5,
    )
    .await;
    channel(
        &env,
        ChannelKind::Discord,
        &format!("{}/d", healthy.base_url),
        5,
    )
    .await;
    let app = deliverer(
        &env,
        AddressPolicy::AllowPrivate,
        Duration::from_millis(800),
    );
    let body = event(env.tenant, JobId::new(), 9);

    let started = Instant::now();
    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Done);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the timeout"
    );
    assert_eq!(healthy.requests().len(), 1);
    let stored = env
        .store
        .channel(env.tenant, &stuck.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.last_error.as_deref(),
        Some("the receiver did not answer in time")
    );
    // Maybe delivered: never sent again, so a redelivery cannot double-notify.
    app.handle(&body).await.unwrap();
    assert_eq!(hanging.requests().len(), 1);
    assert_eq!(healthy.requests().len(), 1);
}

#[tokio::test]
async fn a_server_error_is_retried_and_then_sent_once() {
    let env = env().await;
    let receiver = FakeServer::start(vec![Reply::json(503, "busy"), ok(), ok()]).await;
    let c = channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/h", receiver.base_url),
        5,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    let body = event(env.tenant, JobId::new(), 9);

    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Retry);
    let stored = env.store.channel(env.tenant, &c.id).await.unwrap().unwrap();
    assert_eq!(stored.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Done);
    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Done);
    assert_eq!(
        receiver.requests().len(),
        2,
        "the failed try and one delivery"
    );
    let stored = env.store.channel(env.tenant, &c.id).await.unwrap().unwrap();
    assert_eq!((stored.consecutive_failures, stored.last_error), (0, None));
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_and_a_long_one_left_to_the_queue() {
    let env = env().await;
    let limited = |after: &str| Reply::json(429, "slow down").header("retry-after", after);
    let short = FakeServer::start(vec![limited("1"), ok()]).await;
    let long = FakeServer::start(vec![limited("60"), ok()]).await;
    channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/short", short.base_url),
        5,
    )
    .await;
    let l = channel(
        &env,
        ChannelKind::Slack,
        &format!("{}/long", long.base_url),
        5,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    let body = event(env.tenant, JobId::new(), 9);

    let started = Instant::now();
    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Retry);
    let took = started.elapsed();
    let short = short.requests();
    assert_eq!(short.len(), 2, "the 429, then the send after waiting");
    assert!(took >= Duration::from_secs(1), "waited {took:?}");
    assert_eq!(
        long.requests().len(),
        1,
        "a 60 s wait is not taken in the function"
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let stored = env.store.channel(env.tenant, &l.id).await.unwrap().unwrap();
    assert_eq!(
        stored.last_error.as_deref(),
        Some("HTTP 429 (rate limited; Retry-After 60 s)")
    );
    assert_eq!(stored.consecutive_failures, 1);
    assert!(stored.enabled, "a 429 never counts towards switching off");

    // The queue's retry: the long one is sent now, the short one is not sent again.
    assert_eq!(app.handle(&body).await.unwrap(), Disposition::Done);
    assert_eq!(long.requests().len(), 2);
}

#[tokio::test]
async fn repeated_refusals_switch_a_channel_off_with_the_reason() {
    let env = env().await;
    let refusals = (0..6).map(|_| Reply::json(404, "no such hook")).collect();
    let receiver = FakeServer::start(refusals).await;
    let c = channel(
        &env,
        ChannelKind::Slack,
        &format!("{}/gone", receiver.base_url),
        5,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    for _ in 0..6 {
        let disposition = app
            .handle(&event(env.tenant, JobId::new(), 9))
            .await
            .unwrap();
        assert_eq!(disposition, Disposition::Done, "a 404 is not retried");
    }
    assert_eq!(receiver.requests().len(), 5, "off after the fifth refusal");
    let stored = env.store.channel(env.tenant, &c.id).await.unwrap().unwrap();
    assert!(!stored.enabled);
    assert_eq!(stored.last_error.as_deref(), Some("HTTP 404"));
}

/// What a notification costs in DynamoDB requests and HTTP posts, batched and one event at
/// a time, side by side: three matches to a Slack and a webhook channel.
#[tokio::test]
async fn a_batch_costs_fewer_requests_and_posts_than_its_events_one_at_a_time() {
    let env = env().await;
    let count = jobmon_tests::requests::Requests::default();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&env._stack.config)
            .interceptor(count.clone())
            .build(),
    );
    let store = Arc::new(DynamoNotifications::new(counted, env._stack.table()));
    let slack = FakeServer::start(vec![ok(); 4]).await;
    let hook = FakeServer::start(vec![ok(); 4]).await;
    let mut cost = Vec::new();
    for (tenant, batched) in [(TenantId::new(), true), (TenantId::new(), false)] {
        for (kind, server) in [(ChannelKind::Slack, &slack), (ChannelKind::Webhook, &hook)] {
            let url = format!("{}/{tenant}", server.base_url);
            channel_of(&store, tenant, kind, &url, 7).await;
        }
        let app = Deliverer {
            channels: store.clone(),
            log: store.clone(),
            ..deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5))
        };
        let events: Vec<String> = (0..3).map(|_| event(tenant, JobId::new(), 8)).collect();
        count.take();
        let posts = slack.requests().len() + hook.requests().len();
        if batched {
            assert!(app.handle_batch(&batch(&events)).await.is_empty());
        } else {
            for e in &events {
                assert_eq!(app.handle(e).await.unwrap(), Disposition::Done);
            }
        }
        let requests = count.take();
        println!(
            "  {}: {requests:?}",
            if batched { "batched" } else { "one at a time" }
        );
        cost.push((
            requests.values().sum::<u64>(),
            slack.requests().len() + hook.requests().len() - posts,
        ));
    }
    let [(batched, batched_posts), (single, single_posts)] = cost[..] else {
        unreachable!()
    };
    println!(
        "3 matches, 2 channels: batched {batched} DynamoDB requests + {batched_posts} posts; \
         one at a time {single} requests + {single_posts} posts"
    );
    assert_eq!((batched_posts, single_posts), (2, 6));
    assert!(batched < single, "{batched} < {single}");
}

/// A job scored and rescored within one batching window: the queue keeps no order, so the
/// batch is judged on the latest scoring, whichever message came first.
#[tokio::test]
async fn a_rescore_in_the_same_batch_is_judged_on_its_latest_score() {
    let env = env().await;
    let hook = FakeServer::start(vec![ok(), ok()]).await;
    channel(
        &env,
        ChannelKind::Webhook,
        &format!("{}/h", hook.base_url),
        7,
    )
    .await;
    let app = deliverer(&env, AddressPolicy::AllowPrivate, Duration::from_secs(5));
    let earlier = |job: JobId, score: i64| {
        let mut e: serde_json::Value =
            serde_json::from_str(&event(env.tenant, job, score)).unwrap();
        e["detail"]["job"]["scoredAt"] = json!(Utc::now() - chrono::Duration::minutes(1));
        e.to_string()
    };
    let (stale_first, rescore_first) = (JobId::new(), JobId::new());
    let messages = batch(&[
        earlier(stale_first, 5),
        event(env.tenant, stale_first, 9),
        event(env.tenant, rescore_first, 8),
        earlier(rescore_first, 4),
    ]);
    assert!(app.handle_batch(&messages).await.is_empty());
    let hooked = hook.requests();
    assert_eq!(hooked.len(), 1);
    let scores: Vec<(String, i64)> = hooked[0].json()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap().to_owned(),
                j["score"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        scores,
        [(stale_first.to_string(), 9), (rescore_first.to_string(), 8)],
        "both jobs, at their rescored scores"
    );
}
