//! Admin analytics (`/v1/analytics/…` in docs/openapi.json), computed from the daily
//! counters — a range reads one item per day (and per source-day), never the jobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::{JobStatus, SourceId, Stage, TenantId};
use crate::http::ApiError;
use crate::ports::{AnalyticsStore, Clock, DayCounters, SourceStore, StoreError};
use crate::services::Invalid;
use crate::services::jobs::time_param;

/// The default range: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest range one request may ask for (bounds what it reads).
pub const MAX_DAYS: i64 = 366;
/// Scores from here up count as high.
pub const HIGH_SCORE: usize = 8;

/// Why a report was not produced.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::Invalid(e) => e.into(),
            AnalyticsError::Store(e) => e.into(),
        }
    }
}

pub struct AnalyticsService {
    pub counters: Arc<dyn AnalyticsStore>,
    pub sources: Arc<dyn SourceStore>,
    /// Where "today" comes from when a request leaves `to` out.
    pub clock: Arc<dyn Clock>,
}

/// `from` and `to` (dates or RFC 3339 times, UTC days), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// The range a request's `from`/`to` ask for; `to` defaults to the day of `now`.
    pub fn parse(params: &[(String, String)], now: DateTime<Utc>) -> Result<Self, Invalid> {
        let mut from = None;
        let mut to = None;
        for (name, value) in params {
            match name.as_str() {
                "from" => from = Some(time_param("from", value.trim(), false)?.date_naive()),
                "to" => to = Some(time_param("to", value.trim(), true)?.date_naive()),
                other => return Err(Invalid::new(other, "unknown parameter")),
            }
        }
        let to = to.unwrap_or_else(|| now.date_naive());
        let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(Invalid::new("from", "must not be after to"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(Invalid::new(
                "from",
                format!("the range may span at most {MAX_DAYS} days"),
            ));
        }
        Ok(Self { from, to })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Jobs created in the range.
    pub total_jobs: i64,
    /// Where those jobs stand now, every status named.
    pub by_status: Map<String, Value>,
    /// The average current score of those jobs that have one.
    pub average_score: Option<f64>,
    /// Scorings (rescorings included) done in the range.
    pub scored_in_range: i64,
    /// Where those jobs stand in the user's applications now, every stage named.
    pub by_stage: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct Bucket {
    pub score: u8,
    pub count: i64,
}

#[derive(Debug, Serialize)]
pub struct Distribution {
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub created: i64,
    pub scored: i64,
}

#[derive(Debug, Serialize)]
pub struct JobsPerDay {
    pub days: Vec<Day>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStats {
    pub source_id: SourceId,
    pub name: String,
    pub jobs: i64,
    pub average_score: Option<f64>,
    /// Jobs scoring [`HIGH_SCORE`] or more.
    pub high_scores: i64,
}

fn average(scores: &[i64; 10]) -> Option<f64> {
    let count: i64 = scores.iter().sum();
    let sum: i64 = scores
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1) * n)
        .sum();
    (count > 0).then(|| (sum as f64 / count as f64 * 100.0).round() / 100.0)
}

fn add_scores(into: &mut [i64; 10], from: &[i64; 10]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

impl AnalyticsService {
    /// The range a request asks for, "today" by this service's clock.
    pub fn day_range(&self, params: &[(String, String)]) -> Result<DayRange, AnalyticsError> {
        Ok(DayRange::parse(params, self.clock.now())?)
    }

    async fn days(
        &self,
        tenant: TenantId,
        range: DayRange,
    ) -> Result<Vec<DayCounters>, AnalyticsError> {
        Ok(self
            .counters
            .day_counters(tenant, range.from, range.to)
            .await?)
    }

    pub async fn overview(
        &self,
        tenant: TenantId,
        range: DayRange,
    ) -> Result<Overview, AnalyticsError> {
        let days = self.days(tenant, range).await?;
        let mut by_status: BTreeMap<JobStatus, i64> =
            JobStatus::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_stage: BTreeMap<Stage, i64> = Stage::ALL.iter().map(|s| (*s, 0)).collect();
        let mut scores = [0; 10];
        for d in &days {
            for (s, n) in &d.by_status {
                *by_status.entry(*s).or_default() += n;
            }
            for (s, n) in &d.by_stage {
                *by_stage.entry(*s).or_default() += n;
            }
            add_scores(&mut scores, &d.scores);
        }
        Ok(Overview {
            total_jobs: days.iter().map(|d| d.created).sum(),
            by_status: by_status
                .into_iter()
                .map(|(s, n)| (s.as_str().to_owned(), Value::from(n)))
                .collect(),
            average_score: average(&scores),
            scored_in_range: days.iter().map(|d| d.scored).sum(),
            by_stage: by_stage
                .into_iter()
                .map(|(s, n)| (s.as_str().to_owned(), Value::from(n)))
                .collect(),
        })
    }

    pub async fn score_distribution(
        &self,
        tenant: TenantId,
        range: DayRange,
    ) -> Result<Distribution, AnalyticsError> {
        let mut scores = [0; 10];
        for d in self.days(tenant, range).await? {
            add_scores(&mut scores, &d.scores);
        }
        Ok(Distribution {
            buckets: (1..=10u8)
                .map(|score| Bucket {
                    score,
                    count: scores[usize::from(score) - 1],
                })
                .collect(),
        })
    }

    /// Every day of the range, days without counters as zeros.
    pub async fn jobs_per_day(
        &self,
        tenant: TenantId,
        range: DayRange,
    ) -> Result<JobsPerDay, AnalyticsError> {
        let counted: BTreeMap<NaiveDate, DayCounters> = self
            .days(tenant, range)
            .await?
            .into_iter()
            .map(|d| (d.day, d))
            .collect();
        let days = range
            .from
            .iter_days()
            .take_while(|d| *d <= range.to)
            .map(|date| Day {
                date,
                created: counted.get(&date).map_or(0, |d| d.created),
                scored: counted.get(&date).map_or(0, |d| d.scored),
            })
            .collect();
        Ok(JobsPerDay { days })
    }

    /// Every current source, and sources deleted since that still have jobs in the range.
    pub async fn sources(
        &self,
        tenant: TenantId,
        range: DayRange,
    ) -> Result<Vec<SourceStats>, AnalyticsError> {
        let mut per_source: BTreeMap<SourceId, (i64, [i64; 10])> = BTreeMap::new();
        for d in self
            .counters
            .source_day_counters(tenant, range.from, range.to)
            .await?
        {
            let entry = per_source.entry(d.source).or_insert((0, [0; 10]));
            entry.0 += d.created;
            add_scores(&mut entry.1, &d.scores);
        }
        let mut names: BTreeMap<SourceId, String> = self
            .sources
            .list_sources(tenant)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name.to_string()))
            .collect();
        for id in names.keys() {
            per_source.entry(*id).or_insert((0, [0; 10]));
        }
        Ok(per_source
            .into_iter()
            .map(|(id, (jobs, scores))| SourceStats {
                source_id: id,
                name: names
                    .remove(&id)
                    .unwrap_or_else(|| "(deleted source)".to_owned()),
                jobs,
                average_score: average(&scores),
                high_scores: scores[HIGH_SCORE - 1..].iter().sum(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn the_default_range_is_the_thirty_days_up_to_the_day_of_now() {
        let now = "2026-03-01T23:30:00Z".parse().expect("a time");
        let range = DayRange::parse(&[], now).expect("valid");
        assert_eq!(range.to, day("2026-03-01"));
        assert_eq!(range.from, day("2026-01-31"));
    }

    #[test]
    fn a_given_to_does_not_depend_on_now() {
        let now = "2030-01-01T00:00:00Z".parse().expect("a time");
        let range = DayRange::parse(&[("to".into(), "2026-03-01".into())], now).expect("valid");
        assert_eq!(range.to, day("2026-03-01"));
        assert_eq!(range.from, day("2026-01-31"));
    }

    #[test]
    fn a_default_to_before_the_given_from_is_refused_by_name() {
        let now = "2026-03-01T12:00:00Z".parse().expect("a time");
        let err =
            DayRange::parse(&[("from".into(), "2026-03-02".into())], now).expect_err("refused");
        assert_eq!(err.to_string(), "from: must not be after to");
    }
}
