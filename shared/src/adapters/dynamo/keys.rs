//! Every key of the table, in one place. Tenant items live under `T#<tenantId>`
//! (so an IAM `dynamodb:LeadingKeys` condition can confine a tenant-scoped role);
//! only look-ups needed before the tenant is known live outside it (`EMAIL#…`).

use sha2::{Digest, Sha256};

use crate::domain::{CanonicalUrl, Email, JobId, JobStatus, SourceId, TenantId, UserId};

pub const PK: &str = "PK";
pub const SK: &str = "SK";

pub fn tenant_pk(tenant: TenantId) -> String {
    format!("T#{tenant}")
}

pub const TENANT_SK: &str = "TENANT";

pub const USER_SK_PREFIX: &str = "USER#";

pub fn user_sk(user: UserId) -> String {
    format!("{USER_SK_PREFIX}{user}")
}

pub const EMAIL_PK_PREFIX: &str = "EMAIL#";

/// Global e-mail uniqueness: one item per case-folded address.
pub fn email_pk(email: &Email) -> String {
    format!("{EMAIL_PK_PREFIX}{}", email.normalized())
}

pub const EMAIL_SK: &str = "EMAIL";

pub const JOB_SK_PREFIX: &str = "JOB#";

pub fn job_sk(job: JobId) -> String {
    format!("{JOB_SK_PREFIX}{job}")
}

/// The job's own partition: its body and its scoring history, read in one query.
pub fn job_pk(tenant: TenantId, job: JobId) -> String {
    format!("T#{tenant}#JOB#{job}")
}

pub const JOB_BODY_SK: &str = "BODY";

/// A stage change or note in the job's partition: `TRACK#<time>#<ulid>`.
pub const TRACK_SK_PREFIX: &str = "TRACK#";

/// Per-tenant URL uniqueness. Hashed: URLs can exceed what a readable key should carry.
pub fn job_url_sk(url: &CanonicalUrl) -> String {
    format!(
        "URL#{}",
        hex::encode(Sha256::digest(url.as_str().as_bytes()))
    )
}

/// GSI1: a tenant's jobs of one status, newest first (job ids are ULIDs).
pub fn status_gsi_pk(tenant: TenantId, status: JobStatus) -> String {
    format!("T#{tenant}#STATUS#{status}")
}

/// One-time tokens (verification, reset, invitation, WebSocket ticket), by the hash of the
/// secret. Outside the tenant prefix: the token is all the caller presents.
pub fn token_pk(token_hash: &str) -> String {
    format!("TOKEN#{token_hash}")
}

pub const TOKEN_SK: &str = "TOKEN";

/// A refresh token, by the hash of the secret (presented without a tenant).
pub fn refresh_pk(token_hash: &str) -> String {
    format!("REFRESH#{token_hash}")
}

pub const REFRESH_SK: &str = "REFRESH";

/// A session family of a user, under the tenant (logout revokes one family). Ending all of
/// a user's sessions does not touch these: it moves the user item's `sessionGen` on.
pub fn session_sk(user: UserId, family: &str) -> String {
    format!("SESSION#{user}#{family}")
}

pub const RATE_PK_PREFIX: &str = "RATE#";

/// A fixed-window rate-limit counter.
pub fn rate_pk(key: &str, window_start: i64) -> String {
    format!("{RATE_PK_PREFIX}{key}#{window_start}")
}

pub const RATE_SK: &str = "RATE";

/// A run of failed logins; the key (e-mail and IP) is hashed, so no address is a key.
pub fn failures_pk(key: &str) -> String {
    format!("FAIL#{}", crate::auth::hash_secret(key))
}

pub const FAILURES_SK: &str = "FAIL";

pub const USAGE_SK_PREFIX: &str = "USAGE#";

/// The monthly usage counter (`scoredJobs`, added to atomically) of a `YYYY-MM` period.
pub fn usage_sk(period: &crate::domain::Period) -> String {
    format!("{USAGE_SK_PREFIX}{period}")
}

pub const SOURCE_SK_PREFIX: &str = "SOURCE#";

pub fn source_sk(source: SourceId) -> String {
    format!("{SOURCE_SK_PREFIX}{source}")
}

/// The due index (GSI2) is spread over a few partitions so one busy tenant cannot make a
/// hot key; the dispatcher queries each.
pub const DUE_SHARDS: u32 = 4;

