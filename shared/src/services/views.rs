//! The response shapes of docs/openapi.json for accounts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Plan, PlanId, Role, SubscriptionStatus, Tenant, TenantId, User, UserId};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.as_str().to_owned(),
            role: u.role,
            email_verified: u.email_verified,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    pub id: TenantId,
    pub name: String,
    pub plan: PlanId,
    pub subscription_status: SubscriptionStatus,
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id,
            name: t.name.as_str().to_owned(),
            plan: t.plan.clone(),
            subscription_status: t.subscription_status,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: UserView,
    pub tenant: TenantView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeView {
    pub user: UserView,
    pub tenant: TenantView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// `YYYY-MM` (UTC).
    pub period: crate::domain::Period,
    pub scored_jobs: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitsView {
    pub monthly_scored_jobs: u32,
    pub max_sources: u32,
    pub fetch_interval_minutes: u32,
    /// `null` = unlimited.
    pub max_members: Option<u32>,
}

impl From<&Plan> for LimitsView {
    fn from(p: &Plan) -> Self {
        Self {
            monthly_scored_jobs: p.monthly_scored_jobs,
            max_sources: p.max_sources,
            fetch_interval_minutes: p.fetch_interval_minutes,
            max_members: p.max_members,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDetailView {
    #[serde(flatten)]
    pub tenant: TenantView,
    pub usage: UsageView,
    pub limits: LimitsView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<&crate::ports::Invitation> for InvitationView {
    fn from(i: &crate::ports::Invitation) -> Self {
        Self {
            id: i.id.clone(),
            email: i.email.as_str().to_owned(),
            role: i.role,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    pub ticket: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
