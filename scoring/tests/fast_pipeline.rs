//! The scoring use cases (worker, rescore, webhook callback, dead letters) on the
//! in-memory store and queue: fast tier, no moto. Each test asserts the outcome, what was
//! stored and what was sent or pushed.

use jobmon_scoring::wiring::Listeners;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use jobmon_scoring::pipeline::deferral::DEFAULT_DEFER_LIMIT;
use jobmon_scoring::pipeline::{
    Delivery, Outcome, Recorder, RescoreError, Rescorer, ScoringWorker, WebhookCallback,
    save_profile,
};
use jobmon_scoring::{
    ConfiguredScorer, JobForScoring, ScoreError, Scorer, Scoring, WebhookVerifier, sign,
};
use jobmon_tests::contract;
use shared::adapters::MemoryStore;
use shared::adapters::memory::{MemoryQueue, Published, RecordingEvents, RecordingNotifier};
use shared::domain::{Job, JobStatus, Period, PlanCatalog, Profile, Role, Score, TenantId};
use shared::http::ApiError;
use shared::messages::{AnswerDeadline, ScoreTask, ScoringMessage, to_body};
use shared::ports::{
    AccountStore, Clock, FixedClock, JobStore, LiveMessage, PageRequest, QuotaStore, ScoringStore,
    SystemClock, UsageReader,
};

/// Answers every call with the same result.
struct Fixed(Result<Scoring, ScoreError>);

#[async_trait]
impl Scorer for Fixed {
    async fn score(&self, _: &JobForScoring, _: &Profile) -> Result<Scoring, ScoreError> {
        self.0.clone()
    }
}

fn scored(value: i64) -> Fixed {
    Fixed(Ok(Scoring {
        score: Score::new(value).unwrap(),
        reason: "matches the profile".into(),
        scorer: Scoring::PROFILE,
        model: None,
    }))
}

struct Pipeline {
    store: MemoryStore,
    queue: Arc<MemoryQueue>,
    live: Arc<RecordingNotifier>,
    events: Arc<RecordingEvents>,
    recorder: Arc<Recorder>,
    rescorer: Arc<Rescorer>,
    tenant: TenantId,
}

/// The pipeline as `jobmon_scoring::wiring` builds it, over in-memory ports, with one
/// tenant on the free plan (50 scorings a month).
async fn pipeline() -> Pipeline {
    pipeline_with(SystemClock::shared()).await
}

async fn pipeline_with(clock: Arc<dyn Clock>) -> Pipeline {
    let store = MemoryStore::new();
    let queue = Arc::new(MemoryQueue::default());
    let live = Arc::new(RecordingNotifier::default());
    let events = Arc::new(RecordingEvents::default());
    let shared = Arc::new(store.clone());
    let recorder = jobmon_scoring::wiring::recorder_over(
        shared.clone(),
        Listeners {
            live: live.clone(),
            events: events.clone(),
        },
        PlanCatalog::builtin(),
        clock,
    );
    let rescorer = jobmon_scoring::wiring::rescorer_over(shared, recorder.clone(), queue.clone());
    let tenant = contract::tenant("Scoring");
    store
        .create_account(
            &tenant,
            &contract::user(&tenant, &format!("{}@example.com", tenant.id), Role::Admin),
        )
        .await
        .unwrap();
    Pipeline {
        store,
        queue,
        live,
        events,
        recorder,
        rescorer,
        tenant: tenant.id,
    }
}

impl Pipeline {
    fn worker(&self, scorer: impl Scorer + 'static) -> ScoringWorker {
        ScoringWorker {
            recorder: self.recorder.clone(),
            jobs: Arc::new(self.store.clone()),
            rescorer: self.rescorer.clone(),
            queue: self.queue.clone(),
            scorer: ConfiguredScorer::Inline(Box::new(scorer)),
            defer_limit: DEFAULT_DEFER_LIMIT,
        }
    }

