//! The fetch use case through the `SourceConnector` port, on the in-memory store, queue
//! and recorders: fast tier, no moto, no HTTP. The board is scripted per test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use jobmon_connectors::{FetchOutcome, Posting, SourceConfig, SourceError};
use jobmon_ingest::abandoned::{ABANDONED, AbandonedFetches};
use jobmon_ingest::connector::SourceConnector;
use jobmon_ingest::fetch::{FetchService, MAX_CONSECUTIVE_FAILURES};
use jobmon_tests::contract;
use shared::adapters::MemoryStore;
use shared::adapters::memory::{MemoryQueue, RecordingEvents, RecordingNotifier};
use shared::domain::{
    CanonicalUrl, Job, JobStatus, Period, PlanCatalog, Role, Salary, Source, SourceId, SourceKind,
    SourceValidators, SourceView, StoredKind, TenantId, WorkMode,
};
use shared::messages::{FetchTask, ScoreTask};
use shared::ports::{
    AccountStore, Clock, FixedClock, IngestStore, InsertReport, KnownCheck, KnownPostings,
    PostingKeys, SourceStore, StoreError, UsageReader,
};

/// The memory store's ingestion, except that writing jobs fails while `down` is set: the
/// fetcher dying between reserving quota and writing its jobs.
struct FaultyIngest {
    store: MemoryStore,
    down: AtomicBool,
}

#[async_trait]
impl IngestStore for FaultyIngest {
    async fn known_postings(
        &self,
        tenant: TenantId,
        postings: &[PostingKeys],
        check: KnownCheck,
    ) -> Result<KnownPostings, StoreError> {
        self.store.known_postings(tenant, postings, check).await
    }
    async fn acquire_ingest_lease(
        &self,
        tenant: TenantId,
        holder: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        self.store
            .acquire_ingest_lease(tenant, holder, ttl_secs)
            .await
    }
    async fn release_ingest_lease(&self, tenant: TenantId, holder: &str) -> Result<(), StoreError> {
        self.store.release_ingest_lease(tenant, holder).await
    }
    async fn insert_jobs(&self, jobs: &[Job]) -> Result<InsertReport, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "killed before the jobs were written".into(),
            ));
        }
        self.store.insert_jobs(jobs).await
    }
    async fn close_vanished(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
        at: chrono::DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.store
            .close_vanished(tenant, source, native_ids, at)
            .await
    }
    async fn reopen_listed(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
    ) -> Result<usize, StoreError> {
        self.store.reopen_listed(tenant, source, native_ids).await
    }
}

/// A board that answers from a script, one answer per fetch (the last one repeats).
#[derive(Default)]
struct ScriptedBoard {
    answers: Mutex<Vec<Result<FetchOutcome, SourceError>>>,
}

impl ScriptedBoard {
    fn then(&self, answer: Result<FetchOutcome, SourceError>) {
        self.answers.lock().unwrap().push(answer);
    }
}

#[async_trait]
impl SourceConnector for ScriptedBoard {
    async fn fetch(
        &self,
        _: &SourceConfig,
        _: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError> {
        let mut answers = self.answers.lock().unwrap();
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers
                .first()
                .cloned()
                .expect("the test scripts an answer")
        }
    }
}

struct Rig {
    fetch: FetchService,
    abandoned: AbandonedFetches,
    store: MemoryStore,
    scoring: Arc<MemoryQueue>,
    board: Arc<ScriptedBoard>,
    events: Arc<RecordingEvents>,
    live: Arc<RecordingNotifier>,
    ingest: Arc<FaultyIngest>,
    clock: Arc<FixedClock>,
}

fn rig() -> Rig {
    let store = MemoryStore::new();
    let shared = Arc::new(store.clone());
    let scoring = Arc::new(MemoryQueue::default());
    let board = Arc::new(ScriptedBoard::default());
    let events = Arc::new(RecordingEvents::default());
    let live = Arc::new(RecordingNotifier::default());
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let ingest = Arc::new(FaultyIngest {
        store: store.clone(),
        down: AtomicBool::new(false),
    });
    Rig {
        fetch: FetchService {
            sources: shared.clone(),
            ingest: ingest.clone(),
            tenants: shared.clone(),
            quota: shared.clone(),
            admissions: shared.clone(),
            scoring_queue: scoring.clone(),
            events: events.clone(),
            live: live.clone(),
            fetcher: board.clone(),
            plans: PlanCatalog::builtin(),
            clock: clock.clone(),
            close_after_absences: jobmon_ingest::closing::DEFAULT_CLOSE_AFTER_ABSENCES,
        },
        abandoned: AbandonedFetches {
            sources: shared.clone(),
            tenants: shared,
            plans: PlanCatalog::builtin(),
            clock: clock.clone(),
        },
        store,
        scoring,
        board,
        events,
        live,
        ingest,
        clock,
    }
}

