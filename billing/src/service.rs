//! The billing use cases: the overview, checkout, the portal and the Stripe webhook.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::auth::{NotAdmin, Principal};
use shared::domain::{Period, Plan, PlanCatalog, PlanId, SubscriptionStatus, TenantId};
use shared::http::ApiError;
use shared::ports::{
    AccountStore, Applied, BillingChange, BillingState, BillingStore, Clock, EventRef, StoreError,
    TenantReader, UsageReader,
};
use shared::services::caller::admin_now;
use shared::services::views::UsageView;
use shared::services::{EmailUnverified, Invalid};

use jobmon_scoring::admit::Admitter;

use crate::event::{self, CheckoutSession, Event, Invoice, Subscription};
use crate::gateway::{BillingGateway, CheckoutRequest};
use crate::signature::{SignatureError, WebhookSecret};

/// `GET /v1/billing`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingView {
    pub plan: PlanId,
    pub subscription_status: SubscriptionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub usage: UsageView,
    pub plans: Vec<Plan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UrlView {
    pub url: String,
}

/// What the webhook did with an event (all are answered 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookOutcome {
    Applied,
    Duplicate,
    Stale,
    Ignored,
    UnknownTenant,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("no webhook signing secret is configured")]
    NotConfigured,
    #[error(transparent)]
    Event(#[from] event::EventError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Signature(_) | WebhookError::NotConfigured | WebhookError::Event(_) => {
                ApiError::validation("stripe-signature", e.to_string())
            }
            WebhookError::Store(e) => e.into(),
        }
    }
}

/// Why the billing overview, Checkout or the portal was refused.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("not found")]
    NotFound,
    /// The token's user no longer exists.
    #[error("authentication required")]
    Unauthenticated,
    #[error(transparent)]
    NotAdmin(#[from] NotAdmin),
    #[error(transparent)]
    EmailUnverified(#[from] EmailUnverified),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the tenant has a subscription; change it in the billing portal")]
    Subscribed,
    #[error("no billing account yet: subscribe to a plan first")]
    NoCustomer,
    /// An operator's mistake, not the caller's: answered 500 and logged.
    #[error("Stripe is not configured (JOBMON_STRIPE_SECRET_KEY)")]
    Unconfigured,
    #[error("{0}")]
    Gateway(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotFound => ApiError::NotFound,
            BillingError::Unauthenticated => ApiError::Unauthorized,
            BillingError::NotAdmin(e) => e.into(),
            BillingError::EmailUnverified(e) => e.into(),
            BillingError::Invalid(e) => e.into(),
            BillingError::Subscribed | BillingError::NoCustomer => {
                ApiError::Conflict(e.to_string())
            }
            BillingError::Unconfigured => ApiError::Internal(e.to_string()),
            BillingError::Gateway(reason) => ApiError::Internal(reason),
            BillingError::Store(e) => e.into(),
        }
    }
}

/// Where Checkout and the portal send the user back to (`JOBMON_APP_URL`).
#[derive(Debug, Clone)]
pub struct ReturnUrls {
    pub app_url: String,
}

impl ReturnUrls {
    fn base(&self) -> &str {
        self.app_url.trim_end_matches('/')
    }

    pub fn success(&self) -> String {
        format!(
            "{}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            self.base()
        )
    }

    pub fn cancel(&self) -> String {
        format!("{}/billing?checkout=cancelled", self.base())
    }

    pub fn portal_return(&self) -> String {
        format!("{}/billing", self.base())
    }
}

pub struct BillingService {
    pub billing: Arc<dyn BillingStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub usage: Arc<dyn UsageReader>,
    pub users: Arc<dyn AccountStore>,
    pub plans: PlanCatalog,
    /// `None` when no Stripe secret key is configured: checkout and portal then fail.
    pub gateway: Option<Arc<dyn BillingGateway>>,
    /// `None` when no signing secret is configured: every webhook is refused.
    pub webhook_secret: Option<WebhookSecret>,
    pub admitter: Arc<Admitter>,
    pub urls: ReturnUrls,
    pub clock: Arc<dyn Clock>,
}

fn stripe_status(raw: &str) -> Option<SubscriptionStatus> {
    match raw {
        "active" => Some(SubscriptionStatus::Active),
        "trialing" => Some(SubscriptionStatus::Trialing),
        "past_due" => Some(SubscriptionStatus::PastDue),
        "unpaid" => Some(SubscriptionStatus::Unpaid),
        "paused" => Some(SubscriptionStatus::Paused),
        "canceled" | "incomplete_expired" => Some(SubscriptionStatus::Canceled),
        // `incomplete` (first payment pending): the plan was never granted, nothing to change.
        _ => None,
    }
}

