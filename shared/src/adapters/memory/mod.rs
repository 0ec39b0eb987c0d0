//! In-memory implementations of the ports, for the fast test tier: the same answers as the
//! DynamoDB adapter (`super::dynamo`) without a table.
//!
//! Honest about what the services rely on: every condition the DynamoDB adapter writes
//! (unique e-mail across letter case, unique canonical URL per tenant, conditional quota
//! counters, status moves conditional on the status and attempt as read) is checked here
//! too, and a transaction checks every condition before it writes anything, so a failed
//! condition writes nothing. Conflicts are reported as the DynamoDB adapter reports them:
//! the [`Conflict`] of the first action, in the adapter's order, whose condition failed.
//!
//! What it does not imitate: throughput, read budgets, and DynamoDB returning a cursor
//! for a page that happens to end exactly at the last item (here a cursor means more).
//!
//! One `impl` block per port, in a file per port group, so that splitting a port is a
//! mechanical move. Recorders for the outbound ports (queue, mail, live updates, domain
//! events) live beside them.

mod accounts;
mod admission;
mod analytics;
mod auth;
mod billing;
mod ingest;
mod jobs;
mod live;
mod outbox;
mod scoring;
mod sources;
mod tracking;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::domain::{Job, JobId, ScoringEntry, Source, SourceId, Tenant, TenantId, User, UserId};
use crate::http::CursorCodec;
use crate::ports::{Connection, OneTimeToken, SessionGrant, StoreError, VersionedProfile};

pub use live::{Published, RecordingEvents, RecordingNotifier, RecordingSockets};
pub use outbox::{MemoryMailer, MemoryQueue};

/// Every store port over one shared state. Cloning shares the state (like cloning a
/// `DynamoStore` shares the table).
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    cursors: CursorCodec,
    requests: Arc<AtomicU64>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store whose cursors are signed with a fixed test key.
    pub fn new() -> Self {
        Self::with_cursors(
            CursorCodec::new(b"memory-store-cursor-key-for-tests-only")
                .expect("the fixed key is long enough"),
        )
    }

    pub fn with_cursors(cursors: CursorCodec) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            cursors,
            requests: Arc::default(),
        }
    }

    /// The state, for one atomic step. A panic in another test thread while it held the
    /// lock leaves the data as it was at that point; the tests that share it fail anyway.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many times the state was taken so far: once per port call. What a use case costs
    /// in store round trips, counted rather than timed.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// What tests read back: the stored job as a whole, with its attempt and last error.
    pub fn job(&self, tenant: TenantId, id: JobId) -> Option<Job> {
        self.lock().jobs.get(&(tenant, id)).cloned()
    }

    /// Every job of the tenant, oldest first.
    pub fn jobs_of(&self, tenant: TenantId) -> Vec<Job> {
        self.lock()
            .jobs
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .map(|(_, job)| job.clone())
            .collect()
    }

    /// The tenant's member and admin counters (kept like the tenant item's).
    pub fn member_counts(&self, tenant: TenantId) -> Option<(i64, i64)> {
        self.lock()
            .tenants
            .get(&tenant)
            .map(|t| (t.members, t.admins))
    }

    /// The tenant's source counter (kept like the tenant item's).
    pub fn source_count(&self, tenant: TenantId) -> Option<i64> {
        self.lock().tenants.get(&tenant).map(|t| t.sources)
    }

    /// Whether the tenant's ingest lease is held by anyone.
    pub fn ingest_lease_holder(&self, tenant: TenantId) -> Option<String> {
        self.lock().leases.get(&tenant).map(|(h, _)| h.clone())
    }

    /// Puts a one-time token's expiry into the past, as time passing would.
    pub fn expire_token(&self, hash: &str) {
        if let Some(token) = self.lock().tokens.get_mut(hash) {
            token.expires_at = DateTime::<Utc>::MIN_UTC;
        }
    }

    /// Hashes of the stored one-time tokens of `purpose`.
    pub fn token_hashes(&self, purpose: crate::ports::TokenPurpose) -> Vec<String> {
        let state = self.lock();
        let mut hashes: Vec<String> = state
            .tokens
            .values()
            .filter(|t| t.purpose == purpose)
            .map(|t| t.hash.clone())
            .collect();
        hashes.sort();
        hashes
    }
}

/// The tenant item: the tenant, its counters and its billing fields.
#[derive(Debug, Clone)]
struct TenantRecord {
    tenant: Tenant,
    members: i64,
    admins: i64,
    sources: i64,
    customer_id: Option<String>,
    subscription_id: Option<String>,
    current_period_end: Option<DateTime<Utc>>,
    cancel_at_period_end: bool,
    event_at: Option<i64>,
}

#[derive(Debug, Clone)]
struct RefreshRecord {
    grant: SessionGrant,
    spent: bool,
    expires_at: DateTime<Utc>,
}

/// Everything the table would hold, by the same identities as its keys.
#[derive(Default)]
struct State {
    tenants: BTreeMap<TenantId, TenantRecord>,
    users: BTreeMap<(TenantId, UserId), User>,
    /// Case-folded address → user (`EMAIL#…`).
    emails: HashMap<String, (TenantId, UserId)>,
    tokens: HashMap<String, OneTimeToken>,
    /// Invitation entries under their tenant (`INVITE#…`).
    invitations: BTreeMap<(TenantId, String), crate::ports::Invitation>,
    refresh: HashMap<String, RefreshRecord>,
    /// Session families: `true` when revoked.
    families: HashMap<(TenantId, UserId, String), bool>,
    rates: HashMap<(String, i64), u64>,
    /// Runs of failed logins by key (`FAIL#…`).
    failures: HashMap<String, crate::ports::Failures>,
    /// `scoredJobs` per tenant and `YYYY-MM` period.
    usage: HashMap<(TenantId, String), u32>,
    jobs: BTreeMap<(TenantId, JobId), Job>,
    /// Uniqueness markers under the tenant, by the DynamoDB adapter's sort keys
    /// (`URL#…`, `NATIVE#…`, `FP#…`) → the job that holds them.
    markers: HashMap<(TenantId, String), JobId>,
    leases: HashMap<TenantId, (String, i64)>,
    sources: BTreeMap<(TenantId, SourceId), Source>,
    history: BTreeMap<(TenantId, JobId, u32), ScoringEntry>,
    /// Stage changes and notes of each job, oldest first (`TRACK#…` items).
    tracking: BTreeMap<(TenantId, JobId), Vec<crate::domain::TrackingEntry>>,
    replays: HashSet<String>,
    profiles: HashMap<TenantId, VersionedProfile>,
    connections: BTreeMap<String, Connection>,
    customers: HashMap<String, TenantId>,
    stripe_events: HashSet<String>,
    /// Tenants with `pending_upgrade` jobs → the marker's version.
    pending: BTreeMap<TenantId, String>,
    /// Open admission markers (`ADMIT#…`) by tenant and id; ids are ULIDs, so oldest first.
    admissions: BTreeMap<(TenantId, String), crate::ports::Admission>,
}

/// A transaction's outcome when the action at `index` failed its condition and the
/// DynamoDB adapter maps no conflict to it.
fn cancelled(index: usize) -> StoreError {
    StoreError::Unavailable(format!(
        "transaction cancelled: condition of action {index} failed"
    ))
}
