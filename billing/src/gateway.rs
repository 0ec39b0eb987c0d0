//! The calls jobmon makes to Stripe: create a customer, a Checkout Session (subscription
//! mode) and a customer-portal session. [`StripeGateway`] makes them with async-stripe.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use shared::domain::{PlanId, TenantId};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_core::customer::CreateCustomer;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("Stripe: {0}")]
    Stripe(String),
    #[error("Stripe answered without a URL")]
    NoUrl,
}

/// One subscription checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub tenant: TenantId,
    pub plan: PlanId,
    pub price_id: String,
    pub customer: String,
    pub success_url: String,
    pub cancel_url: String,
}

#[async_trait]
pub trait BillingGateway: Send + Sync {
    /// A new Stripe customer for the tenant; its id.
    async fn create_customer(
        &self,
        tenant: TenantId,
        email: &str,
        name: &str,
    ) -> Result<String, GatewayError>;

    /// A hosted Checkout page; its URL.
    async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<String, GatewayError>;

    /// A customer-portal page; its URL.
    async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<String, GatewayError>;
}

/// Stripe through async-stripe; the client (and its connection pool) is built once.
pub struct StripeGateway {
    client: Client,
}

impl StripeGateway {
    /// `api_base` replaces Stripe's API host (localstripe in tests, a mock locally).
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, GatewayError> {
        let mut builder = ClientBuilder::new(secret_key)
            .timeout(Duration::from_secs(10))
            // Retries reuse one idempotency key, so Stripe applies a create at most once.
            .request_strategy(RequestStrategy::ExponentialBackoff(3));
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let client = builder
            .build()
            .map_err(|e| GatewayError::Stripe(e.to_string()))?;
        Ok(Self { client })
    }
}

fn stripe_error(e: impl std::fmt::Display) -> GatewayError {
    GatewayError::Stripe(e.to_string())
}

#[async_trait]
impl BillingGateway for StripeGateway {
    async fn create_customer(
        &self,
        tenant: TenantId,
        email: &str,
        name: &str,
    ) -> Result<String, GatewayError> {
        // One customer per tenant even when two checkouts race: Stripe answers a repeated
        // idempotency key with the first result (for 24 h).
        let key = IdempotencyKey::new(format!("jobmon-customer-{tenant}")).map_err(stripe_error)?;
        let customer = CreateCustomer::new()
            .email(email)
            .name(name)
            .metadata(HashMap::from([("tenantId".to_owned(), tenant.to_string())]))
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(stripe_error)?;
        Ok(customer.id.to_string())
    }

    async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<String, GatewayError> {
        let metadata = HashMap::from([
            ("tenantId".to_owned(), request.tenant.to_string()),
            ("plan".to_owned(), request.plan.to_string()),
        ]);
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(request.price_id.clone());
        item.quantity = Some(1);
        let mut subscription = CreateCheckoutSessionSubscriptionData::new();
        // The subscription carries the tenant and plan too, so its own events name them.
        subscription.metadata = Some(metadata.clone());
        let session = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .customer(request.customer.clone())
            .client_reference_id(request.tenant.to_string())
            .metadata(metadata)
            .line_items(vec![item])
            .subscription_data(subscription)
            .success_url(request.success_url.clone())
            .cancel_url(request.cancel_url.clone())
            .send(&self.client)
            .await
            .map_err(stripe_error)?;
        session.url.ok_or(GatewayError::NoUrl)
    }

    async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<String, GatewayError> {
        let session = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(return_url)
            .send(&self.client)
            .await
            .map_err(stripe_error)?;
        Ok(session.url)
    }
}

/// Ending a tenant's subscription when the tenant is erased. Repeatable: a subscription
/// that has already ended, or that Stripe no longer knows, counts as ended.
#[async_trait]
impl shared::ports::SubscriptionCanceller for StripeGateway {
    async fn cancel_subscription(&self, subscription: &str) -> Result<(), String> {
        use stripe_billing::subscription::{CancelSubscription, RetrieveSubscription};
        let current = match RetrieveSubscription::new(subscription)
            .send(&self.client)
            .await
        {
            Ok(current) => current,
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        if matches!(current.status.as_str(), "canceled" | "incomplete_expired") {
            return Ok(());
        }
        match CancelSubscription::new(subscription)
            .send(&self.client)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn is_missing(e: &stripe::StripeError) -> bool {
    matches!(e, stripe::StripeError::Stripe(_, 404))
}
