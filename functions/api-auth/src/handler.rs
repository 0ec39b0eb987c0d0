//! `api-auth`: the auth routes of docs/api.md. Thin: parse, call the account service, answer.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::http::handler::{no_route, serve};
use shared::http::request::{authenticate, json_body, source_ip};
use shared::http::router::match_path;
use shared::http::{ApiError, empty, json};
use shared::services::AccountService;
use shared::telemetry::record_tenant;

pub async fn handle(app: &AccountService, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let is = |m: Method, pattern: &str| method == m && match_path(pattern, &path).is_some();
        let ip = source_ip(&request);

        if is(Method::POST, "/v1/auth/register") {
            let session = app.register(json_body(&request)?, &ip).await?;
            record_tenant(&span, session.tenant.id);
            Ok(json(StatusCode::CREATED, &session))
        } else if is(Method::POST, "/v1/auth/login") {
            let session = app.login(json_body(&request)?, &ip).await?;
            record_tenant(&span, session.tenant.id);
            Ok(json(StatusCode::OK, &session))
        } else if is(Method::POST, "/v1/auth/refresh") {
            let session = app.refresh(json_body(&request)?).await?;
            record_tenant(&span, session.tenant.id);
            Ok(json(StatusCode::OK, &session))
        } else if is(Method::POST, "/v1/auth/logout") {
            app.logout(json_body(&request)?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        } else if is(Method::GET, "/v1/auth/me") {
            let principal = authenticate(&request, &app.issuer)?;
            record_tenant(&span, principal.tenant);
            Ok(json(StatusCode::OK, &app.me(principal).await?))
        } else if is(Method::POST, "/v1/auth/verify-email") {
            app.verify_email(json_body(&request)?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        } else if is(Method::POST, "/v1/auth/password/forgot") {
            app.forgot_password(json_body(&request)?, &ip).await?;
            Ok(empty(StatusCode::ACCEPTED))
        } else if is(Method::POST, "/v1/auth/password/reset") {
            app.reset_password(json_body(&request)?).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        } else if is(Method::POST, "/v1/auth/invitations/accept") {
            let session = app.accept_invitation(json_body(&request)?).await?;
            record_tenant(&span, session.tenant.id);
            Ok(json(StatusCode::OK, &session))
        } else if is(Method::POST, "/v1/auth/ws-ticket") {
            let principal = authenticate(&request, &app.issuer)?;
            record_tenant(&span, principal.tenant);
            Ok(json(StatusCode::OK, &app.ws_ticket(principal).await?))
        } else {
            Err::<_, ApiError>(no_route())
        }
    })
    .await
}
