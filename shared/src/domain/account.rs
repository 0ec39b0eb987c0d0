//! Tenants and users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, PlanId, TenantId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant name must be 1-100 characters")]
pub struct TenantNameError;

/// A tenant's display name: trimmed, 1..=100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TenantName(String);

/// The rule of the names people give things here (a tenant, a source): trimmed, 1..=100
/// characters, no control characters.
pub(super) fn display_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let len = name.chars().count();
    ((1..=100).contains(&len) && !name.chars().any(char::is_control)).then(|| name.to_owned())
}

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self, TenantNameError> {
        display_name(raw).map(Self).ok_or(TenantNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TenantName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

/// Stripe's subscription states that matter to us; `none` until a first checkout.
/// `unpaid` and `paused` keep the subscription but not the paid limits (see
/// `PlanCatalog::effective`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    None,
    Active,
    Trialing,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: TenantName,
    pub plan: PlanId,
    pub subscription_status: SubscriptionStatus,
    /// When the subscription first became `past_due` (the failed payment's event time);
    /// cleared when it is in good standing again.
    pub past_due_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub role: Role,
    pub email_verified: bool,
    /// PHC string of the password hash; never leaves the store except to be verified.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// Sessions started at an older generation are dead: ending every session of the user
    /// (password reset, "sign out everywhere") is one increment, however many there are.
    pub session_generation: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_are_trimmed_and_bounded() {
        assert_eq!(TenantName::parse("  Acme ").unwrap().as_str(), "Acme");
        assert!(TenantName::parse("   ").is_err());
        assert!(TenantName::parse(&"x".repeat(101)).is_err());
        assert!(TenantName::parse(&"é".repeat(100)).is_ok());
        assert!(TenantName::parse("a\u{0}b").is_err());
    }
}
