//! `api-tenant`: the tenant, its members, its export and its erasure (docs/api.md).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Principal;
use shared::http::handler::serve;
use shared::http::request::{json_body, path_param, query_pairs, signed_in};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, empty, json};
use shared::services::{AccountService, PrivacyService};

type Answer = Result<Response<Body>, ApiError>;

/// What `api-tenant` serves with: the account use cases (tenant, members) and the privacy
/// ones (export, erasure).
pub struct App {
    pub accounts: AccountService,
    pub privacy: PrivacyService,
}

/// Most routes are account routes, so the app reads as its account service.
impl std::ops::Deref for App {
    type Target = AccountService;
    fn deref(&self) -> &AccountService {
        &self.accounts
    }
}

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<App, Principal> = &[
    route!("GET /v1/tenant", tenant),
    route!("PATCH /v1/tenant", rename),
    route!("DELETE /v1/tenant", erase),
    route!("GET /v1/tenant/export", export),
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

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = signed_in(&request, &app.issuer, &span)?;
        dispatch(ROUTES, app, principal, request).await
    })
    .await
}

async fn tenant(app: &App, principal: Principal, _: Request) -> Answer {
    Ok(json(StatusCode::OK, &app.tenant(principal).await?))
}

async fn rename(app: &App, principal: Principal, request: Request) -> Answer {
    let renamed = app.rename_tenant(principal, json_body(&request)?).await?;
    Ok(json(StatusCode::OK, &renamed))
}

async fn members(app: &App, principal: Principal, _: Request) -> Answer {
    Ok(json(StatusCode::OK, &app.members(principal).await?))
}

async fn invite(app: &App, principal: Principal, request: Request) -> Answer {
    let invitation = app.invite(principal, json_body(&request)?).await?;
    Ok(json(StatusCode::CREATED, &invitation))
}

async fn change_role(app: &App, principal: Principal, request: Request) -> Answer {
    let user = path_param(&request, "userId")?;
    let member = app
        .change_role(principal, &user, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::OK, &member))
}

async fn remove(app: &App, principal: Principal, request: Request) -> Answer {
    let user = path_param(&request, "userId")?;
    app.remove_member(principal, &user).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn invitations(app: &App, principal: Principal, _: Request) -> Answer {
    Ok(json(
        StatusCode::OK,
        &app.accounts.invitations(principal).await?,
    ))
}

async fn revoke_invitation(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_param(&request, "invitationId")?;
    app.accounts.revoke_invitation(principal, &id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn export(app: &App, principal: Principal, request: Request) -> Answer {
    let mut cursor = None;
    for (name, value) in query_pairs(&request) {
        match name.as_str() {
            "cursor" if cursor.is_none() => cursor = Some(value),
            "cursor" => return Err(ApiError::validation("cursor", "is given twice")),
            _ => {
                return Err(ApiError::validation(
                    &name,
                    "is not a parameter of the export",
                ));
            }
        }
    }
    let part = app.privacy.export(principal, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &part))
}

async fn erase(app: &App, principal: Principal, request: Request) -> Answer {
    let erasure = app
        .privacy
        .erase_tenant(principal, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::ACCEPTED, &erasure))
}
