//! The frame every HTTP function runs its routes in: a request span carrying the Lambda
//! request id and correlation id (and the tenant once known), errors turned into the API's
//! error responses, and an access log line.

use std::future::Future;
use std::time::Instant;

use lambda_http::{Body, Request, RequestExt, Response};
use tracing::{Instrument, Span};

use super::ApiError;
use crate::telemetry::{correlation_id, request_span};

/// Runs `route` inside the request span. The route gets the span to record the tenant on
/// (`telemetry::record_tenant`) once the token is verified.
pub async fn serve<F, Fut>(request: Request, route: F) -> Response<Body>
where
    F: FnOnce(Request, Span) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let header = request
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok());
    let correlation = correlation_id(header, &request_id);
    let span = request_span(&request_id, &correlation);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    async move {
        let mut response = match route(request, Span::current()).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
        super::response::secure(&mut response);
        if let Ok(value) = correlation.parse() {
            response.headers_mut().insert("x-correlation-id", value);
        }
        tracing::info!(
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        response
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{StatusCode, header};

    async fn served(result: Result<Response<Body>, ApiError>) -> Response<Body> {
        serve(Request::default(), |_, _| async move { result }).await
    }

    #[tokio::test]
    async fn every_response_carries_the_security_headers_and_no_store_by_default() {
        let bare = Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/csv")
            .body(Body::Text("a,b".into()))
            .unwrap();
        let cacheable = Response::builder()
            .header(header::CACHE_CONTROL, "private, max-age=60")
            .body(Body::Empty)
            .unwrap();
        let responses = [
            served(Ok(bare)).await,
            served(Err(ApiError::Unauthorized)).await,
            served(Err(ApiError::validation("email", "is not an e-mail"))).await,
            served(Ok(super::super::json(StatusCode::OK, &"token"))).await,
        ];
        for response in &responses {
            let h = response.headers();
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(
                h[header::STRICT_TRANSPORT_SECURITY],
                "max-age=63072000; includeSubDomains"
            );
            assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(h[header::CACHE_CONTROL], "no-store");
            assert!(
                h[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap()
                    .contains("frame-ancestors 'none'")
            );
        }
        // A handler that chose its caching keeps it.
        let kept = served(Ok(cacheable)).await;
        assert_eq!(kept.headers()[header::CACHE_CONTROL], "private, max-age=60");
    }
}
