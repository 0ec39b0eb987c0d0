//! Application tracking: the stage on the card and the tracking entries beside it, with the
//! DynamoDB adapter's conditions (stage as read; at most `MAX_NOTES` notes).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::{JobCard, JobId, NoteText, Stage, TenantId, TrackingEntry};
use crate::ports::{MAX_NOTES, MAX_TRACKING_ENTRIES, NoteAdded, StoreError, TrackingStore};

#[async_trait]
impl TrackingStore for MemoryStore {
    async fn set_stage(
        &self,
        tenant: TenantId,
        card: &JobCard,
        to: Stage,
        at: DateTime<Utc>,
    ) -> Result<Option<JobCard>, StoreError> {
        let mut state = self.lock();
        let Some(job) = state.jobs.get_mut(&(tenant, card.id)) else {
            return Ok(None);
        };
        if job.card.stage != card.stage {
            return Ok(None);
        }
        job.card.stage = Some(to);
        job.card.stage_changed_at = Some(at);
        let moved = job.card.clone();
        state
            .tracking
            .entry((tenant, card.id))
            .or_default()
            .push(TrackingEntry::Stage {
                stage: to,
                from: card.stage,
                at,
            });
        Ok(Some(moved))
    }

    async fn add_note(
        &self,
        tenant: TenantId,
        job: JobId,
        text: &NoteText,
        at: DateTime<Utc>,
    ) -> Result<NoteAdded, StoreError> {
        let mut state = self.lock();
        if !state.jobs.contains_key(&(tenant, job)) {
            return Ok(NoteAdded::JobGone);
        }
        let entries = state.tracking.entry((tenant, job)).or_default();
        let notes = entries
            .iter()
            .filter(|e| matches!(e, TrackingEntry::Note { .. }))
            .count();
        if notes >= MAX_NOTES as usize {
            return Ok(NoteAdded::Full);
        }
        entries.push(TrackingEntry::Note {
            text: text.as_str().to_owned(),
            at,
        });
        Ok(NoteAdded::Added)
    }

    async fn tracking(
        &self,
        tenant: TenantId,
        job: JobId,
    ) -> Result<Vec<TrackingEntry>, StoreError> {
        let state = self.lock();
        let entries = state
            .tracking
            .get(&(tenant, job))
            .cloned()
            .unwrap_or_default();
        let skip = entries.len().saturating_sub(MAX_TRACKING_ENTRIES);
        Ok(entries.into_iter().skip(skip).collect())
    }
}
