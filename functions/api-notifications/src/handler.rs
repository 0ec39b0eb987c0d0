//! `api-notifications`: a member's e-mail settings and the tenant's channels (docs/api.md).

use jobmon_notify::NotificationsService;
use jobmon_notify::unsubscribe::Unsubscriber;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::TokenIssuer;
use shared::http::handler::serve;
use shared::http::request::{json_body, path_param, query_pairs, signed_in};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, empty, json};
use tracing::Span;

pub struct App {
    pub notifications: NotificationsService,
    pub unsubscribe: Unsubscriber,
    pub tokens: TokenIssuer,
}

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key. Each handler that
/// needs a login calls [`signed_in`]; `unsubscribe` carries its own authority (a signed
/// token), as the auth routes do without a login.
pub const ROUTES: &Routes<App, Span> = &[
    route!("GET /v1/notifications", settings),
    route!("PUT /v1/notifications", put_settings),
    route!("GET /v1/notifications/channels", channels),
    route!("POST /v1/notifications/channels", create_channel),
    route!("PATCH /v1/notifications/channels/{id}", update_channel),
    route!("DELETE /v1/notifications/channels/{id}", delete_channel),
    route!("POST /v1/notifications/channels/{id}/test", test_channel),
    route!("POST /v1/notifications/unsubscribe", unsubscribe),
];

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| {
        dispatch(ROUTES, app, span, request)
    })
    .await
}

async fn settings(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let settings = app.notifications.settings(principal).await?;
    Ok(json(StatusCode::OK, &settings))
}

async fn put_settings(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let settings = app
        .notifications
        .put_settings(principal, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::OK, &settings))
}

async fn channels(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    Ok(json(
        StatusCode::OK,
        &app.notifications.channels(principal).await?,
    ))
}

async fn create_channel(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let created = app
        .notifications
        .create_channel(principal, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::CREATED, &created))
}

async fn update_channel(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let id = path_param(&request, "id")?;
    let channel = app
        .notifications
        .update_channel(principal, &id, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::OK, &channel))
}

async fn delete_channel(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let id = path_param(&request, "id")?;
    app.notifications.delete_channel(principal, &id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn test_channel(app: &App, span: Span, request: Request) -> Answer {
    let principal = signed_in(&request, &app.tokens, &span)?;
    let id = path_param(&request, "id")?;
    let result = app.notifications.test_channel(principal, &id).await?;
    Ok(json(StatusCode::OK, &result))
}

/// RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click` as a form; the
/// body is not needed, the token in the URL says everything.
async fn unsubscribe(app: &App, _: Span, request: Request) -> Answer {
    let token = query_pairs(&request)
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value)
        .ok_or_else(|| ApiError::validation("token", "is required"))?;
    let kind = app.unsubscribe.unsubscribe(&token).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "unsubscribed": kind.as_str() }),
    ))
}
