//! Analytics counters, derived from the stored jobs and history instead of kept: the
//! DynamoDB adapter's counters count exactly this (jobs by creation day with their current
//! status and score; scorings by the day they happened).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::MemoryStore;
use crate::domain::{JobStatus, SourceId, Stage, TenantId};
use crate::ports::{AnalyticsStore, DayCounters, SourceDayCounters, StoreError};

#[async_trait]
impl AnalyticsStore for MemoryStore {
    async fn day_counters(
        &self,
        tenant: TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayCounters>, StoreError> {
        let state = self.lock();
        let mut days: BTreeMap<NaiveDate, DayCounters> = BTreeMap::new();
        let empty = |day| DayCounters {
            day,
            created: 0,
            by_status: JobStatus::ALL.iter().map(|s| (*s, 0)).collect(),
            scores: [0; 10],
            by_stage: Stage::ALL.iter().map(|s| (*s, 0)).collect(),
            scored: 0,
        };
        for ((t, _), job) in &state.jobs {
            let day = job.card.created_at.date_naive();
            if *t != tenant || day < from || day > to {
                continue;
            }
            let counters = days.entry(day).or_insert_with(|| empty(day));
            counters.created += 1;
            *counters.by_status.entry(job.card.status).or_default() += 1;
            if let Some(score) = job.card.score {
                counters.scores[usize::from(score.value()) - 1] += 1;
            }
            if let Some(stage) = job.card.stage {
                *counters.by_stage.entry(stage).or_default() += 1;
            }
        }
        for ((t, _, _), entry) in &state.history {
            let day = entry.created_at.date_naive();
            if *t != tenant || day < from || day > to {
                continue;
            }
            days.entry(day).or_insert_with(|| empty(day)).scored += 1;
        }
        Ok(days.into_values().collect())
    }

    async fn source_day_counters(
        &self,
        tenant: TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SourceDayCounters>, StoreError> {
        let state = self.lock();
        let mut days: BTreeMap<(NaiveDate, SourceId), SourceDayCounters> = BTreeMap::new();
        for ((t, _), job) in &state.jobs {
            let day = job.card.created_at.date_naive();
            if *t != tenant || day < from || day > to {
                continue;
            }
            let source = job.card.source_id;
            let counters = days.entry((day, source)).or_insert(SourceDayCounters {
                day,
                source,
                created: 0,
                scores: [0; 10],
            });
            counters.created += 1;
            if let Some(score) = job.card.score {
                counters.scores[usize::from(score.value()) - 1] += 1;
            }
        }
        Ok(days.into_values().collect())
    }
}
