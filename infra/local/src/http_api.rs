//! The HTTP API: routes from the functions' `HttpApi` events, requests turned into API Gateway
//! HTTP API payload v2.0 events, responses mapped back; plus the static dashboard.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value as Json, json};

use crate::functions::{Function, InvokeError};
use crate::ids;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// API Gateway's payload limit (10 MB); Lambda's own 6 MB limit then applies to the event.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param(String),
    Greedy(String),
}

pub struct Route {
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
    /// `GET /v1/jobs/{id}` or `$default`.
    pub route_key: String,
    pub function: Arc<Function>,
    pub payload_format_version: String,
}

#[derive(Default)]
pub struct Routes {
    routes: Vec<Route>,
    default: Option<Route>,
}

impl Routes {
    /// Adds a route; `path`/`method` `None` is the `$default` route.
    pub fn add(
        &mut self,
        method: Option<&str>,
        path: Option<&str>,
        function: Arc<Function>,
        payload_format_version: &str,
    ) -> Result<(), String> {
        let (Some(method), Some(path)) = (method, path) else {
            if self.default.is_some() {
                return Err("two functions declare the $default HttpApi route".into());
            }
            self.default = Some(Route {
                method: None,
                segments: Vec::new(),
                route_key: "$default".into(),
                function,
                payload_format_version: payload_format_version.to_owned(),
            });
            return Ok(());
        };
        let route_key = format!("{method} {path}");
        if self.routes.iter().any(|r| r.route_key == route_key) {
            return Err(format!("route {route_key} is declared twice"));
        }
        let segments = parse_segments(path);
        let method = match method {
            "ANY" => None,
            m => Some(Method::from_bytes(m.as_bytes()).map_err(|e| e.to_string())?),
        };
        self.routes.push(Route {
            method,
            segments,
            route_key,
            function,
            payload_format_version: payload_format_version.to_owned(),
        });
        Ok(())
    }

    pub fn first_segments(&self) -> std::collections::BTreeSet<String> {
        self.routes
            .iter()
            .filter_map(|r| match r.segments.first() {
                Some(Segment::Static(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn route_keys(&self) -> Vec<String> {
        self.routes
            .iter()
            .chain(self.default.as_ref())
            .map(|r| format!("{} -> {}", r.route_key, r.function.cfg.logical_id))
            .collect()
    }

    /// API Gateway's precedence: the most specific path wins (segment by segment: static,
    /// then `{param}`, then `{greedy+}`), then a declared method over `ANY`.
    fn find(&self, method: &Method, path: &str) -> Option<(&Route, BTreeMap<String, String>)> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<(Vec<u8>, &Route, BTreeMap<String, String>)> = None;
        for r in &self.routes {
            if r.method.as_ref().is_some_and(|m| m != method) {
                continue;
            }
            let Some((mut rank, params)) = match_path(&r.segments, &parts) else {
                continue;
            };
            rank.push(u8::from(r.method.is_none()));
            if best.as_ref().is_none_or(|(b, _, _)| rank < *b) {
                best = Some((rank, r, params));
            }
        }
        best.map(|(_, r, p)| (r, p))
    }

    fn default_route(&self) -> Option<&Route> {
        self.default.as_ref()
    }
}

fn parse_segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .skip(1)
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(p) => match p.strip_suffix('+') {
                    Some(g) => Segment::Greedy(g.to_owned()),
                    None => Segment::Param(p.to_owned()),
                },
                None => Segment::Static(s.to_owned()),
            },
        )
        .collect()
}

fn match_path(segments: &[Segment], parts: &[&str]) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let mut rank = Vec::new();
    let mut params = BTreeMap::new();
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty() && r != &[""])?;
                params.insert(name.clone(), percent_decode(&rest.join("/")));
                rank.push(2);
                return Some((rank, params));
            }
            Segment::Static(s) => {
                if parts.get(i) != Some(&s.as_str()) {
                    return None;
                }
                rank.push(0);
            }
            Segment::Param(name) => {
                let p = parts.get(i).filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(p));
                rank.push(1);
            }
        }
    }
    (parts.len() == segments.len()).then_some((rank, params))
}

