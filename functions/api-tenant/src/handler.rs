//! `api-tenant`: the tenant and its members (docs/api.md).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Principal;
use shared::http::handler::serve;
use shared::http::request::{authenticate, json_body, path_param};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, empty, json};
use shared::services::AccountService;
use shared::telemetry::record_tenant;

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<AccountService, Principal> = &[
    route!("GET /v1/tenant", tenant),
    route!("PATCH /v1/tenant", rename),
    route!("GET /v1/tenant/members", members),
    route!("POST /v1/tenant/members", invite),
    route!("PATCH /v1/tenant/members/{userId}", change_role),
    route!("DELETE /v1/tenant/members/{userId}", remove),
    route!("GET /v1/tenant/invitations", invitations),
    route!(
        "DELETE /v1/tenant/invitations/{invitationId}",
        revoke_invitation
    ),
];

pub async fn handle(app: &AccountService, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = authenticate(&request, &app.issuer)?;
        record_tenant(&span, principal.tenant);
        dispatch(ROUTES, app, principal, request).await
    })
    .await
}

async fn tenant(app: &AccountService, principal: Principal, _: Request) -> Answer {
    Ok(json(StatusCode::OK, &app.tenant(principal).await?))
}

async fn rename(app: &AccountService, principal: Principal, request: Request) -> Answer {
    let renamed = app.rename_tenant(principal, json_body(&request)?).await?;
    Ok(json(StatusCode::OK, &renamed))
}

async fn members(app: &AccountService, principal: Principal, _: Request) -> Answer {
    Ok(json(StatusCode::OK, &app.members(principal).await?))
}

async fn invite(app: &AccountService, principal: Principal, request: Request) -> Answer {
    let invitation = app.invite(principal, json_body(&request)?).await?;
    Ok(json(StatusCode::CREATED, &invitation))
}

async fn change_role(app: &AccountService, principal: Principal, request: Request) -> Answer {
    let user = path_param(&request, "userId")?;
    let member = app
        .change_role(principal, &user, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::OK, &member))
}

async fn remove(app: &AccountService, principal: Principal, request: Request) -> Answer {
    let user = path_param(&request, "userId")?;
    app.remove_member(principal, &user).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn invitations(app: &AccountService, principal: Principal, _: Request) -> Answer {
    Ok(json(StatusCode::OK, &app.invitations(principal).await?))
}

async fn revoke_invitation(app: &AccountService, principal: Principal, request: Request) -> Answer {
    let id = path_param(&request, "invitationId")?;
    app.revoke_invitation(principal, &id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
