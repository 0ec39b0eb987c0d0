//! `make cost`: what jobmon costs to run on AWS, from what the code really does. The
//! request, item and write-capacity counts are measured here (a fetch of 1,000 new
//! postings, a refetch with nothing new, 100 jobs scored one by one, all against moto
//! through the counting interceptor); the prices are us-east-1 on-demand list prices
//! ([`PRICES_AS_OF`]); the few figures that cannot be measured here are named assumptions.
//!
//! Lambda time is modelled, not taken from the moto run: an invocation of these functions
//! mostly waits on its AWS calls, so its duration is its measured request count times
//! [`AWS_REQUEST_MS`] (DynamoDB's and SQS's typical in-region latency). moto in a debug
//! build on a shared machine answers 10–100× slower; its times are printed for reference
//! only. A model scorer's waiting time is a parameter ([`MODEL_SCORER_SECONDS`]); the
//! model provider's own bill is not AWS's.

use std::time::{Duration, Instant};

use jobmon_template::{EventKind, Template};
use jobmon_tests::TestStack;
use jobmon_tests::fixture::greenhouse_board;
use shared::domain::PlanCatalog;
use shared::telemetry::MetricSet;

use crate::counting::Tally;
use crate::{ingest, scoring};

pub const PRICES_AS_OF: &str =
    "2025-06 (us-east-1 on-demand list prices; re-check before relying on them)";

/// USD.
struct Prices {
    dynamo_write_per_million: f64,
    dynamo_read_per_million: f64,
    sqs_per_million: f64,
    lambda_gb_second: f64,
    lambda_per_million: f64,
    http_api_per_million: f64,
    eventbridge_per_million: f64,
    logs_ingest_per_gb: f64,
    xray_per_million_traces: f64,
    custom_metric_month: f64,
    alarm_month: f64,
    dashboard_month: f64,
}

const PRICES: Prices = Prices {
    dynamo_write_per_million: 0.625,
    dynamo_read_per_million: 0.125,
    sqs_per_million: 0.40,
    lambda_gb_second: 0.000_013_333_4, // arm64
    lambda_per_million: 0.20,
    http_api_per_million: 1.00,
    eventbridge_per_million: 1.00,
    logs_ingest_per_gb: 0.50,
    xray_per_million_traces: 5.00,
    custom_metric_month: 0.30,
    alarm_month: 0.10,
    dashboard_month: 3.00,
};

/// template.yaml's MemorySize of the fetcher and the scorer (GB).
const FETCHER_GB: f64 = 0.5;
const SCORER_GB: f64 = 0.5;
/// The scoring queue's batch size in template.yaml.
const SCORING_BATCH: f64 = 10.0;
/// Assumptions, printed with the table.
const AWS_REQUEST_MS: f64 = 10.0;
const MODEL_SCORER_SECONDS: f64 = 1.5;
const LOG_BYTES_PER_INVOCATION: f64 = 1_500.0;
const XRAY_SAMPLED: f64 = 0.05;
const API_REQUESTS_PER_TENANT_MONTH: f64 = 3_000.0;
const SECONDS_PER_MONTH: f64 = 30.0 * 24.0 * 3600.0;

/// What one unit of work costs, in AWS requests, capacity and time.
#[derive(Debug, Default, Clone, Copy)]
struct Work {
    write_units: f64,
    read_requests: f64,
    sqs_requests: f64,
    events: f64,
    invocations: f64,
    gb_seconds: f64,
    log_bytes: f64,
}

impl Work {
    fn from_tally(t: &Tally, per: f64) -> Work {
        let sqs: u64 = t
            .requests
            .iter()
            .filter(|(op, _)| op.contains("Message") || op.contains("Queue"))
            .map(|(_, n)| n)
            .sum();
        // A read request is charged at least one read unit (4 KiB, strongly consistent
        // worst case); the tally's Query counts add what was scanned beyond one item.
        let reads = (t.total_requests() - t.writes() - sqs) as f64
            + t.items_read
                .saturating_sub(t.requests.get("Query").copied().unwrap_or(0)) as f64;
        Work {
            write_units: t.write_units / per,
            read_requests: reads / per,
            sqs_requests: sqs as f64 / per,
            ..Work::default()
        }
    }

