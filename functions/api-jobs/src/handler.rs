//! `api-jobs`: a job with its history (`GET /v1/jobs/{id}`, `GET /v1/jobs/{id}/history`),
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
use shared::http::request::{authenticate, json_body, page_request};
use shared::http::router::match_path;
use shared::services::jobs::{JobsService, job_id};
use shared::telemetry::record_tenant;

pub struct App {
    pub jobs: JobsService,
    pub rescorer: Arc<Rescorer>,
    pub tokens: TokenIssuer,
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
                _ => Err(no_route()),
            }
        } else {
            Err(no_route())
        }
    })
    .await
}
