//! The scoring pipeline around the scorer, against moto: what `worker-scorer`'s handler
//! adds to a scorer call (per job, and the AWS requests it makes), and how fast a backlog
//! of 1,000 queued jobs drains in batches of 10, as Lambda's SQS event source mapping hands
//! them over (receive, invoke, delete what succeeded).

use jobmon_scoring::wiring::Listeners;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, PutRequest, TransactWriteItem, WriteRequest,
};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use futures_util::future::join_all;
use futures_util::{StreamExt, stream};
use jobmon_scoring::pipeline::ScoringWorker;
use jobmon_scoring::{
    ConfiguredScorer, JobForScoring, Profile, ProfileScorer, ScoreError, Scorer, Scoring,
};
use jobmon_tests::{TestStack, seed};
use shared::adapters::dynamo::keys;
use shared::adapters::notifier::WebSocketNotifier;
use shared::adapters::{DynamoStore, SqsQueue};
use shared::config::SecretKey;
use shared::domain::UserId;
use shared::domain::{Job, JobStatus, PlanCatalog, Score, TenantId};
use shared::messages::{ScoreTask, to_bodies};
use shared::ports::{
    Connection, ConnectionStore, JobStore, LiveNotifier, NoEvents, NoLiveUpdates, WorkQueue,
};

use crate::counting::Counter;

/// What the stand-in for a remote model takes per call.
const SCORER_LATENCY: Duration = Duration::from_millis(50);
/// Jobs scored one message at a time for the per-job overhead.
const ONE_BY_ONE: usize = 100;
/// Messages per receive and per invocation: the event source mapping's `BatchSize`.
const BATCH: i32 = 10;
/// Seeding: jobs per `seed::queued_jobs` call, and how many calls run at once.
const SEED_CHUNK: usize = 100;
const SEED_PARALLEL: usize = 4;
/// How long a loop waits for a message, while jobs are still unscored, before it gives up:
/// longer than the queue's visibility timeout (180 s), after which a retried message is back.
const IDLE_LIMIT: Duration = Duration::from_secs(10 * 60);
/// Requests per kind when timing moto itself.
const PROBES: usize = 20;
/// The table sizes the growth run compares, and its goals (issue 21): scoring at the
/// larger size at least this fraction as fast as at the smaller, and this fast at both.
const GROWTH_SIZES: [usize; 2] = [1_000, 20_000];
const GROWTH_RATIO_GOAL: f64 = 0.8;
const GROWTH_RATE_GOAL: f64 = 20.0;
/// Filler items per `BatchWriteItem` (DynamoDB's limit) and bytes of each item's text,
/// about a stored card's size.
const FILL_BATCH: usize = 25;
const FILL_BYTES: usize = 600;

