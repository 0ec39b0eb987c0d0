//! Reading one job with its scoring history (`GET /v1/jobs/{id}`, `.../history`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    JobCard, JobId, JobStatus, Salary, Score, ScoringEntry, SourceId, Stage, TenantId,
    TrackingEntry, TransitionError, search,
};
use crate::http::ApiError;
use crate::ports::{
    Clock, JobQuery, JobSort, JobStore, Page, PageRequest, ScoringStore, StoreError, TrackingStore,
};
use crate::services::Invalid;

/// `Job` of docs/openapi.json: the card plus its long text, latest reason and history.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    #[serde(flatten)]
    pub card: JobCard,
    pub description: String,
    /// The latest scoring's reason; absent until the job is scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the latest attempt failed, on `failed` (and retrying `queued`) jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salary: Option<Salary>,
    /// The newest scorings (the first page of `.../history`).
    pub history: Vec<ScoringEntry>,
    /// Stage changes and notes, oldest first.
    pub tracking: Vec<TrackingEntry>,
}

/// A list page as docs/api.md shapes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for ListView<T> {
    fn from(page: Page<T>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// Why a job was not read or moved.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// Missing, another tenant's, or an id that does not parse: one answer.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotAllowed(#[from] TransitionError),
    /// `queued` needs a message on the scoring queue: only rescoring reaches it.
    #[error("use POST /v1/jobs/{{id}}/rescore to queue a job for scoring")]
    QueueByRescore,
    #[error("the job has no score to restore; restore it as new")]
    NoScoreToRestore,
    #[error("the job changed meanwhile; try again")]
    Changed,
    #[error("a job keeps at most {} notes", crate::ports::MAX_NOTES)]
    NotesFull,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<JobsError> for ApiError {
    fn from(e: JobsError) -> Self {
        match e {
            JobsError::NotFound => ApiError::NotFound,
            JobsError::Invalid(e) => e.into(),
            JobsError::NotAllowed(_)
            | JobsError::QueueByRescore
            | JobsError::NoScoreToRestore
            | JobsError::Changed
            | JobsError::NotesFull => ApiError::Conflict(e.to_string()),
            JobsError::Store(e) => e.into(),
        }
    }
}

pub struct JobsService {
    pub jobs: Arc<dyn JobStore>,
    pub scoring: Arc<dyn ScoringStore>,
    pub tracking: Arc<dyn TrackingStore>,
    pub clock: Arc<dyn Clock>,
}

/// Ids that do not parse name no job of this tenant: 404, like any other.
pub fn job_id(raw: &str) -> Result<JobId, JobsError> {
    JobId::parse(raw).map_err(|_| JobsError::NotFound)
}

impl JobsService {
    /// How many history entries the job view carries.
    pub const HISTORY_IN_VIEW: u16 = 10;

    pub async fn get(&self, tenant: TenantId, id: JobId) -> Result<JobView, JobsError> {
        let job = self
            .jobs
            .get_job(tenant, id)
            .await?
            .ok_or(JobsError::NotFound)?;
        let history = self
            .scoring
            .history(tenant, id, &PageRequest::first(Self::HISTORY_IN_VIEW))
            .await?
            .items;
        let tracking = self.tracking.tracking(tenant, id).await?;
        Ok(JobView {
            tracking,
            reason: history.first().map(|e| e.reason.clone()),
            error: job.last_error,
            salary: job.salary,
            description: job.description,
            card: job.card,
            history,
        })
    }

    /// Newest first. A job of another tenant is a 404, not an empty list.
    pub async fn history(
        &self,
        tenant: TenantId,
        id: JobId,
        page: &PageRequest,
    ) -> Result<ListView<ScoringEntry>, JobsError> {
        if self.jobs.get_job(tenant, id).await?.is_none() {
            return Err(JobsError::NotFound);
        }
        Ok(self.scoring.history(tenant, id, page).await?.into())
    }
}

/// Parses the list's query parameters (`GET /v1/jobs` in docs/openapi.json): every filter,
/// `sort`, `limit` and `cursor`. Unknown parameters and malformed values are 400s naming
/// the parameter.
pub fn parse_list_query(params: &[(String, String)]) -> Result<(JobQuery, PageRequest), Invalid> {
    let mut query = JobQuery::default();
    let mut page = PageRequest::first(PageRequest::DEFAULT_LIMIT);
    let mut seen = std::collections::HashSet::new();
    for (name, value) in params {
        if !seen.insert(name.as_str()) {
            return Err(Invalid::new(name, "given more than once"));
        }
        let value = value.trim();
        match name.as_str() {
            "status" => {
                query.status = Some(
                    value
                        .parse::<JobStatus>()
                        .map_err(|e| Invalid::new("status", e.to_string()))?,
                );
            }
            "stage" => {
                query.stage = Some(
                    value
                        .parse::<Stage>()
                        .map_err(|e| Invalid::new("stage", e))?,
                );
            }
            "minScore" => query.min_score = Some(score_param("minScore", value)?),
            "maxScore" => query.max_score = Some(score_param("maxScore", value)?),
            "from" => query.from = Some(time_param("from", value, false)?),
            "to" => query.to = Some(time_param("to", value, true)?),
            "q" => {
                if value.chars().count() > 200 {
                    return Err(Invalid::new("q", "must be at most 200 characters"));
                }
                let words = search::query_words(value).unwrap_or_default();
                if words.len() > 10 {
                    return Err(Invalid::new("q", "must have at most 10 words"));
                }
                query.words = words;
            }
            "sourceId" => {
                query.source = Some(
                    SourceId::parse(value)
                        .map_err(|_| Invalid::new("sourceId", "is not a source id"))?,
                );
            }
            "sort" => {
                query.sort = match value {
                    "newest" => JobSort::Newest,
                    "score" => JobSort::Score,
                    _ => return Err(Invalid::new("sort", "must be newest or score")),
                };
            }
            "limit" => page.limit = crate::http::request::page_limit(value)?,
            "cursor" => page.cursor = Some(value.to_owned()).filter(|c| !c.is_empty()),
            other => return Err(Invalid::new(other, "unknown parameter")),
        }
    }
    if let (Some(min), Some(max)) = (query.min_score, query.max_score)
        && min > max
    {
        return Err(Invalid::new("minScore", "must not be above maxScore"));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(Invalid::new("from", "must not be after to"));
    }
    Ok((query, page))
}

fn score_param(name: &str, value: &str) -> Result<Score, Invalid> {
    value
        .parse::<i64>()
        .ok()
        .and_then(|v| Score::new(v).ok())
        .ok_or_else(|| Invalid::new(name, "must be a whole number from 1 to 10"))
}

/// An RFC 3339 time, or a date (`YYYY-MM-DD`, UTC): its start, or its end for `to`.
pub fn time_param(name: &str, value: &str, end_of_day: bool) -> Result<DateTime<Utc>, Invalid> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Invalid::new(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let time = if end_of_day {
        day.and_hms_milli_opt(23, 59, 59, 999)
    } else {
        day.and_hms_opt(0, 0, 0)
    };
    Ok(time.map_or_else(Utc::now, |t| t.and_utc()))
}

/// `PATCH /v1/jobs/{id}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: JobStatus,
}

