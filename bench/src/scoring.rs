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

use crate::counting::{Counter, Tally};

mod rig;

use rig::{Rig, rig};

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

/// The value at `p` (0..=1) of sorted milliseconds (the nearest of the ranks).
pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(super) fn sorted_ms(durations: &[Duration]) -> Vec<f64> {
    let mut v: Vec<f64> = durations.iter().copied().map(ms).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// How the tenant of a per-job run is watched.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Watching {
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

/// What scoring `n` jobs one message per invocation cost: the worker's AWS requests (the
/// tally), and per job the handler's wall time minus the scorer's and the scorer's time.
pub(crate) struct PerJob {
    pub tally: Tally,
    pub overhead: Vec<Duration>,
    pub scorer_time: Vec<Duration>,
    /// moto's own latency, to read the times against.
    pub moto: String,
}

/// Scores `n` seeded jobs one message per invocation with a scorer sleeping `latency`,
/// the tenant watched as `watching` says.
pub(crate) async fn score_one_by_one(n: usize, latency: Duration, watching: Watching) -> PerJob {
    let rig = rig().await;
    let (jobs, seeded) = rig.backlog(n).await;
    let scorer = Arc::new(FixedLatencyScorer::new(latency));
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
        "  seeded {n} queued jobs and their messages in {:.1} s (not timed)",
        seeded.as_secs_f64()
    );
    let mut overhead = Vec::with_capacity(n);
    let mut scorer_time = Vec::with_capacity(n);
    rig.counter.take();
    while overhead.len() < n {
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
    PerJob {
        tally,
        overhead,
        scorer_time,
        moto: rig.moto_latency().await,
    }
}

/// 1. One message per invocation: the handler's wall time minus the time the scorer
///    really slept, and the AWS requests the worker made, per job.
async fn one_at_a_time(watching: Watching) {
    println!(
        "\n1. one job per invocation (batch of 1), {ONE_BY_ONE} jobs, scorer sleeping {} ms, {}",
        SCORER_LATENCY.as_millis(),
        watching.label()
    );
    let PerJob {
        tally,
        overhead,
        scorer_time,
        moto,
    } = score_one_by_one(ONE_BY_ONE, SCORER_LATENCY, watching).await;
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
    println!("  {moto}");
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
        let scorer = ConfiguredScorer::Inline(Box::new(ProfileScorer::default()));
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

/// Section 3 alone, for a quicker look at the local stack's pace.
pub async fn growth_only() {
    println!("scoring benchmark, growth only: worker-scorer's handler against moto on 127.0.0.1");
    growth(pollers()).await;
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
