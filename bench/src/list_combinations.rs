//! Every filter combination the dashboard offers — status × score range × source, newest
//! and by score — on the first page of 25: items read per item returned through the list
//! indexes (goal: at most 2), and the same page read the naive way (the tenant's partition,
//! filtered, until the page is full; in score order, the whole partition, since it must be
//! sorted), in the same run. docs/data-model.md, "Job list", explains the key design.

use aws_sdk_dynamodb::types::AttributeValue;
use shared::adapters::DynamoStore;
use shared::domain::{JobStatus, Score, SourceId, TenantId};
use shared::ports::{JobQuery, JobSort, JobStore, PageRequest};

use crate::counting::Counter;
use crate::list::{PAGE, naive_read};

const GOAL: f64 = 2.0;

fn combinations(source: SourceId) -> Vec<(String, JobQuery)> {
    let statuses = [
        None,
        Some(JobStatus::Scored),
        Some(JobStatus::New),
        Some(JobStatus::Archived),
    ];
    let score = |v| Score::new(v).ok();
    let ranges = [
        ("", None, None),
        ("minScore=7", score(7), None),
        ("minScore=4&maxScore=6", score(4), score(6)),
    ];
    let mut out = Vec::new();
    for status in statuses {
        for (range, min_score, max_score) in ranges {
            for by_source in [false, true] {
                for sort in [JobSort::Newest, JobSort::Score] {
                    let mut name: Vec<String> = Vec::new();
                    if let Some(s) = status {
                        name.push(format!("status={s}"));
                    }
                    if !range.is_empty() {
                        name.push(range.to_owned());
                    }
                    if by_source {
                        name.push("sourceId=…".into());
                    }
                    if sort == JobSort::Score {
                        name.push("sort=score".into());
                    }
                    let name = if name.is_empty() {
                        "(none)".to_owned()
                    } else {
                        name.join("&")
                    };
                    let query = JobQuery {
                        status,
                        min_score,
                        max_score,
                        source: by_source.then_some(source),
                        sort,
                        ..JobQuery::default()
                    };
                    out.push((name, query));
                }
            }
        }
    }
    out
}

/// The naive filter for `query` on the tenant's partition.
fn naive_filter(query: &JobQuery) -> (String, Vec<(String, AttributeValue)>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    let s = |v: String| AttributeValue::S(v);
    match query.status {
        Some(st) => {
            parts.push("#status = :st".to_owned());
            values.push((":st".to_owned(), s(st.as_str().into())));
        }
        None => {
            parts.push("#status <> :st".to_owned());
            values.push((":st".to_owned(), s("archived".into())));
        }
    }
    let by_score =
        query.sort == JobSort::Score && query.status.is_none_or(JobStatus::carries_score);
    if by_score || query.min_score.is_some() || query.max_score.is_some() {
        let lo = query.min_score.map_or(1, Score::value);
        let hi = query.max_score.map_or(10, Score::value);
        parts.push("score BETWEEN :lo AND :hi".to_owned());
        values.push((":lo".to_owned(), AttributeValue::N(lo.to_string())));
        values.push((":hi".to_owned(), AttributeValue::N(hi.to_string())));
    }
    if let Some(source) = query.source {
        parts.push("sourceId = :src".to_owned());
        values.push((":src".to_owned(), s(source.to_string())));
    }
    (parts.join(" AND "), values)
}

/// Items the naive way reads for the first page of `query`.
async fn naive(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    counter: &Counter,
    tenant: TenantId,
    query: &JobQuery,
) -> u64 {
    let whole = query.sort == JobSort::Score;
    counter.take();
    naive_read(client, table, tenant, Some(&naive_filter(query)), whole).await;
    counter.take().items_read
}

pub async fn run(
    store: &DynamoStore,
    dynamo: &aws_sdk_dynamodb::Client,
    table: &str,
    counter: &Counter,
    tenant: TenantId,
    source: SourceId,
) {
    println!(
        " every filter combination, first page of {PAGE} (goal: read ≤ {GOAL}× returned through the indexes):"
    );
    println!(
        "  {:<52} {:>8} {:>6} {:>8} {:>7} {:>6}  {:>7} {:>7}",
        "filters", "returned", "read", "requests", "read/ret", "goal", "naive", "naive/ret"
    );
    let (mut worst, mut met, mut all) = (0.0f64, 0, 0);
    for (name, query) in combinations(source) {
        counter.take();
        let page = store
            .list_jobs(tenant, &query, &PageRequest::first(PAGE))
            .await
            .expect("list");
        let tally = counter.take();
        let returned = page.items.len() as u64;
        let ratio = tally.items_read as f64 / returned.max(1) as f64;
        let naive_read = naive(dynamo, table, counter, tenant, &query).await;
        let ok = ratio <= GOAL;
        worst = worst.max(ratio);
        met += usize::from(ok);
        all += 1;
        println!(
            "  {:<52} {:>8} {:>6} {:>8} {:>7.2} {:>6}  {:>7} {:>7.1}",
            name,
            returned,
            tally.items_read,
            tally.requests.get("Query").copied().unwrap_or(0),
            ratio,
            if ok { "met" } else { "MISSED" },
            naive_read,
            naive_read as f64 / returned.max(1) as f64,
        );
    }
    println!(
        "  {met} of {all} combinations read ≤ {GOAL}× what they return; the worst reads {worst:.2}×."
    );
}
