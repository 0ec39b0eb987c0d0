//! Item shapes as stored. Conversions to domain types re-validate everything read, so a
//! corrupt item becomes `StoreError::Corrupt`, never a panic or an invalid domain value.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::job_index::index_keys;
use super::{Item, from_item, keys};
use crate::domain::search::job_words;
use crate::domain::{
    CanonicalUrl, Email, Job, JobCard, JobId, JobStatus, PlanId, Profile, Role, Salary, Score,
    ScoringEntry, SourceId, Stage, SubscriptionStatus, Tenant, TenantId, TenantName, User, UserId,
    WorkMode,
};
use crate::ports::{Connection, StoreError};

fn corrupt(pk: &str, sk: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        key: format!("{pk}|{sk}"),
        reason: what.to_string(),
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub id: String,
    pub name: String,
    pub plan: String,
    pub subscription_status: SubscriptionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past_due_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Maintained atomically with every member change, so "the last admin" and the
    /// plan's member limit are enforced by conditions, not by read-then-write.
    #[serde(default)]
    pub admin_count: i64,
    #[serde(default)]
    pub member_count: i64,
}

impl TenantItem {
    /// A new tenant with its first (admin) user.
    pub fn new_account(t: &Tenant) -> Self {
        Self {
            pk: keys::tenant_pk(t.id),
            sk: keys::TENANT_SK.into(),
            entity: "tenant".into(),
            id: t.id.to_string(),
            name: t.name.as_str().into(),
            plan: t.plan.to_string(),
            subscription_status: t.subscription_status,
            past_due_since: t.past_due_since,
            created_at: t.created_at,
            admin_count: 1,
            member_count: 1,
        }
    }