fn timestamp(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

impl BillingService {
    async fn state(&self, tenant: TenantId) -> Result<BillingState, BillingError> {
        self.billing
            .billing_state(tenant)
            .await?
            .ok_or(BillingError::NotFound)
    }

    fn plan_or_400(&self, raw: &str) -> Result<&Plan, Invalid> {
        self.plans
            .find(raw)
            .map_err(|_| Invalid::new("plan", format!("unknown plan `{raw}`")))
    }

    pub async fn overview(&self, tenant: TenantId) -> Result<BillingView, BillingError> {
        let state = self.state(tenant).await?;
        let period = Period::of(self.clock.now());
        let used = self.usage.scored_jobs(tenant, &period).await?;
        let limit = self
            .plans
            .effective_for(
                &state.plan,
                state.subscription_status,
                state.past_due_since,
                self.clock.now(),
            )
            .monthly_scored_jobs;
        Ok(BillingView {
            plan: state.plan,
            subscription_status: state.subscription_status,
            current_period_end: state.current_period_end,
            cancel_at_period_end: state.cancel_at_period_end,
            usage: UsageView {
                period,
                scored_jobs: used,
                limit,
            },
            plans: self.plans.plans().to_vec(),
        })
    }

    /// `POST /v1/billing/checkout {plan}` (admins): a Checkout Session in subscription mode
    /// for the plan's price; the tenant's Stripe customer is created once and reused.
    pub async fn checkout(&self, who: &Principal, plan: &str) -> Result<UrlView, BillingError> {
        // Read now, not from the token: a subscription is bought by an admin as the store
        // has them, with a proven address.
        let admin = admin_now(&*self.users, *who, BillingError::Unauthenticated).await?;
        if !admin.email_verified {
            return Err(EmailUnverified.into());
        }
        let plan = self.plan_or_400(plan)?;
        let price = plan
            .price_id
            .clone()
            .ok_or_else(|| Invalid::new("plan", format!("plan `{}` cannot be bought", plan.id)))?;
        let state = self.state(who.tenant).await?;
        let subscribed = state.subscription_id.is_some()
            && matches!(
                state.subscription_status,
                SubscriptionStatus::Active
                    | SubscriptionStatus::Trialing
                    | SubscriptionStatus::PastDue
                    | SubscriptionStatus::Unpaid
                    | SubscriptionStatus::Paused
            );
        if subscribed {
            return Err(BillingError::Subscribed);
        }
        let gateway = self.gateway.as_ref().ok_or(BillingError::Unconfigured)?;
        let customer = match state.customer_id {
            Some(customer) => customer,
            None => {
                let tenant = self
                    .tenants
                    .get_tenant(who.tenant)
                    .await?
                    .ok_or(BillingError::NotFound)?;
                let created = gateway
                    .create_customer(who.tenant, admin.email.as_str(), tenant.name.as_str())
                    .await
                    .map_err(|e| BillingError::Gateway(e.to_string()))?;
                self.billing.link_customer(who.tenant, &created).await?
            }
        };
        let url = gateway
            .create_checkout_session(&CheckoutRequest {
                tenant: who.tenant,
                plan: plan.id.clone(),
                price_id: price,
                customer,
                success_url: self.urls.success(),
                cancel_url: self.urls.cancel(),
            })
            .await
            .map_err(|e| BillingError::Gateway(e.to_string()))?;
        Ok(UrlView { url })
    }

    /// `POST /v1/billing/portal` (admins): Stripe's customer portal for the tenant.
    pub async fn portal(&self, who: &Principal) -> Result<UrlView, BillingError> {
        admin_now(&*self.users, *who, BillingError::Unauthenticated).await?;
        let state = self.state(who.tenant).await?;
        let customer = state.customer_id.ok_or(BillingError::NoCustomer)?;
        let gateway = self.gateway.as_ref().ok_or(BillingError::Unconfigured)?;
        let url = gateway
            .create_portal_session(&customer, &self.urls.portal_return())
            .await
            .map_err(|e| BillingError::Gateway(e.to_string()))?;
        Ok(UrlView { url })
    }

    /// `POST /v1/billing/webhook`: verify, then apply the event once and in order.
    pub async fn webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<WebhookOutcome, WebhookError> {
        let secret = self
            .webhook_secret
            .as_ref()
            .ok_or(WebhookError::NotConfigured)?;
        secret.verify(signature, body, now)?;
        let (envelope, event) = event::parse(body)?;
        let span =
            tracing::info_span!("stripe_event", event_id = %envelope.id, kind = %envelope.kind);
        let _enter = span.enter();
        if self.billing.event_processed(&envelope.id).await? {
            tracing::info!("replayed Stripe event: nothing to do");
            return Ok(WebhookOutcome::Duplicate);
        }
        let event_ref = EventRef {
            id: envelope.id.clone(),
            created: envelope.created,
            kind: envelope.kind.clone(),
        };
        let decision = match &event {
            Event::CheckoutCompleted(session) => self.decide_checkout(session),
            Event::SubscriptionChanged(sub) => self.decide_subscription(sub).await?,
            Event::SubscriptionDeleted(sub) => self.decide_deleted(sub).await?,
            Event::InvoicePaid(invoice) => {
                self.decide_invoice(invoice, SubscriptionStatus::Active)
                    .await?
            }
            Event::InvoicePaymentFailed(invoice) => {
                self.decide_invoice(invoice, SubscriptionStatus::PastDue)
                    .await?
            }
            Event::Other => Decision::Ignore("event type not handled"),
        };
        let (tenant, change, only) = match decision {
            Decision::Ignore(why) => {
                tracing::info!(why, "Stripe event ignored");
                return Ok(if self.billing.record_event(&event_ref).await? {
                    WebhookOutcome::Ignored
                } else {
                    WebhookOutcome::Duplicate
                });
            }
            Decision::Unknown(why) => {
                tracing::warn!(why, "Stripe event for an unknown tenant or customer");
                return Ok(WebhookOutcome::UnknownTenant);
            }
            Decision::Apply {
                tenant,
                change,
                only_subscription,
            } => (tenant, change, only_subscription),
        };
        match self
            .billing
            .apply_event(tenant, &event_ref, &change, only.as_deref())
            .await?
        {
            Applied::Changed { before } => {
                tracing::info!(tenant_id = %tenant, plan = ?change.plan, status = ?change.subscription_status, "billing changed");
                self.after_change(tenant, &before, &change).await;
                Ok(WebhookOutcome::Applied)
            }
            Applied::Duplicate => Ok(WebhookOutcome::Duplicate),
            Applied::Stale => {
                tracing::info!(tenant_id = %tenant, "stale or foreign Stripe event: nothing changed");
                Ok(WebhookOutcome::Stale)
            }
            Applied::UnknownTenant => {
                tracing::warn!(tenant_id = %tenant, "Stripe event names a tenant that does not exist");
                Ok(WebhookOutcome::UnknownTenant)
            }
        }
    }

    /// A larger effective monthly quota admits waiting jobs at once: an upgrade, and also a
    /// status change alone (`invoice.paid` after the grace, unpaid/paused → active) that
    /// gives the plan's limits back. A failure here is logged, not returned: the change is
    /// stored, and the jobs stay listed for the monthly admission.
    async fn after_change(&self, tenant: TenantId, before: &BillingState, change: &BillingChange) {
        let now = self.clock.now();
        let quota_before = self
            .plans
            .effective_for(
                &before.plan,
                before.subscription_status,
                before.past_due_since,
                now,
            )
            .monthly_scored_jobs;
        // The store keeps `past_due_since` only while the status stays past_due (a new
        // past_due counts from its event, within the grace either way).
        let (status, since) = match change.subscription_status {
            None => (before.subscription_status, before.past_due_since),
            Some(status @ SubscriptionStatus::PastDue) => (status, before.past_due_since),
            Some(status) => (status, None),
        };
        let plan = change.plan.as_ref().unwrap_or(&before.plan);
        let quota_after = self
            .plans
            .effective_for(plan, status, since, now)
            .monthly_scored_jobs;
        if quota_after <= quota_before {
            return;
        }
        match self.admitter.admit(tenant).await {
            Ok(admission) => tracing::info!(
                tenant_id = %tenant,
                queued = admission.queued,
                more_pending = admission.more_pending,
                "pending_upgrade jobs admitted after an upgrade"
            ),
            Err(e) => {
                tracing::error!(tenant_id = %tenant, error = %e, "admission after upgrade failed")
            }
        }
    }

    fn decide_checkout(&self, session: &CheckoutSession) -> Decision {
        if session.mode.as_deref() != Some("subscription") {
            return Decision::Ignore("not a subscription checkout");
        }
        if session.payment_status.as_deref() == Some("unpaid") {
            return Decision::Ignore("checkout not paid yet");
        }
        let tenant = session
            .client_reference_id
            .as_deref()
            .or(session.metadata.get("tenantId").map(String::as_str))
            .and_then(|id| TenantId::parse(id).ok());
        let Some(tenant) = tenant else {
            return Decision::Unknown("checkout session without a valid client_reference_id");
        };
        let Some(plan) = session
            .metadata
            .get("plan")
            .and_then(|p| self.plans.find(p).ok())
        else {
            return Decision::Ignore("checkout session without a known metadata.plan");
        };
        Decision::Apply {
            tenant,
            change: BillingChange {
                plan: Some(plan.id.clone()),
                subscription_status: Some(SubscriptionStatus::Active),
                customer_id: session.customer.as_ref().map(|c| c.id().to_owned()),
                subscription_id: session.subscription.as_ref().map(|s| s.id().to_owned()),
                current_period_end: None,
                cancel_at_period_end: Some(false),
            },
            only_subscription: None,
        }
    }

    /// The tenant of a customer, else the tenant the object's metadata names.
    async fn tenant_of(
        &self,
        customer: Option<&str>,
        metadata_tenant: Option<&String>,
    ) -> Result<Option<TenantId>, StoreError> {
        if let Some(customer) = customer
            && let Some(tenant) = self.billing.tenant_of_customer(customer).await?
        {
            return Ok(Some(tenant));
        }
        Ok(metadata_tenant.and_then(|id| TenantId::parse(id).ok()))
    }

    /// The plan a subscription pays for: its price, looked up in the plan configuration,
    /// else `metadata.plan`.
    fn plan_of(&self, sub: &Subscription) -> Option<PlanId> {
        sub.price_ids()
            .into_iter()
            .find_map(|price| {
                self.plans
                    .plans()
                    .iter()
                    .find(|p| p.price_id.as_deref() == Some(price))
            })
            .or_else(|| {
                sub.metadata
                    .get("plan")
                    .and_then(|p| self.plans.find(p).ok())
            })
            .map(|p| p.id.clone())
    }

    async fn decide_subscription(&self, sub: &Subscription) -> Result<Decision, StoreError> {
        let Some(tenant) = self
            .tenant_of(Some(sub.customer.id()), sub.metadata.get("tenantId"))
            .await?
        else {
            return Ok(Decision::Unknown("subscription of an unknown customer"));
        };
        let Some(status) = stripe_status(&sub.status) else {
            return Ok(Decision::Ignore("subscription status changes nothing"));
        };
        if status == SubscriptionStatus::Canceled {
            return self.decide_deleted(sub).await;
        }
        let live = matches!(
            status,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing
        );
        let plan = if live { self.plan_of(sub) } else { None };
        if live && plan.is_none() {
            return Ok(Decision::Ignore(
                "subscription price is not a configured plan",
            ));
        }
        Ok(Decision::Apply {
            tenant,
            change: BillingChange {
                plan,
                subscription_status: Some(status),
                customer_id: Some(sub.customer.id().to_owned()),
                subscription_id: live.then(|| sub.id.clone()),
                current_period_end: sub.period_end().and_then(timestamp),
                cancel_at_period_end: Some(sub.cancel_at_period_end),
            },
            // A live subscription becomes the tenant's; a failing one only counts if it
            // is the tenant's.
            only_subscription: (!live).then(|| sub.id.clone()),
        })
    }

    /// The subscription ended (at the period end after a cancellation, or at once): back
    /// to the default plan. Limits drop; nothing is deleted.
    async fn decide_deleted(&self, sub: &Subscription) -> Result<Decision, StoreError> {
        let Some(tenant) = self
            .tenant_of(Some(sub.customer.id()), sub.metadata.get("tenantId"))
            .await?
        else {
            return Ok(Decision::Unknown("subscription of an unknown customer"));
        };
        Ok(Decision::Apply {
            tenant,
            change: BillingChange {
                plan: Some(self.plans.default_plan().id.clone()),
                subscription_status: Some(SubscriptionStatus::Canceled),
                cancel_at_period_end: Some(false),
                ..BillingChange::default()
            },
            only_subscription: Some(sub.id.clone()),
        })
    }

    async fn decide_invoice(
        &self,
        invoice: &Invoice,
        status: SubscriptionStatus,
    ) -> Result<Decision, StoreError> {
        let Some(subscription) = invoice.subscription_id() else {
            return Ok(Decision::Ignore("invoice of no subscription"));
        };
        let customer = invoice.customer.as_ref().map(|c| c.id());
        let Some(tenant) = self.tenant_of(customer, None).await? else {
            return Ok(Decision::Unknown("invoice of an unknown customer"));
        };
        let current = self.billing.billing_state(tenant).await?;
        if current.and_then(|s| s.subscription_id).as_deref() != Some(subscription) {
            tracing::info!(invoice = %invoice.id, subscription, "invoice of a subscription the tenant does not have");
            return Ok(Decision::Ignore("invoice of another subscription"));
        }
        Ok(Decision::Apply {
            tenant,
            change: BillingChange {
                subscription_status: Some(status),
                ..BillingChange::default()
            },
            only_subscription: Some(subscription.to_owned()),
        })
    }
}

enum Decision {
    Apply {
        tenant: TenantId,
        change: BillingChange,
        only_subscription: Option<String>,
    },
    Ignore(&'static str),
    Unknown(&'static str),
}
