//! `api-jobs`: the job list and its CSV export (`GET /v1/jobs`, `GET /v1/jobs/export`), a
//! job with its history (`GET`/`PATCH /v1/jobs/{id}`, `GET /v1/jobs/{id}/history`), its
//! application notes (`POST /v1/jobs/{id}/notes`),
//! rescoring (`POST /v1/jobs/{id}/rescore`) and the scoring profile (`GET`/`PUT
//! /v1/profile`; a change queues a bulk rescore; `POST /v1/profile/preview` scores a
//! draft against the newest jobs and stores nothing).

use std::sync::Arc;

use jobmon_scoring::Profile;
use jobmon_scoring::pipeline::{ProfilePreviewer, Rescorer, save_profile};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::{Principal, TokenIssuer};
use shared::config::ConfigError;
use shared::domain::JobId;
use shared::http::handler::serve;
use shared::http::request::{json_body, page_request, path_param, query_pairs, signed_in};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, json};
use shared::services::jobs::{Export, JobsService, job_id, parse_list_query};
use shared::wiring::KeyedCore;

pub struct App {
    pub jobs: JobsService,
    pub rescorer: Arc<Rescorer>,
    pub previewer: ProfilePreviewer,
    pub tokens: TokenIssuer,
}

impl App {
    /// The function's wiring, shared by `main` and the moto tests.
    pub fn wire(core: &KeyedCore) -> Result<Self, ConfigError> {
        let store = Arc::new(core.store.clone());
        let recorder = jobmon_scoring::wiring::recorder(core);
        Ok(Self {
            jobs: JobsService {
                jobs: store.clone(),
                scoring: store.clone(),
                tracking: store,
                clock: shared::ports::SystemClock::shared(),
            },
            rescorer: jobmon_scoring::wiring::rescorer(core, recorder)?,
            previewer: jobmon_scoring::wiring::profile_previewer(core)?,
            tokens: core.token_issuer(),
        })
    }
}

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<App, Principal> = &[
    route!("GET /v1/jobs", list),
    route!("GET /v1/jobs/export", export),
    route!("GET /v1/jobs/{id}", get),
    route!("PATCH /v1/jobs/{id}", change),
    route!("POST /v1/jobs/{id}/notes", add_note),
    route!("GET /v1/jobs/{id}/history", history),
    route!("POST /v1/jobs/{id}/rescore", rescore),
    route!("GET /v1/profile", profile),
    route!("PUT /v1/profile", put_profile),
    route!("POST /v1/profile/preview", preview_profile),
];

/// `text/csv`, as a download; `x-next-cursor` when the export goes on (repeat the request
/// with `cursor=` set to it).
fn csv_response(export: Export) -> Response<Body> {
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", "attachment; filename=\"jobs.csv\"")
        .header("x-export-rows", export.rows.to_string());
    if let Some(next) = &export.next_cursor {
        response = response.header("x-next-cursor", next.as_str());
    }
    response
        .body(Body::Text(export.csv))
        .expect("static headers are valid")
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = signed_in(&request, &app.tokens, &span)?;
        dispatch(ROUTES, app, principal, request).await
    })
    .await
}

/// The job of the route's `{id}`.
fn path_job(request: &Request) -> Result<JobId, ApiError> {
    Ok(job_id(&path_param(request, "id")?)?)
}

async fn list(app: &App, principal: Principal, request: Request) -> Answer {
    let (query, page) = parse_list_query(&query_pairs(&request))?;
    let list = app.jobs.list(principal.tenant, &query, &page).await?;
    Ok(json(StatusCode::OK, &list))
}

async fn export(app: &App, principal: Principal, request: Request) -> Answer {
    let (query, page) = parse_list_query(&query_pairs(&request))?;
    let export = app
        .jobs
        .export(principal.tenant, &query, page.cursor)
        .await?;
    Ok(csv_response(export))
}

async fn get(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_job(&request)?;
    Ok(json(
        StatusCode::OK,
        &app.jobs.get(principal.tenant, id).await?,
    ))
}

async fn change(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_job(&request)?;
    let card = app
        .jobs
        .change(principal.tenant, id, json_body(&request)?)
        .await?;
    app.rescorer
        .recorder
        .job_updated(principal.tenant, card.clone())
        .await;
    Ok(json(StatusCode::OK, &card))
}

async fn add_note(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_job(&request)?;
    let note = app
        .jobs
        .add_note(principal.tenant, id, json_body(&request)?)
        .await?;
    Ok(json(StatusCode::CREATED, &note))
}

async fn history(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_job(&request)?;
    let history = app
        .jobs
        .history(principal.tenant, id, &page_request(&request)?)
        .await?;
    Ok(json(StatusCode::OK, &history))
}

async fn rescore(app: &App, principal: Principal, request: Request) -> Answer {
    let id = path_job(&request)?;
    let queued = app.rescorer.rescore(principal.tenant, id).await?;
    Ok(json(StatusCode::ACCEPTED, &queued))
}

async fn profile(app: &App, principal: Principal, _: Request) -> Answer {
    let profile = app.jobs.scoring.get_profile(principal.tenant).await?;
    Ok(json(StatusCode::OK, &profile.unwrap_or_default()))
}

async fn put_profile(app: &App, principal: Principal, request: Request) -> Answer {
    let profile: Profile = json_body(&request)?;
    let saved = save_profile(&app.rescorer, principal.tenant, profile).await?;
    Ok(json(StatusCode::OK, &saved))
}

async fn preview_profile(app: &App, principal: Principal, request: Request) -> Answer {
    let draft: Profile = json_body(&request)?;
    let preview = app.previewer.preview(principal.tenant, draft).await?;
    Ok(json(StatusCode::OK, &preview))
}
