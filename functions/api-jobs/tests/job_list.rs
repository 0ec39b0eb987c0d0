//! `GET /v1/jobs` (every filter, paging, search), `PATCH /v1/jobs/{id}` and
//! `GET /v1/jobs/export` through real-shaped events against moto.

use std::collections::HashSet;
use std::sync::Arc;

use api_jobs::{App, handle};
use chrono::{Duration, Utc};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{account_service, signup};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::seed;
use serde_json::{Value, json};
use shared::adapters::DynamoStore;
use shared::domain::{Job, JobId, JobStatus, PlanCatalog, Score, SourceId, TenantId};
use shared::ports::JobStore;
use shared::services::AuthLimits;

struct Env {
    _stack: TestStack,
    store: Arc<DynamoStore>,
    app: App,
    token: String,
    tenant: TenantId,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let store = Arc::new(seed::store(&stack));
    let app = App::wire(&stack.core(PlanCatalog::builtin(), &[])).expect("wired");
    let (token, tenant) = signup(&accounts, "Lister").await;
    Env {
        _stack: stack,
        store,
        app,
        token,
        tenant,
    }
}

async fn get(env: &Env, path: &str, query: &str) -> (u16, Value) {
    let mut event = HttpEvent::new("GET", path).bearer(&env.token);
    if !query.is_empty() {
        event = event.query(query);
    }
    parts(handle(&env.app, event.request()).await)
}

/// A stored job: created `days_ago`, of `source`, with `status` and `score`.
async fn stored(
    env: &Env,
    n: usize,
    (title, description): (&str, &str),
    source: SourceId,
    days_ago: i64,
    status: JobStatus,
    score: Option<i64>,
) -> Job {
    let created = Utc::now() - Duration::days(days_ago) - Duration::minutes(n as i64);
    let mut job = seed::job(env.tenant, n, title, description, status);
    job.card.id = JobId::from(ulid::Ulid::from_datetime(created.into()));
    job.card.created_at = created;
    job.card.source_id = source;
    job.card.score = score.map(|s| Score::new(s).unwrap());
    job.card.scored_at = score.map(|_| created);
    env.store.insert_job(&job).await.unwrap();
    job
}

/// Every id the list returns for `query`, following cursors page by page.
async fn all_ids(env: &Env, query: &str, limit: u16) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut q = format!("limit={limit}");
        if !query.is_empty() {
            q = format!("{query}&{q}");
        }
        if let Some(c) = &cursor {
            q = format!("{q}&cursor={c}");
        }
        let (status, page) = get(env, "/v1/jobs", &q).await;
        assert_eq!(status, 200, "{query}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= usize::from(limit));
        ids.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
    panic!("paging does not end for {query}");
}

fn ids_of(jobs: &[&Job]) -> HashSet<String> {
    jobs.iter().map(|j| j.card.id.to_string()).collect()
}

