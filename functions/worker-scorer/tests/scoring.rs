//! The scoring worker and its dead-letter consumer against moto: real queue messages
//! (receipt handles, receive counts, redrive), the real table, and a real OpenAI-style
//! scorer talking to a scripted HTTP server for the faults.

use jobmon_scoring::wiring::Listeners;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use jobmon_scoring::pipeline::deferral::DEFAULT_DEFER_LIMIT;
use jobmon_scoring::pipeline::{Rescorer, ScoringWorker};
use jobmon_scoring::{ConfiguredScorer, OpenAiConfig, OpenAiScorer, ProfileScorer};
use jobmon_tests::TestStack;
use jobmon_tests::scripted::{FakeServer, Reply};
use jobmon_tests::seed;
use shared::adapters::DynamoStore;
use shared::domain::Period;
use shared::domain::{Job, JobId, JobStatus, PlanCatalog, Profile, TenantId};
use shared::messages::{ScoreTask, to_body};
use shared::ports::{
    JobStore, LiveMessage, LiveNotifier, NoEvents, PageRequest, ScoringStore, UsageReader,
};

/// Remembers every push, per tenant.
#[derive(Default)]
struct Pushes(Mutex<Vec<(TenantId, LiveMessage)>>);

#[async_trait]
impl LiveNotifier for Pushes {
    async fn push(&self, tenant: TenantId, messages: &[LiveMessage]) {
        let mut all = self.0.lock().unwrap();
        all.extend(messages.iter().map(|m| (tenant, m.clone())));
    }
}

impl Pushes {
    fn types(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, m)| match m {
                LiveMessage::JobScored(_) => "job_scored",
                LiveMessage::JobUpdated(_) => "job_updated",
                LiveMessage::JobsCreated { .. } => "jobs_created",
                LiveMessage::UsageUpdated { .. } => "usage_updated",
            })
            .collect()
    }
}

struct Env {
    stack: TestStack,
    store: Arc<DynamoStore>,
    tenant: TenantId,
    pushes: Arc<Pushes>,
    rescorer: Arc<Rescorer>,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let store = Arc::new(seed::store(&stack));
    let tenant = seed::tenant(&store, "free").await.id;
    let pushes = Arc::new(Pushes::default());
    let recorder = jobmon_scoring::wiring::recorder_over(
        store.clone(),
        Listeners {
            live: pushes.clone(),
            events: Arc::new(NoEvents),
        },
        PlanCatalog::builtin(),
        shared::ports::SystemClock::shared(),
    );
    let rescorer =
        jobmon_scoring::wiring::rescorer_over(store.clone(), recorder, stack.queue("ScoringQueue"));
    Env {
        stack,
        store,
        tenant,
        pushes,
        rescorer,
    }
}

fn worker(env: &Env, scorer: ConfiguredScorer) -> ScoringWorker {
    ScoringWorker {
        recorder: env.rescorer.recorder.clone(),
        jobs: env.store.clone(),
        rescorer: env.rescorer.clone(),
        queue: env.rescorer.queue.clone(),
        scorer,
        defer_limit: DEFAULT_DEFER_LIMIT,
    }
}

fn profile_scorer() -> ConfiguredScorer {
    ConfiguredScorer::Inline(Box::new(ProfileScorer::default()))
}

/// An OpenAI-compatible scorer against `server`, with a short timeout.
fn openai(server: &FakeServer, timeout: Duration) -> ConfiguredScorer {
    let mut config = OpenAiConfig::new(format!("{}/v1", server.base_url), "fake-model");
    config.timeout = timeout;
    ConfiguredScorer::Inline(Box::new(OpenAiScorer::new(config).unwrap()))
}

async fn jobs(env: &Env, n: usize) -> Vec<Job> {
    let titles: Vec<(&str, &str)> = (0..n)
        .map(|_| ("Senior Rust Engineer", "Rust and AWS Lambda services."))
        .collect();
    seed::queued_jobs(&env.store, env.tenant, &titles).await
}

fn task(job: &Job) -> String {
    to_body(&ScoreTask {
        tenant_id: job.tenant_id,
        job_id: job.card.id,
        attempt: job.attempt,
        reserved_at: None,
    })
}