fn percent_decode(s: &str) -> String {
    let hexval = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hexval(bytes[i + 1]), hexval(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub struct HttpState {
    pub routes: Routes,
    /// First path segments of the template's routes (`v1`...): unknown paths under them are
    /// API 404s, never the dashboard's SPA fallback.
    pub api_prefixes: std::collections::BTreeSet<String>,
    pub web_dir: Option<PathBuf>,
    pub api_id: String,
}

pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Everything that is not `/ws` or `@connections`: template routes, then the dashboard.
pub async fn handle(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if let Some((route, params)) = state.routes.find(&method, &path) {
        return invoke_route(&state, route, params, peer, req).await;
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if matches!(method, Method::GET | Method::HEAD)
        && !state.api_prefixes.contains(first)
        && let Some(resp) = serve_static(state.web_dir.as_deref(), &path).await
    {
        return resp;
    }
    if let Some(route) = state.routes.default_route() {
        return invoke_route(&state, route, BTreeMap::new(), peer, req).await;
    }
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no route for {method} {path}"),
    )
}

async fn invoke_route(
    state: &HttpState,
    route: &Route,
    params: BTreeMap<String, String>,
    peer: SocketAddr,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body exceeds 10 MB",
            );
        }
    };
    let event = if route.payload_format_version == "1.0" {
        v1_event(&parts, &body, route, &params, peer, &state.api_id)
    } else {
        v2_event(&parts, &body, route, &params, peer, &state.api_id)
    };
    let payload = Bytes::from(event.to_string());
    match route.function.invoke(payload).await {
        Ok(out) => map_response(&out),
        Err(e) => function_failure(&e),
    }
}

/// API Gateway answers 500 for a failed, crashed or timed-out integration. The header says
/// which, for tests and for whoever reads the network tab.
fn function_failure(e: &InvokeError) -> Response {
    crate::functions::log(&e.to_string());
    let mut resp = error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    );
    resp.headers_mut()
        .insert("x-jobmon-local-error", HeaderValue::from_static(e.kind()));
    resp
}

/// Text bodies go as they are; anything else base64 with `isBase64Encoded`, as API Gateway does.
fn is_text(headers: &HeaderMap, body: &[u8]) -> bool {
    if std::str::from_utf8(body).is_err() {
        return false;
    }
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("javascript")
        || ct.contains("x-www-form-urlencoded")
        || ct.contains("graphql")
}

fn header_map_json(headers: &HeaderMap) -> (serde_json::Map<String, Json>, Vec<String>) {
    let mut out: serde_json::Map<String, Json> = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (k, v) in headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        if k == header::COOKIE {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        match out.get_mut(k.as_str()) {
            Some(Json::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                out.insert(k.as_str().to_owned(), Json::String(v));
            }
        }
    }
    (out, cookies)
}

/// The `X-Forwarded-*` headers API Gateway adds (code may read the client address there).
fn add_forwarded(headers: &mut serde_json::Map<String, Json>, peer: SocketAddr) {
    let ip = peer.ip().to_string();
    match headers.get_mut("x-forwarded-for") {
        Some(Json::String(v)) => {
            v.push_str(", ");
            v.push_str(&ip);
        }
        _ => {
            headers.insert("x-forwarded-for".into(), Json::String(ip));
        }
    }
    headers
        .entry("x-forwarded-proto")
        .or_insert_with(|| Json::String("http".into()));
}

fn query_json(raw: &str) -> BTreeMap<String, Vec<String>> {
    let mut q: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        q.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    q
}

fn request_times() -> (String, i64) {
    let now = chrono::Utc::now();
    (
        now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        now.timestamp_millis(),
    )
}

