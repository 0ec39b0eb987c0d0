//! `api-tenant`: the tenant and its members (docs/api.md).

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::http::handler::{no_route, serve};
use shared::http::request::{authenticate, json_body};
use shared::http::router::match_path;
use shared::http::{ApiError, empty, json};
use shared::services::AccountService;
use shared::telemetry::record_tenant;

pub async fn handle(app: &AccountService, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = authenticate(&request, &app.issuer)?;
        record_tenant(&span, principal.tenant);
        let method = request.method().clone();
        let path = request.uri().path().to_owned();

        if match_path("/v1/tenant", &path).is_some() {
            match method {
                Method::GET => Ok(json(StatusCode::OK, &app.tenant(principal).await?)),
                Method::PATCH => Ok(json(
                    StatusCode::OK,
                    &app.rename_tenant(principal, json_body(&request)?).await?,
                )),
                _ => Err(no_route()),
            }
        } else if match_path("/v1/tenant/members", &path).is_some() {
            match method {
                Method::GET => Ok(json(StatusCode::OK, &app.members(principal).await?)),
                Method::POST => Ok(json(
                    StatusCode::CREATED,
                    &app.invite(principal, json_body(&request)?).await?,
                )),
                _ => Err(no_route()),
            }
        } else if let Some(params) = match_path("/v1/tenant/members/{userId}", &path) {
            let user = params.get("userId").unwrap_or_default();
            match method {
                Method::PATCH => Ok(json(
                    StatusCode::OK,
                    &app.change_role(principal, user, json_body(&request)?)
                        .await?,
                )),
                Method::DELETE => {
                    app.remove_member(principal, user).await?;
                    Ok(empty(StatusCode::NO_CONTENT))
                }
                _ => Err(no_route()),
            }
        } else {
            Err::<_, ApiError>(no_route())
        }
    })
    .await
}