async fn send(env: &Env, queue: &str, bodies: &[String]) {
    for body in bodies {
        env.stack
            .sqs
            .send_message()
            .queue_url(env.stack.queue_url(queue))
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
}

/// Receives what is visible now, as Lambda's event source mapping would hand it over.
async fn receive(env: &Env, queue: &str) -> SqsEvent {
    let out = env
        .stack
        .sqs
        .receive_message()
        .queue_url(env.stack.queue_url(queue))
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let records = out
        .messages()
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id().map(str::to_owned);
            record.receipt_handle = m.receipt_handle().map(str::to_owned);
            record.body = m.body().map(str::to_owned);
            for (k, v) in m.attributes().into_iter().flatten() {
                record.attributes.insert(k.as_str().to_owned(), v.clone());
            }
            record.event_source = Some("aws:sqs".into());
            record
        })
        .collect();
    let mut event = SqsEvent::default();
    event.records = records;
    event
}

/// Receives until a message whose body passes `wanted` arrives, within 30 s; the others
/// are made visible again at once.
async fn receive_until(env: &Env, queue: &str, wanted: impl Fn(&str) -> bool) -> SqsEvent {
    let started = std::time::Instant::now();
    loop {
        let mut event = receive(env, queue).await;
        let (keep, others): (Vec<_>, Vec<_>) = event
            .records
            .drain(..)
            .partition(|r| r.body.as_deref().is_some_and(&wanted));
        for other in others {
            env.stack
                .sqs
                .change_message_visibility()
                .queue_url(env.stack.queue_url(queue))
                .receipt_handle(other.receipt_handle.unwrap())
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
        if !keep.is_empty() {
            event.records = keep;
            return event;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no such message on {queue} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn visible(env: &Env, queue: &str) -> usize {
    let out = env
        .stack
        .sqs
        .get_queue_attributes()
        .queue_url(env.stack.queue_url(queue))
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = out.attributes().cloned().unwrap_or_default();
    let n = |name: aws_sdk_sqs::types::QueueAttributeName| {
        attrs
            .get(&name)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    };
    n(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
}

async fn job(env: &Env, id: JobId) -> Job {
    job_of(env, env.tenant, id).await
}

async fn history_len(env: &Env, id: JobId) -> usize {
    env.store
        .history(env.tenant, id, &PageRequest::first(100))
        .await
        .unwrap()
        .items
        .len()
}

async fn used(env: &Env) -> u32 {
    env.store
        .scored_jobs(env.tenant, &Period::of(chrono::Utc::now()))
        .await
        .unwrap()
}

#[tokio::test]
async fn scores_once_per_attempt_and_pushes_to_the_tenant() {
    let env = env().await;
    let jobs = jobs(&env, 2).await;
    let w = worker(&env, profile_scorer());
    send(&env, "ScoringQueue", &[task(&jobs[0]), task(&jobs[1])]).await;
    let event = receive(&env, "ScoringQueue").await;
    assert_eq!(event.records.len(), 2);
    let response = worker_scorer::handle(&w, event.clone()).await;
    assert!(response.batch_item_failures.is_empty());
    for j in &jobs {
        let stored = job(&env, j.card.id).await;
        assert_eq!(stored.card.status, JobStatus::Scored);
        assert!(stored.card.score.is_some() && stored.card.scored_at.is_some());
        let history = env
            .store
            .history(env.tenant, j.card.id, &PageRequest::first(10))
            .await
            .unwrap()
            .items;
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].scorer, "profile");
        assert_eq!(Some(history[0].score), stored.card.score);
        assert!(!history[0].reason.is_empty());
    }
    let types = env.pushes.types();
    assert_eq!(types.iter().filter(|t| **t == "job_scored").count(), 2);
    assert_eq!(types.iter().filter(|t| **t == "usage_updated").count(), 2);
    assert!(
        env.pushes
            .0
            .lock()
            .unwrap()
            .iter()
            .all(|(t, _)| *t == env.tenant)
    );

    // The same delivery again (SQS is at-least-once): nothing more is written or pushed.
    let response = worker_scorer::handle(&w, event).await;
    assert!(response.batch_item_failures.is_empty());
    for j in &jobs {
        assert_eq!(history_len(&env, j.card.id).await, 1);
    }
    assert_eq!(env.pushes.types().len(), 4);
    assert_eq!(
        used(&env).await,
        2,
        "the fetcher's reservation is the only charge"
    );
}

#[tokio::test]
async fn a_poison_message_fails_alone() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let w = worker(&env, profile_scorer());
    send(
        &env,
        "ScoringQueue",
        &[
            "{not json".to_owned(),
            task(&jobs[0]),
            r#"{"tenantId":"x","jobId":"y","attempt":1}"#.to_owned(),
        ],
    )
    .await;
    let event = receive(&env, "ScoringQueue").await;
    let poison: Vec<String> = event
        .records
        .iter()
        .filter(|r| r.body.as_deref() != Some(task(&jobs[0]).as_str()))
        .map(|r| r.message_id.clone().unwrap())
        .collect();
    let response = worker_scorer::handle(&w, event).await;
    let mut failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    failed.sort();
    let mut expected = poison;
    expected.sort();
    assert_eq!(failed, expected);
    assert_eq!(
        job(&env, jobs[0].card.id).await.card.status,
        JobStatus::Scored
    );

    // In the dead-letter queue, poison is logged and dropped rather than kept forever.
    let mut dlq = SqsEvent::default();
    let mut record = SqsMessage::default();
    record.message_id = Some("p".into());
    record.body = Some("{not json".into());
    dlq.records.push(record);
    let response = worker_scorer::handle_dead_letters(&env.rescorer, dlq).await;
    assert!(response.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_job_archived_or_rescored_meanwhile_is_dropped_without_a_scorer_call() {
    let env = env().await;
    let jobs = jobs(&env, 2).await;
    let server = FakeServer::start(vec![]).await;
    let w = worker(&env, openai(&server, Duration::from_secs(5)));
    // Archived while its message waited.
    env.stack
        .dynamo
        .update_item()
        .table_name(env.stack.table())
        .key("PK", shared_attr(&format!("T#{}", env.tenant)))
        .key("SK", shared_attr(&format!("JOB#{}", jobs[0].card.id)))
        .update_expression("SET #s = :a")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":a", shared_attr("archived"))
        .send()
        .await
        .unwrap();
    // A message for an attempt the job no longer waits for.
    let stale = to_body(&ScoreTask {
        tenant_id: env.tenant,
        job_id: jobs[1].card.id,
        attempt: 7,
        reserved_at: None,
    });
    send(&env, "ScoringQueue", &[task(&jobs[0]), stale]).await;
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "dropped, not retried"
    );
    assert!(
        server.requests().is_empty(),
        "no scorer call for a job nobody waits for"
    );
    assert_eq!(history_len(&env, jobs[0].card.id).await, 0);
    assert_eq!(
        job(&env, jobs[1].card.id).await.card.status,
        JobStatus::Queued
    );
}

fn shared_attr(s: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(s.to_owned())
}

#[tokio::test]
async fn a_scorer_timeout_is_retried_later_with_the_error_noted() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let server = FakeServer::start(vec![
        Reply::completion(r#"{"score": 5, "reason": "late"}"#).delayed(Duration::from_secs(5)),
    ])
    .await;
    let w = worker(&env, openai(&server, Duration::from_millis(300)));
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    let event = receive(&env, "ScoringQueue").await;
    let id = event.records[0].message_id.clone().unwrap();
    let response = worker_scorer::handle(&w, event).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier, id);
    let stored = job(&env, jobs[0].card.id).await;
    assert_eq!(stored.card.status, JobStatus::Queued);
    assert!(
        stored
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("temporarily unavailable"),
        "{:?}",
        stored.last_error
    );
    // The first retry waits 10 s (ChangeMessageVisibility): nothing is visible now.
    assert!(receive(&env, "ScoringQueue").await.records.is_empty());
}

#[tokio::test]
async fn garbage_output_fails_the_job_at_once_and_returns_its_quota() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let server = FakeServer::start(vec![
        Reply::completion("I like this job a lot"),
        Reply::completion(r#"{"score": 11, "reason": ""}"#),
    ])
    .await;
    let w = worker(&env, openai(&server, Duration::from_secs(5)));
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "retrying cannot help"
    );
    assert_eq!(server.requests().len(), 2, "one retry on invalid output");
    let stored = job(&env, jobs[0].card.id).await;
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert!(stored.last_error.unwrap().contains("invalid output"));
    assert_eq!(history_len(&env, jobs[0].card.id).await, 0);
    assert_eq!(used(&env).await, 0, "a failed job does not count as scored");
    assert!(env.pushes.types().contains(&"job_updated"));

    // Failed jobs can be rescored: back to queued with the next attempt, and charged again.
    let card = env
        .rescorer
        .rescore(env.tenant, jobs[0].card.id)
        .await
        .unwrap();
    assert_eq!(card.status, JobStatus::Queued);
    assert_eq!(job(&env, jobs[0].card.id).await.attempt, 2);
    assert_eq!(used(&env).await, 1);
    let w = worker(&env, profile_scorer());
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(response.batch_item_failures.is_empty());
    let stored = job(&env, jobs[0].card.id).await;
    assert_eq!(stored.card.status, JobStatus::Scored);
    assert_eq!(stored.last_error, None);
}