    pub fn into_domain(self) -> Result<Tenant, StoreError> {
        let err = |e: &dyn std::fmt::Display| corrupt(&self.pk, &self.sk, e);
        Ok(Tenant {
            id: TenantId::parse(&self.id).map_err(|e| err(&e))?,
            name: TenantName::parse(&self.name).map_err(|e| err(&e))?,
            plan: PlanId::parse(&self.plan).map_err(|e| err(&e))?,
            subscription_status: self.subscription_status,
            past_due_since: self.past_due_since,
            created_at: self.created_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub role: Role,
    pub email_verified: bool,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// Absent on users stored before sessions had generations: generation 0.
    #[serde(default)]
    pub session_gen: u64,
}

impl UserItem {
    pub fn from_domain(u: &User) -> Self {
        Self {
            pk: keys::tenant_pk(u.tenant_id),
            sk: keys::user_sk(u.id),
            entity: "user".into(),
            id: u.id.to_string(),
            tenant_id: u.tenant_id.to_string(),
            email: u.email.as_str().into(),
            role: u.role,
            email_verified: u.email_verified,
            password_hash: u.password_hash.clone(),
            created_at: u.created_at,
            session_gen: u.session_generation,
        }
    }

    pub fn into_domain(self) -> Result<User, StoreError> {
        let err = |e: &dyn std::fmt::Display| corrupt(&self.pk, &self.sk, e);
        Ok(User {
            id: UserId::parse(&self.id).map_err(|e| err(&e))?,
            tenant_id: TenantId::parse(&self.tenant_id).map_err(|e| err(&e))?,
            email: Email::parse(&self.email).map_err(|e| err(&e))?,
            role: self.role,
            email_verified: self.email_verified,
            password_hash: self.password_hash,
            created_at: self.created_at,
            session_generation: self.session_gen,
        })
    }
}

/// `EMAIL#<address>` → the user it belongs to.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailIndexItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub tenant_id: String,
    pub user_id: String,
}

impl EmailIndexItem {
    pub fn new(user: &User) -> Self {
        Self {
            pk: keys::email_pk(&user.email),
            sk: keys::EMAIL_SK.into(),
            entity: "email".into(),
            tenant_id: user.tenant_id.to_string(),
            user_id: user.id.to_string(),
        }
    }

    pub fn ids(&self) -> Result<(TenantId, UserId), StoreError> {
        let err = |e: &dyn std::fmt::Display| corrupt(&self.pk, &self.sk, e);
        Ok((
            TenantId::parse(&self.tenant_id).map_err(|e| err(&e))?,
            UserId::parse(&self.user_id).map_err(|e| err(&e))?,
        ))
    }
}

/// The lean job card, in the tenant's partition and in the status index.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCardItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    #[serde(rename = "GSI3PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    #[serde(rename = "GSI3SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi3sk: Option<String>,
    #[serde(rename = "GSI4PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi4pk: Option<String>,
    #[serde(rename = "GSI4SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi4sk: Option<String>,
    #[serde(rename = "GSI5PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi5pk: Option<String>,
    #[serde(rename = "GSI5SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi5sk: Option<String>,
    #[serde(rename = "GSI6PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi6pk: Option<String>,
    #[serde(rename = "GSI6SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi6sk: Option<String>,
    pub entity: String,
    pub id: String,
    pub title: String,
    pub company: String,
    pub location: String,
    pub remote: bool,
    pub url: String,
    pub source_id: String,
    pub status: JobStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_changed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salary: Option<Salary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_mode: Option<WorkMode>,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_id: Option<String>,
    /// See `Job::attempt`; absent on items written before attempts were kept.
    #[serde(default)]
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// What `q` matches: see `domain::search::job_words`.
    #[serde(default)]
    pub words: Vec<String>,
}

impl JobCardItem {
    pub fn from_domain(job: &Job) -> Self {
        let c = &job.card;
        let ix = index_keys(job.tenant_id, c.id, c.source_id, c.status, c.score);
        let (gsi3pk, gsi3sk) = ix.gsi3.unzip();
        let (gsi4pk, gsi4sk) = ix.gsi4.unzip();
        let (gsi6pk, gsi6sk) = ix.gsi6.unzip();
        Self {
            pk: keys::tenant_pk(job.tenant_id),
            sk: keys::job_sk(c.id),
            gsi1pk: ix.gsi1pk,
            gsi1sk: ix.gsi1sk,
            gsi3pk,
            gsi3sk,
            gsi4pk,
            gsi4sk,
            gsi5pk: Some(ix.gsi5pk),
            gsi5sk: Some(ix.gsi5sk),
            gsi6pk,
            gsi6sk,
            words: job_words(
                &[&c.title, &c.company, &c.location, c.url.as_str()],
                &job.description,
            ),
            entity: "job".into(),
            id: c.id.to_string(),
            title: c.title.clone(),
            company: c.company.clone(),
            location: c.location.clone(),
            remote: c.remote,
            url: c.url.to_string(),
            source_id: c.source_id.to_string(),
            status: c.status,
            score: c.score.map(|s| i64::from(s.value())),
            created_at: c.created_at,
            scored_at: c.scored_at,
            closed_at: c.closed_at,
            stage: c.stage,
            stage_changed_at: c.stage_changed_at,
            salary: c.salary.clone(),
            work_mode: c.work_mode,
            fingerprint: job.fingerprint.clone(),
            native_id: job.native_id.clone(),
            attempt: job.attempt,
            last_error: job.last_error.clone(),
        }
    }

    pub fn into_card(self) -> Result<JobCard, StoreError> {
        let err = |e: &dyn std::fmt::Display| corrupt(&self.pk, &self.sk, e);
        Ok(JobCard {
            id: JobId::parse(&self.id).map_err(|e| err(&e))?,
            title: self.title,
            company: self.company,
            location: self.location,
            remote: self.remote,
            url: CanonicalUrl::parse(&self.url).map_err(|e| err(&e))?,
            source_id: SourceId::parse(&self.source_id).map_err(|e| err(&e))?,
            status: self.status,
            score: self
                .score
                .map(Score::new)
                .transpose()
                .map_err(|e| err(&e))?,
            created_at: self.created_at,
            scored_at: self.scored_at,
            closed_at: self.closed_at,
            stage: self.stage,
            stage_changed_at: self.stage_changed_at,
            salary: self.salary,
            work_mode: self.work_mode,
        })
    }

