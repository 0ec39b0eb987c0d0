//! `api-analytics`: `GET /v1/analytics/{overview,score-distribution,jobs-per-day,sources}`
//! for admins, from the daily counters (`?from&to`, default the last 30 days).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::{Principal, TokenIssuer};
use shared::domain::TenantId;
use shared::http::handler::serve;
use shared::http::request::{query_pairs, signed_in};
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, json};
use shared::services::analytics::{AnalyticsService, DayRange};

pub struct App {
    pub analytics: AnalyticsService,
    pub tokens: TokenIssuer,
}

type Answer = Result<Response<Body>, ApiError>;

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<App, Principal> = &[
    route!("GET /v1/analytics/overview", overview),
    route!("GET /v1/analytics/score-distribution", score_distribution),
    route!("GET /v1/analytics/jobs-per-day", jobs_per_day),
    route!("GET /v1/analytics/sources", sources),
];

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = signed_in(&request, &app.tokens, &span)?;
        dispatch(ROUTES, app, principal, request).await
    })
    .await
}

/// Every report is for admins, over the request's day range.
fn report_of(
    app: &App,
    principal: Principal,
    request: &Request,
) -> Result<(TenantId, DayRange), ApiError> {
    principal.require_admin()?;
    let range = app.analytics.day_range(&query_pairs(request))?;
    Ok((principal.tenant, range))
}

async fn overview(app: &App, principal: Principal, request: Request) -> Answer {
    let (tenant, range) = report_of(app, principal, &request)?;
    Ok(json(
        StatusCode::OK,
        &app.analytics.overview(tenant, range).await?,
    ))
}

async fn score_distribution(app: &App, principal: Principal, request: Request) -> Answer {
    let (tenant, range) = report_of(app, principal, &request)?;
    let report = app.analytics.score_distribution(tenant, range).await?;
    Ok(json(StatusCode::OK, &report))
}

async fn jobs_per_day(app: &App, principal: Principal, request: Request) -> Answer {
    let (tenant, range) = report_of(app, principal, &request)?;
    let report = app.analytics.jobs_per_day(tenant, range).await?;
    Ok(json(StatusCode::OK, &report))
}

async fn sources(app: &App, principal: Principal, request: Request) -> Answer {
    let (tenant, range) = report_of(app, principal, &request)?;
    Ok(json(
        StatusCode::OK,
        &app.analytics.sources(tenant, range).await?,
    ))
}
