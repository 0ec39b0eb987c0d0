//! Jobs: a posting stored for a tenant, with its status and latest score.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CanonicalUrl, JobId, JobStatus, Score, SourceId, Stage, TenantId};

/// The lean part of a job shown in lists (`JobCard` in docs/openapi.json).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCard {
    pub id: JobId,
    pub title: String,
    pub company: String,
    pub location: String,
    pub remote: bool,
    pub url: CanonicalUrl,
    pub source_id: SourceId,
    pub status: JobStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<DateTime<Utc>>,
    /// When the posting vanished from its source (an ATS board took it down). The job
    /// stays; this only says it is probably no longer open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The application stage the user set; absent until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// When the stage last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_changed_at: Option<DateTime<Utc>>,
    /// The published pay range, copied from the posting so the list can show it without
    /// reading each job's body; absent when the posting publishes none (and on jobs
    /// stored before the card carried it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salary: Option<Salary>,
    /// Remote, hybrid or on-site, as the profile scorer reads the posting; absent on jobs
    /// stored before the card carried it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_mode: Option<WorkMode>,
}

/// How the work happens, read from the posting (see `jobmon_scoring::work_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkMode {
    Remote,
    Hybrid,
    Onsite,
}

/// A whole job: the card plus its long text and identity used for de-duplication.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub tenant_id: TenantId,
    pub card: JobCard,
    pub description: String,
    /// The source's own id of the posting (e.g. Greenhouse job id).
    pub native_id: Option<String>,
    /// See `fingerprint::posting_fingerprint`.
    pub fingerprint: String,
    /// The pay range the posting publishes, if any.
    pub salary: Option<Salary>,
    /// The latest scoring attempt: bumped each time the job is queued for (re)scoring, and
    /// carried in the scoring message so that a stale or repeated delivery is recognised.
    /// 0 for a job never queued.
    pub attempt: u32,
    /// Why the latest attempt failed (shown on `failed` jobs; cleared by a scoring).
    pub last_error: Option<String>,
}

/// One scoring of a job, as kept in its history (`GET /v1/jobs/{id}/history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoringEntry {
    pub score: Score,
    pub reason: String,
    /// `profile`, `openai` or `webhook`.
    pub scorer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The attempt it answered; at most one entry per attempt.
    #[serde(skip)]
    pub attempt: u32,
}

/// A published pay range. `interval` is normalised to `year`, `month`, `week`, `day` or
/// `hour` when the source's wording is recognised and passed through otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Salary {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub currency: Option<String>,
    pub interval: Option<String>,
}

impl Salary {
    /// The largest amount kept. Above it a figure is a feed's mistake (or an attack): DynamoDB
    /// refuses numbers past 10^126, and one such posting must not sink its whole batch.
    pub const MAX_AMOUNT: f64 = 1e12;

    /// `None` unless at least one bound is known: a currency alone says nothing. Negative,
    /// non-finite and absurd amounts (over [`Self::MAX_AMOUNT`]) count as unknown.
    pub fn new(
        min: Option<f64>,
        max: Option<f64>,
        currency: Option<&str>,
        interval: Option<&str>,
    ) -> Option<Self> {
        let plausible = |v: &f64| v.is_finite() && (0.0..=Self::MAX_AMOUNT).contains(v);
        let min = min.filter(plausible);
        let max = max.filter(plausible);
        if min.is_none() && max.is_none() {
            return None;
        }
        Some(Self {
            min,
            max,
            currency: currency
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_ascii_uppercase),
            interval: interval.and_then(normalise_interval),
        })
    }
}

/// Providers spell intervals as `per-year-salary` (Lever), `1 YEAR` (Ashby), `year`
/// (Recruitee), `yearly`, `annual`...
fn normalise_interval(raw: &str) -> Option<String> {
    let lower = raw.trim().to_ascii_lowercase();
    if lower.is_empty() || lower == "none" {
        return None;
    }
    let known = [
        ("year", "year"),
        ("annual", "year"),
        ("month", "month"),
        ("week", "week"),
        ("day", "day"),
        ("daily", "day"),
        ("hour", "hour"),
    ];
    Some(
        known
            .iter()
            .find(|(needle, _)| lower.contains(needle))
            .map_or(lower.clone(), |(_, name)| (*name).to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salary_needs_a_bound() {
        assert_eq!(Salary::new(None, None, Some("USD"), Some("year")), None);
        let s = Salary::new(Some(1.0), None, Some("usd"), Some("per-year-salary")).unwrap();
        assert_eq!(s.currency.as_deref(), Some("USD"));
        assert_eq!(s.interval.as_deref(), Some("year"));
    }

    #[test]
    fn absurd_amounts_are_unknown() {
        assert_eq!(Salary::new(Some(1e300), None, Some("USD"), None), None);
        assert_eq!(Salary::new(Some(f64::NAN), Some(-5.0), None, None), None);
        let s = Salary::new(Some(120_000.0), Some(1e130), None, None).unwrap();
        assert_eq!((s.min, s.max), (Some(120_000.0), None));
        assert!(Salary::new(None, Some(Salary::MAX_AMOUNT), None, None).is_some());
    }

    #[test]
    fn intervals_are_normalised() {
        assert_eq!(normalise_interval("1 YEAR").as_deref(), Some("year"));
        assert_eq!(normalise_interval("per-hour-wage").as_deref(), Some("hour"));
        assert_eq!(normalise_interval("Monthly").as_deref(), Some("month"));
        assert_eq!(normalise_interval("NONE"), None);
        assert_eq!(
            normalise_interval("fortnight").as_deref(),
            Some("fortnight")
        );
    }
}
