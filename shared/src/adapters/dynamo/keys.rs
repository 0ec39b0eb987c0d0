//! Every key of the table, in one place. Tenant items live under `T#<tenantId>`
//! (so an IAM `dynamodb:LeadingKeys` condition can confine a tenant-scoped role);
//! only look-ups needed before the tenant is known live outside it (`EMAIL#…`).

use sha2::{Digest, Sha256};

use crate::domain::{CanonicalUrl, Email, JobId, JobStatus, TenantId, UserId};

pub const PK: &str = "PK";
pub const SK: &str = "SK";

pub fn tenant_pk(tenant: TenantId) -> String {
    format!("T#{tenant}")
}

pub const TENANT_SK: &str = "TENANT";

pub fn user_sk(user: UserId) -> String {
    format!("USER#{user}")
}

/// Global e-mail uniqueness: one item per case-folded address.
pub fn email_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.normalized())
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
