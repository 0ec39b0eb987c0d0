//! Stored fixtures for tests and benchmarks: a tenant with its admin, queued jobs.

use chrono::Utc;
use shared::adapters::DynamoStore;
use shared::config::SecretKey;
use shared::domain::{
    CanonicalUrl, Email, Job, JobCard, JobId, JobStatus, PlanId, Role, SourceId,
    SubscriptionStatus, Tenant, TenantId, TenantName, User, UserId, WorkMode,
    fingerprint::posting_fingerprint,
};
use shared::ports::{AccountStore, IngestStore, QuotaStore};

use crate::TestStack;

/// The fixed secret key of the test stack's services (cursors, tokens).
pub fn secret() -> SecretKey {
    SecretKey::new(&[7u8; 32]).expect("32-byte key")
}

/// The store over the stack's table, with the cursor key of [`secret`].
pub fn store(stack: &TestStack) -> DynamoStore {
    DynamoStore::new(stack.dynamo.clone(), stack.table(), secret().cursor_codec())
}

/// A tenant on `plan` with one admin (who cannot log in: the hash is a placeholder).
pub async fn tenant(store: &DynamoStore, plan: &str) -> Tenant {
    let tenant = Tenant {
        id: TenantId::new(),
        name: TenantName::parse("Seeded").expect("valid name"),
        plan: PlanId::parse(plan).expect("valid plan id"),
        subscription_status: SubscriptionStatus::None,
        past_due_since: None,
        created_at: Utc::now(),
    };
    let admin = User {
        id: UserId::new(),
        tenant_id: tenant.id,
        email: Email::parse(&format!("{}@example.com", ulid::Ulid::new())).expect("valid"),
        role: Role::Admin,
        email_verified: true,
        password_hash: "seeded".into(),
        created_at: Utc::now(),
        session_generation: 0,
    };
    store
        .create_account(&tenant, &admin)
        .await
        .expect("account stored");
    tenant
}

/// A job as the fetcher stores it, with `n` in its title and URL.
pub fn job(tenant: TenantId, n: usize, title: &str, description: &str, status: JobStatus) -> Job {
    let title = format!("{title} {n}");
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    Job {
        tenant_id: tenant,
        card: JobCard {
            id: JobId::new(),
            title: title.clone(),
            company: "Acme".into(),
            location: "Berlin".into(),
            remote: true,
            url: CanonicalUrl::parse(&format!("https://jobs.example.com/acme/{n}-{unique}"))
                .expect("valid URL"),
            source_id: SourceId::new(),
            status,
            score: None,
            created_at: Utc::now(),
            scored_at: None,
            closed_at: None,
            stage: None,
            stage_changed_at: None,
            salary: None,
            work_mode: Some(WorkMode::Remote),
        },
        description: description.into(),
        native_id: Some(format!("{n}-{unique}")),
        fingerprint: posting_fingerprint("Acme", &format!("{title} {unique}"), "Berlin"),
        salary: None,
        attempt: u32::from(status == JobStatus::Queued),
        last_error: None,
    }
}

/// Stores queued jobs (attempt 1) with their quota reserved, as the fetcher would.
pub async fn queued_jobs(
    store: &DynamoStore,
    tenant: TenantId,
    titles: &[(&str, &str)],
) -> Vec<Job> {
    let jobs: Vec<Job> = titles
        .iter()
        .enumerate()
        .map(|(n, (title, description))| job(tenant, n, title, description, JobStatus::Queued))
        .collect();
    for chunk in jobs.chunks(100) {
        let report = store.insert_jobs(chunk).await.expect("jobs stored");
        assert_eq!(report.inserted.len(), chunk.len(), "seeded jobs are unique");
    }
    let period = shared::domain::Period::of(Utc::now());
    store
        .reserve_quota(tenant, &period, jobs.len() as u32, u32::MAX)
        .await
        .expect("quota reserved");
    jobs
}