#[tokio::test]
async fn a_rate_limited_scorer_defers_without_using_up_receives() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let server = FakeServer::start(vec![
        Reply::json(
            429,
            r#"{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}"#,
        )
        .header("retry-after", "4"),
    ])
    .await;
    let w = worker(&env, openai(&server, Duration::from_secs(5)));
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "the original is deleted; a delayed copy takes its place"
    );
    let stored = job(&env, jobs[0].card.id).await;
    assert_eq!(stored.card.status, JobStatus::Queued);
    assert!(stored.last_error.unwrap().contains("rate limit"));
    assert!(
        receive(&env, "ScoringQueue").await.records.is_empty(),
        "delayed"
    );
    // Jittered within [2 s, 4 s] of the asked 4 s.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let event = receive(&env, "ScoringQueue").await;
    assert_eq!(event.records.len(), 1);
    let copy: shared::messages::ScoreTask =
        serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        (copy.job_id, copy.attempt),
        (jobs[0].card.id, jobs[0].attempt)
    );
    assert!(
        copy.reserved_at.is_some(),
        "the copy carries when deferring started, for the cap"
    );
    assert_eq!(
        event.records[0]
            .attributes
            .get("ApproximateReceiveCount")
            .map(String::as_str),
        Some("1"),
        "a fresh message: the provider's limit did not cost this job a retry"
    );
}

