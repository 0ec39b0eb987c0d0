//! Storage ports.

use async_trait::async_trait;

use crate::domain::{
    Email, Job, JobCard, JobId, JobStatus, Period, Role, Source, SourceId, Tenant, TenantId,
    TenantName, User, UserId,
};

/// A uniqueness rule that a write would have broken. Adapters map their storage
/// conditions to these; callers turn them into 409s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("this tenant already has a job with this URL")]
    DuplicateJobUrl,
    #[error("the item already exists")]
    AlreadyExists,
    #[error("a tenant must keep at least one admin")]
    LastAdmin,
    #[error("the plan's member limit is reached")]
    MemberLimit,
    #[error("the token was already used or has expired")]
    TokenSpent,
    #[error("the record changed meanwhile; try again")]
    Stale,
    #[error("the plan's source limit is reached")]
    SourceLimit,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// A stored item that does not deserialise into its type: data written by another
    /// version or by hand. Reported, never panicked on.
    #[error("stored item {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    /// The store could not be reached or refused the call; retryable.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// What a caller asks of a list: at most `limit` items, after `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u16,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u16 = 25;
    pub const MAX_LIMIT: u16 = 100;

    pub fn first(limit: u16) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque, signed, bound to the tenant and query; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The job list's filters and order (`GET /v1/jobs`, `/v1/jobs/export`); validated by the
/// service. Without `status`, archived jobs are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    pub status: Option<JobStatus>,
    /// Application stage; served by a filter on whichever index the rest selects.
    pub stage: Option<crate::domain::Stage>,
    pub min_score: Option<crate::domain::Score>,
    pub max_score: Option<crate::domain::Score>,
    /// Created at or after.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Created at or before.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Every word must occur (see `domain::search`).
    pub words: Vec<String>,
    pub source: Option<SourceId>,
    pub sort: JobSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JobSort {
    /// Newest first.
    #[default]
    Newest,
    /// Best score first (jobs that have a score), newest first among equals.
    Score,
}

/// The most job items one list request reads, whatever its filters: a filtered or
/// searched page may come back short (even empty) with a cursor to read on.
pub const LIST_READ_BUDGET: usize = 1000;

/// The tenant record, for the use cases that need a tenant's plan (ingestion, scoring,
/// billing) and for accounts.
#[async_trait]
pub trait TenantReader: Send + Sync {
    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError>;
}

/// The month's usage counter as the overviews read it (tenant, billing, live updates).
#[async_trait]
pub trait UsageReader: Send + Sync {
    /// Jobs scored in `period`; 0 if none yet.
    async fn scored_jobs(&self, tenant: TenantId, period: &Period) -> Result<u32, StoreError>;
}

/// The month's scoring quota, taken by whoever queues jobs for scoring (a fetch, a
/// rescore) and given back for jobs that were not scored after all.
#[async_trait]
pub trait QuotaStore: Send + Sync {
    /// Reserves up to `want` of the month's quota atomically (never past `limit`, under
    /// any concurrency); returns how many were granted.
    async fn reserve_quota(
        &self,
        tenant: TenantId,
        period: &Period,
        want: u32,
        limit: u32,
    ) -> Result<u32, StoreError>;
    /// Gives back quota reserved for jobs that were not admitted after all.
    async fn release_quota(
        &self,
        tenant: TenantId,
        period: &Period,
        n: u32,
    ) -> Result<(), StoreError>;
}