pub fn due_gsi_pk(source: SourceId) -> String {
    let shard = source.as_ulid().random() % u128::from(DUE_SHARDS);
    format!("DUE#{shard}")
}

pub fn due_shard_pk(shard: u32) -> String {
    format!("DUE#{shard}")
}

/// Fixed-width UTC time, so string order is time order.
pub fn sortable_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn due_gsi_sk(at: chrono::DateTime<chrono::Utc>, tenant: TenantId, source: SourceId) -> String {
    format!("{}#{tenant}#{source}", sortable_time(at))
}

/// Per-tenant uniqueness of a source's own posting id.
pub fn native_sk(source: SourceId, native_id: &str) -> String {
    format!(
        "NATIVE#{source}#{}",
        hex::encode(Sha256::digest(native_id.as_bytes()))
    )
}

/// Per-tenant uniqueness of a repost fingerprint.
/// The marker sort keys (under the tenant) that make a posting "known": its canonical URL,
/// its source + native id when it has one, its repost fingerprint.
pub fn posting_markers(posting: &crate::ports::PostingKeys) -> Vec<String> {
    let mut sks = vec![job_url_sk(&posting.url)];
    if let Some(native) = &posting.native_id {
        sks.push(native_sk(posting.source, native));
    }
    sks.push(fingerprint_sk(&posting.fingerprint));
    sks
}

pub fn fingerprint_sk(fingerprint: &str) -> String {
    format!("FP#{fingerprint}")
}

/// The tenant's ingest lease: one fetch at a time writes the tenant's jobs.
pub const INGEST_LEASE_SK: &str = "INGEST_LEASE";

/// An open admission (quota reserved for named jobs, not yet settled), in the tenant's
/// partition; ids are ULIDs, so key order is age.
pub const ADMISSION_SK_PREFIX: &str = "ADMIT#";

pub fn admission_sk(id: &str) -> String {
    format!("{ADMISSION_SK_PREFIX}{id}")
}

/// A history entry of a job, in the job's partition, one per scoring attempt. Zero-padded
/// so that key order is attempt order (newest first when read backwards).
pub const SCORE_SK_PREFIX: &str = "SCORE#";

pub fn score_sk(attempt: u32) -> String {
    format!("{SCORE_SK_PREFIX}{attempt:010}")
}

/// The tenant's scoring profile.
pub const PROFILE_SK: &str = "PROFILE";

/// A pending invitation under its tenant (listing queries `INVITE#`).
pub const INVITATION_SK_PREFIX: &str = "INVITE#";

pub fn invitation_sk(id: &str) -> String {
    format!("{INVITATION_SK_PREFIX}{id}")
}

/// A WebSocket connection under its tenant (pushes query `CONN#`).
pub const CONNECTION_SK_PREFIX: &str = "CONN#";

pub fn connection_sk(id: &str) -> String {
    format!("{CONNECTION_SK_PREFIX}{id}")
}

/// Connection id -> tenant, for `$disconnect`, which knows only the id.
pub fn connection_pk(id: &str) -> String {
    format!("CONN#{id}")
}

pub const CONNECTION_REF_SK: &str = "CONN";

/// A seen webhook signature (replay protection), outside the tenant prefix: checked
/// before the body's tenant is trusted.
pub fn replay_pk(key: &str) -> String {
    format!("REPLAY#{key}")
}

pub const REPLAY_SK: &str = "REPLAY";

/// GSI3: a tenant's jobs that are not archived (sparse: archived jobs have no GSI3PK).
pub fn active_gsi_pk(tenant: TenantId) -> String {
    format!("T#{tenant}#ACTIVE")
}

/// GSI4: a tenant's jobs of one status that carry a score, by score then id
/// (`T#<tenant>#SC#<status>`; sparse: jobs without a score are not in it).
pub fn scored_gsi_pk(tenant: TenantId, status: JobStatus) -> String {
    format!("T#{tenant}#SC#{status}")
}

/// Two digits, so string order is score order (`01` … `10`).
pub fn score_gsi_sk(score: crate::domain::Score, job: JobId) -> String {
    format!("{:02}#JOB#{job}", score.value())
}

/// GSI5: a tenant's jobs of one source and one status, newest first.
pub fn source_gsi_pk(tenant: TenantId, source: SourceId, status: JobStatus) -> String {
    format!("T#{tenant}#SRC#{source}#ST#{status}")
}

