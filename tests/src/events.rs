//! Real-shaped API Gateway HTTP API (payload 2.0) events, turned into `lambda_http`
//! requests exactly as the runtime does it in AWS.

use lambda_http::Request;
use serde_json::{Value, json};

/// A request as API Gateway would deliver it to a function.
pub struct HttpEvent {
    method: String,
    path: String,
    query: String,
    headers: serde_json::Map<String, Value>,
    body: Option<String>,
    source_ip: String,
    path_parameters: serde_json::Map<String, Value>,
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
            path_parameters: serde_json::Map::new(),
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

    pub fn query(mut self, query: &str) -> Self {
        self.query = query.into();
        self
    }

    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.into();
        self
    }

    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        self.path_parameters.insert(name.into(), value.into());
        self
    }

    pub fn to_json(&self) -> Value {
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
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
                "routeKey": "$default",
                "stage": "$default",
                "time": "28/Nov/2026:10:00:00 +0000",
                "timeEpoch": 1_795_860_000_000i64
            },
            "isBase64Encoded": false
        });
        if let Some(body) = &self.body {
            event["body"] = body.clone().into();
        }
        if !self.path_parameters.is_empty() {
            event["pathParameters"] = Value::Object(self.path_parameters.clone());
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
