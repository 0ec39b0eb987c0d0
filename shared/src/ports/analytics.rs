//! Analytics counters (kept by the stores' writes; read here).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::{JobStatus, SourceId, Stage, TenantId};
use crate::ports::StoreError;

/// One tenant day: what was created that day (and where those jobs stand now), and how
/// many scorings happened that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCounters {
    pub day: NaiveDate,
    pub created: i64,
    /// Current status of the jobs created that day.
    pub by_status: BTreeMap<JobStatus, i64>,
    /// `scores[n - 1]`: jobs created that day whose current score is `n`.
    pub scores: [i64; 10],
    /// Current application stage of the jobs created that day (untracked jobs not counted).
    pub by_stage: BTreeMap<Stage, i64>,
    /// Scorings (rescorings included) that happened that day.
    pub scored: i64,
}

/// One source's day, by creation day of its jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDayCounters {
    pub day: NaiveDate,
    pub source: SourceId,
    pub created: i64,
    pub scores: [i64; 10],
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// The tenant's days from `from` to `to` (inclusive) that have counters.
    async fn day_counters(
        &self,
        tenant: TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayCounters>, StoreError>;
    async fn source_day_counters(
        &self,
        tenant: TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SourceDayCounters>, StoreError>;
}