/// A positive number from `name`, else `default`.
fn var(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Jobs of each growth run; `JOBMON_BENCH_GROWTH_JOBS`. Seeding one stores about six
/// items, so 150 leave room to start the smaller run at 1,000.
fn growth_jobs() -> usize {
    var("JOBMON_BENCH_GROWTH_JOBS", 150)
}

/// Jobs of a throughput run; `JOBMON_BENCH_SCORING_JOBS` changes it for a quick run.
fn backlog() -> usize {
    var("JOBMON_BENCH_SCORING_JOBS", 1_000)
}

/// Concurrent receive-invoke-delete loops, as Lambda instances; `JOBMON_BENCH_POLLERS`.
fn pollers() -> usize {
    var("JOBMON_BENCH_POLLERS", 1)
}

/// Stands in for a remote model: sleeps a fixed time, then answers a valid score. It adds
/// up the time it really slept, so the harness subtracts exactly that, timer slack included.
struct FixedLatencyScorer {
    latency: Duration,
    slept_nanos: AtomicU64,
}

impl FixedLatencyScorer {
    fn new(latency: Duration) -> Self {
        Self {
            latency,
            slept_nanos: AtomicU64::new(0),
        }
    }

    fn slept(&self) -> Duration {
        Duration::from_nanos(self.slept_nanos.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl Scorer for FixedLatencyScorer {
    async fn score(&self, _job: &JobForScoring, _profile: &Profile) -> Result<Scoring, ScoreError> {
        let started = Instant::now();
        tokio::time::sleep(self.latency).await;
        let slept = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.slept_nanos.fetch_add(slept, Ordering::Relaxed);
        Ok(Scoring {
            score: Score::new(7).expect("7 is a score"),
            reason: "A fixed answer after a fixed wait (benchmark scorer).".into(),
            scorer: Scoring::PROFILE,
            model: None,
        })
    }
}

/// A fresh set of the template's resources (its own table and queues: moto's transaction
/// time grows with the table, so every run starts from the same size), the worker's store
/// and queue on counted clients, and a tenant on the enterprise plan (20,000 scored jobs a
/// month). The harness's own receives, sends and deletes go through `stack.sqs`, uncounted:
/// on Lambda they are the event source mapping's, not the function's.
struct Rig {
    stack: TestStack,
    store: Arc<DynamoStore>,
    counter: Counter,
    tenant: TenantId,
}

async fn rig() -> Rig {
    let stack = TestStack::new().await;
    let counter = Counter::default();
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.config)
            .interceptor(counter.clone())
            .build(),
    );
    let store = Arc::new(DynamoStore::new(
        dynamo,
        stack.table(),
        SecretKey::new(&[5u8; 32]).expect("32 bytes").cursor_codec(),
    ));
    let tenant = seed::tenant(&store, "enterprise").await.id;
    Rig {
        stack,
        store,
        counter,
        tenant,
    }
}

/// The message id and receipt handle of each record of a received batch.
type Receipts = Vec<(String, String)>;

impl Rig {
    /// The worker as `worker-scorer` wires it, with no live updates and no events.
    fn worker(&self, scorer: ConfiguredScorer) -> ScoringWorker {
        self.worker_pushing(scorer, Arc::new(NoLiveUpdates))
    }

    /// The worker with the production notifier: the tenant's connections listed through
    /// the counted store, pushes sent to moto's management API (which takes any id).
    fn worker_with_sockets(&self, scorer: ConfiguredScorer) -> ScoringWorker {
        let live =
            WebSocketNotifier::new(&self.stack.config, &self.stack.endpoint, self.store.clone());
        self.worker_pushing(scorer, Arc::new(live))
    }

    /// An open dashboard tab of the tenant's.
    async fn open_socket(&self) {
        let now = chrono::Utc::now();
        let connection = Connection {
            id: "bench-socket".into(),
            tenant: self.tenant,
            user: UserId::new(),
            connected_at: now,
            expires_at: now + Connection::MAX_LIFETIME,
        };
        self.store
            .put_connection(&connection)
            .await
            .expect("connection stored");
    }

    fn worker_pushing(
        &self,
        scorer: ConfiguredScorer,
        live: Arc<dyn LiveNotifier>,
    ) -> ScoringWorker {
        let counted_sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&self.stack.config)
                .interceptor(self.counter.clone())
                .build(),
        );
        let queue = Arc::new(SqsQueue::new(
            counted_sqs,
            self.stack.queue_url("ScoringQueue"),
        ));
        let recorder = jobmon_scoring::wiring::recorder_over(
            self.store.clone(),
            Listeners {
                live,
                events: Arc::new(NoEvents),
            },
            PlanCatalog::builtin(),
            shared::ports::SystemClock::shared(),
        );
        let rescorer = jobmon_scoring::wiring::rescorer_over(
            self.store.clone(),
            recorder.clone(),
            queue.clone(),
        );
        ScoringWorker {
            recorder,
            jobs: self.store.clone(),
            rescorer,
            queue,
            scorer,
        }
    }

    /// `n` queued jobs (attempt 1, quota reserved) stored as the fetcher would, a few
    /// chunks at a time, and their `ScoreTask` messages on the scoring queue. Not timed.
    async fn backlog(&self, n: usize) -> (Vec<Job>, Duration) {
        let started = Instant::now();
        let titles = vec![("Senior Rust Engineer", "Rust services on AWS Lambda."); n];
        let jobs: Vec<Job> = stream::iter(titles.chunks(SEED_CHUNK))
            .map(|chunk| seed::queued_jobs(&self.store, self.tenant, chunk))
            .buffer_unordered(SEED_PARALLEL)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        let tasks: Vec<ScoreTask> = jobs
            .iter()
            .map(|job| ScoreTask {
                tenant_id: self.tenant,
                job_id: job.card.id,
                attempt: job.attempt,
            })
            .collect();
        SqsQueue::new(self.stack.sqs.clone(), self.stack.queue_url("ScoringQueue"))
            .send_all(&to_bodies(&tasks))
            .await
            .expect("score tasks sent");
        (jobs, started.elapsed())
    }

    /// Items in the table, as `DescribeTable` reports them (moto counts them live).
    async fn items(&self) -> usize {
        self.stack
            .dynamo
            .describe_table()
            .table_name(self.stack.table())
            .send()
            .await
            .expect("describe table")
            .table()
            .and_then(|t| t.item_count())
            .map_or(0, |n| usize::try_from(n).unwrap_or(0))
    }

    /// Grows the table to `total` items with other tenants' card-sized items (uncounted,
    /// not timed): what a shared table holds besides the tenant being scored.
    async fn fill_to(&self, total: usize) {
        let missing = total.saturating_sub(self.items().await);
        let batches: Vec<Vec<usize>> = (0..missing)
            .collect::<Vec<_>>()
            .chunks(FILL_BATCH)
            .map(<[usize]>::to_vec)
            .collect();
        stream::iter(batches)
            .map(|batch| self.write_filler(batch))
            .buffer_unordered(SEED_PARALLEL)
            .collect::<Vec<()>>()
            .await;
    }

    async fn write_filler(&self, batch: Vec<usize>) {
        let requests = batch.into_iter().map(|i| {
            let item = std::collections::HashMap::from([
                (
                    keys::PK.to_owned(),
                    AttributeValue::S(format!("TENANT#filler-{}", i % 100)),
                ),
                (
                    keys::SK.to_owned(),
                    AttributeValue::S(format!("JOB#{i:08}")),
                ),
                ("entity".to_owned(), AttributeValue::S("filler".into())),
                ("text".to_owned(), AttributeValue::S("x".repeat(FILL_BYTES))),
            ]);
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("item set"),
                )
                .build()
        });
        let out = self
            .stack
            .dynamo
            .batch_write_item()
            .request_items(self.stack.table(), requests.collect())
            .send()
            .await
            .expect("filler written");
        assert!(
            out.unprocessed_items().is_none_or(|u| u.is_empty()),
            "moto left filler items unprocessed"
        );
    }

    /// Up to `max` visible messages with their system attributes, as the event source
    /// mapping hands them to the function.
    async fn receive(&self, max: i32) -> (SqsEvent, Receipts) {
        let out = self
            .stack
            .sqs
            .receive_message()
            .queue_url(self.stack.queue_url("ScoringQueue"))
            .max_number_of_messages(max)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        let mut event = SqsEvent::default();
        let mut receipts = Vec::new();
        for m in out.messages() {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id().map(str::to_owned);
            record.receipt_handle = m.receipt_handle().map(str::to_owned);
            record.body = m.body().map(str::to_owned);
            for (k, v) in m.attributes().into_iter().flatten() {
                record.attributes.insert(k.as_str().to_owned(), v.clone());
            }
            record.event_source = Some("aws:sqs".into());
            receipts.push((
                m.message_id().unwrap_or_default().to_owned(),
                m.receipt_handle().unwrap_or_default().to_owned(),
            ));
            event.records.push(record);
        }
        (event, receipts)
    }

    /// Deletes the messages the response does not list as failures, in one
    /// `DeleteMessageBatch` as Lambda does; returns how many.
    async fn delete_done(&self, receipts: &Receipts, response: &SqsBatchResponse) -> usize {
        let entries: Vec<DeleteMessageBatchRequestEntry> = receipts
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| {
                !response
                    .batch_item_failures
                    .iter()
                    .any(|f| &f.item_identifier == id)
            })
            .map(|(i, (_, receipt))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .build()
                    .expect("id and receipt handle set")
            })
            .collect();
        if entries.is_empty() {
            return 0;
        }
        let out = self
            .stack
            .sqs
            .delete_message_batch()
            .queue_url(self.stack.queue_url("ScoringQueue"))
            .set_entries(Some(entries))
            .send()
            .await
            .expect("delete");
        assert!(
            out.failed().is_empty(),
            "deletes failed: {:?}",
            out.failed()
        );
        out.successful().len()
    }

    /// The next batch of up to `max` messages, polling while none is visible; `None` once
    /// `finished` says so (another loop took the last ones). Panics after [`IDLE_LIMIT`]
    /// without a message.
    async fn next_batch(
        &self,
        max: i32,
        finished: impl Fn() -> bool,
    ) -> Option<(SqsEvent, Receipts)> {
        let idle_since = Instant::now();
        loop {
            if finished() {
                return None;
            }
            let (event, receipts) = self.receive(max).await;
            if !receipts.is_empty() {
                return Some((event, receipts));
            }
            assert!(
                idle_since.elapsed() < IDLE_LIMIT,
                "no scoring message for {} s while jobs are unscored",
                IDLE_LIMIT.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// moto's own time for a `GetItem` and for a one-action `TransactWriteItems` (a
    /// condition check, which plain moto deep-copies the table for all the same) on the table as
    /// it is now, medians of [`PROBES`], with the table's item count: the yardstick for the
    /// times above. Through the uncounted client.
    async fn moto_latency(&self) -> String {
        let dynamo = &self.stack.dynamo;
        let table = self.stack.table();
        let pk = AttributeValue::S(keys::tenant_pk(self.tenant));
        let sk = AttributeValue::S(keys::TENANT_SK.into());
        let mut gets = Vec::with_capacity(PROBES);
        let mut transactions = Vec::with_capacity(PROBES);
        for _ in 0..PROBES {
            let started = Instant::now();
            dynamo
                .get_item()
                .table_name(table)
                .key(keys::PK, pk.clone())
                .key(keys::SK, sk.clone())
                .send()
                .await
                .expect("get item");
            gets.push(started.elapsed());
            let check = ConditionCheck::builder()
                .table_name(table)
                .key(keys::PK, pk.clone())
                .key(keys::SK, sk.clone())
                .condition_expression("attribute_exists(PK)")
                .build()
                .expect("condition check");
            let started = Instant::now();
            dynamo
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().condition_check(check).build())
                .send()
                .await
                .expect("transaction");
            transactions.push(started.elapsed());
        }
        let items = dynamo
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe table")
            .table()
            .and_then(|t| t.item_count())
            .unwrap_or(0);
        format!(
            "moto on this table ({items} items): GetItem {:.1} ms, TransactWriteItems {:.1} ms (medians)",
            percentile(&sorted_ms(&gets), 0.5),
            percentile(&sorted_ms(&transactions), 0.5),
        )
    }

    /// How many of `jobs` are not `scored` (read after the timed part, uncounted).
    async fn unscored(&self, jobs: &[Job]) -> usize {
        let scored: Vec<bool> = stream::iter(jobs)
            .map(|job| async move {
                let stored = self
                    .store
                    .get_job(self.tenant, job.card.id)
                    .await
                    .expect("job readable")
                    .expect("job stored");
                stored.card.status == JobStatus::Scored
            })
            .buffer_unordered(16)
            .collect()
            .await;
        self.counter.take();
        scored.iter().filter(|s| !**s).count()
    }
}

/// The value at `p` (0..=1) of sorted milliseconds (the nearest of the ranks).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn sorted_ms(durations: &[Duration]) -> Vec<f64> {
    let mut v: Vec<f64> = durations.iter().copied().map(ms).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// How the tenant of a per-job run is watched.
#[derive(Clone, Copy, PartialEq)]
enum Watching {
    /// No live updates wired (the figures before issue 21 were taken so).
    NotWired,
    /// The WebSocket notifier, and no socket open.
    NoSocket,
    /// The WebSocket notifier and one open socket.
    OneSocket,
}

impl Watching {
    fn label(self) -> &'static str {
        match self {
            Watching::NotWired => "no live updates wired",
            Watching::NoSocket => "WebSocket notifier, no socket open",
            Watching::OneSocket => "WebSocket notifier, one socket open",
        }
    }
}