    fn scaled(self, k: f64) -> Work {
        Work {
            write_units: self.write_units * k,
            read_requests: self.read_requests * k,
            sqs_requests: self.sqs_requests * k,
            events: self.events * k,
            invocations: self.invocations * k,
            gb_seconds: self.gb_seconds * k,
            log_bytes: self.log_bytes * k,
        }
    }

    fn plus(self, o: Work) -> Work {
        Work {
            write_units: self.write_units + o.write_units,
            read_requests: self.read_requests + o.read_requests,
            sqs_requests: self.sqs_requests + o.sqs_requests,
            events: self.events + o.events,
            invocations: self.invocations + o.invocations,
            gb_seconds: self.gb_seconds + o.gb_seconds,
            log_bytes: self.log_bytes + o.log_bytes,
        }
    }

    /// USD by line item: DynamoDB, SQS, Lambda, EventBridge, Logs, X-Ray.
    fn dollars(&self) -> [f64; 6] {
        let p = &PRICES;
        [
            self.write_units * p.dynamo_write_per_million / 1e6
                + self.read_requests * p.dynamo_read_per_million / 1e6,
            self.sqs_requests * p.sqs_per_million / 1e6,
            self.gb_seconds * p.lambda_gb_second + self.invocations * p.lambda_per_million / 1e6,
            self.events * p.eventbridge_per_million / 1e6,
            self.log_bytes / 1e9 * p.logs_ingest_per_gb,
            self.invocations * XRAY_SAMPLED * p.xray_per_million_traces / 1e6,
        ]
    }
}

/// Bytes of one EMF document of each flow, as the functions print them.
fn emf_bytes() -> (f64, f64) {
    let size = |set: MetricSet| {
        set.documents(0)
            .iter()
            .map(|d| d.to_string().len() + 1)
            .sum::<usize>() as f64
    };
    let fetch = size(
        MetricSet::for_function("jobmon-WorkerFetcherFunction-ABCDEFGHIJKL")
            .dimension("source_kind", "greenhouse")
            .count("Fetches", 1)
            .count("PostingsSeen", 2000)
            .count("PostingsNew", 10)
            .millis("FetchDuration", Duration::from_millis(812))
            .property("outcome", "fetched")
            .property("tenant_id", "01JABCDEFGHJKMNPQRSTVWXYZ0"),
    ) + size(
        MetricSet::for_function("jobmon-WorkerFetcherFunction-ABCDEFGHIJKL")
            .count("PostingsDuplicate", 1990)
            .count("JobsAdmitted", 10)
            .count("JobsPendingUpgrade", 0)
            .property("outcome", "fetched")
            .property("tenant_id", "01JABCDEFGHJKMNPQRSTVWXYZ0"),
    );
    let scoring = size(
        MetricSet::for_function("jobmon-WorkerScorerFunction-ABCDEFGHIJKL")
            .count("PregateChecks", 1)
            .count("ScorerCallsAvoided", 0),
    ) + size(
        MetricSet::for_function("jobmon-WorkerScorerFunction-ABCDEFGHIJKL")
            .dimension("scorer", "openai")
            .count("Scorings", 1)
            .millis("ScoringLatency", Duration::from_millis(1500))
            .property("tenant_id", "01JABCDEFGHJKMNPQRSTVWXYZ0"),
    );
    (fetch, scoring)
}

/// Lambda seconds for the requests of `t`, one after another.
fn busy_secs(t: &Tally) -> f64 {
    t.total_requests() as f64 * AWS_REQUEST_MS / 1000.0
}

