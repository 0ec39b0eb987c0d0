//! The event each binary gets for its first invocation: the cheapest real request of its
//! kind that still goes through its SDK clients where it has any, so that what init no
//! longer does (the HTTP connector, the root certificates) shows up here instead.
//!
//! - An HTTP API function: its first `GET` route (else its first route), path parameters
//!   filled with fresh ids, with a valid access token of a tenant that does not exist —
//!   the handler verifies it and reads the store (which finds nothing).
//! - A scheduled function: the envelope EventBridge delivers (or the schedule's `Input`).
//! - A queue consumer: an empty batch (it cannot reach its SDK clients: nothing to do).
//! - Anything else (the WebSocket function): no first invocation is measured.

use std::collections::BTreeMap;

use jobmon_template::{EventKind, FunctionSpec};
use jobmon_tests::events::HttpEvent;
use serde_json::{Value, json};
use shared::auth::{Principal, SigningSecrets};
use shared::config::SecretKey;
use shared::domain::{Role, TenantId, UserId};

/// What a first invocation sends, and a few words for the table.
#[derive(Clone)]
pub struct FirstEvent {
    pub body: Vec<u8>,
    pub label: String,
}

/// Hello world's: an HTTP API request (it echoes whatever it gets).
pub fn hello() -> FirstEvent {
    let body = HttpEvent::new("GET", "/health").to_json();
    FirstEvent {
        body: body.to_string().into_bytes(),
        label: "GET /health (echoed)".into(),
    }
}

pub fn for_function(f: &FunctionSpec, env: &BTreeMap<String, String>) -> Option<FirstEvent> {
    if let Some((method, path)) = first_route(&f.logical_id) {
        let path = fill_parameters(&path);
        let mut event = HttpEvent::new(&method, &path);
        if let Some(token) = token(env) {
            event = event.bearer(&token);
        }
        return Some(FirstEvent {
            body: event.to_json().to_string().into_bytes(),
            label: format!("{method} {path}"),
        });
    }
    f.events.iter().find_map(|e| match &e.kind {
        EventKind::Schedule(s) => Some(FirstEvent {
            body: s
                .input
                .clone()
                .unwrap_or_else(|| scheduled(s.scheduler).to_string())
                .into_bytes(),
            label: "scheduled event".into(),
        }),
        EventKind::Sqs(_) => Some(FirstEvent {
            body: br#"{"Records":[]}"#.to_vec(),
            label: "empty SQS batch".into(),
        }),
        _ => None,
    })
}

fn first_route(logical_id: &str) -> Option<(String, String)> {
    let routes = jobmon_tests::template_routes(logical_id);
    routes
        .iter()
        .find(|(method, _)| method == "GET")
        .or_else(|| routes.first())
        .cloned()
}

/// `/jobs/{id}` → `/jobs/01J…`: a fresh id for every `{parameter}`.
fn fill_parameters(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if part.starts_with('{') && part.ends_with('}') {
                ulid::Ulid::new().to_string()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// An access token signed with the function's own `JOBMON_SECRET_KEY`, for a tenant and
/// user that exist nowhere; `None` when the function has no key (it verifies no tokens).
fn token(env: &BTreeMap<String, String>) -> Option<String> {
    let raw = env.get(SecretKey::ENV)?;
    let secrets = SigningSecrets::new(SecretKey::new(raw.as_bytes()).ok()?, None);
    let principal = Principal {
        tenant: TenantId::new(),
        user: UserId::new(),
        role: Role::Admin,
    };
    secrets
        .token_issuer()
        .issue(principal, chrono::Utc::now().timestamp())
        .ok()
}

fn scheduled(scheduler: bool) -> Value {
    json!({
        "version": "0",
        "id": ulid::Ulid::new().to_string(),
        "detail-type": "Scheduled Event",
        "source": if scheduler { "aws.scheduler" } else { "aws.events" },
        "account": "123456789012",
        "time": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/coldstart"],
        "detail": {},
    })
}

#[cfg(test)]
mod tests {
    use super::fill_parameters;

    #[test]
    fn every_path_parameter_gets_an_id() {
        let filled = fill_parameters("/jobs/{id}/events/{eventId}");
        let parts: Vec<&str> = filled.split('/').collect();
        assert_eq!(parts[..2], ["", "jobs"]);
        assert_eq!(parts[3], "events");
        assert!(parts[2].parse::<ulid::Ulid>().is_ok(), "{filled}");
        assert!(parts[4].parse::<ulid::Ulid>().is_ok(), "{filled}");
        assert_eq!(fill_parameters("/health"), "/health");
    }
}
