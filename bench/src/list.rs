//! The job list of a tenant with 10,000 jobs: the first page, a filtered page
//! (`status=scored&minScore=7`) and a search, each through its index — latency (p50/p95,
//! against moto) and the read capacity it consumes next to the minimum (the items it
//! returns) — with a naive whole-partition read as the baseline, in the same run; then
//! every filter combination the dashboard offers (status × score range × source, newest
//! and by score): items read per item returned on its first page, against the naive read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use jobmon_tests::TestStack;
use jobmon_tests::seed;
use shared::adapters::DynamoStore;
use shared::adapters::dynamo::keys;
use shared::config::SecretKey;
use shared::domain::{Job, JobId, JobStatus, Score, SourceId, TenantId};
use shared::ports::{IngestStore, JobQuery, JobSort, JobStore, PageRequest};

use crate::counting::Counter;

/// Jobs of the tenant; `JOBMON_BENCH_JOBS` changes it for a quick run.
fn job_count() -> usize {
    std::env::var("JOBMON_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

const RUNS: usize = 5;
pub(crate) const PAGE: u16 = 25;
/// One job in this many mentions the searched word.
const RARE: usize = 50;

/// Job `i`: 70 % scored (scores spread over 1..=10), 20 % new, 10 % archived; one in
/// [`RARE`] mentions "kubernetes"; created over the last 100 days.
fn job(tenant: TenantId, sources: &[SourceId; 3], i: usize) -> Job {
    let status = match i % 10 {
        0 | 1 => JobStatus::New,
        2 => JobStatus::Archived,
        _ => JobStatus::Scored,
    };
    let description = if i.is_multiple_of(RARE) {
        "Operate kubernetes clusters and build Rust services on AWS."
    } else {
        "Build Rust services on AWS Lambda with DynamoDB and SQS, write tests, review code."
    };
    let titles = [
        "Backend Engineer",
        "Platform Engineer",
        "Data Engineer",
        "SRE",
    ];
    let mut job = seed::job(tenant, i, titles[i % titles.len()], description, status);
    let created = Utc::now() - chrono::Duration::minutes((i * 14) as i64);
    job.card.id = JobId::from(ulid::Ulid::from_datetime(created.into()));
    job.card.created_at = created;
    // One source in three of the jobs each (not in step with the statuses).
    job.card.source_id = sources[(i / 7) % 3];
    if status != JobStatus::New {
        job.card.score = Score::new(((i * 7) % 10 + 1) as i64).ok();
        job.card.scored_at = Some(created);
    }
    job
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Read units DynamoDB charges an eventually consistent `Query`: the evaluated items'
/// size, in 4 KB units, halved.
fn read_units(items: u64, average_bytes: f64) -> f64 {
    ((items as f64 * average_bytes) / 4096.0).ceil() / 2.0
}

struct Figures {
    name: &'static str,
    latencies: Vec<Duration>,
    returned: u64,
    read: u64,
}

impl Figures {
    fn print(&self, average_bytes: f64) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let runs = self.latencies.len() as u64;
        let returned = self.returned / runs;
        let read = self.read / runs;
        println!(
            "  {:<34} p50 {:>7.1} ms  p95 {:>7.1} ms  returned {:>5}  read {:>6}  ~{:>7.1} RCU (minimum {:.1})",
            self.name,
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.95),
            returned,
            read,
            read_units(read, average_bytes),
            read_units(returned, average_bytes),
        );
    }
}

async fn measure(
    store: &DynamoStore,
    counter: &Counter,
    tenant: TenantId,
    name: &'static str,
    query: &JobQuery,
) -> Figures {
    let mut f = Figures {
        name,
        latencies: Vec::new(),
        returned: 0,
        read: 0,
    };
    for _ in 0..RUNS {
        counter.take();
        let started = Instant::now();
        let page = store
            .list_jobs(tenant, query, &PageRequest::first(PAGE))
            .await
            .expect("list");
        f.latencies.push(started.elapsed());
        let tally = counter.take();
        assert!(page.items.len() <= usize::from(PAGE));
        f.returned += page.items.len() as u64;
        f.read += tally.items_read;
    }
    f
}

/// The naive way: read the tenant's whole partition of job cards and filter in the query,
/// until a page is full (or the partition ends).
async fn naive(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    counter: &Counter,
    tenant: TenantId,
    name: &'static str,
    filter: Option<(&str, Vec<(&str, AttributeValue)>)>,
) -> Figures {
    let mut f = Figures {
        name,
        latencies: Vec::new(),
        returned: 0,
        read: 0,
    };
    for _ in 0..RUNS.min(3) {
        counter.take();
        let started = Instant::now();
        let matched = naive_read(client, table, tenant, filter.as_ref(), false).await;
        f.latencies.push(started.elapsed());
        let tally = counter.take();
        f.returned += matched.min(usize::from(PAGE)) as u64;
        f.read += tally.items_read;
    }
    f
}

/// Reads the tenant's partition of job cards newest first, with `filter` (which may name
/// `#status`), until a page's worth matched, or to its end when `whole`; how many matched.
pub(crate) async fn naive_read<K: AsRef<str>>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    tenant: TenantId,
    filter: Option<&(impl AsRef<str>, Vec<(K, AttributeValue)>)>,
    whole: bool,
) -> usize {
    let mut start = None;
    let mut matched = 0usize;
    loop {
        let mut request = client
            .query()
            .table_name(table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :job)")
            .expression_attribute_values(":pk", AttributeValue::S(keys::tenant_pk(tenant)))
            .expression_attribute_values(":job", AttributeValue::S(keys::JOB_SK_PREFIX.into()))
            .scan_index_forward(false)
            .set_exclusive_start_key(start.take());
        if let Some((expression, values)) = filter {
            request = request
                .filter_expression(expression.as_ref())
                .expression_attribute_names("#status", "status");
            for (k, v) in values {
                request = request.expression_attribute_values(k.as_ref(), v.clone());
            }
        }
        let out = request.send().await.expect("naive query");
        matched += out.items().len();
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() && (whole || matched < usize::from(PAGE)) => start = Some(k),
            _ => return matched,
        }
    }
}

