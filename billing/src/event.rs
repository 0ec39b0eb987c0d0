//! The parts of Stripe events that billing acts on, read leniently with serde.
//!
//! async-stripe's event types are generated for one API version and fail on any missing
//! field; an endpoint whose API version differs by a release, or an object Stripe trims,
//! would then be answered 400 and retried for days. Reading only the fields used here
//! keeps the webhook working across API versions. Where Stripe moved a field between
//! versions both places are read: `current_period_end` on the subscription (before
//! 2025-03-31) or on its items (since), an invoice's subscription at `subscription`
//! (before) or at `parent.subscription_details.subscription` (since).

use std::collections::HashMap;

use serde::Deserialize;

/// `"cus_123"`, or the object when the field was expanded.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum IdOrObject {
    Id(String),
    Object { id: String },
}

impl IdOrObject {
    pub fn id(&self) -> &str {
        match self {
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: EnvelopeData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnvelopeData {
    pub object: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub customer: Option<IdOrObject>,
    #[serde(default)]
    pub subscription: Option<IdOrObject>,
    #[serde(default)]
    pub payment_status: Option<String>,
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: IdOrObject,
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub current_period_end: Option<i64>,
    #[serde(default)]
    pub items: Option<List<SubscriptionItem>>,
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItem {
    #[serde(default)]
    pub price: Option<IdOrObject>,
    #[serde(default)]
    pub current_period_end: Option<i64>,
}

impl Subscription {
    /// The period end, wherever this API version puts it.
    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end.or_else(|| {
            self.items
                .as_ref()
                .and_then(|items| items.data.iter().filter_map(|i| i.current_period_end).max())
        })
    }

    pub fn price_ids(&self) -> Vec<&str> {
        self.items
            .as_ref()
            .map(|items| {
                items
                    .data
                    .iter()
                    .filter_map(|i| i.price.as_ref().map(IdOrObject::id))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    pub id: String,
    #[serde(default)]
    pub customer: Option<IdOrObject>,
    #[serde(default)]
    pub subscription: Option<IdOrObject>,
    #[serde(default)]
    pub parent: Option<InvoiceParent>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceParent {
    #[serde(default)]
    pub subscription_details: Option<SubscriptionDetails>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionDetails {
    #[serde(default)]
    pub subscription: Option<IdOrObject>,
}

impl Invoice {
    pub fn subscription_id(&self) -> Option<&str> {
        self.subscription
            .as_ref()
            .or_else(|| {
                self.parent
                    .as_ref()
                    .and_then(|p| p.subscription_details.as_ref())
                    .and_then(|d| d.subscription.as_ref())
            })
            .map(IdOrObject::id)
    }
}

/// Stripe sends `metadata: {}` normally, but `null` is tolerated too.
fn metadata<'de, D: serde::Deserializer<'de>>(d: D) -> Result<HashMap<String, String>, D::Error> {
    Ok(Option::<HashMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

/// An event as billing understands it.
#[derive(Debug, Clone)]
pub enum Event {
    CheckoutCompleted(CheckoutSession),
    SubscriptionChanged(Subscription),
    SubscriptionDeleted(Subscription),
    InvoicePaid(Invoice),
    InvoicePaymentFailed(Invoice),
    /// A type this endpoint does not act on.
    Other,
}

#[derive(Debug, thiserror::Error)]
#[error("not a Stripe event this endpoint understands: {0}")]
pub struct EventError(String);

pub fn parse(body: &[u8]) -> Result<(Envelope, Event), EventError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| EventError(e.to_string()))?;
    let object = envelope.data.object.clone();
    let typed = |e: serde_json::Error| EventError(format!("{}: {e}", envelope.kind));
    let event = match envelope.kind.as_str() {
        "checkout.session.completed" => {
            Event::CheckoutCompleted(serde_json::from_value(object).map_err(typed)?)
        }
        "customer.subscription.created" | "customer.subscription.updated" => {
            Event::SubscriptionChanged(serde_json::from_value(object).map_err(typed)?)
        }
        "customer.subscription.deleted" => {
            Event::SubscriptionDeleted(serde_json::from_value(object).map_err(typed)?)
        }
        "invoice.paid" => Event::InvoicePaid(serde_json::from_value(object).map_err(typed)?),
        "invoice.payment_failed" => {
            Event::InvoicePaymentFailed(serde_json::from_value(object).map_err(typed)?)
        }
        _ => Event::Other,
    };
    Ok((envelope, event))
}