#[tokio::test]
async fn after_max_receives_the_dead_letter_consumer_marks_the_job_failed() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let server = FakeServer::start(vec![]).await; // every call: 500
    let w = worker(&env, openai(&server, Duration::from_secs(5)));
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    // Five deliveries (the template's maxReceiveCount); the test plays the clock by making
    // the message visible again instead of waiting out the backoff.
    for receive_count in 1..=5 {
        let event = receive(&env, "ScoringQueue").await;
        assert_eq!(event.records.len(), 1, "delivery {receive_count}");
        assert_eq!(
            event.records[0].attributes["ApproximateReceiveCount"],
            receive_count.to_string()
        );
        let receipt = event.records[0].receipt_handle.clone().unwrap();
        let response = worker_scorer::handle(&w, event).await;
        assert_eq!(response.batch_item_failures.len(), 1);
        env.stack
            .sqs
            .change_message_visibility()
            .queue_url(env.stack.queue_url("ScoringQueue"))
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    // The next receive moves it to the dead-letter queue (redrive policy).
    assert!(receive(&env, "ScoringQueue").await.records.is_empty());
    assert_eq!(visible(&env, "ScoringDeadLetterQueue").await, 1);
    let response = worker_scorer::handle_dead_letters(
        &env.rescorer,
        receive(&env, "ScoringDeadLetterQueue").await,
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let stored = job(&env, jobs[0].card.id).await;
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert!(
        stored
            .last_error
            .unwrap()
            .contains("temporarily unavailable"),
        "the last attempt's error is kept"
    );
    assert_eq!(used(&env).await, 0);
}

#[tokio::test]
async fn a_profile_change_rescores_scored_and_failed_jobs_within_the_quota() {
    let env = env().await;
    let jobs = jobs(&env, 3).await;
    let w = worker(&env, profile_scorer());
    send(
        &env,
        "ScoringQueue",
        &jobs.iter().map(task).collect::<Vec<_>>(),
    )
    .await;
    worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    let before = job(&env, jobs[0].card.id).await.card.score.unwrap();

    let profile = Profile {
        must_have: vec!["rust".into()],
        titles: vec!["Rust Engineer".into()],
        ..Profile::default()
    };
    jobmon_scoring::pipeline::save_profile(&env.rescorer, env.tenant, profile.clone())
        .await
        .unwrap();
    assert_eq!(
        env.store.get_profile(env.tenant).await.unwrap(),
        Some(profile.clone())
    );
    // The bulk message queues every scored job; the worker then scores each again.
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(response.batch_item_failures.is_empty());
    for j in &jobs {
        assert_eq!(job(&env, j.card.id).await.card.status, JobStatus::Queued);
    }
    assert_eq!(used(&env).await, 6);
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(response.batch_item_failures.is_empty());
    for j in &jobs {
        let stored = job(&env, j.card.id).await;
        assert_eq!(stored.card.status, JobStatus::Scored);
        let history = env
            .store
            .history(env.tenant, j.card.id, &PageRequest::first(10))
            .await
            .unwrap()
            .items;
        assert_eq!(history.len(), 2, "every scoring is its own entry");
        assert!(history[0].attempt > history[1].attempt, "newest first");
        assert_eq!(Some(history[0].score), stored.card.score);
    }
    assert!(job(&env, jobs[0].card.id).await.card.score.unwrap() > before);

    // Saving the same profile again queues nothing.
    jobmon_scoring::pipeline::save_profile(&env.rescorer, env.tenant, profile)
        .await
        .unwrap();
    assert!(receive(&env, "ScoringQueue").await.records.is_empty());
}

#[tokio::test]
async fn rescoring_stops_at_the_monthly_quota() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let w = worker(&env, profile_scorer());
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    // Use up the rest of the free plan's month.
    let period = Period::of(chrono::Utc::now());
    shared::ports::QuotaStore::reserve_quota(&*env.store, env.tenant, &period, 1000, 50)
        .await
        .unwrap();
    let err = env
        .rescorer
        .rescore(env.tenant, jobs[0].card.id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, jobmon_scoring::pipeline::RescoreError::Quota),
        "{err}"
    );
    assert_eq!(
        job(&env, jobs[0].card.id).await.card.status,
        JobStatus::Scored
    );
    assert!(receive(&env, "ScoringQueue").await.records.is_empty());
    // And a job that is still queued cannot be rescored.
    let queued = seed::queued_jobs(&env.store, env.tenant, &[("Other", "x")]).await;
    let err = env
        .rescorer
        .rescore(env.tenant, queued[0].card.id)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        jobmon_scoring::pipeline::RescoreError::NotRescorable(JobStatus::Queued)
    ));
    // Another tenant's job is not found.
    let other = seed::tenant(&env.store, "free").await.id;
    assert!(matches!(
        env.rescorer
            .rescore(other, jobs[0].card.id)
            .await
            .unwrap_err(),
        jobmon_scoring::pipeline::RescoreError::NotFound
    ));
}

