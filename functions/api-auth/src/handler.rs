//! `api-auth`: the auth routes of docs/api.md. Thin: parse, call the account service, answer.
//! No token up front: only `me` and `ws-ticket` need one; the others record the tenant on
//! the request span once the session is known.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::handler::serve;
use shared::http::request::{json_body, signed_in, source_ip};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, empty, json};
use shared::services::AccountService;
use shared::services::accounts::RefreshRequest;
use shared::telemetry::record_tenant;
use tracing::Span;

pub mod web_session;
use web_session::{Transport, clear_cookie, session_response, transport};

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<AccountService, Span> = &[
    route!("POST /v1/auth/register", register),
    route!("POST /v1/auth/login", login),
    route!("POST /v1/auth/refresh", refresh),
    route!("POST /v1/auth/logout", logout),
    route!("POST /v1/auth/logout-all", logout_all),
    route!("GET /v1/auth/me", me),
    route!("DELETE /v1/auth/me", delete_me),
    route!("POST /v1/auth/verify-email", verify_email),
    route!("POST /v1/auth/verify-email/resend", resend_verification),
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

/// A new session, in the body or (for the dashboard) with its refresh token in the cookie.
fn session_answer(
    app: &AccountService,
    status: StatusCode,
    session: &shared::services::views::SessionView,
    transport: &Transport,
) -> Response<Body> {
    session_response(
        status,
        session,
        transport,
        app.limits.refresh_ttl.num_seconds(),
    )
}

async fn register(app: &AccountService, span: Span, request: Request) -> Answer {
    let transport = transport(&request, &app.app_url)?;
    let session = app
        .register(json_body(&request)?, &source_ip(&request))
        .await?;
    record_tenant(&span, session.tenant.id);
    Ok(session_answer(
        app,
        StatusCode::CREATED,
        &session,
        &transport,
    ))
}

async fn login(app: &AccountService, span: Span, request: Request) -> Answer {
    let transport = transport(&request, &app.app_url)?;
    let session = app
        .login(json_body(&request)?, &source_ip(&request))
        .await?;
    record_tenant(&span, session.tenant.id);
    Ok(session_answer(app, StatusCode::OK, &session, &transport))
}

/// The refresh token of a refresh or logout: the JSON body's, or the dashboard's cookie
/// (then the body is ignored). No cookie is a 401 that also clears any stale one.
fn refresh_request(request: &Request, transport: &Transport) -> Result<RefreshRequest, ApiError> {
    match transport {
        Transport::Body => json_body(request),
        Transport::Cookie(Some(token)) => Ok(RefreshRequest {
            refresh_token: token.clone(),
        }),
        Transport::Cookie(None) => Err(ApiError::Unauthorized),
    }
}

async fn refresh(app: &AccountService, span: Span, request: Request) -> Answer {
    let transport = transport(&request, &app.app_url)?;
    let outcome = match refresh_request(&request, &transport) {
        Ok(req) => app.refresh(req).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(session) => {
            record_tenant(&span, session.tenant.id);
            Ok(session_answer(app, StatusCode::OK, &session, &transport))
        }
        // A refused cookie is of no more use: the browser forgets it.
        Err(e)
            if matches!(transport, Transport::Cookie(_))
                && e.status() == StatusCode::UNAUTHORIZED =>
        {
            let mut response = e.into_response();
            clear_cookie(&mut response);
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

async fn logout(app: &AccountService, _: Span, request: Request) -> Answer {
    let transport = transport(&request, &app.app_url)?;
    match refresh_request(&request, &transport) {
        Ok(req) => app.logout(req).await?,
        // Signing out without a cookie: nothing to revoke, still signed out.
        Err(ApiError::Unauthorized) => {}
        Err(e) => return Err(e),
    }
    let mut response = empty(StatusCode::NO_CONTENT);
    if matches!(transport, Transport::Cookie(_)) {
        clear_cookie(&mut response);
    }
    Ok(response)
}

/// Every session of the caller ends; the access token presented lives out its minutes.
async fn logout_all(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.issuer, &span)?;
    app.logout_all(principal).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn me(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.issuer, &span)?;
    Ok(json(StatusCode::OK, &app.me(principal).await?))
}

/// The member deletes themself; a dashboard session's cookie goes with them.
async fn delete_me(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.issuer, &span)?;
    let transport = transport(&request, &app.app_url)?;
    app.delete_me(principal, json_body(&request)?).await?;
    let mut response = empty(StatusCode::NO_CONTENT);
    if matches!(transport, Transport::Cookie(_)) {
        clear_cookie(&mut response);
    }
    Ok(response)
}

async fn verify_email(app: &AccountService, _: Span, request: Request) -> Answer {
    app.verify_email(json_body(&request)?).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn resend_verification(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.issuer, &span)?;
    app.resend_verification(principal).await?;
    Ok(empty(StatusCode::ACCEPTED))
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
    let transport = transport(&request, &app.app_url)?;
    let session = app.accept_invitation(json_body(&request)?).await?;
    record_tenant(&span, session.tenant.id);
    Ok(session_answer(app, StatusCode::OK, &session, &transport))
}

async fn ws_ticket(app: &AccountService, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.issuer, &span)?;
    Ok(json(StatusCode::OK, &app.ws_ticket(principal).await?))
}