    /// A job queued for attempt 1 with its quota reserved, as a fetch leaves it.
    async fn queued_job(&self, n: u32) -> Job {
        let job = contract::job(
            self.tenant,
            &format!("https://jobs.example.com/{n}"),
            JobStatus::Queued,
        );
        self.store.insert_job(&job).await.unwrap();
        assert_eq!(
            self.store
                .reserve_quota(self.tenant, &Period::of(Utc::now()), 1, 50)
                .await
                .unwrap(),
            1
        );
        job
    }

    fn stored(&self, job: &Job) -> Job {
        self.store.job(self.tenant, job.card.id).expect("stored")
    }

    async fn used(&self) -> u32 {
        self.store
            .scored_jobs(self.tenant, &Period::of(Utc::now()))
            .await
            .unwrap()
    }

    async fn history_len(&self, job: &Job) -> usize {
        self.store
            .history(self.tenant, job.card.id, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len()
    }
}

fn task_body(job: &Job, attempt: u32) -> String {
    to_body(&ScoreTask {
        tenant_id: job.tenant_id,
        job_id: job.card.id,
        attempt,
        reserved_at: None,
    })
}

/// The jobs and attempts of the scoring messages sent, each stamped with its reservation.
fn sent_tasks(p: &Pipeline) -> Vec<(shared::domain::JobId, u32)> {
    p.queue
        .take_sent()
        .iter()
        .map(|body| {
            let task: ScoreTask = serde_json::from_str(body).expect("a scoring task");
            assert!(task.reserved_at.is_some(), "{body}");
            (task.job_id, task.attempt)
        })
        .collect()
}

fn delivery(body: &str, receive_count: u32) -> Delivery<'_> {
    Delivery {
        body,
        receive_count,
        receipt_handle: Some("receipt-1"),
    }
}

#[tokio::test]
async fn the_worker_scores_a_queued_job_once_and_tells_everyone() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let worker = p.worker(scored(8));
    let body = task_body(&job, 1);

    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Scored);
    assert_eq!(stored.card.score, Some(Score::new(8).unwrap()));
    assert_eq!(p.history_len(&job).await, 1);
    assert!(matches!(
        p.events.published().as_slice(),
        [Published::JobScored { scorer, reason, .. }]
            if scorer == "profile" && reason == "matches the profile"
    ));
    let pushed: Vec<LiveMessage> = p.live.pushed().into_iter().map(|(_, m)| m).collect();
    assert!(matches!(pushed[0], LiveMessage::JobScored(ref card) if card.id == job.card.id));
    assert_eq!(
        pushed[1],
        LiveMessage::UsageUpdated {
            scored_jobs: 1,
            limit: 50
        }
    );

    // SQS delivers at least once: the same message again writes and tells nothing.
    assert_eq!(worker.handle(&delivery(&body, 2)).await, Outcome::Done);
    assert_eq!(p.history_len(&job).await, 1);
    assert_eq!(p.events.published().len(), 1);
    assert_eq!(p.used().await, 1);
}

#[tokio::test]
async fn a_message_for_another_attempt_or_a_missing_job_is_dropped() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let worker = p.worker(scored(8));
    assert_eq!(
        worker.handle(&delivery(&task_body(&job, 2), 1)).await,
        Outcome::Done
    );
    assert_eq!(p.stored(&job).card.status, JobStatus::Queued);
    let mut gone = job.clone();
    gone.card.id = shared::domain::JobId::new();
    assert_eq!(
        worker.handle(&delivery(&task_body(&gone, 1), 1)).await,
        Outcome::Done
    );
    assert!(p.events.published().is_empty());
    assert_eq!(
        worker.handle(&delivery("not a message", 1)).await,
        Outcome::Retry,
        "an unparseable body fails alone"
    );
}

#[tokio::test]
async fn a_transient_failure_notes_the_error_and_backs_off() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let worker = p.worker(Fixed(Err(ScoreError::Transient("timeout".into()))));
    assert_eq!(
        worker.handle(&delivery(&task_body(&job, 1), 2)).await,
        Outcome::Retry
    );
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Queued);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("scorer temporarily unavailable: timeout")
    );
    let retried = p.queue.take_retried();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].0, "receipt-1");
    assert!(
        retried[0].1 > Duration::from_secs(10),
        "the second receipt waits longer than the first: {:?}",
        retried[0].1
    );
    assert_eq!(p.used().await, 1, "the quota stays reserved for the retry");
}