/// The DynamoDB requests per scored job the issue allows in the common case.
const DYNAMO_REQUESTS_GOAL: f64 = 3.0;

/// 1. One message per invocation: the handler's wall time minus the time the scorer
///    really slept, and the AWS requests the worker made, per job.
async fn one_at_a_time(watching: Watching) {
    let rig = rig().await;
    let (jobs, seeded) = rig.backlog(ONE_BY_ONE).await;
    let scorer = Arc::new(FixedLatencyScorer::new(SCORER_LATENCY));
    let inline = ConfiguredScorer::Inline(Box::new(scorer.clone()));
    let worker = match watching {
        Watching::NotWired => rig.worker(inline),
        Watching::NoSocket => rig.worker_with_sockets(inline),
        Watching::OneSocket => {
            rig.open_socket().await;
            rig.worker_with_sockets(inline)
        }
    };
    println!(
        "\n1. one job per invocation (batch of 1), {ONE_BY_ONE} jobs, scorer sleeping {} ms, {}",
        SCORER_LATENCY.as_millis(),
        watching.label()
    );
    println!(
        "  seeded {ONE_BY_ONE} queued jobs and their messages in {:.1} s (not timed)",
        seeded.as_secs_f64()
    );

    let mut overhead = Vec::with_capacity(ONE_BY_ONE);
    let mut scorer_time = Vec::with_capacity(ONE_BY_ONE);
    rig.counter.take();
    while overhead.len() < ONE_BY_ONE {
        let (event, receipts) = rig.next_batch(1, || false).await.expect("a message");
        let slept_before = scorer.slept();
        let started = Instant::now();
        let response = worker_scorer::handle(&worker, event).await;
        let wall = started.elapsed();
        let slept = scorer.slept() - slept_before;
        assert!(
            response.batch_item_failures.is_empty(),
            "a job failed to score: its time would not be the pipeline's"
        );
        rig.delete_done(&receipts, &response).await;
        overhead.push(wall.saturating_sub(slept));
        scorer_time.push(slept);
    }
    let tally = rig.counter.take();
    assert_eq!(rig.unscored(&jobs).await, 0, "every job scored");

    let overhead = sorted_ms(&overhead);
    let per_job = |n: u64| n as f64 / ONE_BY_ONE as f64;
    println!("  handler wall time minus scorer time, per job:");
    println!(
        "    median                     {:>7.1} ms",
        percentile(&overhead, 0.5)
    );
    println!(
        "    p95                        {:>7.1} ms",
        percentile(&overhead, 0.95)
    );
    println!("    mean                       {:>7.1} ms", mean(&overhead));
    println!(
        "  scorer time, measured mean   {:>7.1} ms (subtracted job by job)",
        mean(&scorer_time.iter().copied().map(ms).collect::<Vec<_>>())
    );
    println!(
        "  AWS requests per job         {:>7.2}",
        per_job(tally.total_requests())
    );
    for (op, n) in &tally.requests {
        println!("    {op:<26} {:>7.2}", per_job(*n));
    }
    let dynamo = tally.dynamo_requests();
    println!(
        "  DynamoDB requests per job    {:>7.2}   (goal <= {DYNAMO_REQUESTS_GOAL} without a socket open)",
        per_job(dynamo)
    );
    println!(
        "  items written per job        {:>7.1}",
        per_job(tally.items_written)
    );
    println!(
        "  write capacity per job       {:>7.1} WCU (est.)",
        tally.write_units / ONE_BY_ONE as f64
    );
    println!(
        "  (the worker's requests only: receive and delete are the event source mapping's, and\n   pushes go to API Gateway's @connections, not DynamoDB; no EventBridge events here)"
    );
    println!("  {}", rig.moto_latency().await);
}