fn row(label: &str, work: &Work, extra: f64) -> f64 {
    let d = work.dollars();
    let total = d.iter().sum::<f64>() + extra;
    println!(
        "  {label:<34} {:>9.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.4}",
        d[0], d[1], d[2], d[3], d[4], d[5], extra, total
    );
    total
}

fn header(extra: &str) {
    println!(
        "  {:<34} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "", "DynamoDB", "SQS", "Lambda", "Events", "Logs", "X-Ray", extra, "total $"
    );
}

/// The three measured workloads, as [`Work`] per unit.
struct Measured {
    /// Per new posting of a fetch.
    per_posting: Work,
    /// Per fetch, whatever it brings (a refetch with nothing new).
    per_fetch: Work,
    /// Per scored job (profile scorer).
    per_job: Work,
}

async fn measure() -> Measured {
    let (fetch_emf, scoring_emf) = emf_bytes();
    // Fetching: 1,000 new postings in one fetch, then the same board with nothing new.
    let stack = TestStack::new().await;
    let rig = ingest::rig(&stack).await;
    rig.board.set(
        "/v1/boards/cost/jobs",
        200,
        greenhouse_board("cost", 0..1000),
    );
    let task = ingest::tenant_with_source(&rig, "cost").await;
    rig.counter.take();
    let started = Instant::now();
    let report = rig.fetch.run(&task).await.expect("fetch");
    let fetch_secs = started.elapsed().as_secs_f64();
    let fresh = rig.counter.take();
    let started = Instant::now();
    rig.fetch.run(&task).await.expect("refetch");
    let refetch_secs = started.elapsed().as_secs_f64();
    let unchanged = rig.counter.take();
    assert_eq!(report.new, 1000);

    // Scoring: 100 jobs one by one with an instant scorer (the worker's own work).
    let scored = scoring::score_one_by_one(100, Duration::ZERO, scoring::Watching::NoSocket).await;
    let overhead_secs = scored
        .overhead
        .iter()
        .map(Duration::as_secs_f64)
        .sum::<f64>()
        / 100.0;

    println!(
        "\nmeasured against moto (times for reference only; Lambda time is modelled as {AWS_REQUEST_MS} ms per AWS request):"
    );
    println!(
        "  fetch of 1,000 new postings: {} requests, {:.0} WCU, {:.2} s;  refetch with nothing new: {} requests, {:.0} WCU, {:.2} s",
        fresh.total_requests(),
        fresh.write_units,
        fetch_secs,
        unchanged.total_requests(),
        unchanged.write_units,
        refetch_secs
    );
    println!(
        "  scoring, per job: {:.1} requests, {:.1} WCU, {:.1} ms of worker time",
        scored.tally.total_requests() as f64 / 100.0,
        scored.tally.write_units / 100.0,
        overhead_secs * 1000.0
    );
    println!(
        "  EMF bytes: {fetch_emf:.0} per fetch, {scoring_emf:.0} per scoring; other log lines assumed {LOG_BYTES_PER_INVOCATION:.0} B per invocation"
    );
    let per_posting = Work {
        invocations: 1.0 / 1000.0,
        gb_seconds: busy_secs(&fresh) * FETCHER_GB / 1000.0,
        log_bytes: (LOG_BYTES_PER_INVOCATION + fetch_emf) / 1000.0,
        ..Work::from_tally(&fresh, 1000.0)
    };
    let per_fetch = Work {
        invocations: 1.0,
        gb_seconds: busy_secs(&unchanged) * FETCHER_GB,
        log_bytes: LOG_BYTES_PER_INVOCATION + fetch_emf,
        ..Work::from_tally(&unchanged, 1.0)
    };
    let from_worker = Work::from_tally(&scored.tally, 100.0);
    let per_job = Work {
        // The event source mapping's receive and delete, one of each per batch.
        sqs_requests: from_worker.sqs_requests + 2.0 / SCORING_BATCH,
        events: 1.0, // JobScored on EventBridge
        invocations: 1.0 / SCORING_BATCH,
        gb_seconds: busy_secs(&scored.tally) / 100.0 * SCORER_GB,
        log_bytes: LOG_BYTES_PER_INVOCATION / SCORING_BATCH + scoring_emf,
        ..from_worker
    };
    Measured {
        per_posting,
        per_fetch,
        per_job,
    }
}