#[tokio::test]
async fn every_filter_is_served_and_every_job_comes_exactly_once() {
    let env = env().await;
    let (a, b) = (SourceId::new(), SourceId::new());
    let mut jobs = Vec::new();
    for n in 0..24 {
        let source = if n % 3 == 0 { b } else { a };
        let (status, score) = match n % 6 {
            0 => (JobStatus::New, None),
            1 | 2 => (JobStatus::Scored, Some((n % 10 + 1) as i64)),
            3 => (JobStatus::Archived, Some(9)),
            4 => (JobStatus::Failed, None),
            _ => (JobStatus::Scored, Some(8)),
        };
        let (title, description) = if n % 4 == 0 {
            (
                "Senior Rust Engineer",
                "Build services in Rust on AWS Lambda, in Zürich.",
            )
        } else {
            ("Frontend Developer", "React, TypeScript and CSS.")
        };
        jobs.push(
            stored(
                &env,
                n,
                (title, description),
                source,
                (n % 8) as i64,
                status,
                score,
            )
            .await,
        );
    }
    // Another tenant's jobs never show.
    let other = seed::job(
        TenantId::new(),
        99,
        "Senior Rust Engineer",
        "Rust",
        JobStatus::Scored,
    );
    env.store.insert_job(&other).await.unwrap();

    let pick = |f: &dyn Fn(&Job) -> bool| -> HashSet<String> {
        ids_of(&jobs.iter().filter(|j| f(j)).collect::<Vec<_>>())
    };
    let not_archived = |j: &Job| j.card.status != JobStatus::Archived;
    let score_of = |j: &Job| j.card.score.map_or(0, |s| i64::from(s.value()));
    let cutoff = Utc::now() - Duration::days(3);
    let by_b = format!("sourceId={b}");
    let by_a_archived = format!("sourceId={a}&status=archived");
    let cases: Vec<(&str, HashSet<String>)> = vec![
        ("", pick(&not_archived)),
        (
            "status=archived",
            pick(&|j| j.card.status == JobStatus::Archived),
        ),
        (
            "status=scored",
            pick(&|j| j.card.status == JobStatus::Scored),
        ),
        ("minScore=7", pick(&|j| not_archived(j) && score_of(j) >= 7)),
        (
            "minScore=3&maxScore=5",
            pick(&|j| not_archived(j) && (3..=5).contains(&score_of(j))),
        ),
        (
            "status=scored&minScore=7",
            pick(&|j| j.card.status == JobStatus::Scored && score_of(j) >= 7),
        ),
        (
            "status=archived&minScore=9",
            pick(&|j| j.card.status == JobStatus::Archived && score_of(j) >= 9),
        ),
        (&by_b, pick(&|j| not_archived(j) && j.card.source_id == b)),
        (
            &by_a_archived,
            pick(&|j| j.card.status == JobStatus::Archived && j.card.source_id == a),
        ),
        (
            "sort=score",
            pick(&|j| not_archived(j) && j.card.score.is_some()),
        ),
        (
            "q=rust",
            pick(&|j| not_archived(j) && j.card.title.contains("Rust")),
        ),
        (
            "q=Z%C3%9CRICH%20lambda",
            pick(&|j| not_archived(j) && j.card.title.contains("Rust")),
        ),
        (
            "q=rust&status=scored",
            pick(&|j| j.card.status == JobStatus::Scored && j.card.title.contains("Rust")),
        ),
        ("q=kotlin", HashSet::new()),
        ("q=jobs.example.com", pick(&not_archived)),
    ];
    let from = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let dated = format!("from={}", from.replace('+', "%2B"));
    let mut cases = cases;
    cases.push((
        &dated,
        pick(&|j| not_archived(j) && j.card.created_at >= cutoff),
    ));
    let dated_scored = format!("{dated}&sort=score&minScore=2");
    cases.push((
        &dated_scored,
        pick(&|j| not_archived(j) && j.card.created_at >= cutoff && score_of(j) >= 2),
    ));

    for (query, expected) in &cases {
        let ids = all_ids(&env, query, 4).await;
        let unique: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(unique.len(), ids.len(), "{query}: a job came twice");
        assert_eq!(&unique, expected, "{query}");
    }
    // Order: newest first by default; best score first with sort=score.
    let newest = all_ids(&env, "", 5).await;
    let mut sorted = newest.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(newest, sorted);
    let (_, page) = get(&env, "/v1/jobs", "sort=score&limit=100").await;
    let scores: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["score"].as_i64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test]