/// What one receive-invoke-delete loop saw.
#[derive(Default)]
struct Poller {
    /// The handler's time per batch.
    batches: Vec<Duration>,
    /// When its last batch was deleted.
    last: Option<Instant>,
}

/// Receives batches of up to [`BATCH`], invokes the handler and deletes what succeeded,
/// until `done` reaches `n`. Messages reported as failures stay on the queue and come back
/// after their visibility timeout; `retried` counts them.
async fn poll(
    rig: &Rig,
    worker: &ScoringWorker,
    n: usize,
    done: &AtomicUsize,
    retried: &AtomicUsize,
) -> Poller {
    let mut poller = Poller::default();
    let finished = || done.load(Ordering::SeqCst) >= n;
    while let Some((event, receipts)) = rig.next_batch(BATCH, finished).await {
        let started = Instant::now();
        let response = worker_scorer::handle(worker, event).await;
        poller.batches.push(started.elapsed());
        let deleted = rig.delete_done(&receipts, &response).await;
        retried.fetch_add(receipts.len() - deleted, Ordering::SeqCst);
        done.fetch_add(deleted, Ordering::SeqCst);
        poller.last = Some(Instant::now());
    }
    poller
}

/// 2. A backlog of `n` jobs drained in batches by `pollers` concurrent loops, on a table
///    first filled to `fill` items (0: just the backlog, and more when the backlog alone
///    is more); jobs per second and the table's items when draining began.
async fn throughput(
    label: &str,
    scorer: ConfiguredScorer,
    n: usize,
    pollers: usize,
    fill: usize,
) -> (f64, usize) {
    let rig = rig().await;
    let (jobs, seeded) = rig.backlog(n).await;
    let filling = Instant::now();
    rig.fill_to(fill).await;
    let worker = rig.worker(scorer);
    let items = rig.items().await;
    println!("\n2. {n} queued jobs, batches of up to {BATCH}, {pollers} poller(s), {label}");
    println!(
        "  seeded {n} queued jobs and their messages in {:.1} s, the table filled to {items} items in {:.1} s (not timed)",
        seeded.as_secs_f64(),
        filling.elapsed().as_secs_f64()
    );

    let done = AtomicUsize::new(0);
    let retried = AtomicUsize::new(0);
    rig.counter.take();
    let started = Instant::now();
    let loops = join_all((0..pollers).map(|_| poll(&rig, &worker, n, &done, &retried))).await;
    let finished = loops.iter().filter_map(|p| p.last).max().unwrap_or(started);
    let total = finished - started;
    let tally = rig.counter.take();
    assert_eq!(rig.unscored(&jobs).await, 0, "every job scored");

    let batches: Vec<Duration> = loops.iter().flat_map(|p| p.batches.clone()).collect();
    let sorted = sorted_ms(&batches);
    println!(
        "  total                        {:>7.1} s",
        total.as_secs_f64()
    );
    let rate = n as f64 / total.as_secs_f64();
    println!("  throughput                   {rate:>7.1} jobs/s");
    println!("  batches handled              {:>7}", batches.len());
    println!(
        "  handler time per batch, p50  {:>7.1} ms",
        percentile(&sorted, 0.5)
    );
    println!(
        "  handler time per batch, p95  {:>7.1} ms",
        percentile(&sorted, 0.95)
    );
    println!(
        "  messages retried             {:>7}",
        retried.load(Ordering::SeqCst)
    );
    println!(
        "  AWS requests per job         {:>7.1}",
        tally.total_requests() as f64 / n as f64
    );
    println!("  {}", rig.moto_latency().await);
    (rate, items)
}

