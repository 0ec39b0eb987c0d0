//! `api-billing`: `GET /v1/billing` (plan, subscription, usage, the plans on offer),
//! `POST /v1/billing/checkout {plan}` and `POST /v1/billing/portal` (admins; answer a
//! Stripe URL), and `POST /v1/billing/webhook` (Stripe; verified by `Stripe-Signature`,
//! never by a token).

use chrono::Utc;
use jobmon_billing::{BillingService, SIGNATURE_HEADER};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::TokenIssuer;
use shared::http::handler::{no_route, serve};
use shared::http::json;
use shared::http::request::{authenticate, json_body};
use shared::http::router::match_path;
use shared::telemetry::record_tenant;

pub struct App {
    pub billing: BillingService,
    pub tokens: TokenIssuer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutBody {
    plan: String,
}

/// The body exactly as sent: the signature covers these bytes.
fn raw_body(request: &Request) -> &[u8] {
    match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();

        if match_path("/v1/billing/webhook", &path).is_some() {
            if method != Method::POST {
                return Err(no_route());
            }
            let signature = request
                .headers()
                .get(SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok());
            let outcome = app
                .billing
                .webhook(signature, raw_body(&request), Utc::now())
                .await
                .inspect_err(|e| tracing::warn!(error = %e, "Stripe webhook refused"))?;
            return Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "received": true, "outcome": outcome }),
            ));
        }

        let principal = authenticate(&request, &app.tokens)?;
        record_tenant(&span, principal.tenant);
        if match_path("/v1/billing", &path).is_some() {
            match method {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &app.billing.overview(principal.tenant).await?,
                )),
                _ => Err(no_route()),
            }
        } else if match_path("/v1/billing/checkout", &path).is_some() {
            match method {
                Method::POST => {
                    let body: CheckoutBody = json_body(&request)?;
                    Ok(json(
                        StatusCode::OK,
                        &app.billing.checkout(&principal, &body.plan).await?,
                    ))
                }
                _ => Err(no_route()),
            }
        } else if match_path("/v1/billing/portal", &path).is_some() {
            match method {
                Method::POST => Ok(json(StatusCode::OK, &app.billing.portal(&principal).await?)),
                _ => Err(no_route()),
            }
        } else {
            Err(no_route())
        }
    })
    .await
}