impl JobsService {
    pub async fn list(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        page: &PageRequest,
    ) -> Result<ListView<JobCard>, JobsError> {
        Ok(self.jobs.list_jobs(tenant, query, page).await?.into())
    }

    /// Moves a job through the state machine; 409 for a move the table does not allow.
    /// Restoring an archived job to `scored` needs a score; `queued` is reached only by
    /// rescoring (it needs a message on the queue).
    pub async fn change_status(
        &self,
        tenant: TenantId,
        id: JobId,
        change: StatusChange,
    ) -> Result<JobCard, JobsError> {
        let job = self
            .jobs
            .get_job(tenant, id)
            .await?
            .ok_or(JobsError::NotFound)?;
        let from = job.card.status;
        let to = change.status;
        from.transition(to)?;
        if to == JobStatus::Queued {
            return Err(JobsError::QueueByRescore);
        }
        if to == JobStatus::Scored && job.card.score.is_none() {
            return Err(JobsError::NoScoreToRestore);
        }
        self.jobs
            .set_status(tenant, &job.card, job.attempt, to)
            .await?
            .ok_or(JobsError::Changed)
    }
}

/// One response of `GET /v1/jobs/export`.
#[derive(Debug)]
pub struct Export {
    pub csv: String,
    pub rows: usize,
    /// Set when the export goes on: repeat the request with `cursor=<this>`.
    pub next_cursor: Option<String>,
}

/// A synchronous Lambda response carries at most 6 MB; stay well below.
pub const EXPORT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Leaves the function (10 s timeout) time to answer.
pub const EXPORT_MAX_TIME: std::time::Duration = std::time::Duration::from_secs(6);