async fn bad_list_parameters_are_named_and_cursors_are_bound_to_their_query() {
    let env = env().await;
    let source = SourceId::new();
    for n in 0..3 {
        stored(&env, n, ("Engineer", "x"), source, 0, JobStatus::New, None).await;
    }
    for (query, field) in [
        ("minScore=0", "minScore"),
        ("minScore=11", "minScore"),
        ("from=2026-12-01&to=2026-11-01", "from"),
        ("from=not-a-date", "from"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("status=done", "status"),
        ("sort=random", "sort"),
        ("cursor=forged.cursor", "cursor"),
        ("colour=red", "colour"),
    ] {
        let (status, err) = get(&env, "/v1/jobs", query).await;
        assert_eq!(status, 400, "{query}: {err}");
        assert_eq!(err["error"]["code"], "validation_failed");
        assert!(
            err["error"]["details"].get(field).is_some(),
            "{query}: {err}"
        );
    }
    let (_, page) = get(&env, "/v1/jobs", "limit=1").await;
    let cursor = page["nextCursor"].as_str().unwrap();
    // The same cursor with other filters is refused.
    let (status, _) = get(
        &env,
        "/v1/jobs",
        &format!("limit=1&status=new&cursor={cursor}"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = get(&env, "/v1/jobs", &format!("limit=1&cursor={cursor}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn status_changes_follow_the_state_machine() {
    let env = env().await;
    let source = SourceId::new();
    let scored = stored(
        &env,
        0,
        ("Engineer", "x"),
        source,
        0,
        JobStatus::Scored,
        Some(7),
    )
    .await;
    let new = stored(&env, 1, ("Engineer", "x"), source, 0, JobStatus::New, None).await;
    let patch = |id: &JobId, body: Value| {
        HttpEvent::new("PATCH", &format!("/v1/jobs/{id}"))
            .bearer(&env.token)
            .json(&body)
    };
    let call = |event: HttpEvent| {
        let request = event.request();
        async { parts(handle(&env.app, request).await) }
    };

    let (status, card) = call(patch(&scored.card.id, json!({"status": "archived"}))).await;
    assert_eq!((status, card["status"].as_str()), (200, Some("archived")));
    assert!(
        !all_ids(&env, "", 10)
            .await
            .contains(&scored.card.id.to_string())
    );
    assert!(
        all_ids(&env, "status=archived", 10)
            .await
            .contains(&scored.card.id.to_string())
    );
    // Archived → archived, and straight into queued, are not moves of the table.
    let (status, err) = call(patch(&scored.card.id, json!({"status": "archived"}))).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    let (status, _) = call(patch(&scored.card.id, json!({"status": "queued"}))).await;
    assert_eq!(status, 409);
    // Restored with its score, back in the score-ordered list.
    let (status, card) = call(patch(&scored.card.id, json!({"status": "scored"}))).await;
    assert_eq!((status, card["score"].as_i64()), (200, Some(7)));
    assert!(
        all_ids(&env, "minScore=7", 10)
            .await
            .contains(&scored.card.id.to_string())
    );
    // A job that never had a score cannot be "restored" as scored.
    call(patch(&new.card.id, json!({"status": "archived"}))).await;
    let (status, _) = call(patch(&new.card.id, json!({"status": "scored"}))).await;
    assert_eq!(status, 409);
    let (status, _) = call(patch(&new.card.id, json!({"status": "new"}))).await;
    assert_eq!(status, 200);

    for body in [
        json!({"status": "done"}),
        json!({"status": 3}),
        json!({}),
        json!({"status": "new", "x": 1}),
    ] {
        let (status, err) = call(patch(&new.card.id, body.clone())).await;
        assert_eq!(status, 400, "{body}: {err}");
    }
    let (status, _) = call(patch(&JobId::new(), json!({"status": "archived"}))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_export_is_csv_with_the_lists_filters() {
    let env = env().await;
    let source = SourceId::new();
    stored(
        &env,
        0,
        ("Engineer, \"Platform\"", "x"),
        source,
        0,
        JobStatus::Scored,
        Some(9),
    )
    .await;
    stored(
        &env,
        1,
        ("=cmd|' /C calc'!A0", "x"),
        source,
        1,
        JobStatus::Scored,
        Some(4),
    )
    .await;
    stored(
        &env,
        2,
        ("Archived one", "x"),
        source,
        0,
        JobStatus::Archived,
        Some(9),
    )
    .await;
    let response = handle(
        &env.app,
        HttpEvent::new("GET", "/v1/jobs/export")
            .bearer(&env.token)
            .request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(response.headers()["x-export-rows"], "2");
    assert!(
        response.headers().get("x-next-cursor").is_none(),
        "complete"
    );
    let body = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,title,company,location,remote,url,sourceId,status,score,createdAt,scoredAt,closedAt,stage,stageChangedAt"
    );
    assert_eq!(lines.len(), 3, "{body}");
    assert!(
        lines[1].contains(",\"Engineer, \"\"Platform\"\" 0\","),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",'=cmd|' /C calc'!A0 1,"), "{}", lines[2]);

    let (status, _) = get(&env, "/v1/jobs/export", "minScore=12").await;
    assert_eq!(status, 400);
    let response = handle(
        &env.app,
        HttpEvent::new("GET", "/v1/jobs/export")
            .bearer(&env.token)
            .query("minScore=5")
            .request(),
    )
    .await;
    assert_eq!(response.headers()["x-export-rows"], "1");
}