async fn tenant(store: &MemoryStore) -> TenantId {
    let t = contract::tenant("Fetch");
    let admin = contract::user(&t, &format!("{}@example.com", t.id), Role::Admin);
    store.create_account(&t, &admin).await.unwrap();
    t.id
}

async fn board_source(store: &MemoryStore, tenant: TenantId, kind: SourceKind) -> Source {
    let config = match kind {
        SourceKind::Rss => serde_json::json!({"url": "https://example.com/jobs.rss"}),
        _ => serde_json::json!({"board": "acme"}),
    };
    let source = contract::source(tenant, kind, config);
    store.create_source(&source, 10).await.unwrap();
    source
}

fn posting(n: usize) -> Posting {
    Posting {
        native_id: format!("p{n}"),
        title: format!("Engineer {n}"),
        company: "Acme".into(),
        location: "Berlin".into(),
        remote: false,
        url: CanonicalUrl::parse(&format!("https://example.com/jobs/{n}")).unwrap(),
        description_text: "Build things.".into(),
        description_html: "<p>Build things.</p>".into(),
        posted_at: None,
        updated_at: None,
        salary: None,
        department: None,
    }
}

fn listing(ids: impl IntoIterator<Item = usize>) -> Result<FetchOutcome, SourceError> {
    Ok(FetchOutcome::Fetched {
        postings: ids.into_iter().map(posting).collect(),
        validators: SourceValidators::default(),
    })
}

fn task(source: &Source) -> FetchTask {
    FetchTask {
        tenant_id: source.tenant_id,
        source_id: source.id,
        reason: "schedule".into(),
    }
}

async fn stored(r: &Rig, source: &Source) -> Source {
    r.store
        .get_source(source.tenant_id, source.id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_card_carries_the_postings_pay_and_work_mode_for_the_list() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    let paid = Salary::new(Some(65_000.0), Some(80_000.0), Some("EUR"), Some("year"));
    let hybrid = Posting {
        description_text: "Hybrid: 3 days a week in our Berlin office.".into(),
        salary: paid.clone(),
        ..posting(0)
    };
    let remote = Posting {
        remote: true,
        ..posting(1)
    };
    r.board.then(Ok(FetchOutcome::Fetched {
        postings: vec![hybrid, remote, posting(2)],
        validators: SourceValidators::default(),
    }));
    r.fetch.run(&task(&source)).await.unwrap();
    let mut cards: Vec<_> = r
        .store
        .jobs_of(t)
        .into_iter()
        .map(|j| {
            (
                j.card.title.clone(),
                j.card.work_mode,
                j.card.salary.clone(),
            )
        })
        .collect();
    cards.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        cards,
        [
            ("Engineer 0".to_owned(), Some(WorkMode::Hybrid), paid),
            ("Engineer 1".to_owned(), Some(WorkMode::Remote), None),
            ("Engineer 2".to_owned(), Some(WorkMode::Onsite), None),
        ]
    );
}

#[tokio::test]
async fn new_postings_are_stored_and_admitted_to_scoring_within_the_quota() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    // The free plan scores 50 a month: 60 new postings admit 50 and park 10.
    r.board.then(listing(0..60));

    let report = r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!(
        (
            report.fetched,
            report.new,
            report.queued,
            report.pending_upgrade
        ),
        (60, 60, 50, 10)
    );
    let jobs = r.store.jobs_of(t);
    assert_eq!(jobs.len(), 60);
    let queued: Vec<_> = jobs
        .iter()
        .filter(|j| j.card.status == JobStatus::Queued)
        .collect();
    assert_eq!(queued.len(), 50);
    let sent: Vec<ScoreTask> = r
        .scoring
        .take_sent()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(sent.len(), 50, "one scoring message per queued job");
    assert!(
        sent.iter()
            .all(|m| queued.iter().any(|j| j.card.id == m.job_id))
    );
    let after = stored(&r, &source).await;
    assert_eq!(after.jobs_found, 60);
    assert_eq!(after.last_error, None);
    assert!(after.next_fetch_at.unwrap() > Utc::now() + Duration::hours(23));
    assert_eq!(r.events.published().len(), 1);
    assert_eq!(r.live.pushed().len(), 1);
}

