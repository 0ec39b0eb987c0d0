//! Scoring: history entries, the `queued → scored | failed` moves, requeueing, the
//! profile; the conditions and outcomes of `dynamo/scoring.rs`.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::adapters::card_move::CardMove;
use crate::domain::{JobCard, JobId, JobStatus, Profile, ScoringEntry, TenantId};
use crate::http::cursor::Position;
use crate::ports::{
    Conflict, Page, PageRequest, Recorded, ReplayMarker, ScoringStore, StoreError, VersionedProfile,
};

fn history_scope(job: JobId) -> String {
    format!("history:{job}")
}

impl State {
    /// Whether the stored job is as the move read it: exists, same status, same attempt.
    fn move_allowed(&self, tenant: TenantId, m: &CardMove<'_>) -> bool {
        self.jobs
            .get(&(tenant, m.card.id))
            .is_some_and(|j| j.card.status == m.card.status && j.attempt == m.attempt)
    }

    /// Applies a move if its condition holds; the card after it (built from the card as
    /// read, like DynamoDB's), or `None`.
    pub(super) fn move_card(&mut self, tenant: TenantId, m: &CardMove<'_>) -> Option<JobCard> {
        if !self.move_allowed(tenant, m) {
            return None;
        }
        let job = self.jobs.get_mut(&(tenant, m.card.id))?;
        job.card.status = m.to;
        if let Some((score, at)) = m.score {
            job.card.score = Some(score);
            job.card.scored_at = Some(at);
        }
        if let Some(next) = m.next_attempt {
            job.attempt = next;
        }
        match (m.last_error, m.keep_error_or) {
            (Some(error), _) => job.last_error = error.map(str::to_owned),
            (None, Some(fallback)) => {
                job.last_error.get_or_insert_with(|| fallback.to_owned());
            }
            (None, None) => {}
        }
        Some(m.applied())
    }

    fn card_with_attempt(&self, tenant: TenantId, job: JobId) -> Option<(JobCard, u32)> {
        self.jobs
            .get(&(tenant, job))
            .map(|j| (j.card.clone(), j.attempt))
    }

    /// The scoring's transaction: its conditions, reported in the adapter's order of
    /// precedence, then its writes.
    fn record(
        &mut self,
        tenant: TenantId,
        job: JobId,
        entry: &ScoringEntry,
        replay: Option<&ReplayMarker>,
        profile_version: Option<u64>,
    ) -> Recorded {
        let Some((mut waiting, _)) = self.card_with_attempt(tenant, job) else {
            return Recorded::NotAwaited;
        };
        waiting.status = JobStatus::Queued;
        let m = CardMove::scored(&waiting, entry);
        let entry_key = (tenant, job, entry.attempt);
        if replay.is_some_and(|r| self.replays.contains(&r.key)) {
            return Recorded::Replayed;
        }
        if self.history.contains_key(&entry_key) {
            return Recorded::AlreadyScored;
        }
        if !self.move_allowed(tenant, &m) {
            return Recorded::NotAwaited;
        }
        let current = self.profiles.get(&tenant).map_or(0, |p| p.version);
        if profile_version.is_some_and(|v| v != current) {
            return Recorded::StaleProfile;
        }
        self.history.insert(entry_key, entry.clone());
        if let Some(marker) = replay {
            self.replays.insert(marker.key.clone());
        }
        let card = self.move_card(tenant, &m).unwrap_or_else(|| m.applied());
        Recorded::Scored(card)
    }
}

#[async_trait]
impl ScoringStore for MemoryStore {
    async fn record_scoring(
        &self,
        tenant: TenantId,
        job: JobId,
        entry: &ScoringEntry,
        replay: Option<&ReplayMarker>,
    ) -> Result<Recorded, StoreError> {
        Ok(self.lock().record(tenant, job, entry, replay, None))
    }

    async fn record_scoring_of(
        &self,
        tenant: TenantId,
        waiting: &JobCard,
        entry: &ScoringEntry,
        profile_version: u64,
    ) -> Result<Recorded, StoreError> {
        Ok(self
            .lock()
            .record(tenant, waiting.id, entry, None, Some(profile_version)))
    }

