//! `api-sources`: the sources routes of docs/api.md and `POST /v1/jobs/fetch`.

use jobmon_ingest::sources::SourcesService;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::{Principal, TokenIssuer};
use shared::http::handler::serve;
use shared::http::request::{json_body, path_param, signed_in};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, empty, json};

pub struct App {
    pub sources: SourcesService,
    pub tokens: TokenIssuer,
}

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<App, Principal> = &[
    route!("GET /v1/sources", list),
    route!("POST /v1/sources", create),
    route!("GET /v1/sources/{id}", get),
    route!("PATCH /v1/sources/{id}", update),
    route!("DELETE /v1/sources/{id}", delete),
    route!("POST /v1/sources/{id}/preview", preview),
    route!("POST /v1/sources/detect", detect),
    route!("POST /v1/jobs/fetch", fetch_now),
];

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = signed_in(&request, &app.tokens, &span)?;
        dispatch(ROUTES, app, principal, request).await
    })
    .await
}

async fn list(app: &App, principal: Principal, _: Request) -> Answer {
    Ok(json(StatusCode::OK, &app.sources.list(principal).await?))
}

async fn create(app: &App, principal: Principal, request: Request) -> Answer {
    let source = app.sources.create(principal, json_body(&request)?).await?;
    Ok(json(StatusCode::CREATED, &source))
}

async fn get(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_param(&request, "id")?;
    Ok(json(
        StatusCode::OK,
        &app.sources.get(principal, &id).await?,
    ))
}

async fn update(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_param(&request, "id")?;
    let source = app
        .sources
        .update(principal, &id, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::OK, &source))
}

async fn delete(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_param(&request, "id")?;
    app.sources.delete(principal, &id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

async fn preview(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_param(&request, "id")?;
    Ok(json(
        StatusCode::OK,
        &app.sources.preview(principal, &id).await?,
    ))
}

async fn detect(app: &App, principal: Principal, request: Request) -> Answer {
    let detected = app.sources.detect(principal, json_body(&request)?).await?;
    Ok(json(StatusCode::OK, &detected))
}

async fn fetch_now(app: &App, principal: Principal, request: Request) -> Answer {
    // An empty body means "all sources".
    let req = if matches!(request.body(), Body::Empty) {
        Default::default()
    } else {
        json_body(&request)?
    };
    let started = app.sources.fetch_now(principal, req).await?;
    Ok(json(StatusCode::ACCEPTED, &started))
}
