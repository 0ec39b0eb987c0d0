//! Plans and their limits. The limits are configuration: the operator supplies a JSON
//! document (environment variable or SSM parameter, see `config`); without one, the
//! built-in document `plans.default.json` applies. Nothing else in the code knows a number.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{SubscriptionStatus, Tenant};

/// The document shipped with jobmon, used when the operator configures none.
pub const DEFAULT_PLANS_JSON: &str = include_str!("plans.default.json");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("plan document is not valid JSON for plans: {0}")]
    Malformed(String),
    #[error("plan document lists no plans")]
    Empty,
    #[error("plan id `{0}` must be 1-32 lower-case letters, digits, '-' or '_'")]
    InvalidId(String),
    #[error("plan `{0}` is listed twice")]
    Duplicate(String),
    #[error("default plan `{0}` is not in the list")]
    MissingDefault(String),
    #[error("plan `{plan}`: {field} must be at least 1")]
    NotPositive { plan: String, field: &'static str },
    #[error("unknown plan `{0}`")]
    Unknown(String),
}

/// A plan identifier such as `free` or `pro`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PlanId(String);

impl PlanId {
    pub fn parse(raw: &str) -> Result<Self, PlanError> {
        let ok = !raw.is_empty()
            && raw.len() <= 32
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PlanError::InvalidId(raw.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PlanId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One plan as the API shows it (`GET /v1/billing` → `plans[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub id: PlanId,
    pub name: String,
    /// Jobs scored per calendar month (UTC).
    pub monthly_scored_jobs: u32,
    pub max_sources: u32,
    /// How often the scheduler fetches each source.
    pub fetch_interval_minutes: u32,
    /// `None` = unlimited.
    pub max_members: Option<u32>,
    /// Stripe price id for checkout; `None` for plans that cannot be bought (e.g. free).
    #[serde(default)]
    pub price_id: Option<String>,
}

impl Plan {
    pub fn allows_members(&self, count: u32) -> bool {
        self.max_members.is_none_or(|max| count <= max)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanDocument {
    default_plan: PlanId,
    plans: Vec<Plan>,
    /// How long `past_due` keeps the paid plan's limits after the first failed payment.
    #[serde(default = "default_grace_days")]
    past_due_grace_days: u32,
}

/// Stripe retries a failed card over about a week by default (Smart Retries); the paid
/// limits last as long, so a card that succeeds on a retry never costs the tenant anything.
pub const DEFAULT_PAST_DUE_GRACE_DAYS: u32 = 7;

fn default_grace_days() -> u32 {
    DEFAULT_PAST_DUE_GRACE_DAYS
}

/// The validated set of plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCatalog {
    default_plan: PlanId,
    plans: Vec<Plan>,
    past_due_grace: Duration,
}

impl PlanCatalog {
    pub fn from_json(json: &str) -> Result<Self, PlanError> {
        let doc: PlanDocument =
            serde_json::from_str(json).map_err(|e| PlanError::Malformed(e.to_string()))?;
        if doc.plans.is_empty() {
            return Err(PlanError::Empty);
        }
        for (i, plan) in doc.plans.iter().enumerate() {
            if doc.plans[..i].iter().any(|p| p.id == plan.id) {
                return Err(PlanError::Duplicate(plan.id.to_string()));
            }
            let positive = [
                ("monthlyScoredJobs", plan.monthly_scored_jobs),
                ("maxSources", plan.max_sources),
                ("fetchIntervalMinutes", plan.fetch_interval_minutes),
                ("maxMembers", plan.max_members.unwrap_or(1)),
            ];
            if let Some((field, _)) = positive.into_iter().find(|(_, v)| *v == 0) {
                return Err(PlanError::NotPositive {
                    plan: plan.id.to_string(),
                    field,
                });
            }
        }
        if !doc.plans.iter().any(|p| p.id == doc.default_plan) {
            return Err(PlanError::MissingDefault(doc.default_plan.to_string()));
        }
        Ok(Self {
            default_plan: doc.default_plan,
            plans: doc.plans,
            past_due_grace: Duration::days(i64::from(doc.past_due_grace_days)),
        })
    }

    /// The built-in plans.
    pub fn builtin() -> Self {
        Self::from_json(DEFAULT_PLANS_JSON).expect("the shipped plans.default.json is valid")
    }

    pub fn get(&self, id: &PlanId) -> Result<&Plan, PlanError> {
        self.plans
            .iter()
            .find(|p| &p.id == id)
            .ok_or_else(|| PlanError::Unknown(id.to_string()))
    }

    /// Looks a plan up by a caller-supplied name (e.g. a checkout request).
    pub fn find(&self, raw: &str) -> Result<&Plan, PlanError> {
        let id =
            PlanId::parse(raw).map_err(|_| PlanError::Unknown(raw.chars().take(40).collect()))?;
        self.get(&id)
    }

    /// The plan new tenants start on.
    pub fn default_plan(&self) -> &Plan {
        self.get(&self.default_plan)
            .expect("validated at construction: the default plan is listed")
    }

    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// The limits that apply to `tenant` at `now`: its plan while the subscription is in
    /// good standing or within the `past_due` grace period, the default plan otherwise.
    /// Every limit check goes through here, so the subscription status is never ignored.
    pub fn effective(&self, tenant: &Tenant, now: DateTime<Utc>) -> &Plan {
        self.effective_for(
            &tenant.plan,
            tenant.subscription_status,
            tenant.past_due_since,
            now,
        )
    }

    pub fn effective_for(
        &self,
        plan: &PlanId,
        status: SubscriptionStatus,
        past_due_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> &Plan {
        let in_good_standing = match status {
            SubscriptionStatus::None
            | SubscriptionStatus::Active
            | SubscriptionStatus::Trialing
            | SubscriptionStatus::Canceled => true,
            // A missing start (an item written before the start was recorded) counts from
            // now: the tenant gets the full grace rather than losing its limits at once.
            SubscriptionStatus::PastDue => past_due_since
                .is_none_or(|since| now.signed_duration_since(since) <= self.past_due_grace),
            SubscriptionStatus::Unpaid | SubscriptionStatus::Paused => false,
        };
        if in_good_standing {
            self.get(plan).unwrap_or_else(|_| self.default_plan())
        } else {
            self.default_plan()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + n * 86_400, 0).unwrap()
    }

    #[test]
    fn past_due_keeps_the_paid_plan_for_the_grace_period_only() {
        let catalog = PlanCatalog::builtin();
        let pro = PlanId::parse("pro").unwrap();
        let at = |status, now| {
            catalog
                .effective_for(&pro, status, Some(day(0)), now)
                .id
                .as_str()
        };
        assert_eq!(at(SubscriptionStatus::PastDue, day(6)), "pro");
        assert_eq!(at(SubscriptionStatus::PastDue, day(7)), "pro");
        assert_eq!(at(SubscriptionStatus::PastDue, day(8)), "free");
        assert_eq!(at(SubscriptionStatus::Unpaid, day(0)), "free");
        assert_eq!(at(SubscriptionStatus::Paused, day(0)), "free");
        assert_eq!(at(SubscriptionStatus::Active, day(30)), "pro");
        assert_eq!(
            catalog
                .effective_for(&pro, SubscriptionStatus::PastDue, None, day(30))
                .id
                .as_str(),
            "pro"
        );
    }

    #[test]
    fn the_grace_period_is_configurable() {
        let json = r#"{"defaultPlan":"a","pastDueGraceDays":2,"plans":[
            {"id":"a","name":"A","monthlyScoredJobs":1,"maxSources":1,"fetchIntervalMinutes":5,"maxMembers":1},
            {"id":"b","name":"B","monthlyScoredJobs":9,"maxSources":9,"fetchIntervalMinutes":5,"maxMembers":9}]}"#;
        let catalog = PlanCatalog::from_json(json).unwrap();
        let b = PlanId::parse("b").unwrap();
        let at = |now| {
            catalog
                .effective_for(&b, SubscriptionStatus::PastDue, Some(day(0)), now)
                .id
                .as_str()
        };
        assert_eq!(at(day(2)), "b");
        assert_eq!(at(day(3)), "a");
    }

    #[test]
    fn builtin_defaults_are_the_documented_limits() {
        let catalog = PlanCatalog::builtin();
        assert_eq!(catalog.default_plan().id.as_str(), "free");
        let got: Vec<_> = catalog
            .plans()
            .iter()
            .map(|p| {
                (
                    p.id.as_str(),
                    p.monthly_scored_jobs,
                    p.max_sources,
                    p.fetch_interval_minutes,
                    p.max_members,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("free", 50, 3, 24 * 60, Some(3)),
                ("pro", 1_000, 25, 60, Some(10)),
                ("enterprise", 20_000, 200, 15, None),
            ]
        );
        assert!(catalog.find("enterprise").unwrap().allows_members(100_000));
        assert!(!catalog.find("free").unwrap().allows_members(4));
    }

    #[test]
    fn operator_document_replaces_the_defaults() {
        let json = r#"{"defaultPlan":"starter","plans":[
            {"id":"starter","name":"Starter","monthlyScoredJobs":10,"maxSources":1,
             "fetchIntervalMinutes":720,"maxMembers":1,"priceId":"price_123"}]}"#;
        let catalog = PlanCatalog::from_json(json).unwrap();
        assert_eq!(catalog.plans().len(), 1);
        assert_eq!(
            catalog.default_plan().price_id.as_deref(),
            Some("price_123")
        );
        assert_eq!(catalog.find("free"), Err(PlanError::Unknown("free".into())));
    }

    #[test]
    fn invalid_documents_are_typed_errors() {
        let plan = |id: &str, jobs: u32| {
            format!(
                r#"{{"id":"{id}","name":"X","monthlyScoredJobs":{jobs},"maxSources":1,"fetchIntervalMinutes":5,"maxMembers":null}}"#
            )
        };
        let doc = |default: &str, plans: &[String]| {
            format!(
                r#"{{"defaultPlan":"{default}","plans":[{}]}}"#,
                plans.join(",")
            )
        };
        assert!(matches!(
            PlanCatalog::from_json("{"),
            Err(PlanError::Malformed(_))
        ));
        assert!(matches!(
            PlanCatalog::from_json("[]"),
            Err(PlanError::Malformed(_))
        ));
        assert_eq!(
            PlanCatalog::from_json(&doc("a", &[])),
            Err(PlanError::Empty)
        );
        assert_eq!(
            PlanCatalog::from_json(&doc("a", &[plan("a", 1), plan("a", 2)])),
            Err(PlanError::Duplicate("a".into()))
        );
        assert_eq!(
            PlanCatalog::from_json(&doc("b", &[plan("a", 1)])),
            Err(PlanError::MissingDefault("b".into()))
        );
        assert_eq!(
            PlanCatalog::from_json(&doc("a", &[plan("a", 0)])),
            Err(PlanError::NotPositive {
                plan: "a".into(),
                field: "monthlyScoredJobs"
            })
        );
        assert!(matches!(
            PlanCatalog::from_json(&doc("A B", &[plan("a", 1)])),
            Err(PlanError::Malformed(_))
        ));
        let unknown_field = r#"{"defaultPlan":"a","plans":[],"extra":1}"#;
        assert!(matches!(
            PlanCatalog::from_json(unknown_field),
            Err(PlanError::Malformed(_))
        ));
    }
}