pub async fn run() {
    println!("cost model: prices {PRICES_AS_OF}");
    let m = measure().await;

    println!("\nper 1,000 postings fetched and scored (USD)");
    header("");
    let thousand = m.per_posting.plus(m.per_job).scaled(1000.0);
    row("profile scorer", &thousand, 0.0);
    let model_wait = Work {
        gb_seconds: MODEL_SCORER_SECONDS * SCORER_GB,
        ..Work::default()
    };
    row(
        &format!("model scorer ({MODEL_SCORER_SECONDS} s a call, AWS only)"),
        &thousand.plus(model_wait.scaled(1000.0)),
        0.0,
    );

    println!(
        "\nper tenant per month at the plan's limits (USD): every source fetched on the plan's interval, the month's scored jobs used, {API_REQUESTS_PER_TENANT_MONTH:.0} API requests"
    );
    header("API");
    let api = API_REQUESTS_PER_TENANT_MONTH
        * (PRICES.http_api_per_million + PRICES.lambda_per_million)
        / 1e6;
    for plan in PlanCatalog::builtin().plans() {
        let fetches =
            plan.max_sources as f64 * SECONDS_PER_MONTH / 60.0 / plan.fetch_interval_minutes as f64;
        let jobs = plan.monthly_scored_jobs as f64;
        let work = m
            .per_fetch
            .scaled(fetches)
            .plus(m.per_posting.plus(m.per_job).scaled(jobs));
        let label = format!(
            "{} ({} sources, {} jobs)",
            plan.id, plan.max_sources, plan.monthly_scored_jobs
        );
        row(&label, &work, api);
    }
    print_fixed();
}

/// What a deployment costs with no tenant: the schedule, the queues' long polls, the
/// alarms, the metrics and the dashboard. Functions, alarms and queue consumers are counted
/// in template.yaml, so the figure follows the template.
fn print_fixed() {
    let template = match Template::locate().and_then(Template::from_file) {
        Ok(t) => t,
        Err(e) => {
            println!("\nfixed per deployment: template.yaml not readable ({e})");
            return;
        }
    };
    let alarms = template
        .resources()
        .values()
        .filter(|r| r.resource_type == "AWS::CloudWatch::Alarm")
        .count() as f64;
    let consumers = template
        .functions()
        .iter()
        .flat_map(|f| &f.events)
        .filter(|e| matches!(e.kind, EventKind::Sqs(_)))
        .count() as f64;
    let metric_series = 60.0;
    let dispatcher = Work {
        invocations: SECONDS_PER_MONTH / 300.0,
        gb_seconds: SECONDS_PER_MONTH / 300.0 * 0.2 * 0.256,
        ..Work::default()
    };
    // Lambda polls each SQS queue it consumes with ~5 long polls of 20 s at a time.
    let polls = consumers * 5.0 * SECONDS_PER_MONTH / 20.0;
    let fixed = dispatcher.dollars().iter().sum::<f64>()
        + polls * PRICES.sqs_per_million / 1e6
        + alarms * PRICES.alarm_month
        + metric_series * PRICES.custom_metric_month
        + PRICES.dashboard_month;
    println!(
        "\nfixed per deployment per month: {fixed:.2} USD ({alarms:.0} alarms, ~{metric_series:.0} custom metric series, 1 dashboard, the 5-minute dispatcher, {polls:.0} empty SQS long polls; free tiers not deducted)"
    );
}