    async fn note_attempt_error(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        match state.jobs.get_mut(&(tenant, job)) {
            Some(j) if j.card.status == JobStatus::Queued && j.attempt == attempt => {
                j.last_error = Some(error.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn mark_failed(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: Option<&str>,
    ) -> Result<Option<JobCard>, StoreError> {
        let mut state = self.lock();
        let Some((card, current)) = state.card_with_attempt(tenant, job) else {
            return Ok(None);
        };
        if card.status != JobStatus::Queued || current != attempt {
            return Ok(None);
        }
        Ok(state.move_card(tenant, &CardMove::failed(&card, attempt, error)))
    }

    async fn requeue(
        &self,
        tenant: TenantId,
        job: JobId,
        from: JobStatus,
        from_attempt: u32,
    ) -> Result<Option<JobCard>, StoreError> {
        from.transition(JobStatus::Queued)
            .map_err(|_| StoreError::Conflict(Conflict::Stale))?;
        let mut state = self.lock();
        let Some((card, attempt)) = state.card_with_attempt(tenant, job) else {
            return Ok(None);
        };
        if card.status != from || attempt != from_attempt {
            return Ok(None);
        }
        Ok(state.move_card(tenant, &CardMove::requeued(&card, attempt)))
    }

    async fn unqueue(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        previous: JobStatus,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let Some((card, current)) = state.card_with_attempt(tenant, job) else {
            return Ok(());
        };
        if card.status == JobStatus::Queued && current == attempt {
            state.move_card(tenant, &CardMove::status(&card, attempt, previous));
        }
        Ok(())
    }

    async fn history(
        &self,
        tenant: TenantId,
        job: JobId,
        page: &PageRequest,
    ) -> Result<Page<ScoringEntry>, StoreError> {
        let before = match page.cursor.as_deref() {
            None => None,
            Some(token) => {
                let position = self
                    .cursors
                    .open(token, tenant, &history_scope(job))
                    .map_err(|_| StoreError::InvalidCursor)?;
                let attempt: u32 = position
                    .get("attempt")
                    .and_then(|a| a.parse().ok())
                    .ok_or(StoreError::InvalidCursor)?;
                Some(attempt)
            }
        };
        let limit = usize::from(page.limit.clamp(1, PageRequest::MAX_LIMIT));
        let state = self.lock();
        let mut entries: Vec<ScoringEntry> = state
            .history
            .range((tenant, job, 0)..=(tenant, job, u32::MAX))
            .rev()
            .filter(|((_, _, attempt), _)| before.is_none_or(|b| *attempt < b))
            .map(|(_, entry)| entry.clone())
            .collect();
        let more = entries.len() > limit;
        entries.truncate(limit);
        let next_cursor = match entries.last() {
            Some(last) if more => Some(self.cursors.seal(
                tenant,
                &history_scope(job),
                &Position::from([("attempt".to_owned(), last.attempt.to_string())]),
            )),
            _ => None,
        };
        Ok(Page {
            items: entries,
            next_cursor,
        })
    }

    async fn job_cards_after(
        &self,
        tenant: TenantId,
        after: Option<JobId>,
        limit: u16,
    ) -> Result<Vec<(JobCard, u32)>, StoreError> {
        Ok(self
            .lock()
            .jobs
            .iter()
            .filter(|((t, id), _)| *t == tenant && after.is_none_or(|a| *id > a))
            .take(usize::from(limit.max(1)))
            .map(|(_, j)| (j.card.clone(), j.attempt))
            .collect())
    }

    async fn get_profile(&self, tenant: TenantId) -> Result<Option<Profile>, StoreError> {
        Ok(self.lock().profiles.get(&tenant).map(|p| p.profile.clone()))
    }

    async fn versioned_profile(&self, tenant: TenantId) -> Result<VersionedProfile, StoreError> {
        Ok(self
            .lock()
            .profiles
            .get(&tenant)
            .cloned()
            .unwrap_or_default())
    }

    async fn put_profile(&self, tenant: TenantId, profile: &Profile) -> Result<(), StoreError> {
        let mut state = self.lock();
        let saved = state.profiles.entry(tenant).or_default();
        saved.profile = profile.clone();
        saved.version += 1;
        Ok(())
    }
}
