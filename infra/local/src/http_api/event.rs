//! Requests as the events API Gateway hands to a function: payload format 2.0, and 1.0 for
//! routes that ask for it.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::http::{HeaderMap, header};
use base64::Engine;
use serde_json::{Value as Json, json};

use super::B64;
use super::routes::Route;
use crate::ids;

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

pub(super) fn v2_event(
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
pub(super) fn v1_event(
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
