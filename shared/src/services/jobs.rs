//! Reading one job with its scoring history (`GET /v1/jobs/{id}`, `.../history`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    JobCard, JobId, JobStatus, Salary, Score, ScoringEntry, SourceId, TenantId, search,
};
use crate::http::ApiError;
use crate::ports::{JobQuery, JobSort, JobStore, Page, PageRequest, ScoringStore};

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

pub struct JobsService {
    pub jobs: Arc<dyn JobStore>,
    pub scoring: Arc<dyn ScoringStore>,
}

/// Ids that do not parse name no job of this tenant: 404, like any other.
pub fn job_id(raw: &str) -> Result<JobId, ApiError> {
    JobId::parse(raw).map_err(|_| ApiError::NotFound)
}

impl JobsService {
    /// How many history entries the job view carries.
    pub const HISTORY_IN_VIEW: u16 = 10;

    pub async fn get(&self, tenant: TenantId, id: JobId) -> Result<JobView, ApiError> {
        let job = self
            .jobs
            .get_job(tenant, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let history = self
            .scoring
            .history(tenant, id, &PageRequest::first(Self::HISTORY_IN_VIEW))
            .await?
            .items;
        Ok(JobView {
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
    ) -> Result<ListView<ScoringEntry>, ApiError> {
        if self.jobs.get_job(tenant, id).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        Ok(self.scoring.history(tenant, id, page).await?.into())
    }
}

/// Parses the list's query parameters (`GET /v1/jobs` in docs/openapi.json): every filter,
/// `sort`, `limit` and `cursor`. Unknown parameters and malformed values are 400s naming
/// the parameter.
pub fn parse_list_query(params: &[(String, String)]) -> Result<(JobQuery, PageRequest), ApiError> {
    let mut query = JobQuery::default();
    let mut page = PageRequest::first(PageRequest::DEFAULT_LIMIT);
    let mut seen = std::collections::HashSet::new();
    for (name, value) in params {
        if !seen.insert(name.as_str()) {
            return Err(ApiError::validation(name, "given more than once"));
        }
        let value = value.trim();
        match name.as_str() {
            "status" => {
                query.status = Some(
                    value
                        .parse::<JobStatus>()
                        .map_err(|e| ApiError::validation("status", e.to_string()))?,
                );
            }
            "minScore" => query.min_score = Some(score_param("minScore", value)?),
            "maxScore" => query.max_score = Some(score_param("maxScore", value)?),
            "from" => query.from = Some(time_param("from", value, false)?),
            "to" => query.to = Some(time_param("to", value, true)?),
            "q" => {
                if value.chars().count() > 200 {
                    return Err(ApiError::validation("q", "must be at most 200 characters"));
                }
                let words = search::query_words(value).unwrap_or_default();
                if words.len() > 10 {
                    return Err(ApiError::validation("q", "must have at most 10 words"));
                }
                query.words = words;
            }
            "sourceId" => {
                query.source = Some(
                    SourceId::parse(value)
                        .map_err(|_| ApiError::validation("sourceId", "is not a source id"))?,
                );
            }
            "sort" => {
                query.sort = match value {
                    "newest" => JobSort::Newest,
                    "score" => JobSort::Score,
                    _ => return Err(ApiError::validation("sort", "must be newest or score")),
                };
            }
            "limit" => page.limit = crate::http::request::page_limit(value)?,
            "cursor" => page.cursor = Some(value.to_owned()).filter(|c| !c.is_empty()),
            other => return Err(ApiError::validation(other, "unknown parameter")),
        }
    }
    if let (Some(min), Some(max)) = (query.min_score, query.max_score)
        && min > max
    {
        return Err(ApiError::validation(
            "minScore",
            "must not be above maxScore",
        ));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    Ok((query, page))
}

fn score_param(name: &str, value: &str) -> Result<Score, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .and_then(|v| Score::new(v).ok())
        .ok_or_else(|| ApiError::validation(name, "must be a whole number from 1 to 10"))
}

/// An RFC 3339 time, or a date (`YYYY-MM-DD`, UTC): its start, or its end for `to`.
pub fn time_param(name: &str, value: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ApiError::validation(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
    })?;
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
    ) -> Result<ListView<JobCard>, ApiError> {
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
    ) -> Result<JobCard, ApiError> {
        let job = self
            .jobs
            .get_job(tenant, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let from = job.card.status;
        let to = change.status;
        from.transition(to)
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
        if to == JobStatus::Queued {
            return Err(ApiError::Conflict(
                "use POST /v1/jobs/{id}/rescore to queue a job for scoring".into(),
            ));
        }
        if to == JobStatus::Scored && job.card.score.is_none() {
            return Err(ApiError::Conflict(
                "the job has no score to restore; restore it as new".into(),
            ));
        }
        self.jobs
            .set_status(tenant, &job.card, job.attempt, to)
            .await?
            .ok_or_else(|| ApiError::Conflict("the job changed meanwhile; try again".into()))
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

const CSV_COLUMNS: [&str; 12] = [
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
    ) -> Result<Export, ApiError> {
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

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Validation { details, .. } => details
                .and_then(|d| d.as_object().and_then(|o| o.keys().next().cloned()))
                .unwrap_or_default(),
            other => panic!("expected a validation error, got {other:?}"),
        }
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
        ]))
        .unwrap();
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
