//! The dashboard's session cookie.
//!
//! API clients keep the refresh token themselves and send it in the JSON body. The
//! dashboard must not: a token JavaScript can read is a token an injected script can
//! steal. So a request that says `x-jobmon-session: cookie` gets its refresh token as an
//! `HttpOnly; Secure; SameSite=Strict` cookie scoped to the refresh and logout paths, and
//! the JSON answer leaves `refreshToken` out.
//!
//! Refresh and logout accept the cookie only together with that header and an `Origin`
//! equal to the dashboard's (`JOBMON_APP_URL`). A cross-site form cannot set a custom
//! header, a cross-site `fetch` with one needs a CORS preflight that only the dashboard's
//! origin passes, and `SameSite=Strict` keeps the browser from sending the cookie on a
//! cross-site request at all: three locks, any one of which stops CSRF.

use lambda_http::http::header::{COOKIE, ORIGIN, SET_COOKIE};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::http::{ApiError, json};
use shared::services::views::SessionView;

/// The header by which the dashboard asks for (and proves) the cookie transport.
pub const SESSION_HEADER: &str = "x-jobmon-session";
pub const COOKIE_NAME: &str = "jobmon_refresh";
/// The only paths the browser sends the cookie to.
const COOKIE_PATHS: [&str; 2] = ["/v1/auth/refresh", "/v1/auth/logout"];

/// How this request carries its refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Transport {
    /// In the JSON body, as API clients do.
    Body,
    /// In the session cookie (the dashboard); the cookie's value, if the browser sent one.
    Cookie(Option<String>),
}

/// The scheme, host and port of a URL: what a browser sends as `Origin`.
fn origin_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_end = rest.find('/').unwrap_or(rest.len());
    &url[..url.len() - rest.len() + host_end]
}

/// Reads the transport; a cookie request from another site is refused (403 `cross_site`).
pub fn transport(request: &Request, app_url: &str) -> Result<Transport, ApiError> {
    let Some(mode) = request.headers().get(SESSION_HEADER) else {
        return Ok(Transport::Body);
    };
    if mode.as_bytes() != b"cookie" {
        return Err(ApiError::validation(SESSION_HEADER, "must be cookie"));
    }
    let expected = origin_of(app_url.trim_end_matches('/'));
    let origin = request.headers().get(ORIGIN).and_then(|v| v.to_str().ok());
    if origin != Some(expected) {
        return Err(ApiError::Refused {
            code: "cross_site",
            message: "the session cookie is only accepted from the dashboard's own site".into(),
        });
    }
    Ok(Transport::Cookie(cookie(request)))
}

/// The session cookie's value among the request's cookies (one `cookie` header or several).
fn cookie(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

fn set_cookies(response: &mut Response<Body>, value: &str, max_age_secs: i64) {
    for path in COOKIE_PATHS {
        let cookie = format!(
            "{COOKIE_NAME}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
        );
        // The token is base64url and the rest is ours: always a valid header value.
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
}

/// A session answer: as JSON for API clients; for the dashboard, the refresh token moves
/// from the body into the cookie.
pub fn session_response(
    status: StatusCode,
    session: &SessionView,
    transport: &Transport,
    refresh_ttl_secs: i64,
) -> Response<Body> {
    if *transport == Transport::Body {
        return json(status, session);
    }
    let mut body = serde_json::to_value(session).unwrap_or_default();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("refreshToken");
    }
    let mut response = json(status, &body);
    set_cookies(&mut response, &session.refresh_token, refresh_ttl_secs);
    response
}

/// Tells the browser to forget the session cookie (sign-out, a refused refresh).
pub fn clear_cookie(response: &mut Response<Body>) {
    set_cookies(response, "", 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri("/v1/auth/refresh");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::Empty).unwrap()
    }

    const APP: &str = "https://jobs.example.com/";

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://jobs.example.com"),
            "https://jobs.example.com"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/app"),
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn without_the_header_the_body_carries_the_token() {
        let r = request(&[
            ("cookie", "jobmon_refresh=abc"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(transport(&r, APP).unwrap(), Transport::Body);
    }

    #[test]
    fn the_cookie_counts_only_from_the_dashboards_origin() {
        let ok = request(&[
            (SESSION_HEADER, "cookie"),
            ("origin", "https://jobs.example.com"),
            ("cookie", "other=1; jobmon_refresh=abc"),
        ]);
        assert_eq!(
            transport(&ok, APP).unwrap(),
            Transport::Cookie(Some("abc".into()))
        );
        for origin in [Some("https://evil.example"), Some("null"), None] {
            let mut headers = vec![(SESSION_HEADER, "cookie"), ("cookie", "jobmon_refresh=abc")];
            if let Some(o) = origin {
                headers.push(("origin", o));
            }
            let err = transport(&request(&headers), APP).unwrap_err();
            assert_eq!(
                (err.status().as_u16(), err.code()),
                (403, "cross_site"),
                "{origin:?}"
            );
        }
        let bad = request(&[(SESSION_HEADER, "yes")]);
        assert_eq!(
            transport(&bad, APP).unwrap_err().code(),
            "validation_failed"
        );
    }

    #[test]
    fn a_missing_or_empty_cookie_is_none() {
        let r = request(&[
            (SESSION_HEADER, "cookie"),
            ("origin", "https://jobs.example.com"),
            ("cookie", "jobmon_refresh="),
        ]);
        assert_eq!(transport(&r, APP).unwrap(), Transport::Cookie(None));
    }

    #[test]
    fn cookies_are_http_only_strict_and_scoped_to_refresh_and_logout() {
        let mut response = Response::new(Body::Empty);
        set_cookies(&mut response, "tok", 60);
        let cookies: Vec<_> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            cookies,
            [
                "jobmon_refresh=tok; Path=/v1/auth/refresh; Max-Age=60; HttpOnly; Secure; SameSite=Strict",
                "jobmon_refresh=tok; Path=/v1/auth/logout; Max-Age=60; HttpOnly; Secure; SameSite=Strict",
            ]
        );
    }
}