/// Users, the e-mail index, the tenant's name, invitations and recovery: the accounts use
/// cases.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates tenant, first user and the e-mail index entry together, or nothing.
    /// `Conflict::EmailTaken` when the e-mail (in any letter case) has an account.
    async fn create_account(&self, tenant: &Tenant, admin: &User) -> Result<(), StoreError>;
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;
    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>, StoreError>;
    /// Every user of the tenant (bounded by the plan's member limit), oldest first.
    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError>;
    /// `None` if the tenant does not exist.
    async fn rename_tenant(
        &self,
        tenant: TenantId,
        name: &TenantName,
    ) -> Result<Option<Tenant>, StoreError>;
    /// Adds an invited user, consuming the invitation `token_hash` in the same transaction.
    /// `EmailTaken`, `MemberLimit` (the tenant already has `max_members`), `TokenSpent`.
    async fn add_invited_user(
        &self,
        user: &User,
        token_hash: &str,
        max_members: Option<u32>,
    ) -> Result<(), StoreError>;
    /// `LastAdmin` when demoting the only admin; `Stale` if the role changed meanwhile.
    async fn change_role(&self, user: &User, role: Role) -> Result<(), StoreError>;
    /// Deletes the user and frees the e-mail. `LastAdmin` for the only admin.
    async fn remove_user(&self, user: &User) -> Result<(), StoreError>;
    /// Marks the e-mail verified, consuming the verification `token_hash` in the same transaction.
    async fn verify_email(&self, user: &User, token_hash: &str) -> Result<(), StoreError>;
    /// Replaces the password hash, consuming the reset `token_hash` and moving the user's
    /// session generation on (every session ends) in the same transaction.
    async fn reset_password(
        &self,
        user: &User,
        password_hash: &str,
        token_hash: &str,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job (card, body, URL marker) together, or nothing.
    /// `Conflict::DuplicateJobUrl` when the tenant already has the canonical URL.
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError>;
    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError>;
    /// Newest first. `StoreError::InvalidCursor` for a cursor not issued for this
    /// tenant and query.
    async fn list_jobs(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        page: &PageRequest,
    ) -> Result<Page<JobCard>, StoreError>;
    /// Moves a job from `from` (at `attempt`, as read) to `to` — the caller checked the
    /// transition table. The new card, or `None` if the job changed meanwhile.
    async fn set_status(
        &self,
        tenant: TenantId,
        card: &JobCard,
        attempt: u32,
        to: JobStatus,
    ) -> Result<Option<JobCard>, StoreError>;
}

/// How a bulk insert went: which jobs were stored and which were already known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertReport {
    pub inserted: Vec<JobId>,
    /// Refused by a uniqueness marker (URL, native id or repost fingerprint).
    pub duplicates: Vec<JobId>,
}

/// Which of a fetch's two checks for known postings [`IngestStore::known_postings`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownCheck {
    /// Before the ingest lease, to decide whether to take it: a cheaper read that may miss
    /// the last second's writes (the check under the lease repeats it), and the only one
    /// that reports [`KnownPostings::unfinished`].
    BeforeLease,
    /// Under the lease: sees every write finished before the call, the previous holder's
    /// markers included (`BatchWriteItem` puts carry no condition to catch a stale read).
    UnderLease,
}

/// What [`IngestStore::known_postings`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownPostings {
    /// For each posting asked about, whether the tenant already has it.
    pub known: Vec<bool>,
    /// An insert of the tenant died after writing jobs and before counting them in the
    /// day counters: the next holder of the ingest lease counts them, so a fetch takes the
    /// lease even when it has nothing new. Always `false` under the lease (taking it has
    /// finished such an insert).
    pub unfinished: bool,
}

/// Identity keys of a posting, checked before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingKeys {
    pub url: crate::domain::CanonicalUrl,
    pub source: SourceId,
    pub native_id: Option<String>,
    pub fingerprint: String,
}

impl PostingKeys {
    /// The identity keys of a job about to be stored.
    pub fn of(job: &crate::domain::Job) -> Self {
        Self {
            url: job.card.url.clone(),
            source: job.card.source_id,
            native_id: job.native_id.clone(),
            fingerprint: job.fingerprint.clone(),
        }
    }
}