fn body_fields(headers: &HeaderMap, body: &[u8]) -> (Option<String>, bool) {
    if body.is_empty() {
        (None, false)
    } else if is_text(headers, body) {
        (Some(String::from_utf8_lossy(body).into_owned()), false)
    } else {
        (Some(B64.encode(body)), true)
    }
}

fn v2_event(
    parts: &axum::http::request::Parts,
    body: &[u8],
    route: &Route,
    params: &BTreeMap<String, String>,
    peer: SocketAddr,
    api_id: &str,
) -> Json {
    let raw_query = parts.uri.query().unwrap_or("");
    let (mut headers, cookies) = header_map_json(&parts.headers);
    add_forwarded(&mut headers, peer);
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let (time, epoch) = request_times();
    let (body, b64) = body_fields(&parts.headers, body);
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(""),
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": format!("{:?}", parts.version),
                "sourceIp": peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": ids::request_id(),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time,
            "timeEpoch": epoch,
        },
        "isBase64Encoded": b64,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !raw_query.is_empty() {
        // Payload 2.0 joins repeated parameters with commas.
        let q: serde_json::Map<String, Json> = query_json(raw_query)
            .into_iter()
            .map(|(k, v)| (k, Json::String(v.join(","))))
            .collect();
        event["queryStringParameters"] = Json::Object(q);
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if let Some(b) = body {
        event["body"] = Json::String(b);
    }
    event
}

/// Payload format 1.0, for routes that ask for it with `PayloadFormatVersion: "1.0"`.
fn v1_event(
    parts: &axum::http::request::Parts,
    body: &[u8],
    route: &Route,
    params: &BTreeMap<String, String>,
    peer: SocketAddr,
    api_id: &str,
) -> Json {
    let mut headers = serde_json::Map::new();
    let mut multi: serde_json::Map<String, Json> = serde_json::Map::new();
    for (k, v) in &parts.headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        headers.insert(k.as_str().to_owned(), Json::String(v.clone()));
        if let Json::Array(a) = multi
            .entry(k.as_str().to_owned())
            .or_insert_with(|| Json::Array(Vec::new()))
        {
            a.push(Json::String(v));
        }
    }
    let q = query_json(parts.uri.query().unwrap_or(""));
    let (time, epoch) = request_times();
    let (body, b64) = body_fields(&parts.headers, body);
    let resource = route.route_key.split_once(' ').map(|x| x.1).unwrap_or("/");
    json!({
        "version": "1.0",
        "resource": resource,
        "path": parts.uri.path(),
        "httpMethod": parts.method.as_str(),
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": if q.is_empty() { Json::Null } else {
            q.iter().map(|(k, v)| (k.clone(), json!(v.last()))).collect::<serde_json::Map<_, _>>().into()
        },
        "multiValueQueryStringParameters": if q.is_empty() { Json::Null } else { json!(q) },
        "pathParameters": if params.is_empty() { Json::Null } else { json!(params) },
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": api_id,
            "httpMethod": parts.method.as_str(),
            "identity": {"sourceIp": peer.ip().to_string()},
            "path": parts.uri.path(),
            "protocol": format!("{:?}", parts.version),
            "requestId": ids::request_id(),
            "requestTime": time,
            "requestTimeEpoch": epoch,
            "resourcePath": resource,
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": b64,
    })
}