#[tokio::test]
async fn a_provider_limit_defers_a_fresh_copy_without_spending_an_attempt() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let worker = p.worker(Fixed(Err(ScoreError::QuotaExceeded {
        retry_after: Some(Duration::from_secs(30)),
    })));
    let body = task_body(&job, 1);
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    let delayed = p.queue.take_delayed();
    assert_eq!(delayed.len(), 1);
    let (copy, delay) = &delayed[0];
    assert!(
        (Duration::from_secs(15)..=Duration::from_secs(30)).contains(delay),
        "jittered within the upper half of the asked 30 s: {delay:?}"
    );
    // A message without a reservation time starts the cap's count at this deferral.
    let copy: ScoreTask = serde_json::from_str(copy).unwrap();
    assert_eq!(copy.job_id, job.card.id);
    assert_eq!(copy.attempt, 1);
    assert!(copy.reserved_at.is_some());
    assert!(p.queue.take_retried().is_empty());
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Queued);
    assert!(stored.last_error.is_some());

    // When the copy cannot be sent, the message itself comes back after the delay.
    p.queue.set_unavailable(true);
    assert_eq!(
        worker.handle(&delivery(&task_body(&job, 1), 1)).await,
        Outcome::Retry
    );
}

#[tokio::test]
async fn output_that_cannot_be_stored_fails_the_job_and_returns_its_quota() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let worker = p.worker(Fixed(Err(ScoreError::InvalidOutput("no score".into()))));
    assert_eq!(
        worker.handle(&delivery(&task_body(&job, 1), 1)).await,
        Outcome::Done
    );
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("scorer returned invalid output: no score")
    );
    assert_eq!(p.used().await, 0);
    assert!(p.live.pushed().iter().any(
        |(_, m)| matches!(m, LiveMessage::JobUpdated(card) if card.status == JobStatus::Failed)
    ));
    // An empty reason from a scorer is invalid output too.
    let job = p.queued_job(2).await;
    let empty = p.worker(Fixed(Ok(Scoring {
        score: Score::new(5).unwrap(),
        reason: "  ".into(),
        scorer: Scoring::PROFILE,
        model: None,
    })));
    empty.handle(&delivery(&task_body(&job, 1), 1)).await;
    assert_eq!(p.stored(&job).card.status, JobStatus::Failed);
}

#[tokio::test]
async fn a_dead_lettered_scoring_fails_the_job_once() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let body = task_body(&job, 1);
    assert_eq!(p.rescorer.dead_letter(&body).await, Outcome::Done);
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("scoring failed after repeated attempts")
    );
    assert_eq!(p.used().await, 0);
    // Again (SQS delivers at least once): the job moved on, the quota is not returned twice.
    p.store
        .reserve_quota(p.tenant, &Period::of(Utc::now()), 1, 50)
        .await
        .unwrap();
    assert_eq!(p.rescorer.dead_letter(&body).await, Outcome::Done);
    assert_eq!(p.used().await, 1);
    assert_eq!(
        p.rescorer.dead_letter("poison").await,
        Outcome::Done,
        "dropped, not retried forever"
    );
}

#[tokio::test]
async fn an_answer_deadline_waits_until_due_then_fails_a_job_still_waiting() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let early = AnswerDeadline {
        tenant_id: p.tenant,
        job_id: job.card.id,
        attempt: 1,
        answer_by: Utc::now() + chrono::Duration::seconds(120),
        reserved_at: None,
    };
    assert_eq!(p.rescorer.answer_due(&early).await, Outcome::Done);
    let delayed = p.queue.take_delayed();
    assert_eq!(delayed.len(), 1);
    assert!(delayed[0].1 <= Duration::from_secs(120) && delayed[0].1 > Duration::from_secs(100));
    assert_eq!(p.stored(&job).card.status, JobStatus::Queued);

    let due = AnswerDeadline {
        answer_by: Utc::now() - chrono::Duration::seconds(1),
        ..early
    };
    let worker = p.worker(scored(1));
    assert_eq!(
        worker
            .handle(&delivery(&to_body(&ScoringMessage::AnswerDeadline(due)), 1))
            .await,
        Outcome::Done
    );
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert!(
        stored
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("the scoring webhook did not answer by"))
    );
    assert_eq!(p.used().await, 0);
}