#[async_trait]
pub trait IngestStore: Send + Sync {
    /// For each posting, whether the tenant already knows it by canonical URL, then by
    /// source + native id, then by repost fingerprint. Reads only (batched gets).
    async fn known_postings(
        &self,
        tenant: TenantId,
        postings: &[PostingKeys],
        check: KnownCheck,
    ) -> Result<KnownPostings, StoreError>;
    /// Takes the tenant's ingest lease (a conditional write) for `ttl_secs`: while it is
    /// held, no other fetch of the tenant writes jobs, so checking `known_postings` and
    /// then writing is race-free. `false` if another holder has it. Taking it finishes
    /// what a holder that died left uncounted (see [`KnownPostings::unfinished`]).
    async fn acquire_ingest_lease(
        &self,
        tenant: TenantId,
        holder: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError>;
    async fn release_ingest_lease(&self, tenant: TenantId, holder: &str) -> Result<(), StoreError>;
    /// Stores new jobs (card, body and their uniqueness markers) with `BatchWriteItem`,
    /// 25 items a call, retrying unprocessed items. The caller holds the ingest lease and
    /// has filtered out known postings; postings sharing a marker within `jobs` are
    /// reported as duplicates.
    async fn insert_jobs(&self, jobs: &[Job]) -> Result<InsertReport, StoreError>;
    /// Sets `closedAt` on the tenant's jobs that `source` listed under these native ids and
    /// no longer lists (nothing is deleted). DynamoDB: per 100 ids, one batch read of
    /// their markers, one of their cards and one transaction of conditional updates, so a
    /// job reopened or closed meanwhile is left as it is.
    /// Returns how many jobs were closed now.
    async fn close_vanished(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError>;
    /// Clears `closedAt` on the tenant's jobs that `source` lists again under these native
    /// ids, batched like `close_vanished`: a closed posting that returns comes back open.
    /// Returns how many were reopened.
    async fn reopen_listed(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
    ) -> Result<usize, StoreError>;
}

#[async_trait]
pub trait SourceStore: Send + Sync {
    /// `Conflict::SourceLimit` when the tenant already has `max_sources`.
    async fn create_source(&self, source: &Source, max_sources: u32) -> Result<(), StoreError>;
    async fn get_source(
        &self,
        tenant: TenantId,
        id: SourceId,
    ) -> Result<Option<Source>, StoreError>;
    async fn list_sources(&self, tenant: TenantId) -> Result<Vec<Source>, StoreError>;
    /// Replaces the stored source; `None` if it no longer exists.
    async fn put_source(&self, source: &Source) -> Result<Option<()>, StoreError>;
    /// Writes the outcome of a fetch, unless the tenant changed the source (name, kind,
    /// config, enabled) or deleted it since `as_read` was read: a user's edit always wins
    /// over a fetch that was running meanwhile. `false` when skipped for that reason.
    async fn record_fetch(&self, source: &Source, as_read: &Source) -> Result<bool, StoreError>;
    /// `false` if it did not exist.
    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> Result<bool, StoreError>;
    /// Enabled sources whose `next_fetch_at` is at or before `now`, from the due index.
    async fn due_sources(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<(TenantId, SourceId)>, StoreError>;
    /// Moves a source's next fetch time (dispatch claims it so it is not sent twice).
    /// `false` if the source changed or vanished meanwhile.
    async fn reschedule(
        &self,
        tenant: TenantId,
        id: SourceId,
        expected: chrono::DateTime<chrono::Utc>,
        next: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
}

/// A replay marker for a signed webhook: stored with the result it carried, so a replayed
/// request writes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayMarker {
    pub key: String,
    /// Unix seconds after which the signature is stale anyway (the item's TTL).
    pub expires_at: i64,
}

/// What [`ScoringStore::record_scoring`] did.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one answer per scoring, matched at once; the card (with its pay range) is the common case"
)]
pub enum Recorded {
    /// The entry was written and the job moved `queued → scored`: here is the new card.
    Scored(JobCard),
    /// This attempt already has its entry (a repeated delivery): nothing written.
    AlreadyScored,
    /// The job is not waiting for this attempt any more (archived, rescored meanwhile,
    /// deleted): nothing written.
    NotAwaited,
    /// The replay marker exists: the very same signed request was seen before.
    Replayed,
    /// The profile was saved again after the scorer read it: nothing written; score
    /// again with the new one.
    StaleProfile,
}

/// The tenant's profile and its version, which every save increments (0: never saved,
/// the default profile): what a cached profile is checked against when a score is stored.
#[derive(Debug, Clone, Default)]
pub struct VersionedProfile {
    pub profile: crate::domain::Profile,
    pub version: u64,
}

/// Scoring: the job as the scorer needs it, the history, the tenant's profile.
#[async_trait]
pub trait ScoringStore: Send + Sync {
    /// Writes the history entry (keyed by the job and `entry.attempt`, so at most one per
    /// attempt) and moves the card `queued → scored` with the new score, in one
    /// transaction that also holds `replay` when given. Applies only while the job is
    /// `queued` for exactly this attempt.
    async fn record_scoring(
        &self,
        tenant: TenantId,
        job: JobId,
        entry: &crate::domain::ScoringEntry,
        replay: Option<&ReplayMarker>,
    ) -> Result<Recorded, StoreError>;
    /// [`record_scoring`](Self::record_scoring) for a caller that has just read the card
    /// `waiting` for this attempt (the queue worker), and scored it with the profile at
    /// `profile_version`: the store does not read the card again. The transaction's
    /// condition (queued, this attempt) still decides, and what the move takes from the
    /// card (its score, creation month, source) changes only with its status or attempt,
    /// so a card changed meanwhile writes nothing ([`Recorded::NotAwaited`]). A profile
    /// saved meanwhile writes nothing either ([`Recorded::StaleProfile`]).
    async fn record_scoring_of(
        &self,
        tenant: TenantId,
        waiting: &JobCard,
        entry: &crate::domain::ScoringEntry,
        profile_version: u64,
    ) -> Result<Recorded, StoreError>;
    /// Notes why `attempt` failed while the job stays `queued` (it will be retried);
    /// `false` if the job is no longer queued for it.
    async fn note_attempt_error(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: &str,
    ) -> Result<bool, StoreError>;
    /// `queued → failed` for `attempt`, keeping `error` (or the error noted before when
    /// `None`). The new card, or `None` if the job is no longer queued for it.
    async fn mark_failed(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: Option<&str>,
    ) -> Result<Option<JobCard>, StoreError>;
    /// Queues the job for another scoring: `from → queued` (the caller checked the
    /// transition table) with attempt `from_attempt + 1`, only while the job is still in
    /// `from` at `from_attempt`. The new card, or `None` if it changed meanwhile.
    async fn requeue(
        &self,
        tenant: TenantId,
        job: JobId,
        from: JobStatus,
        from_attempt: u32,
    ) -> Result<Option<JobCard>, StoreError>;
    /// Undoes [`Self::requeue`] when its message could not be sent: back to `previous`,
    /// if the job is still queued for `attempt`.
    async fn unqueue(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        previous: JobStatus,
    ) -> Result<(), StoreError>;
    /// The job's scorings, newest first.
    async fn history(
        &self,
        tenant: TenantId,
        job: JobId,
        page: &PageRequest,
    ) -> Result<Page<crate::domain::ScoringEntry>, StoreError>;
    /// The tenant's jobs in key order after `after`, `limit` at a time, each with its
    /// latest attempt (bulk rescore).
    async fn job_cards_after(
        &self,
        tenant: TenantId,
        after: Option<JobId>,
        limit: u16,
    ) -> Result<Vec<(JobCard, u32)>, StoreError>;
    async fn get_profile(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::domain::Profile>, StoreError>;
    /// The profile as the scorer uses it (the default when never saved) with its version.
    async fn versioned_profile(&self, tenant: TenantId) -> Result<VersionedProfile, StoreError>;
    /// Saves the profile and increments its version.
    async fn put_profile(
        &self,
        tenant: TenantId,
        profile: &crate::domain::Profile,
    ) -> Result<(), StoreError>;
}