#[tokio::test]
async fn a_board_with_nothing_new_writes_no_job_and_sends_nothing() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board.then(listing(0..3));
    r.fetch.run(&task(&source)).await.unwrap();
    r.scoring.take_sent();

    let again = r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!((again.fetched, again.new, again.queued), (3, 0, 0));
    assert_eq!(r.store.jobs_of(t).len(), 3);
    assert!(r.scoring.take_sent().is_empty());
    assert_eq!(r.live.pushed().len(), 1, "only the first fetch had news");
}

#[tokio::test]
async fn a_failed_fetch_is_recorded_and_five_in_a_row_disable_the_source() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board
        .then(Err(SourceError::DeadlineExceeded { secs: 30 }));

    for failures in 1..MAX_CONSECUTIVE_FAILURES {
        let report = r.fetch.run(&task(&source)).await.unwrap();
        assert!(report.error.unwrap().starts_with("timed out after 30 s"));
        let after = stored(&r, &source).await;
        assert_eq!(after.consecutive_failures, failures);
        assert!(after.enabled);
        assert!(
            after
                .last_error
                .unwrap()
                .starts_with("timed out after 30 s")
        );
    }
    r.fetch.run(&task(&source)).await.unwrap();
    let after = stored(&r, &source).await;
    assert!(!after.enabled);
    assert_eq!(after.next_fetch_at, None);
    let shown = after.last_error.unwrap();
    assert!(shown.starts_with("Disabled after 5 failed fetches in a row"));
    assert!(shown.contains("timed out after 30 s"), "{shown}");
    // Disabled: a task still in the queue does nothing.
    assert!(r.fetch.run(&task(&source)).await.unwrap().skipped);
}

#[tokio::test]
async fn a_success_clears_the_failure_count() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board.then(Err(SourceError::Upstream { status: 503 }));
    r.board.then(listing(0..1));
    r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!(stored(&r, &source).await.consecutive_failures, 1);
    r.fetch.run(&task(&source)).await.unwrap();
    let after = stored(&r, &source).await;
    assert_eq!((after.consecutive_failures, after.last_error), (0, None));
}

#[tokio::test]
async fn postings_that_vanish_from_a_board_close_their_jobs_but_not_from_a_feed() {
    let r = rig();
    let t = tenant(&r.store).await;
    let board = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board.then(listing(0..3));
    r.board.then(listing(1..3));
    r.board.then(listing(1..3));
    r.fetch.run(&task(&board)).await.unwrap();
    assert_eq!(r.fetch.run(&task(&board)).await.unwrap().closed, 0);
    let report = r.fetch.run(&task(&board)).await.unwrap();
    assert_eq!(report.closed, 1, "missing from two fetches in a row");
    let closed: Vec<_> = r
        .store
        .jobs_of(t)
        .into_iter()
        .filter(|j| j.card.closed_at.is_some())
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].native_id.as_deref(), Some("p0"));

    let r = rig();
    let t = tenant(&r.store).await;
    let feed = board_source(&r.store, t, SourceKind::Rss).await;
    r.board.then(listing(0..3));
    r.board.then(listing(1..3));
    r.fetch.run(&task(&feed)).await.unwrap();
    assert_eq!(r.fetch.run(&task(&feed)).await.unwrap().closed, 0);
}

