//! `api-auth`: the auth routes of docs/api.md. Thin: parse, call the account service, answer.
//! No token up front: only `me` and `ws-ticket` need one; the others record the tenant on
//! the request span once the session is known.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Principal;
use shared::http::handler::serve;
use shared::http::request::{authenticate, json_body, source_ip};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, empty, json};
use shared::services::AccountService;
use shared::telemetry::record_tenant;
use tracing::Span;

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<AccountService, Span> = &[
    route!("POST /v1/auth/register", register),
    route!("POST /v1/auth/login", login),
    route!("POST /v1/auth/refresh", refresh),
    route!("POST /v1/auth/logout", logout),
    route!("GET /v1/auth/me", me),
    route!("POST /v1/auth/verify-email", verify_email),
    route!("POST /v1/auth/password/forgot", forgot_password),
    route!("POST /v1/auth/password/reset", reset_password),
    route!("POST /v1/auth/invitations/accept", accept_invitation),
    route!("POST /v1/auth/ws-ticket", ws_ticket),
];

pub async fn handle(app: &AccountService, request: Request) -> Response<Body> {
    serve(request, |request, span| {
        dispatch(ROUTES, app, span, request)
    })
    .await
}

/// The caller of a route that needs a token, recorded on the request span.
fn signed_in(app: &AccountService, span: &Span, request: &Request) -> Result<Principal, ApiError> {
    let principal = authenticate(request, &app.issuer)?;
    record_tenant(span, principal.tenant);
    Ok(principal)
}

async fn register(app: &AccountService, span: Span, request: Request) -> Answer {
    let session = app
        .register(json_body(&request)?, &source_ip(&request))
        .await?;
    record_tenant(&span, session.tenant.id);
    Ok(json(StatusCode::CREATED, &session))
}

async fn login(app: &AccountService, span: Span, request: Request) -> Answer {
    let session = app
        .login(json_body(&request)?, &source_ip(&request))
        .await?;
    record_tenant(&span, session.tenant.id);
    Ok(json(StatusCode::OK, &session))
}

async fn refresh(app: &AccountService, span: Span, request: Request) -> Answer {
    let session = app.refresh(json_body(&request)?).await?;
    record_tenant(&span, session.tenant.id);
    Ok(json(StatusCode::OK, &session))
}

async fn logout(app: &AccountService, _: Span, request: Request) -> Answer {
    app.logout(json_body(&request)?).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn me(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(app, &span, &request)?;
    Ok(json(StatusCode::OK, &app.me(principal).await?))
}

async fn verify_email(app: &AccountService, _: Span, request: Request) -> Answer {
    app.verify_email(json_body(&request)?).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn forgot_password(app: &AccountService, _: Span, request: Request) -> Answer {
    app.forgot_password(json_body(&request)?, &source_ip(&request))
        .await?;
    Ok(empty(StatusCode::ACCEPTED))
}

async fn reset_password(app: &AccountService, _: Span, request: Request) -> Answer {
    app.reset_password(json_body(&request)?).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn accept_invitation(app: &AccountService, span: Span, request: Request) -> Answer {
    let session = app.accept_invitation(json_body(&request)?).await?;
    record_tenant(&span, session.tenant.id);
    Ok(json(StatusCode::OK, &session))
}

async fn ws_ticket(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(app, &span, &request)?;
    Ok(json(StatusCode::OK, &app.ws_ticket(principal).await?))
}
