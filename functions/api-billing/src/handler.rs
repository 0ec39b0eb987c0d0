//! `api-billing`: `GET /v1/billing` (plan, subscription, usage, the plans on offer),
//! `POST /v1/billing/checkout {plan}` and `POST /v1/billing/portal` (admins; answer a
//! Stripe URL), and `POST /v1/billing/webhook` (Stripe; verified by `Stripe-Signature`,
//! never by a token).

use chrono::Utc;
use jobmon_billing::{BillingService, SIGNATURE_HEADER};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::TokenIssuer;
use shared::http::handler::serve;
use shared::http::request::{body_bytes, json_body, signed_in};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, json};
use tracing::Span;

pub struct App {
    pub billing: BillingService,
    pub tokens: TokenIssuer,
}

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key. The webhook carries no
/// token, so each of the others authenticates the caller itself.
pub const ROUTES: &Routes<App, Span> = &[
    route!("GET /v1/billing", overview),
    route!("POST /v1/billing/checkout", checkout),
    route!("POST /v1/billing/portal", portal),
    route!("POST /v1/billing/webhook", webhook),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutBody {
    plan: String,
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| {
        dispatch(ROUTES, app, span, request)
    })
    .await
}

async fn overview(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    Ok(json(
        StatusCode::OK,
        &app.billing.overview(principal.tenant).await?,
    ))
}

async fn checkout(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let body: CheckoutBody = json_body(&request)?;
    Ok(json(
        StatusCode::OK,
        &app.billing.checkout(&principal, &body.plan).await?,
    ))
}

async fn portal(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    Ok(json(StatusCode::OK, &app.billing.portal(&principal).await?))
}

/// Stripe's events: the signature covers the body's exact bytes.
async fn webhook(app: &App, _: Span, request: Request) -> Answer {
    let signature = request
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let outcome = app
        .billing
        .webhook(signature, body_bytes(&request), Utc::now())
        .await;
    let name = match &outcome {
        Ok(outcome) => serde_json::to_value(outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        Err(_) => "refused".to_owned(),
    };
    shared::telemetry::MetricSet::new()
        .dimension("outcome", &name)
        .count("StripeEvents", 1)
        .emit();
    let outcome = outcome.inspect_err(|e| tracing::warn!(error = %e, "Stripe webhook refused"))?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "received": true, "outcome": outcome }),
    ))
}
