//! JSON responses. `Cache-Control: no-store` is not set here: [`secure`], which every
//! response passes through (`handler::serve`), sets it unless a handler chose otherwise.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON response. Serialising our own response types cannot fail; should it ever, the
/// caller gets a 500 with the standard error body rather than a panic.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => with_json_body(status, text),
        Err(e) => {
            tracing::error!(error = %e, "response did not serialise");
            with_json_body(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"code":"internal","message":"internal error"}}"#.to_string(),
            )
        }
    }
}

fn with_json_body(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An empty response (204, or 202 for accepted work without a body).
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// Two years, the value browsers' preload lists ask for.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The headers every API response carries, whatever built it: no MIME sniffing, HTTPS
/// only, never framed or rendered as a document, and nothing cached that a handler did
/// not explicitly allow (tokens and tenant data pass through here).
pub fn secure(response: &mut Response<Body>) {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(HSTS),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}
