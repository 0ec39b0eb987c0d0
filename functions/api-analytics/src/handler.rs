//! `api-analytics`: `GET /v1/analytics/{overview,score-distribution,jobs-per-day,sources}`
//! for admins, from the daily counters (`?from&to`, default the last 30 days).

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::auth::TokenIssuer;
use shared::http::handler::{no_route, serve};
use shared::http::json;
use shared::http::request::{authenticate, query_pairs, require_admin};
use shared::services::analytics::{AnalyticsService, DayRange};
use shared::telemetry::record_tenant;

pub struct App {
    pub analytics: AnalyticsService,
    pub tokens: TokenIssuer,
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = authenticate(&request, &app.tokens)?;
        record_tenant(&span, principal.tenant);
        if request.method() != Method::GET {
            return Err(no_route());
        }
        let path = request.uri().path().to_owned();
        let report = path.strip_prefix("/v1/analytics/").unwrap_or_default();
        if !matches!(
            report,
            "overview" | "score-distribution" | "jobs-per-day" | "sources"
        ) {
            return Err(no_route());
        }
        require_admin(&principal)?;
        let range = DayRange::parse(&query_pairs(&request))?;
        let a = &app.analytics;
        let t = principal.tenant;
        Ok(match report {
            "overview" => json(StatusCode::OK, &a.overview(t, range).await?),
            "score-distribution" => json(StatusCode::OK, &a.score_distribution(t, range).await?),
            "jobs-per-day" => json(StatusCode::OK, &a.jobs_per_day(t, range).await?),
            _ => json(StatusCode::OK, &a.sources(t, range).await?),
        })
    })
    .await
}
