//! Building the billing service from configuration, once per container.

use std::sync::Arc;

use jobmon_scoring::admit::Admitter;
use shared::adapters::SsmParameters;
use shared::config::ConfigError;
use shared::ports::SystemClock;
use shared::wiring::Core;

use crate::gateway::{BillingGateway, StripeGateway};
use crate::service::{BillingService, ReturnUrls};
use crate::signature::WebhookSecret;

/// Stripe's secret API key (`sk_…`), or the SSM SecureString named by `…_PARAMETER`.
pub const STRIPE_SECRET_KEY: &str = "JOBMON_STRIPE_SECRET_KEY";
/// The webhook endpoint's signing secret (`whsec_…`), or `…_PARAMETER`.
pub const STRIPE_WEBHOOK_SECRET: &str = "JOBMON_STRIPE_WEBHOOK_SECRET";
/// Replaces Stripe's API base URL (localstripe, a mock); unset in production.
pub const STRIPE_API_BASE: &str = "JOBMON_STRIPE_API_BASE";

/// Admits `pending_upgrade` jobs to scoring (after an upgrade, at a new month).
pub fn admitter(core: &Core) -> Result<Arc<Admitter>, ConfigError> {
    let recorder = jobmon_scoring::wiring::recorder(core);
    let rescorer = jobmon_scoring::wiring::rescorer(core, recorder)?;
    let store = Arc::new(core.store.clone());
    Ok(Arc::new(Admitter {
        rescorer,
        billing: store.clone(),
        tenants: store,
        plans: core.plans.clone(),
    }))
}

pub async fn service(core: &Core) -> Result<BillingService, ConfigError> {
    let gateway = match stripe_gateway(core, &core.parameters).await? {
        Some(gateway) => Some(Arc::new(gateway) as Arc<dyn BillingGateway>),
        None => {
            tracing::warn!("{STRIPE_SECRET_KEY} is not set: checkout and the portal are off");
            None
        }
    };
    let webhook_secret = core
        .env
        .value(STRIPE_WEBHOOK_SECRET, &core.parameters)
        .await?;
    if webhook_secret.is_none() {
        tracing::warn!("{STRIPE_WEBHOOK_SECRET} is not set: every webhook is refused");
    }
    let store = Arc::new(core.store.clone());
    Ok(BillingService {
        billing: store.clone(),
        tenants: store.clone(),
        usage: store.clone(),
        users: store,
        plans: core.plans.clone(),
        gateway,
        webhook_secret: webhook_secret.as_deref().map(WebhookSecret::new),
        admitter: admitter(core)?,
        urls: ReturnUrls {
            app_url: core.env.app_url().to_owned(),
        },
        clock: SystemClock::shared(),
    })
}

/// Stripe for `worker-erasure`, which only ends subscriptions; `None` when Stripe is not
/// configured.
pub async fn subscription_canceller(
    core: &Core,
) -> Result<Option<Arc<dyn shared::ports::SubscriptionCanceller>>, ConfigError> {
    Ok(stripe_gateway(core, &core.parameters)
        .await?
        .map(|gateway| Arc::new(gateway) as Arc<dyn shared::ports::SubscriptionCanceller>))
}

/// Stripe from `JOBMON_STRIPE_SECRET_KEY` (and `JOBMON_STRIPE_API_BASE`); `None` when no key
/// is configured.
async fn stripe_gateway(
    core: &Core,
    parameters: &SsmParameters,
) -> Result<Option<StripeGateway>, ConfigError> {
    let Some(key) = core.env.value(STRIPE_SECRET_KEY, parameters).await? else {
        return Ok(None);
    };
    StripeGateway::new(&key, core.env.get(STRIPE_API_BASE))
        .map(Some)
        .map_err(|e| ConfigError::Invalid {
            name: STRIPE_SECRET_KEY.into(),
            reason: e.to_string(),
        })
}