async fn scored_job(p: &Pipeline, n: u32) -> Job {
    let job = p.queued_job(n).await;
    p.worker(scored(6))
        .handle(&delivery(&task_body(&job, 1), 1))
        .await;
    assert_eq!(p.stored(&job).card.status, JobStatus::Scored);
    job
}

#[tokio::test]
async fn a_rescore_requeues_a_scored_job_against_the_quota() {
    let p = pipeline().await;
    let job = scored_job(&p, 1).await;
    let card = p.rescorer.rescore(p.tenant, job.card.id).await.unwrap();
    assert_eq!(card.status, JobStatus::Queued);
    assert_eq!(p.stored(&job).attempt, 2);
    assert_eq!(sent_tasks(&p), vec![(job.card.id, 2)]);
    assert_eq!(p.used().await, 2);

    let fresh = contract::job(p.tenant, "https://jobs.example.com/new", JobStatus::New);
    p.store.insert_job(&fresh).await.unwrap();
    assert!(matches!(
        p.rescorer.rescore(p.tenant, fresh.card.id).await,
        Err(RescoreError::NotRescorable(JobStatus::New))
    ));
    assert!(matches!(
        p.rescorer.rescore(TenantId::new(), job.card.id).await,
        Err(RescoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_rescore_beyond_the_quota_or_without_a_queue_changes_nothing() {
    let p = pipeline().await;
    let job = scored_job(&p, 1).await;
    p.store
        .reserve_quota(p.tenant, &Period::of(Utc::now()), 49, 50)
        .await
        .unwrap();
    let err = p.rescorer.rescore(p.tenant, job.card.id).await.unwrap_err();
    assert!(matches!(err, RescoreError::Quota), "{err:?}");
    assert_eq!(ApiError::from(err).code(), "plan_limit");
    assert_eq!(p.stored(&job).card.status, JobStatus::Scored);

    p.store
        .release_quota(p.tenant, &Period::of(Utc::now()), 49)
        .await
        .unwrap();
    p.queue.set_unavailable(true);
    assert!(matches!(
        p.rescorer.rescore(p.tenant, job.card.id).await,
        Err(RescoreError::Queue(_))
    ));
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Scored, "put back as it was");
    assert_eq!(p.used().await, 1, "the reserved quota is returned");
}

#[tokio::test]
async fn a_profile_change_rescores_every_scored_job_through_the_queue() {
    let p = pipeline().await;
    let a = scored_job(&p, 1).await;
    let b = scored_job(&p, 2).await;
    let profile = Profile {
        must_have: vec!["rust".into()],
        ..Profile::default()
    };
    save_profile(&p.rescorer, p.tenant, profile.clone())
        .await
        .unwrap();
    let sent = p.queue.take_sent();
    assert_eq!(sent.len(), 1, "one bulk message");
    let worker = p.worker(scored(3));
    assert_eq!(worker.handle(&delivery(&sent[0], 1)).await, Outcome::Done);
    let mut tasks = sent_tasks(&p);
    tasks.sort();
    let mut expected = vec![(a.card.id, 2), (b.card.id, 2)];
    expected.sort();
    assert_eq!(tasks, expected);
    assert_eq!(p.used().await, 4);

    // The same profile again queues nothing.
    save_profile(&p.rescorer, p.tenant, profile).await.unwrap();
    assert!(p.queue.take_sent().is_empty());
}

const SECRET: &[u8] = b"a-webhook-secret-of-at-least-32-bytes!!";

fn result_body(job: &Job, attempt: u32, score: u8) -> String {
    serde_json::json!({
        "jobId": job.card.id.to_string(),
        "tenantId": job.tenant_id.to_string(),
        "score": score,
        "reason": "a good fit",
        "attempt": attempt,
    })
    .to_string()
}

#[tokio::test]
async fn the_webhook_callback_stores_a_signed_result_once() {
    let p = pipeline().await;
    let job = p.queued_job(1).await;
    let callback = WebhookCallback {
        recorder: p.recorder.clone(),
        verifier: WebhookVerifier::new(SECRET).unwrap(),
    };
    let now = Utc::now().timestamp();
    let body = result_body(&job, 1, 9);
    let signature = sign(SECRET, now, body.as_bytes());
    assert_eq!(
        callback
            .accept(Some(&signature), body.as_bytes(), now)
            .await
            .unwrap(),
        "scored"
    );
    let stored = p.stored(&job);
    assert_eq!(stored.card.score, Some(Score::new(9).unwrap()));
    assert_eq!(
        p.store
            .history(p.tenant, job.card.id, &PageRequest::first(10))
            .await
            .unwrap()
            .items[0]
            .scorer,
        "webhook"
    );

    // The scorer retrying with a fresh signature: acknowledged, nothing new written.
    let later = now + 5;
    let again = sign(SECRET, later, body.as_bytes());
    assert_eq!(
        callback
            .accept(Some(&again), body.as_bytes(), later)
            .await
            .unwrap(),
        "duplicate"
    );
    // The very same signed request replayed: refused.
    let replayed = callback
        .accept(Some(&signature), body.as_bytes(), now + 1)
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(replayed).code(), "unauthorized");
    // Unsigned, forged, or for an attempt nobody waits for.
    assert_eq!(
        callback
            .accept(None, body.as_bytes(), now)
            .await
            .map_err(ApiError::from)
            .unwrap_err()
            .code(),
        "unauthorized"
    );
    let forged = sign(
        b"another-secret-of-at-least-32-bytes!!!!",
        now,
        body.as_bytes(),
    );
    assert_eq!(
        callback
            .accept(Some(&forged), body.as_bytes(), now)
            .await
            .map_err(ApiError::from)
            .unwrap_err()
            .code(),
        "unauthorized"
    );
    let other = result_body(&job, 2, 4);
    let signed = sign(SECRET, now, other.as_bytes());
    assert_eq!(
        callback
            .accept(Some(&signed), other.as_bytes(), now)
            .await
            .map_err(ApiError::from)
            .unwrap_err()
            .code(),
        "conflict"
    );
    assert_eq!(p.history_len(&job).await, 1);
}

#[tokio::test]
async fn saving_a_profile_warns_of_terms_the_tenants_recent_jobs_never_use() {
    let p = pipeline().await;
    let insert = |tenant: TenantId, n: u32, description: &'static str| {
        let store = p.store.clone();
        async move {
            let mut job = contract::job(
                tenant,
                &format!("https://jobs.example.com/w{n}"),
                JobStatus::Scored,
            );
            job.description = description.into();
            store.insert_job(&job).await.unwrap();
        }
    };
    for n in 0..12 {
        insert(p.tenant, n, "Rust services on AWS.").await;
    }
    // Another tenant's jobs use the term; they must not silence the warning.
    let other = TenantId::new();
    for n in 100..112 {
        insert(other, n, "Kubernets everywhere.").await;
    }
    let profile = Profile {
        must_have: vec!["Rust".into(), "Kubernets".into()],
        ..Profile::default()
    };
    let saved = save_profile(&p.rescorer, p.tenant, profile.clone())
        .await
        .unwrap();
    assert_eq!(saved.profile, profile);
    let warnings: Vec<(&str, &str)> = saved
        .warnings
        .iter()
        .map(|w| (w.field.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [(
            "mustHave[1]",
            "'Kubernets' appears in none of your 12 recent jobs."
        )]
    );
    // The answer is the profile's fields plus `warnings`.
    let json = serde_json::to_value(&saved).unwrap();
    assert_eq!(json["mustHave"][1], "Kubernets");
    assert_eq!(json["warnings"][0]["field"], "mustHave[1]");
}

/// Answers 6, and records the profile of every call; on its first call it saves `then`
/// as the tenant's profile, as its owner might while the scorer works.
struct SavesProfile {
    store: MemoryStore,
    tenant: TenantId,
    then: Profile,
    seen: std::sync::Mutex<Vec<Profile>>,
}

#[async_trait]
impl Scorer for SavesProfile {
    async fn score(&self, _: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        let first = {
            let mut seen = self.seen.lock().unwrap();
            seen.push(profile.clone());
            seen.len() == 1
        };
        if first {
            self.store
                .put_profile(self.tenant, &self.then)
                .await
                .unwrap();
        }
        scored(6).0
    }
}

#[tokio::test]
async fn a_kept_profile_serves_the_next_job_until_a_save_makes_its_score_stale() {
    let p = pipeline().await;
    let rust = Profile {
        summary: "Rust services".into(),
        ..Profile::default()
    };
    p.store.put_profile(p.tenant, &rust).await.unwrap();
    let go = Profile {
        summary: "Go services".into(),
        ..Profile::default()
    };
    let scorer = Arc::new(SavesProfile {
        store: p.store.clone(),
        tenant: p.tenant,
        then: go.clone(),
        seen: Default::default(),
    });
    let worker = ScoringWorker {
        recorder: p.recorder.clone(),
        jobs: Arc::new(p.store.clone()),
        rescorer: p.rescorer.clone(),
        queue: p.queue.clone(),
        scorer: ConfiguredScorer::Inline(Box::new(scorer.clone())),
        defer_limit: DEFAULT_DEFER_LIMIT,
    };

    // The first call saves `go` while scoring with `rust`: that score is refused, and the
    // job scored again with `go`, read afresh.
    let first = p.queued_job(1).await;
    let body = task_body(&first, 1);
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    assert_eq!(*scorer.seen.lock().unwrap(), [rust.clone(), go.clone()]);
    assert_eq!(p.stored(&first).card.status, JobStatus::Scored);
    assert_eq!(
        p.history_len(&first).await,
        1,
        "one entry: the stale score wrote none"
    );
    assert_eq!(
        p.events.published().len(),
        1,
        "the stale score was not announced"
    );
    assert_eq!(p.used().await, 1);

    // The next job is scored with the kept profile, no save meanwhile: stored at once.
    let second = p.queued_job(2).await;
    let body = task_body(&second, 1);
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    assert_eq!(scorer.seen.lock().unwrap().len(), 3);
    assert_eq!(scorer.seen.lock().unwrap()[2], go);
    assert_eq!(p.stored(&second).card.status, JobStatus::Scored);
    assert_eq!(p.used().await, 2);

    // Saved behind the instance's back: its kept profile serves the next scoring, whose
    // score is refused by version, and the one after reads the save.
    let third = p.queued_job(3).await;
    p.store.put_profile(p.tenant, &rust).await.unwrap();
    let body = task_body(&third, 1);
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    assert_eq!(
        scorer.seen.lock().unwrap()[3..],
        [go.clone(), rust.clone()],
        "the kept profile first, then the saved one"
    );
    assert_eq!(p.history_len(&third).await, 1);
    assert_eq!(p.stored(&third).card.status, JobStatus::Scored);
}

/// The EMF documents the worker prints: latency by scorer, calls the pre-gate saved,
/// failures by reason; the tenant a property, never a dimension.
#[tokio::test]
async fn scoring_emits_latency_pregate_savings_and_failures_as_valid_emf() {
    let p = pipeline().await;
    let capture = shared::telemetry::capture();
    // Threshold 10: the profile scores every posting lower, so the gate answers for all.
    let gated = jobmon_scoring::GatedScorer::new(Box::new(scored(9)))
        .with_threshold(Score::new(10).unwrap());
    let job = p.queued_job(1).await;
    let worker = p.worker(gated);
    assert_eq!(
        worker.handle(&delivery(&task_body(&job, 1), 1)).await,
        Outcome::Done
    );
    let failing = p.queued_job(2).await;
    let worker = p.worker(Fixed(Err(ScoreError::Transient("timeout".into()))));
    worker.handle(&delivery(&task_body(&failing, 1), 1)).await;

    let documents = capture.documents();
    for document in &documents {
        shared::telemetry::check_document(document).unwrap();
        assert!(
            !document["_aws"].to_string().contains("tenant"),
            "{document}"
        );
    }
    let gate = capture.with_metric("ScorerCallsAvoided");
    assert_eq!(gate.len(), 1);
    assert_eq!(gate[0]["ScorerCallsAvoided"], 1.0);
    assert_eq!(gate[0]["PregateChecks"], 1.0);
    let scorings = capture.with_metric("Scorings");
    assert_eq!(scorings.len(), 1);
    assert_eq!(scorings[0]["scorer"], "profile", "the gate answered");
    assert_eq!(scorings[0]["tenant_id"], p.tenant.to_string());
    assert_eq!(
        scorings[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"][1],
        serde_json::json!({"Name": "ScoringLatency", "Unit": "Milliseconds"})
    );
    let failures = capture.with_metric("ScoringFailures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["reason"], "transient");
    assert_eq!(
        failures[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([["function"], ["function", "reason"]])
    );
}

/// The job `queued_job` left, with its unit reserved in the month of `at` (not today's).
async fn queued_job_reserved_at(p: &Pipeline, n: u32, at: chrono::DateTime<Utc>) -> Job {
    let job = contract::job(
        p.tenant,
        &format!("https://jobs.example.com/{n}"),
        JobStatus::Queued,
    );
    p.store.insert_job(&job).await.unwrap();
    let granted = p
        .store
        .reserve_quota(p.tenant, &Period::of(at), 1, 50)
        .await
        .unwrap();
    assert_eq!(granted, 1);
    job
}

async fn used_in(p: &Pipeline, at: chrono::DateTime<Utc>) -> u32 {
    p.store
        .scored_jobs(p.tenant, &Period::of(at))
        .await
        .unwrap()
}

fn reserved_task(job: &Job, at: chrono::DateTime<Utc>) -> String {
    to_body(&ScoreTask {
        tenant_id: job.tenant_id,
        job_id: job.card.id,
        attempt: 1,
        reserved_at: Some(at),
    })
}

fn at(text: &str) -> chrono::DateTime<Utc> {
    text.parse().expect("an RFC 3339 instant")
}

#[tokio::test]
async fn provider_deferrals_stop_at_the_cap_failing_the_job_and_returning_its_unit() {
    // Reserved late on 31 October; the cap falls on 1 November: the unit must go back to
    // October, where it was taken.
    let reserved = at("2026-10-31T23:00:00Z");
    let clock = Arc::new(FixedClock::at(reserved));
    let p = pipeline_with(clock.clone()).await;
    let job = queued_job_reserved_at(&p, 1, reserved).await;
    let worker = p.worker(Fixed(Err(ScoreError::QuotaExceeded {
        retry_after: Some(Duration::from_secs(120)),
    })));

    let mut body = reserved_task(&job, reserved);
    let mut deferrals = 0;
    let mut delays = Vec::new();
    // Every 15 minutes until a day has passed: each delivery defers a fresh copy that
    // keeps the reservation time, with a jittered delay within [60 s, 120 s].
    while clock.now() - reserved < chrono::Duration::hours(24) {
        assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
        let mut copies = p.queue.take_delayed();
        assert_eq!(copies.len(), 1, "one deferred copy per delivery");
        let (copy, delay) = copies.remove(0);
        assert!(
            (Duration::from_secs(60)..=Duration::from_secs(120)).contains(&delay),
            "{delay:?}"
        );
        delays.push(delay);
        let parsed: ScoreTask = serde_json::from_str(&copy).unwrap();
        assert_eq!(parsed.reserved_at, Some(reserved));
        body = copy;
        deferrals += 1;
        clock.advance(chrono::Duration::minutes(15));
    }
    assert_eq!(deferrals, 96);
    assert!(
        delays.iter().any(|d| *d != delays[0]),
        "the delays are jittered: {delays:?}"
    );
    assert_eq!(p.stored(&job).card.status, JobStatus::Queued);
    assert_eq!(used_in(&p, reserved).await, 1);

    // Past the cap: failed with the reason, no further copy, the unit back in October.
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    assert!(p.queue.take_delayed().is_empty());
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert_eq!(
        stored.last_error.as_deref(),
        Some(
            "scorer rate limit reached (retry after 120 s); gave up after 24 h of waiting for the scoring provider"
        )
    );
    assert_eq!(used_in(&p, reserved).await, 0, "October gets its unit back");
}

#[tokio::test]
async fn a_shorter_cap_and_a_billing_problem_end_the_same_way() {
    let start = at("2026-06-10T08:00:00Z");
    let clock = Arc::new(FixedClock::at(start));
    let p = pipeline_with(clock.clone()).await;
    let job = queued_job_reserved_at(&p, 1, start).await;
    let mut worker = p.worker(Fixed(Err(ScoreError::Billing("insufficient_quota".into()))));
    worker.defer_limit = Duration::from_secs(2 * 3600);
    clock.advance(chrono::Duration::minutes(119));
    let body = reserved_task(&job, start);
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    assert_eq!(p.queue.take_delayed().len(), 1);
    clock.advance(chrono::Duration::minutes(1));
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    let stored = p.stored(&job);
    assert_eq!(stored.card.status, JobStatus::Failed);
    assert!(
        stored
            .last_error
            .as_deref()
            .unwrap()
            .contains("gave up after 2 h"),
        "{:?}",
        stored.last_error
    );
    assert_eq!(used_in(&p, start).await, 0);
}

#[tokio::test]
async fn a_job_failed_in_the_next_month_returns_its_unit_to_the_month_it_was_reserved_in() {
    let reserved = at("2026-10-31T23:59:00Z");
    let november = at("2026-11-01T00:01:00Z");
    let clock = Arc::new(FixedClock::at(reserved));
    let p = pipeline_with(clock.clone()).await;
    // November already has a unit of its own, which must stay.
    queued_job_reserved_at(&p, 2, november).await;
    let job = queued_job_reserved_at(&p, 1, reserved).await;
    clock.set(november);

    // Refused output (worker), a dead letter, and a missed webhook deadline each fail a
    // job; each gives the unit back to October.
    let worker = p.worker(Fixed(Err(ScoreError::InvalidOutput("no score".into()))));
    let body = reserved_task(&job, reserved);
    assert_eq!(worker.handle(&delivery(&body, 1)).await, Outcome::Done);
    assert_eq!(p.stored(&job).card.status, JobStatus::Failed);
    assert_eq!(used_in(&p, reserved).await, 0, "October gets its unit back");
    assert_eq!(used_in(&p, november).await, 1, "November keeps its own");

    let dead = queued_job_reserved_at(&p, 3, reserved).await;
    assert_eq!(
        p.rescorer
            .dead_letter(&reserved_task(&dead, reserved))
            .await,
        Outcome::Done
    );
    assert_eq!(p.stored(&dead).card.status, JobStatus::Failed);
    assert_eq!(used_in(&p, reserved).await, 0);

    let late = queued_job_reserved_at(&p, 4, reserved).await;
    let deadline = AnswerDeadline {
        tenant_id: p.tenant,
        job_id: late.card.id,
        attempt: 1,
        answer_by: reserved + chrono::Duration::minutes(1),
        reserved_at: Some(reserved),
    };
    assert_eq!(p.rescorer.answer_due(&deadline).await, Outcome::Done);
    assert_eq!(p.stored(&late).card.status, JobStatus::Failed);
    assert_eq!(used_in(&p, reserved).await, 0);
    assert_eq!(used_in(&p, november).await, 1);

    // A rescore in November is November's unit, and its message says so.
    p.rescorer.rescore(p.tenant, job.card.id).await.unwrap();
    let sent = p.queue.take_sent();
    let task: ScoreTask = serde_json::from_str(sent.last().unwrap()).unwrap();
    assert_eq!(task.reserved_at, Some(november));
    assert_eq!(used_in(&p, november).await, 2);
}
