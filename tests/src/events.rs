//! Real-shaped API Gateway HTTP API (payload 2.0) events, turned into `lambda_http`
//! requests exactly as the runtime does it in AWS. Like API Gateway, an event names the
//! template.yaml route its method and path match (`routeKey`) and carries that route's
//! path parameters, so the functions' dispatch sees what it sees in AWS.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jobmon_template::{RoutePattern, select};
use lambda_http::Request;
use serde_json::{Value, json};

/// The template's routes with their keys (`$default` aside: it is the fallback).
fn template_routes() -> &'static [(RoutePattern, String)] {
    static ROUTES: OnceLock<Vec<(RoutePattern, String)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        crate::template()
            .http_routes()
            .iter()
            .filter_map(|r| {
                let pattern =
                    RoutePattern::new(r.event.method.as_deref()?, r.event.path.as_deref()?);
                Some((pattern, r.key()))
            })
            .collect()
    })
}

/// The route key and path parameters API Gateway gives `method path`. A path no template
/// route matches goes to `$default`, which no function serves (the function answers 404).
fn route_of(method: &str, path: &str) -> (String, BTreeMap<String, String>) {
    let routes = template_routes()
        .iter()
        .map(|(pattern, key)| (pattern, key));
    match select(routes, method, path) {
        Some((key, params)) => (key.clone(), params),
        None => ("$default".into(), BTreeMap::new()),
    }
}

/// A request as API Gateway would deliver it to a function.
pub struct HttpEvent {
    method: String,
    path: String,
    query: String,
    headers: serde_json::Map<String, Value>,
    body: Option<String>,
    source_ip: String,
    /// `name=value` pairs; API Gateway sends them as the event's `cookies`, not a header.
    cookies: Vec<String>,
}

impl HttpEvent {
    pub fn new(method: &str, path: &str) -> Self {
        let mut headers = serde_json::Map::new();
        headers.insert(
            "host".into(),
            "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com".into(),
        );
        headers.insert("user-agent".into(), "jobmon-tests".into());
        Self {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers,
            body: None,
            source_ip: "198.51.100.10".into(),
            cookies: Vec::new(),
        }
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.headers
            .insert("content-type".into(), "application/json".into());
        self.body = Some(body.to_string());
        self
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.headers
            .insert("content-type".into(), "application/json".into());
        self.body = Some(body.to_owned());
        self
    }

    pub fn bearer(mut self, token: &str) -> Self {
        self.headers
            .insert("authorization".into(), format!("Bearer {token}").into());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.into());
        self
    }

    /// A cookie the browser sends (`name=value`).
    pub fn cookie(mut self, pair: &str) -> Self {
        self.cookies.push(pair.into());
        self
    }

    pub fn query(mut self, query: &str) -> Self {
        self.query = query.into();
        self
    }

    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.into();
        self
    }

    pub fn to_json(&self) -> Value {
        let (route_key, path_parameters) = route_of(&self.method, &self.path);
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": self.headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "a1b2c3d4e5",
                "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "a1b2c3d4e5",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": "jobmon-tests"
                },
                "requestId": ulid::Ulid::new().to_string(),
                "routeKey": route_key,
                "stage": "$default",
                "time": "28/Nov/2026:10:00:00 +0000",
                "timeEpoch": 1_795_860_000_000i64
            },
            "isBase64Encoded": false
        });
        if let Some(body) = &self.body {
            event["body"] = body.clone().into();
        }
        if !path_parameters.is_empty() {
            event["pathParameters"] = json!(path_parameters);
        }
        if !self.cookies.is_empty() {
            event["cookies"] = json!(self.cookies);
        }
        event
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.to_json().to_string())
            .expect("the event is a valid API Gateway HTTP API v2 event")
    }
}

/// Status and JSON body of a response (`Value::Null` for an empty body).
pub fn parts(response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = match response.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
        lambda_http::Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, body)
}