/// A row written by another version of jobmon may name a kind this build does not know:
/// it loads, shows its kind as stored, and its fetch is a failure with the reason.
#[tokio::test]
async fn a_source_of_a_kind_this_build_does_not_know_fails_its_fetch_with_the_reason() {
    let r = rig();
    let t = tenant(&r.store).await;
    let mut source = contract::source(
        t,
        SourceKind::Greenhouse,
        serde_json::json!({"board": "acme"}),
    );
    source.kind = StoredKind::from_stored("workday".into());
    r.store.create_source(&source, 10).await.unwrap();
    // No answer scripted: reaching the board would panic in the scripted board.
    let report = r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!(
        report.source_kind,
        Some(StoredKind::Unknown("workday".into()))
    );
    let error = report.error.unwrap();
    assert!(
        error.contains("invalid configuration: kind: unknown kind; expected one of greenhouse"),
        "{error}"
    );
    let after = stored(&r, &source).await;
    assert_eq!(after.kind.as_str(), "workday");
    assert_eq!(after.consecutive_failures, 1);
    assert_eq!(after.last_error.as_deref(), Some(error.as_str()));
    let view = serde_json::to_value(SourceView::from(&after)).unwrap();
    assert_eq!(
        (&view["kind"], &view["name"]),
        (&"workday".into(), &"greenhouse".into())
    );
}

#[tokio::test]
async fn a_deleted_source_is_skipped_without_fetching() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.store.delete_source(t, source.id).await.unwrap();
    // No answer scripted: fetching would panic in the scripted board.
    assert!(r.fetch.run(&task(&source)).await.unwrap().skipped);
}

#[tokio::test]
async fn an_abandoned_fetch_counts_as_a_failure_and_disables_a_source_that_keeps_dying() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    assert!(r.abandoned.record(&task(&source)).await.unwrap());
    let after = stored(&r, &source).await;
    assert_eq!(after.consecutive_failures, 1);
    assert_eq!(after.last_error.as_deref(), Some(ABANDONED));
    assert!(after.next_fetch_at.unwrap() > Utc::now() + Duration::hours(23));

    for _ in 1..MAX_CONSECUTIVE_FAILURES {
        r.abandoned.record(&task(&source)).await.unwrap();
    }
    let after = stored(&r, &source).await;
    assert!(!after.enabled);
    assert!(after.last_error.unwrap().contains(ABANDONED));
    // Disabled or deleted: nothing more to record.
    assert!(!r.abandoned.record(&task(&source)).await.unwrap());
    r.store.delete_source(t, source.id).await.unwrap();
    assert!(!r.abandoned.record(&task(&source)).await.unwrap());
}

fn sent_jobs(r: &Rig) -> Vec<ScoreTask> {
    r.scoring
        .take_sent()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

/// Every quota unit of the month is a queued job with exactly one message, no admission
/// is left open, and the counter says what the jobs say.
async fn assert_settled(r: &Rig, t: TenantId, period: &Period, messages: &[ScoreTask]) {
    let queued: Vec<_> = r
        .store
        .jobs_of(t)
        .into_iter()
        .filter(|j| j.card.status == JobStatus::Queued)
        .map(|j| j.card.id)
        .collect();
    let mut sent: Vec<_> = messages.iter().map(|m| m.job_id).collect();
    sent.sort();
    let mut expected = queued.clone();
    expected.sort();
    assert_eq!(sent, expected, "one message per queued job");
    assert!(
        r.store.admissions_of(t).is_empty(),
        "no admission left open"
    );
    assert_eq!(
        r.store.scored_jobs(t, period).await.unwrap() as usize,
        queued.len(),
        "usage equals the admitted jobs"
    );
}

#[tokio::test]
async fn a_fetch_that_dies_after_taking_quota_gives_it_back_and_the_retry_admits_again() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    let period = Period::of(r.clock.now());
    r.board.then(listing(0..3));
    r.ingest.down.store(true, Ordering::SeqCst);
    assert!(r.fetch.run(&task(&source)).await.is_err());
    // Killed between the reservation and the job writes: the units are held by an open
    // admission that names jobs which do not exist.
    assert_eq!(r.store.scored_jobs(t, &period).await.unwrap(), 3);
    assert_eq!(r.store.admissions_of(t).len(), 1);
    assert!(r.store.jobs_of(t).is_empty());

    // The queue redelivers the task.
    r.ingest.down.store(false, Ordering::SeqCst);
    let report = r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!((report.new, report.queued), (3, 3));
    assert_settled(&r, t, &period, &sent_jobs(&r)).await;
}