/// 3. The built-in profile scorer on a table of 1,000 items and on one of 20,000: the
///    local stack must not slow down as it fills.
async fn growth(pollers: usize) {
    let n = growth_jobs();
    let mut rates = Vec::new();
    for size in GROWTH_SIZES {
        let label = format!("built-in profile scorer, table filled to {size} items");
        let scorer = ConfiguredScorer::Inline(Box::new(ProfileScorer));
        rates.push(throughput(&label, scorer, n, pollers, size).await);
    }
    let ratio = rates[1].0 / rates[0].0;
    println!("\n3. scoring as the table grows (built-in profile scorer, {n} jobs per size)");
    for (rate, items) in &rates {
        println!(
            "  at {items:>6} items                {rate:>7.1} jobs/s   (goal >= {GROWTH_RATE_GOAL} jobs/s)"
        );
    }
    println!(
        "  ratio {}/{}             {ratio:>7.2}          (goal >= {GROWTH_RATIO_GOAL})",
        rates[1].1, rates[0].1
    );
}

pub async fn run() {
    let n = backlog();
    let pollers = pollers();
    println!(
        "scoring benchmark: worker-scorer's handler on real SQS messages, DynamoDB and SQS in moto on 127.0.0.1"
    );
    println!(
        "(no events; live updates as each section says; real DynamoDB latencies differ from\n moto's: read the request counts as the cost, the times as this machine's moto)"
    );
    for watching in [Watching::NotWired, Watching::NoSocket, Watching::OneSocket] {
        one_at_a_time(watching).await;
    }
    let fixed = format!("scorer sleeping {} ms", SCORER_LATENCY.as_millis());
    throughput(
        &fixed,
        ConfiguredScorer::Inline(Box::new(FixedLatencyScorer::new(SCORER_LATENCY))),
        n,
        pollers,
        0,
    )
    .await;
    throughput(
        "built-in profile scorer (no wait)",
        ConfiguredScorer::Inline(Box::new(ProfileScorer::default())),
        n,
        pollers,
        0,
    )
    .await;
    growth(pollers).await;
    println!(
        "\nthroughput is wall time from the first receive to the last delete, {pollers} receive-invoke-delete\nloop(s) in this process (one loop: one Lambda instance working through the queue);\nthe 10 messages of a batch are handled concurrently, as the handler does on Lambda"
    );
}
