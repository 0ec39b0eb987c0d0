//! `api-sources`: the sources routes of docs/api.md and `POST /v1/jobs/fetch`.

use jobmon_ingest::sources::SourcesService;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::auth::TokenIssuer;
use shared::http::handler::{no_route, serve};
use shared::http::request::{authenticate, json_body};
use shared::http::router::match_path;
use shared::http::{empty, json};
use shared::telemetry::record_tenant;

pub struct App {
    pub sources: SourcesService,
    pub tokens: TokenIssuer,
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, span| async move {
        let principal = authenticate(&request, &app.tokens)?;
        record_tenant(&span, principal.tenant);
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let sources = &app.sources;

        if match_path("/v1/sources", &path).is_some() {
            match method {
                Method::GET => Ok(json(StatusCode::OK, &sources.list(principal).await?)),
                Method::POST => Ok(json(
                    StatusCode::CREATED,
                    &sources.create(principal, json_body(&request)?).await?,
                )),
                _ => Err(no_route()),
            }
        } else if let Some(params) = match_path("/v1/sources/{id}/preview", &path) {
            let id = params.get("id").unwrap_or_default();
            match method {
                Method::POST => Ok(json(StatusCode::OK, &sources.preview(principal, id).await?)),
                _ => Err(no_route()),
            }
        } else if let Some(params) = match_path("/v1/sources/{id}", &path) {
            let id = params.get("id").unwrap_or_default();
            match method {
                Method::GET => Ok(json(StatusCode::OK, &sources.get(principal, id).await?)),
                Method::PATCH => Ok(json(
                    StatusCode::OK,
                    &sources.update(principal, id, json_body(&request)?).await?,
                )),
                Method::DELETE => {
                    sources.delete(principal, id).await?;
                    Ok(empty(StatusCode::NO_CONTENT))
                }
                _ => Err(no_route()),
            }
        } else if method == Method::POST && match_path("/v1/jobs/fetch", &path).is_some() {
            // An empty body means "all sources".
            let req = if matches!(request.body(), Body::Empty) {
                Default::default()
            } else {
                json_body(&request)?
            };
            Ok(json(
                StatusCode::ACCEPTED,
                &sources.fetch_now(principal, req).await?,
            ))
        } else {
            Err(no_route())
        }
    })
    .await
}