#[tokio::test]
async fn jobs_written_but_never_sent_are_sent_by_the_next_fetch_of_the_tenant() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    let other = board_source(&r.store, t, SourceKind::Greenhouse).await;
    let period = Period::of(r.clock.now());
    r.board.then(listing(0..3));
    r.scoring.set_unavailable(true);
    assert!(r.fetch.run(&task(&source)).await.is_err());
    assert_eq!(r.store.jobs_of(t).len(), 3);
    assert_eq!(r.store.admissions_of(t).len(), 1);

    // Any later fetch of the tenant (here another source with nothing new) settles it.
    r.scoring.set_unavailable(false);
    let report = r.fetch.run(&task(&other)).await.unwrap();
    assert_eq!(report.new, 0);
    assert_settled(&r, t, &period, &sent_jobs(&r)).await;
}

#[tokio::test]
async fn quota_goes_back_to_the_month_it_was_taken_from() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    let end_of_month = Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 0).unwrap();
    r.clock.set(end_of_month);
    r.board.then(listing(0..3));
    r.ingest.down.store(true, Ordering::SeqCst);
    assert!(r.fetch.run(&task(&source)).await.is_err());
    let taken = Period::of(end_of_month);
    assert_eq!(r.store.scored_jobs(t, &taken).await.unwrap(), 3);

    // Retried after midnight: the units go back to the month they came from, and the
    // new month pays for the jobs it admits.
    r.clock.set(end_of_month + Duration::minutes(2));
    r.ingest.down.store(false, Ordering::SeqCst);
    r.fetch.run(&task(&source)).await.unwrap();
    let next = Period::of(r.clock.now());
    assert_ne!(taken, next);
    assert_eq!(r.store.scored_jobs(t, &taken).await.unwrap(), 0);
    assert_settled(&r, t, &next, &sent_jobs(&r)).await;
}

#[tokio::test]
async fn an_empty_answer_followed_by_the_full_board_closes_nothing() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board.then(listing(0..3));
    r.board.then(listing(0..0));
    r.board.then(listing(0..4));
    r.fetch.run(&task(&source)).await.unwrap();
    // An empty (or truncated) answer only counts the absence ...
    assert_eq!(r.fetch.run(&task(&source)).await.unwrap().closed, 0);
    assert_eq!(stored(&r, &source).await.absences.len(), 3);
    // ... and the next full answer clears the counts; the new posting is simply stored.
    let report = r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!((report.reopened, report.new, report.closed), (0, 1, 0));
    let jobs = r.store.jobs_of(t);
    assert_eq!(jobs.len(), 4, "each posting stored once");
    assert!(jobs.iter().all(|j| j.card.closed_at.is_none()));
    assert!(stored(&r, &source).await.absences.is_empty());
}

#[tokio::test]
async fn an_unparseable_answer_between_two_absences_neither_closes_nor_resets() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board.then(listing(0..3));
    r.board.then(listing(1..3));
    r.board.then(Err(SourceError::Malformed("not JSON".into())));
    r.board.then(listing(1..3));
    r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!(r.fetch.run(&task(&source)).await.unwrap().closed, 0);
    let failed = r.fetch.run(&task(&source)).await.unwrap();
    assert!(failed.error.is_some());
    assert_eq!(failed.closed, 0);
    // A failed fetch is no fetch: the next successful one is the second absence.
    assert_eq!(r.fetch.run(&task(&source)).await.unwrap().closed, 1);
}

#[tokio::test]
async fn a_posting_closed_after_two_absences_is_reopened_when_it_returns() {
    let r = rig();
    let t = tenant(&r.store).await;
    let source = board_source(&r.store, t, SourceKind::Greenhouse).await;
    r.board.then(listing(0..3));
    r.board.then(listing(0..0));
    r.board.then(listing(0..0));
    r.board.then(listing(0..3));
    r.board.then(listing(1..3));
    r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!(r.fetch.run(&task(&source)).await.unwrap().closed, 0);
    assert_eq!(r.fetch.run(&task(&source)).await.unwrap().closed, 3);
    assert!(stored(&r, &source).await.absences.is_empty());
    let report = r.fetch.run(&task(&source)).await.unwrap();
    assert_eq!((report.reopened, report.new, report.closed), (3, 0, 0));
    assert!(
        r.store
            .jobs_of(t)
            .iter()
            .all(|j| j.card.closed_at.is_none())
    );
    // Its count starts afresh: one absence after returning closes nothing.
    assert_eq!(r.fetch.run(&task(&source)).await.unwrap().closed, 0);
}
