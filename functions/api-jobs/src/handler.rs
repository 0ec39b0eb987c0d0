//! `api-jobs`: the job list and its CSV export (`GET /v1/jobs`, `GET /v1/jobs/export`), a
//! job with its history (`GET`/`PATCH /v1/jobs/{id}`, `GET /v1/jobs/{id}/history`),
//! rescoring (`POST /v1/jobs/{id}/rescore`) and the scoring profile (`GET`/`PUT
//! /v1/profile`; a change queues a bulk rescore).

use std::sync::Arc;

use jobmon_scoring::Profile;
use jobmon_scoring::pipeline::{Rescorer, save_profile};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::auth::TokenIssuer;
use shared::http::handler::{no_route, serve};
use shared::http::json;
use shared::http::request::{authenticate, json_body, page_request, query_pairs};
use shared::http::router::match_path;
use shared::services::jobs::{Export, JobsService, job_id, parse_list_query};
use shared::telemetry::record_tenant;

pub struct App {
    pub jobs: JobsService,
    pub rescorer: Arc<Rescorer>,
    pub tokens: TokenIssuer,
}

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
        let principal = authenticate(&request, &app.tokens)?;
        record_tenant(&span, principal.tenant);
        let tenant = principal.tenant;
        let method = request.method().clone();
        let path = request.uri().path().to_owned();

        if match_path("/v1/profile", &path).is_some() {
            match method {
                Method::GET => {
                    let profile = app.jobs.scoring.get_profile(tenant).await?;
                    Ok(json(StatusCode::OK, &profile.unwrap_or_default()))
                }
                Method::PUT => {
                    let profile: Profile = json_body(&request)?;
                    Ok(json(
                        StatusCode::OK,
                        &save_profile(&app.rescorer, tenant, profile).await?,
                    ))
                }
                _ => Err(no_route()),
            }
        } else if match_path("/v1/jobs", &path).is_some() {
            match method {
                Method::GET => {
                    let (query, page) = parse_list_query(&query_pairs(&request))?;
                    Ok(json(
                        StatusCode::OK,
                        &app.jobs.list(tenant, &query, &page).await?,
                    ))
                }
                _ => Err(no_route()),
            }
        } else if match_path("/v1/jobs/export", &path).is_some() {
            match method {
                Method::GET => {
                    let (query, page) = parse_list_query(&query_pairs(&request))?;
                    let export = app.jobs.export(tenant, &query, page.cursor).await?;
                    Ok(csv_response(export))
                }
                _ => Err(no_route()),
            }
        } else if let Some(params) = match_path("/v1/jobs/{id}/history", &path) {
            let id = job_id(params.get("id").unwrap_or_default())?;
            match method {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &app.jobs
                        .history(tenant, id, &page_request(&request)?)
                        .await?,
                )),
                _ => Err(no_route()),
            }
        } else if let Some(params) = match_path("/v1/jobs/{id}/rescore", &path) {
            let id = job_id(params.get("id").unwrap_or_default())?;
            match method {
                Method::POST => Ok(json(
                    StatusCode::ACCEPTED,
                    &app.rescorer.rescore(tenant, id).await?,
                )),
                _ => Err(no_route()),
            }
        } else if let Some(params) = match_path("/v1/jobs/{id}", &path) {
            let id = job_id(params.get("id").unwrap_or_default())?;
            match method {
                Method::GET => Ok(json(StatusCode::OK, &app.jobs.get(tenant, id).await?)),
                Method::PATCH => {
                    let card = app
                        .jobs
                        .change_status(tenant, id, json_body(&request)?)
                        .await?;
                    app.rescorer
                        .recorder
                        .job_updated(tenant, card.clone())
                        .await;
                    Ok(json(StatusCode::OK, &card))
                }
                _ => Err(no_route()),
            }
        } else {
            Err(no_route())
        }
    })
    .await
}