    /// A stored job item as the card and the scoring attempt it awaits: the one mapping
    /// every reader of (card, attempt) pairs uses (scoring, billing's upgrade backlog).
    pub fn card_with_attempt(item: Item) -> Result<(JobCard, u32), StoreError> {
        let item = from_item::<Self>(item)?;
        let attempt = item.attempt;
        Ok((item.into_card()?, attempt))
    }
}

/// The job's long text, in the job's own partition.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobBodyItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salary: Option<Salary>,
}

impl JobBodyItem {
    pub fn from_domain(job: &Job) -> Self {
        Self {
            pk: keys::job_pk(job.tenant_id, job.card.id),
            sk: keys::JOB_BODY_SK.into(),
            entity: "job_body".into(),
            description: job.description.clone(),
            salary: job.salary.clone(),
        }
    }
}

/// Marks a canonical URL as taken within a tenant.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobUrlItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub job_id: String,
    pub url: String,
}

impl JobUrlItem {
    pub fn from_domain(job: &Job) -> Self {
        Self {
            pk: keys::tenant_pk(job.tenant_id),
            sk: keys::job_url_sk(&job.card.url),
            entity: "job_url".into(),
            job_id: job.card.id.to_string(),
            url: job.card.url.to_string(),
        }
    }
}

/// One scoring of a job (its history), in the job's partition.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub score: i64,
    pub reason: String,
    pub scorer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub attempt: u32,
}

impl ScoreItem {
    pub fn new(tenant: TenantId, job: JobId, entry: &ScoringEntry) -> Self {
        Self {
            pk: keys::job_pk(tenant, job),
            sk: keys::score_sk(entry.attempt),
            entity: "scoring".into(),
            score: i64::from(entry.score.value()),
            reason: entry.reason.clone(),
            scorer: entry.scorer.clone(),
            model: entry.model.clone(),
            created_at: entry.created_at,
            attempt: entry.attempt,
        }
    }

    pub fn into_domain(self) -> Result<ScoringEntry, StoreError> {
        Ok(ScoringEntry {
            score: Score::new(self.score).map_err(|e| corrupt(&self.pk, &self.sk, e))?,
            reason: self.reason,
            scorer: self.scorer,
            model: self.model,
            created_at: self.created_at,
            attempt: self.attempt,
        })
    }
}

/// The tenant's scoring profile.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub profile: Profile,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every save (absent on items saved before versions: 0).
    #[serde(default)]
    pub version: u64,
}

/// A WebSocket connection under its tenant; `expiresAt` is the table's TTL attribute.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub connection_id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub connected_at: DateTime<Utc>,
    /// Unix seconds (TTL).
    pub expires_at: i64,
}

impl ConnectionItem {
    /// The item under the tenant, and the id -> tenant reference beside it.
    pub fn pair(c: &Connection) -> (Self, Self) {
        let item = |pk: String, sk: String, entity: &str| Self {
            pk,
            sk,
            entity: entity.into(),
            connection_id: c.id.clone(),
            tenant_id: c.tenant.to_string(),
            user_id: c.user.to_string(),
            connected_at: c.connected_at,
            expires_at: c.expires_at.timestamp(),
        };
        (
            item(
                keys::tenant_pk(c.tenant),
                keys::connection_sk(&c.id),
                "connection",
            ),
            item(
                keys::connection_pk(&c.id),
                keys::CONNECTION_REF_SK.into(),
                "connection_ref",
            ),
        )
    }

    pub fn into_domain(self) -> Result<Connection, StoreError> {
        let err = |e: &dyn std::fmt::Display| corrupt(&self.pk, &self.sk, e);
        Ok(Connection {
            tenant: TenantId::parse(&self.tenant_id).map_err(|e| err(&e))?,
            user: UserId::parse(&self.user_id).map_err(|e| err(&e))?,
            connected_at: self.connected_at,
            expires_at: DateTime::from_timestamp(self.expires_at, 0)
                .ok_or_else(|| err(&"expiresAt out of range"))?,
            id: self.connection_id,
        })
    }
}
