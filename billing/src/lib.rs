//! Billing with Stripe: plans come from the plan configuration (`priceId`), checkout and
//! the customer portal go through async-stripe, and signed webhooks change the tenant's
//! plan, after which `pending_upgrade` jobs are admitted to scoring.
//!
//! - [`signature`]: `Stripe-Signature` verification as Stripe documents it.
//! - [`event`]: the fields of the events acted on, parsed leniently.
//! - [`gateway`]: the Stripe calls (customer, Checkout Session, portal session).
//! - [`service`]: the use cases behind `/v1/billing*`.
//! - [`wiring`]: building them from configuration at init.

pub mod event;
pub mod gateway;
pub mod service;
pub mod signature;
pub mod wiring;

pub use gateway::{BillingGateway, CheckoutRequest, GatewayError, StripeGateway};
pub use service::{
    BillingError, BillingService, BillingView, ReturnUrls, UrlView, WebhookError, WebhookOutcome,
};
pub use signature::{SIGNATURE_HEADER, SignatureError, TOLERANCE_SECS, WebhookSecret};