const CSV_COLUMNS: [&str; 14] = [
    "id",
    "title",
    "company",
    "location",
    "remote",
    "url",
    "sourceId",
    "status",
    "score",
    "createdAt",
    "scoredAt",
    "closedAt",
    "stage",
    "stageChangedAt",
];

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes
/// doubled. Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the
/// start) gets a leading `'`.
pub fn csv_field(raw: &str) -> String {
    let guarded = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn csv_row(card: &JobCard) -> String {
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let fields = [
        card.id.to_string(),
        csv_field(&card.title),
        csv_field(&card.company),
        csv_field(&card.location),
        card.remote.to_string(),
        csv_field(card.url.as_str()),
        card.source_id.to_string(),
        card.status.as_str().to_owned(),
        card.score
            .map(|s| s.value().to_string())
            .unwrap_or_default(),
        time(Some(card.created_at)),
        time(card.scored_at),
        time(card.closed_at),
        card.stage.map(Stage::as_str).unwrap_or_default().to_owned(),
        time(card.stage_changed_at),
    ];
    let mut row = fields.join(",");
    row.push_str("\r\n");
    row
}

impl JobsService {
    /// The list's jobs as CSV, page after page, until the filters are exhausted or the
    /// response would pass [`EXPORT_MAX_BYTES`] or [`EXPORT_MAX_TIME`]; then `next_cursor`
    /// says where to go on. Nothing is dropped silently.
    pub async fn export(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        cursor: Option<String>,
    ) -> Result<Export, JobsError> {
        let started = std::time::Instant::now();
        let mut csv = CSV_COLUMNS.join(",");
        csv.push_str("\r\n");
        let mut rows = 0;
        let mut page = PageRequest {
            limit: PageRequest::MAX_LIMIT,
            cursor,
        };
        loop {
            let got = self.jobs.list_jobs(tenant, query, &page).await?;
            for card in &got.items {
                csv.push_str(&csv_row(card));
            }
            rows += got.items.len();
            match got.next_cursor {
                None => {
                    return Ok(Export {
                        csv,
                        rows,
                        next_cursor: None,
                    });
                }
                Some(next) => {
                    // A full page is at most ~100 rows of ~1 KB: stop while one more fits.
                    let full = csv.len() + 200 * 1024 > EXPORT_MAX_BYTES;
                    if full || started.elapsed() > EXPORT_MAX_TIME {
                        return Ok(Export {
                            csv,
                            rows,
                            next_cursor: Some(next),
                        });
                    }
                    page.cursor = Some(next);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn field_of(e: Invalid) -> String {
        e.field
    }

    #[test]
    fn list_parameters_are_parsed_and_bad_ones_named() {
        let (q, page) = parse_list_query(&params(&[
            ("status", "scored"),
            ("minScore", "7"),
            ("maxScore", "10"),
            ("from", "2026-11-01"),
            ("to", "2026-11-30T12:00:00Z"),
            ("q", "Rust, BERLIN"),
            ("sort", "score"),
            ("limit", "50"),
            ("stage", "interviewing"),
        ]))
        .unwrap();
        assert_eq!(q.stage, Some(Stage::Interviewing));
        assert_eq!(q.status, Some(JobStatus::Scored));
        assert_eq!(q.min_score.map(Score::value), Some(7));
        assert_eq!(q.words, ["rust", "berlin"]);
        assert_eq!(q.sort, JobSort::Score);
        assert_eq!(page.limit, 50);
        assert_eq!(q.from.unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        let to_day = parse_list_query(&params(&[("to", "2026-11-30")]))
            .unwrap()
            .0
            .to
            .unwrap();
        assert_eq!(
            to_day.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "2026-11-30T23:59:59.999Z"
        );

        for (bad, field) in [
            (vec![("minScore", "0")], "minScore"),
            (vec![("minScore", "11")], "minScore"),
            (vec![("maxScore", "7.5")], "maxScore"),
            (vec![("minScore", "8"), ("maxScore", "3")], "minScore"),
            (vec![("from", "2026-12-01"), ("to", "2026-11-01")], "from"),
            (vec![("from", "yesterday")], "from"),
            (vec![("to", "2026-13-01")], "to"),
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "101")], "limit"),
            (vec![("status", "done")], "status"),
            (vec![("sort", "oldest")], "sort"),
            (vec![("stage", "hired")], "stage"),
            (vec![("sourceId", "x")], "sourceId"),
            (vec![("page", "2")], "page"),
            (vec![("status", "new"), ("status", "queued")], "status"),
        ] {
            let err = parse_list_query(&params(&bad)).unwrap_err();
            assert_eq!(field_of(err), field, "{bad:?}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