/// The three queries answered the naive way, for comparison.
async fn naive_baseline(
    dynamo: &aws_sdk_dynamodb::Client,
    table: &str,
    counter: &Counter,
    tenant: TenantId,
) -> Vec<Figures> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    println!(" naive baseline (the tenant's partition, filtered, read until a page is full):");
    vec![
        naive(
            dynamo,
            table,
            counter,
            tenant,
            "first page",
            Some(("#status <> :a", vec![(":a", s("archived"))])),
        )
        .await,
        naive(
            dynamo,
            table,
            counter,
            tenant,
            "status=scored&minScore=7",
            Some((
                "#status = :s AND score >= :m",
                vec![(":s", s("scored")), (":m", AttributeValue::N("7".into()))],
            )),
        )
        .await,
        naive(
            dynamo,
            table,
            counter,
            tenant,
            "q=kubernetes",
            Some((
                "#status <> :a AND contains(words, :w)",
                vec![(":a", s("archived")), (":w", s("kubernetes"))],
            )),
        )
        .await,
    ]
}

pub async fn run() {
    let n = job_count();
    println!("job list: one tenant with {n} jobs (moto; {RUNS} runs per query, pages of {PAGE})");
    let stack = TestStack::new().await;
    let counter = Counter::default();
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.config)
            .interceptor(counter.clone())
            .build(),
    );
    let store = Arc::new(DynamoStore::new(
        dynamo.clone(),
        stack.table(),
        SecretKey::new(&[3u8; 32]).expect("32 bytes").cursor_codec(),
    ));
    let tenant = seed::tenant(&store, "enterprise").await.id;
    let sources = [SourceId::new(), SourceId::new(), SourceId::new()];
    let started = Instant::now();
    let jobs: Vec<Job> = (0..n).map(|i| job(tenant, &sources, i)).collect();
    for chunk in jobs.chunks(500) {
        store.insert_jobs(chunk).await.expect("seed");
    }
    counter.take();
    println!(
        "  seeded in {:.1} s (BatchWriteItem)",
        started.elapsed().as_secs_f64()
    );

    let first = JobQuery::default();
    let filtered = JobQuery {
        status: Some(JobStatus::Scored),
        min_score: Score::new(7).ok(),
        ..JobQuery::default()
    };
    let best = JobQuery {
        status: Some(JobStatus::Scored),
        min_score: Score::new(7).ok(),
        sort: JobSort::Score,
        ..JobQuery::default()
    };
    let search = JobQuery {
        words: vec!["kubernetes".into()],
        ..JobQuery::default()
    };
    // The average card size, measured on a page of 100.
    counter.take();
    store
        .list_jobs(tenant, &first, &PageRequest::first(100))
        .await
        .expect("list");
    let tally = counter.take();
    let average = tally.bytes_returned as f64 / tally.items_returned.max(1) as f64;
    println!("  average job card: {average:.0} bytes (with its search words)");
    println!(" through the indexes:");
    for (name, query) in [
        ("first page", &first),
        ("status=scored&minScore=7", &filtered),
        ("  … &sort=score", &best),
        ("q=kubernetes", &search),
    ] {
        measure(&store, &counter, tenant, name, query)
            .await
            .print(average);
    }
    let table = stack.table().to_owned();
    let baseline = naive_baseline(&dynamo, &table, &counter, tenant).await;
    for f in &baseline {
        f.print(average);
    }
    println!(
        "  note: the naive search for a rare word must read ~{} items for one page; the indexed one\n  reads at most {} a request (LIST_READ_BUDGET) and hands back a cursor.",
        usize::from(PAGE) * RARE,
        shared::ports::LIST_READ_BUDGET
    );
    println!(
        "  moto's latencies are not DynamoDB's; the items read and read units are what DynamoDB would charge."
    );
    crate::list_combinations::run(&store, &dynamo, &table, &counter, tenant, sources[1]).await;
}