#[tokio::test]
async fn the_webhook_scorer_hands_the_job_out_and_its_signed_result_completes_it() {
    use jobmon_scoring::pipeline::WebhookCallback;
    use jobmon_scoring::{SIGNATURE_HEADER, WebhookScorer, WebhookVerifier, sign, verify};
    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let n8n = FakeServer::start(vec![Reply::json(200, r#"{"accepted":true}"#)]).await;
    let scorer = WebhookScorer::new(
        &format!("{}/webhook/score", n8n.base_url),
        SECRET,
        "http://127.0.0.1:3000/v1/webhooks/scoring",
        Duration::from_secs(5),
    )
    .unwrap();
    let w = worker(&env, ConfiguredScorer::Webhook(scorer));
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(response.batch_item_failures.is_empty(), "handed out: done");
    assert_eq!(
        job(&env, jobs[0].card.id).await.card.status,
        JobStatus::Queued
    );

    // What n8n received: the job, the profile and the attempt, signed.
    let requests = n8n.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let signature = request.header(SIGNATURE_HEADER).unwrap();
    verify(
        SECRET,
        Some(signature),
        &request.body,
        chrono::Utc::now().timestamp(),
        jobmon_scoring::TOLERANCE,
    )
    .expect("signed with the shared secret");
    let sent = request.json();
    assert_eq!(sent["jobId"], jobs[0].card.id.to_string());
    assert_eq!(sent["attempt"], 1);
    assert_eq!(
        sent["callbackUrl"],
        "http://127.0.0.1:3000/v1/webhooks/scoring"
    );

    // Its answer comes back to the callback and completes the job like any scorer would.
    let callback = WebhookCallback {
        recorder: env.rescorer.recorder.clone(),
        verifier: WebhookVerifier::new(SECRET).unwrap(),
    };
    let body = serde_json::json!({
        "jobId": sent["jobId"], "tenantId": sent["tenantId"], "attempt": 1,
        "score": 9, "reason": "Rust and Lambda: a strong fit."
    })
    .to_string();
    let at = chrono::Utc::now().timestamp();
    let status = callback
        .accept(
            Some(&sign(SECRET, at, body.as_bytes())),
            body.as_bytes(),
            at,
        )
        .await
        .unwrap();
    assert_eq!(status, "scored");
    let stored = job(&env, jobs[0].card.id).await;
    assert_eq!(stored.card.status, JobStatus::Scored);
    assert_eq!(stored.card.score.map(|s| s.value()), Some(9));
    assert!(env.pushes.types().contains(&"job_scored"));
}

#[tokio::test]
async fn a_webhook_that_never_answers_fails_the_job_at_its_deadline() {
    use jobmon_scoring::pipeline::WebhookCallback;
    use jobmon_scoring::{WebhookScorer, WebhookVerifier, sign};
    use shared::messages::AnswerDeadline;
    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let id = jobs[0].card.id;
    let n8n = FakeServer::start(vec![Reply::json(202, r#"{"accepted":true}"#)]).await;
    let scorer = WebhookScorer::new(
        &format!("{}/webhook/score", n8n.base_url),
        SECRET,
        "http://127.0.0.1:3000/v1/webhooks/scoring",
        Duration::from_secs(5),
    )
    .unwrap()
    .with_answer_within(Duration::from_secs(4));
    let w = worker(&env, ConfiguredScorer::Webhook(scorer));
    send(&env, "ScoringQueue", &[task(&jobs[0])]).await;
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(n8n.requests().len(), 1);
    assert_eq!(
        used(&env).await,
        1,
        "the job holds its quota while it waits"
    );

    // A deadline that turns up before it is due goes back on the queue, to the worker or
    // to the dead-letter consumer alike; the job waits on.
    let early = AnswerDeadline {
        tenant_id: env.tenant,
        job_id: id,
        attempt: 1,
        answer_by: chrono::Utc::now() + chrono::Duration::seconds(60),
        reserved_at: None,
    };
    send(&env, "ScoringQueue", &[to_body(&early)]).await;
    send(&env, "ScoringDeadLetterQueue", &[to_body(&early)]).await;
    let event = receive_until(&env, "ScoringQueue", |body| body == to_body(&early)).await;
    assert!(
        worker_scorer::handle(&w, event)
            .await
            .batch_item_failures
            .is_empty()
    );
    let event = receive(&env, "ScoringDeadLetterQueue").await;
    assert_eq!(event.records.len(), 1);
    let response = worker_scorer::handle_dead_letters(&env.rescorer, event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(job(&env, id).await.card.status, JobStatus::Queued);

    // The real deadline comes due: no answer came, so the job fails and returns its quota.
    let event = receive_until(&env, "ScoringQueue", |body| {
        body.contains("answerBy") && body != to_body(&early)
    })
    .await;
    assert!(
        worker_scorer::handle(&w, event)
            .await
            .batch_item_failures
            .is_empty()
    );
    let stored = job(&env, id).await;
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert!(
        stored
            .last_error
            .as_deref()
            .unwrap()
            .contains("did not answer by"),
        "{:?}",
        stored.last_error
    );
    assert_eq!(used(&env).await, 0);
    assert_eq!(n8n.requests().len(), 1, "no second call to the webhook");

    // Its answer, when it finally comes, is refused and changes nothing.
    let callback = WebhookCallback {
        recorder: env.rescorer.recorder.clone(),
        verifier: WebhookVerifier::new(SECRET).unwrap(),
    };
    let late = serde_json::json!({
        "jobId": id.to_string(), "tenantId": env.tenant.to_string(), "attempt": 1,
        "score": 8, "reason": "Late, but a good fit."
    })
    .to_string();
    let at = chrono::Utc::now().timestamp();
    let refused = callback
        .accept(
            Some(&sign(SECRET, at, late.as_bytes())),
            late.as_bytes(),
            at,
        )
        .await
        .map_err(shared::http::ApiError::from)
        .unwrap_err();
    assert!(
        matches!(refused, shared::http::ApiError::Conflict(_)),
        "{refused:?}"
    );
    assert_eq!(job(&env, id).await.card.status, JobStatus::Failed);
    assert_eq!(history_len(&env, id).await, 0);

    // A failed job can be rescored: attempt 2 goes out again.
    let card = env.rescorer.rescore(env.tenant, id).await.unwrap();
    assert_eq!(card.status, JobStatus::Queued);
    assert_eq!(job(&env, id).await.attempt, 2);
}

#[tokio::test]
async fn the_sample_event_of_events_worker_scorer_is_handled() {
    let env = env().await;
    let jobs = jobs(&env, 1).await;
    let text = std::fs::read_to_string(
        jobmon_tests::workspace_root().join("events/worker-scorer/sqs-batch.json"),
    )
    .unwrap();
    let mut event: serde_json::Value = serde_json::from_str(&text).unwrap();
    event["Records"][0]["body"] = serde_json::Value::String(task(&jobs[0]));
    let event: SqsEvent = serde_json::from_value(event).unwrap();
    // Its receipt handle is not a real one: scoring needs none on success.
    let response = worker_scorer::handle(&worker(&env, profile_scorer()), event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        job(&env, jobs[0].card.id).await.card.status,
        JobStatus::Scored
    );
}

#[tokio::test]
async fn a_bulk_rescore_goes_on_page_by_page() {
    let env = env().await;
    let tenant = seed::tenant(&env.store, "pro").await.id;
    let titles = vec![("Rust Engineer", "Rust."); 105];
    let jobs = seed::queued_jobs(&env.store, tenant, &titles).await;
    for j in &jobs {
        env.store
            .mark_failed(tenant, j.card.id, 1, Some("seeded failure"))
            .await
            .unwrap()
            .expect("queued for attempt 1");
    }
    env.rescorer.request_rescore_all(tenant).await.unwrap();
    let w = worker(&env, profile_scorer());
    // Page one: 100 jobs queued (ten SendMessageBatch calls) and the continuation.
    let response = worker_scorer::handle(&w, receive(&env, "ScoringQueue").await).await;
    assert!(response.batch_item_failures.is_empty());
    let mut queued = 0;
    for j in &jobs {
        if job_of(&env, tenant, j.card.id).await.card.status == JobStatus::Queued {
            queued += 1;
        }
    }
    assert_eq!(queued, usize::from(jobmon_scoring::pipeline::RESCORE_PAGE));
    // Drain: the continuation queues the last five; everything gets scored.
    for _ in 0..30 {
        let event = receive(&env, "ScoringQueue").await;
        if event.records.is_empty() {
            break;
        }
        let receipts: Vec<String> = event
            .records
            .iter()
            .map(|r| r.receipt_handle.clone().unwrap())
            .collect();
        let response = worker_scorer::handle(&w, event).await;
        assert!(response.batch_item_failures.is_empty());
        for receipt in receipts {
            env.stack
                .sqs
                .delete_message()
                .queue_url(env.stack.queue_url("ScoringQueue"))
                .receipt_handle(receipt)
                .send()
                .await
                .unwrap();
        }
    }
    for j in &jobs {
        let stored = job_of(&env, tenant, j.card.id).await;
        assert_eq!(stored.card.status, JobStatus::Scored, "{}", j.card.id);
        assert_eq!(stored.attempt, 2);
    }
}

async fn job_of(env: &Env, tenant: TenantId, id: JobId) -> Job {
    env.store.get_job(tenant, id).await.unwrap().unwrap()
}