/// GSI6: a tenant's jobs of one source and one status that carry a score, by score then
/// id (sparse, like GSI4).
pub fn source_scored_gsi_pk(tenant: TenantId, source: SourceId, status: JobStatus) -> String {
    format!("T#{tenant}#SRC#{source}#SC#{status}")
}

/// Daily analytics counters of a tenant (`YYYY-MM-DD`, UTC).
pub const DAY_SK_PREFIX: &str = "DAY#";

pub fn day_sk(day: chrono::NaiveDate) -> String {
    format!("{DAY_SK_PREFIX}{}", day.format("%Y-%m-%d"))
}

/// Daily analytics counters of one source: `SDAY#<date>#<source>`, so one range query
/// reads every source's days.
pub const SOURCE_DAY_SK_PREFIX: &str = "SDAY#";

pub fn source_day_sk(day: chrono::NaiveDate, source: SourceId) -> String {
    format!("{SOURCE_DAY_SK_PREFIX}{}#{source}", day.format("%Y-%m-%d"))
}

/// Stripe customer → tenant, outside the tenant prefix: a webhook names only the customer.
pub fn stripe_customer_pk(customer: &str) -> String {
    format!("STRIPE_CUSTOMER#{customer}")
}

pub const STRIPE_CUSTOMER_SK: &str = "STRIPE_CUSTOMER";

/// A processed Stripe event (webhook idempotency), by Stripe's event id.
pub fn stripe_event_pk(event: &str) -> String {
    format!("STRIPE_EVENT#{event}")
}

pub const STRIPE_EVENT_SK: &str = "STRIPE_EVENT";

/// "This tenant has `pending_upgrade` jobs": one marker item per tenant, listed through
/// GSI2 (`PENDING#<shard>` / `<tenantId>`) by the monthly admission, so that it pages
/// through exactly those tenants instead of scanning the table.
pub const PENDING_MARKER_SK: &str = "PENDING_UPGRADE";

pub const PENDING_SHARDS: u32 = 4;

pub fn pending_gsi_pk(tenant: TenantId) -> String {
    let shard = tenant.as_ulid().random() % u128::from(PENDING_SHARDS);
    format!("PENDING#{shard}")
}

pub fn pending_shard_pk(shard: u32) -> String {
    format!("PENDING#{shard}")
}

/// A member's notification settings, under the tenant (the `notify` crate's store); the
/// instant mailer queries the prefix for the tenant's members.
pub const NOTIFY_SETTINGS_SK_PREFIX: &str = "NOTIFY#USER#";

pub fn notify_settings_sk(user: UserId) -> String {
    format!("{NOTIFY_SETTINGS_SK_PREFIX}{user}")
}

/// A scored job kept for the daily digest, in the order it was scored (`at`: RFC 3339 UTC).
pub const DIGEST_ENTRY_SK_PREFIX: &str = "DIGESTJOB#";

pub fn digest_entry_sk(at: &str, job: JobId) -> String {
    format!("{DIGEST_ENTRY_SK_PREFIX}{at}#{job}")
}

/// That `user`'s digest of local `date` was sent (or attempted).
pub fn digested_sk(user: UserId, date: &str) -> String {
    format!("DIGESTED#{user}#{date}")
}

/// GSI2 (sparse): a settings item with the digest on, under the UTC hour it is due.
pub fn digest_due_gsi_pk(utc_hour: u32) -> String {
    format!("DIGEST#{utc_hour:02}")
}

/// The instant mails sent to `user` in one UTC hour (`hour`: `YYYYMMDDHH`), a counter.
pub fn mail_cap_sk(user: UserId, hour: &str) -> String {
    format!("MAILCAP#{user}#{hour}")
}

/// A tenant's notification channels (listing queries this prefix).
pub const NOTIFY_CHANNEL_SK_PREFIX: &str = "NOTIFY#CHANNEL#";

pub fn notify_channel_sk(id: &str) -> String {
    format!("{NOTIFY_CHANNEL_SK_PREFIX}{id}")
}

/// That `job` was announced (or attempted) to `target`: a channel (`CH#<id>`) or a
/// member's instant mail (`MAIL#<userId>`).
pub fn notified_sk(job: JobId, target: &str) -> String {
    format!("NOTIFIED#{job}#{target}")
}
