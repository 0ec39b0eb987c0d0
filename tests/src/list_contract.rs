//! What a job list answers for every combination of the filters the dashboard offers
//! (status × score range × source, newest and by score), page after page, on any store:
//! the in-memory one (`tests/fast_store_contract.rs`) and DynamoDB on moto
//! (`tests/store.rs`), whose lists merge several index ranges per page.

use shared::domain::{Job, JobId, JobStatus, Score, SourceId, TenantId};
use shared::ports::{JobQuery, JobSort, JobStore, PageRequest};

use crate::contract::job;

/// 64 jobs over two sources and every status; a score on most that can carry one.
fn seed(tenant: TenantId, sources: [SourceId; 2]) -> Vec<Job> {
    let statuses = [
        JobStatus::Scored,
        JobStatus::Scored,
        JobStatus::New,
        JobStatus::Archived,
        JobStatus::Scored,
        JobStatus::Queued,
        JobStatus::Failed,
        JobStatus::PendingUpgrade,
    ];
    (0..64)
        .map(|i| {
            let status = statuses[i % statuses.len()];
            let mut j = job(
                tenant,
                &format!("https://jobs.example.com/list/{i}"),
                status,
            );
            j.card.source_id = sources[usize::from(i % 3 == 0)];
            // Every third queued/failed/archived job has no score (never scored before).
            let scored = status.carries_score() && (status == JobStatus::Scored || i % 3 != 1);
            if scored {
                j.card.score = Score::new(((i * 7) % 10 + 1) as i64).ok();
                j.card.scored_at = Some(j.card.created_at);
            }
            j
        })
        .collect()
}

fn score(v: u8) -> Option<Score> {
    Score::new(i64::from(v)).ok()
}

/// What the list must hold, in order, computed from the jobs themselves.
fn expected(jobs: &[Job], q: &JobQuery) -> Vec<JobId> {
    let by_score = q.sort == JobSort::Score && q.status.is_none_or(JobStatus::carries_score);
    let ranged = q.min_score.is_some() || q.max_score.is_some();
    let (lo, hi) = (
        q.min_score.map_or(1, Score::value),
        q.max_score.map_or(10, Score::value),
    );
    let mut want: Vec<&Job> = jobs
        .iter()
        .filter(|j| {
            let c = &j.card;
            let status = q
                .status
                .map_or(c.status != JobStatus::Archived, |s| c.status == s);
            let source = q.source.is_none_or(|s| c.source_id == s);
            let scored = c.status.carries_score() && c.score.is_some();
            let in_range = c.score.is_some_and(|s| (lo..=hi).contains(&s.value()));
            status && source && (!(by_score || ranged) || scored) && (!ranged || in_range)
        })
        .collect();
    want.sort_by_key(|j| {
        let s = if by_score {
            j.card.score.map_or(0, Score::value)
        } else {
            0
        };
        std::cmp::Reverse((s, j.card.id))
    });
    want.into_iter().map(|j| j.card.id).collect()
}

/// Every query of `statuses` × score `ranges` × `sources`, each newest first and by score.
fn queries(
    statuses: &[Option<JobStatus>],
    ranges: &[(Option<Score>, Option<Score>)],
    sources: &[Option<SourceId>],
) -> Vec<JobQuery> {
    let mut out = Vec::new();
    for &status in statuses {
        for &(min_score, max_score) in ranges {
            for &source in sources {
                for sort in [JobSort::Newest, JobSort::Score] {
                    out.push(JobQuery {
                        status,
                        min_score,
                        max_score,
                        source,
                        sort,
                        ..JobQuery::default()
                    });
                }
            }
        }
    }
    out
}

async fn walk(store: &impl JobStore, tenant: TenantId, q: &JobQuery, limit: u16) -> Vec<JobId> {
    let mut page = PageRequest::first(limit);
    let mut seen = Vec::new();
    for _ in 0..100 {
        let got = store.list_jobs(tenant, q, &page).await.expect("list");
        assert!(
            got.items.len() <= usize::from(limit),
            "{q:?}: page too long"
        );
        seen.extend(got.items.iter().map(|c| c.id));
        match got.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return seen,
        }
    }
    panic!("{q:?}: paging does not end");
}

pub async fn lists_answer_every_filter_combination(store: &impl JobStore) {
    let tenant = TenantId::new();
    let sources = [SourceId::new(), SourceId::new()];
    let jobs = seed(tenant, sources);
    for j in &jobs {
        store.insert_job(j).await.expect("insert");
    }
    // Another tenant's jobs, on the same sources' ids, never show.
    for j in seed(TenantId::new(), sources).iter().take(16) {
        store.insert_job(j).await.expect("insert");
    }
    let statuses: Vec<Option<JobStatus>> = std::iter::once(None)
        .chain(JobStatus::ALL.into_iter().map(Some))
        .collect();
    let ranges = [
        (None, None),
        (score(7), None),
        (None, score(4)),
        (score(5), score(5)),
    ];
    let mut combinations = 0;
    for q in queries(&statuses, &ranges, &[None, Some(sources[1])]) {
        assert_eq!(
            walk(store, tenant, &q, 5).await,
            expected(&jobs, &q),
            "{q:?}"
        );
        combinations += 1;
    }
    assert_eq!(combinations, 7 * 4 * 2 * 2);
    // One large page holds what the small pages did.
    let q = JobQuery {
        min_score: score(3),
        ..JobQuery::default()
    };
    assert_eq!(walk(store, tenant, &q, 100).await, expected(&jobs, &q));
}

/// Pages of a wide score filter while every one of its ranges is still open: 90 scored,
/// queued and failed jobs of one source with every score, read 3 at a time, so each of the
/// up to 30 ranges (3 statuses × 10 scores) holds more than one step when the next page
/// starts and its position is in the cursor.
pub async fn wide_score_filters_page_with_every_range_open(store: &impl JobStore) {
    let tenant = TenantId::new();
    let source = SourceId::new();
    let statuses = [JobStatus::Scored, JobStatus::Queued, JobStatus::Failed];
    let jobs: Vec<Job> = (0..90)
        .map(|i| {
            let mut j = job(
                tenant,
                &format!("https://jobs.example.com/wide/{i}"),
                statuses[i % 3],
            );
            j.card.source_id = source;
            j.card.score = Score::new((i / 3 % 10 + 1) as i64).ok();
            j.card.scored_at = Some(j.card.created_at);
            j
        })
        .collect();
    for j in &jobs {
        store.insert_job(j).await.expect("insert");
    }
    let statuses = [Some(JobStatus::Scored), None];
    for q in queries(&statuses, &[(score(1), None)], &[None, Some(source)]) {
        assert_eq!(
            walk(store, tenant, &q, 3).await,
            expected(&jobs, &q),
            "{q:?}"
        );
    }
}
