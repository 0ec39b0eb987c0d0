//! Jobs: insert (card, body, URL marker together), read, the list with the filters and
//! orders of `dynamo/jobs.rs`, status moves conditional on the card as read.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::adapters::card_move::CardMove;
use crate::adapters::dynamo::keys;
use crate::domain::search::job_words;
use crate::domain::{Job, JobCard, JobId, JobStatus, TenantId};
use crate::http::cursor::Position;
use crate::ports::{Conflict, JobQuery, JobSort, JobStore, Page, PageRequest, StoreError};

/// The scope a cursor is bound to: every filter and the order of the query.
fn scope(query: &JobQuery) -> String {
    format!("memory-jobs:{query:?}")
}

/// Where a job sorts in a list: by score first when sorted by score, then newest first.
fn order_key(card: &JobCard, by_score: bool) -> (u8, JobId) {
    let score = if by_score {
        card.score.map_or(0, |s| s.value())
    } else {
        0
    };
    (score, card.id)
}

/// Whether the card is in the list `query` asks for, as the index and filters of the
/// DynamoDB adapter's plan select it (docs/data-model.md, "Job list").
fn matches(job: &Job, query: &JobQuery, by_score: bool) -> bool {
    let card = &job.card;
    let status = query
        .status
        .map_or(card.status != JobStatus::Archived, |s| card.status == s);
    let source = query.source.is_none_or(|s| card.source_id == s);
    // As the score indexes hold it: a score on a status that carries one.
    let scored = card.score.is_some() && card.status.carries_score();
    let score_range = query.min_score.is_some() || query.max_score.is_some();
    let listed = status && source && (scored || !(by_score || score_range));
    let staged = query.stage.is_none_or(|stage| card.stage == Some(stage));
    let created_ms = card.id.as_ulid().timestamp_ms();
    let in_range = query
        .from
        .is_none_or(|from| created_ms >= u64::try_from(from.timestamp_millis()).unwrap_or(0))
        && query
            .to
            .is_none_or(|to| created_ms <= u64::try_from(to.timestamp_millis()).unwrap_or(0));
    let scored_within = if query.min_score.is_some() || query.max_score.is_some() {
        let lo = query.min_score.map_or(1, |s| s.value());
        let hi = query.max_score.map_or(10, |s| s.value());
        card.score.is_some_and(|s| (lo..=hi).contains(&s.value()))
    } else {
        true
    };
    let words = if query.words.is_empty() {
        true
    } else {
        let have = job_words(
            &[
                &card.title,
                &card.company,
                &card.location,
                card.url.as_str(),
            ],
            &job.description,
        );
        // `contains(words, :w)` on a list is membership, not a substring test.
        query.words.iter().all(|w| have.contains(w))
    };
    listed && staged && in_range && scored_within && words
}

fn by_score(query: &JobQuery) -> bool {
    query.sort == JobSort::Score && query.status.is_none_or(JobStatus::carries_score)
}

impl State {
    fn insert_job(&mut self, job: &Job) -> Result<(), StoreError> {
        let url = (job.tenant_id, keys::job_url_sk(&job.card.url));
        if self.jobs.contains_key(&(job.tenant_id, job.card.id)) {
            return Err(StoreError::Conflict(Conflict::AlreadyExists));
        }
        if self.markers.contains_key(&url) {
            return Err(StoreError::Conflict(Conflict::DuplicateJobUrl));
        }
        self.markers.insert(url, job.card.id);
        self.jobs.insert((job.tenant_id, job.card.id), job.clone());
        Ok(())
    }
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        self.lock().insert_job(job)
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(self.lock().jobs.get(&(tenant, id)).cloned())
    }

    async fn list_jobs(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        page: &PageRequest,
    ) -> Result<Page<JobCard>, StoreError> {
        let limit = usize::from(page.limit.clamp(1, PageRequest::MAX_LIMIT));
        let by_score = by_score(query);
        let after = match page.cursor.as_deref() {
            None => None,
            Some(token) => {
                let position = self
                    .cursors
                    .open(token, tenant, &scope(query))
                    .map_err(|_| StoreError::InvalidCursor)?;
                let score: u8 = position
                    .get("score")
                    .and_then(|s| s.parse().ok())
                    .ok_or(StoreError::InvalidCursor)?;
                let id = position
                    .get("id")
                    .and_then(|id| JobId::parse(id).ok())
                    .ok_or(StoreError::InvalidCursor)?;
                Some((score, id))
            }
        };
        let state = self.lock();
        // Descending: best score (when sorted by it), then newest.
        let mut listed: BTreeMap<std::cmp::Reverse<(u8, JobId)>, JobCard> = BTreeMap::new();
        for ((t, _), job) in state.jobs.iter() {
            if *t != tenant || !matches(job, query, by_score) {
                continue;
            }
            let key = order_key(&job.card, by_score);
            if after.is_some_and(|after| key >= after) {
                continue;
            }
            listed.insert(std::cmp::Reverse(key), job.card.clone());
        }
        let more = listed.len() > limit;
        let items: Vec<JobCard> = listed.into_values().take(limit).collect();
        let next_cursor = match items.last() {
            Some(last) if more => {
                let (score, id) = order_key(last, by_score);
                let position = Position::from([
                    ("score".to_owned(), score.to_string()),
                    ("id".to_owned(), id.to_string()),
                ]);
                Some(self.cursors.seal(tenant, &scope(query), &position))
            }
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    async fn set_status(
        &self,
        tenant: TenantId,
        card: &JobCard,
        attempt: u32,
        to: JobStatus,
    ) -> Result<Option<JobCard>, StoreError> {
        let mut state = self.lock();
        let moved = state.move_card(tenant, &CardMove::status(card, attempt, to));
        // As in DynamoDB: a job restored to `pending_upgrade` lists its tenant for the
        // monthly admission.
        if moved.is_some() && to == JobStatus::PendingUpgrade {
            state.mark_pending(tenant);
        }
        Ok(moved)
    }
}