/// Maps a function's answer back. A JSON object with `statusCode` is a structured response;
/// anything else is, as with API Gateway's payload 2.0, a 200 with that JSON as the body.
pub fn map_response(out: &[u8]) -> Response {
    let v: Json = match serde_json::from_slice(out) {
        Ok(v) => v,
        Err(_) => {
            return error_response(
                StatusCode::BAD_GATEWAY,
                "internal",
                "the function returned a response that is not JSON",
            );
        }
    };
    let Some(status) = v.get("statusCode") else {
        let mut resp = Response::new(Body::from(v.to_string()));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return resp;
    };
    let Some(status) = status
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return error_response(
            StatusCode::BAD_GATEWAY,
            "internal",
            "the function returned an invalid statusCode",
        );
    };
    let body = match v.get("body") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(s)) if v["isBase64Encoded"].as_bool() == Some(true) => {
            match B64.decode(s) {
                Ok(b) => b,
                Err(_) => {
                    return error_response(
                        StatusCode::BAD_GATEWAY,
                        "internal",
                        "the function returned isBase64Encoded with a body that is not base64",
                    );
                }
            }
        }
        Some(Json::String(s)) => s.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let mut add = |k: &str, v: &str, append: bool| {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            if append {
                h.append(k, v);
            } else {
                h.insert(k, v);
            }
        }
    };
    if let Some(Json::Object(headers)) = v.get("headers") {
        for (k, val) in headers {
            let s = match val {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            add(k, &s, false);
        }
    }
    if let Some(Json::Object(multi)) = v.get("multiValueHeaders") {
        for (k, vals) in multi {
            for val in vals.as_array().into_iter().flatten() {
                if let Some(s) = val.as_str() {
                    add(k, s, true);
                }
            }
        }
    }
    for c in v["cookies"].as_array().into_iter().flatten() {
        if let Some(c) = c.as_str() {
            add("set-cookie", c, true);
        }
    }
    resp
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The dashboard: an existing file is served; an extension-less path that is not a file
/// gets `index.html` (client-side routes); a missing file with an extension is a 404, so a
/// broken asset reference fails loudly instead of returning HTML.
async fn serve_static(web_dir: Option<&Path>, path: &str) -> Option<Response> {
    let dir = web_dir?;
    let rel = percent_decode(path.trim_start_matches('/'));
    if rel
        .split('/')
        .any(|s| s == ".." || s.starts_with('.') && s.len() > 1 && s != ".well-known")
        || rel.contains('\\')
    {
        return Some(error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no file {path}"),
        ));
    }
    let candidate = if rel.is_empty() {
        dir.join("index.html")
    } else {
        dir.join(&rel)
    };
    let file = if candidate.is_file() {
        candidate
    } else if candidate.is_dir() && candidate.join("index.html").is_file() {
        candidate.join("index.html")
    } else {
        let last = rel.rsplit('/').next().unwrap_or("");
        if last.contains('.') {
            return Some(error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no file {path} in the dashboard build"),
            ));
        }
        dir.join("index.html")
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&file)),
            );
            // index.html must be re-fetched after a rebuild; hashed assets may be cached.
            let cache = if file.file_name().is_some_and(|n| n == "index.html") {
                "no-cache"
            } else {
                "public, max-age=3600"
            };
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            Some(resp)
        }
        Err(_) => Some(error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!(
                "{path}: the dashboard is not built (no {})",
                dir.join("index.html").display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(route: &str, path: &str) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        match_path(&parse_segments(route), &parts)
    }

    #[test]
    fn path_matching_and_precedence() {
        assert!(m("/v1/health", "/v1/health").is_some());
        assert!(m("/v1/health", "/v1/health/x").is_none());
        let (_, p) = m("/v1/jobs/{id}", "/v1/jobs/a%20b").unwrap();
        assert_eq!(p["id"], "a b");
        assert!(m("/v1/jobs/{id}", "/v1/jobs/").is_none());
        let (_, p) = m("/files/{proxy+}", "/files/a/b/c").unwrap();
        assert_eq!(p["proxy"], "a/b/c");
        assert!(m("/files/{proxy+}", "/files").is_none());
        let stat = m("/v1/jobs/export", "/v1/jobs/export").unwrap().0;
        let param = m("/v1/jobs/{id}", "/v1/jobs/export").unwrap().0;
        assert!(stat < param);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%3d"), "a/b=");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
    }

    #[test]
    fn structured_and_bare_responses() {
        let r = map_response(br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["a=1","b=2"],"body":"aGk=","isBase64Encoded":true}"#);
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["x-a"], "1");
        assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
        let r = map_response(br#"{"hello":"world"}"#);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(map_response(b"not json").status(), 502);
    }
}
