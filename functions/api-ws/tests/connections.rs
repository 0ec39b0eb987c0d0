//! `$connect` / `$disconnect` with the real-shaped events of `events/api-ws/` against moto,
//! and pushes through the API Gateway management API (a scripted endpoint that can answer
//! 410 Gone).

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use jobmon_tests::TestStack;
use jobmon_tests::accounts::account_service;
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::scripted::{FakeServer, Reply};
use jobmon_tests::{seed, workspace_root};
use serde_json::json;
use shared::adapters::{DynamoStore, WebSocketNotifier};
use shared::domain::TenantId;
use shared::ports::{Connection, ConnectionStore, LiveMessage, LiveNotifier};
use shared::services::live::LiveConnections;
use shared::services::{AccountService, AuthLimits};

struct Env {
    stack: TestStack,
    accounts: AccountService,
    store: Arc<DynamoStore>,
    app: LiveConnections,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let store = Arc::new(seed::store(&stack));
    let app = LiveConnections {
        tokens: store.clone(),
        connections: store.clone(),
        accounts: store.clone(),
        max_per_tenant: shared::services::live::DEFAULT_MAX_SOCKETS_PER_TENANT,
    };
    Env {
        stack,
        accounts,
        store,
        app,
    }
}

/// A new tenant's WebSocket ticket.
async fn new_ticket(env: &Env) -> (String, TenantId) {
    let (token, tenant) = jobmon_tests::accounts::signup(&env.accounts, "Live").await;
    (ticket_of(env, &token).await, tenant)
}

/// A WebSocket ticket for the holder of `token`.
async fn ticket_of(env: &Env, token: &str) -> String {
    let (status, reply) = parts(
        api_auth::handle(
            &env.accounts,
            HttpEvent::new("POST", "/v1/auth/ws-ticket")
                .bearer(token)
                .request(),
        )
        .await,
    );
    assert_eq!(status, 200);
    reply["ticket"].as_str().unwrap().to_owned()
}

fn event(file: &str, connection: &str, ticket: Option<&str>) -> ApiGatewayWebsocketProxyRequest {
    let text = std::fs::read_to_string(workspace_root().join("events/api-ws").join(file)).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["requestContext"]["connectionId"] = json!(connection);
    match ticket {
        Some(t) => {
            value["queryStringParameters"]["ticket"] = json!(t);
            value["multiValueQueryStringParameters"]["ticket"] = json!([t]);
        }
        None => {
            if let Some(o) = value.as_object_mut() {
                o.remove("queryStringParameters");
                o.remove("multiValueQueryStringParameters");
            }
        }
    }
    serde_json::from_value(value).expect("a valid WebSocket event")
}

async fn ids(env: &Env, tenant: TenantId) -> Vec<String> {
    env.store
        .connections(tenant, chrono::Utc::now())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

#[tokio::test]
async fn connect_spends_the_ticket_and_disconnect_forgets_the_connection() {
    let env = env().await;
    let (ticket, tenant) = new_ticket(&env).await;
    let now = chrono::Utc::now();

    let response = api_ws::handle(
        &env.app,
        event("connect.json", "conn-1", Some(&ticket)),
        now,
    )
    .await;
    assert_eq!(response.status_code, 200);
    assert_eq!(ids(&env, tenant).await, vec!["conn-1".to_owned()]);
    let stored = env.store.connections(tenant, now).await.unwrap().remove(0);
    // Stored in whole seconds (the TTL attribute).
    let lifetime = stored.expires_at - stored.connected_at;
    assert!(
        (lifetime - Connection::MAX_LIFETIME).num_seconds().abs() <= 1,
        "{lifetime}"
    );

    // One-time: the same ticket cannot open a second socket.
    let response = api_ws::handle(
        &env.app,
        event("connect.json", "conn-2", Some(&ticket)),
        now,
    )
    .await;
    assert_eq!(response.status_code, 401);
    for refused in [None, Some(""), Some("forged-ticket")] {
        let response =
            api_ws::handle(&env.app, event("connect.json", "conn-3", refused), now).await;
        assert_eq!(response.status_code, 401, "{refused:?}");
    }
    // An expired ticket (tickets live 60 s).
    let (late, _) = new_ticket(&env).await;
    let later = now + chrono::Duration::seconds(120);
    let response = api_ws::handle(
        &env.app,
        event("connect.json", "conn-4", Some(&late)),
        later,
    )
    .await;
    assert_eq!(response.status_code, 401);
    assert_eq!(ids(&env, tenant).await, vec!["conn-1".to_owned()]);

    let response = api_ws::handle(&env.app, event("disconnect.json", "conn-1", None), now).await;
    assert_eq!(response.status_code, 200);
    assert!(ids(&env, tenant).await.is_empty());
    // A disconnect of an unknown connection is fine (API Gateway may repeat it).
    let response = api_ws::handle(&env.app, event("disconnect.json", "conn-9", None), now).await;
    assert_eq!(response.status_code, 200);
    let _ = &env.stack;
}

#[tokio::test]
async fn pushes_reach_only_the_tenants_connections_and_gone_ones_are_forgotten() {
    let env = env().await;
    let (a, tenant) = new_ticket(&env).await;
    let (b, other) = new_ticket(&env).await;
    let now = chrono::Utc::now();
    api_ws::handle(&env.app, event("connect.json", "mine", Some(&a)), now).await;
    api_ws::handle(&env.app, event("connect.json", "theirs", Some(&b)), now).await;

    // The management endpoint: first push accepted, second one finds the socket gone.
    let server = FakeServer::start(vec![
        Reply::json(200, "{}"),
        Reply::json(410, r#"{"message":null}"#).header("x-amzn-ErrorType", "GoneException"),
    ])
    .await;
    let notifier = WebSocketNotifier::new(
        &env.stack.config,
        &format!("{}/live", server.base_url),
        env.store.clone(),
    );
    let message = LiveMessage::JobsCreated {
        source_id: shared::domain::SourceId::new(),
        count: 3,
    };
    notifier.push(tenant, std::slice::from_ref(&message)).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "only the tenant's own socket");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/live/@connections/mine");
    assert_eq!(requests[0].json(), serde_json::to_value(&message).unwrap());
    assert_eq!(ids(&env, tenant).await, vec!["mine".to_owned()]);

    notifier
        .push(
            tenant,
            &[LiveMessage::UsageUpdated {
                scored_jobs: 1,
                limit: 50,
            }],
        )
        .await;
    assert!(ids(&env, tenant).await.is_empty(), "410 Gone: forgotten");
    assert_eq!(ids(&env, other).await, vec!["theirs".to_owned()]);
}

#[tokio::test]
async fn a_tenant_at_its_socket_limit_is_refused_at_connect_with_a_clear_error() {
    let mut env = env().await;
    env.app.max_per_tenant = 2;
    let (token, tenant) = jobmon_tests::accounts::signup(&env.accounts, "Sockets").await;
    let ticket = || ticket_of(&env, &token);
    let now = chrono::Utc::now();
    for id in ["s-1", "s-2"] {
        let t = ticket().await;
        let response = api_ws::handle(&env.app, event("connect.json", id, Some(&t)), now).await;
        assert_eq!(response.status_code, 200, "{id}");
    }
    let t = ticket().await;
    let response = api_ws::handle(&env.app, event("connect.json", "s-3", Some(&t)), now).await;
    assert_eq!(response.status_code, 403);
    let body: serde_json::Value = match &response.body {
        Some(aws_lambda_events::encodings::Body::Text(text)) => serde_json::from_str(text).unwrap(),
        other => panic!("a JSON error body, not {other:?}"),
    };
    assert_eq!(body["error"]["code"], "too_many_connections");
    let mut open = ids(&env, tenant).await;
    open.sort();
    assert_eq!(open, vec!["s-1".to_owned(), "s-2".to_owned()]);

    // Another tenant is not affected, and a closed socket frees a place.
    let (other, _) = new_ticket(&env).await;
    let response = api_ws::handle(&env.app, event("connect.json", "o-1", Some(&other)), now).await;
    assert_eq!(response.status_code, 200);
    api_ws::handle(&env.app, event("disconnect.json", "s-1", None), now).await;
    let t = ticket().await;
    let response = api_ws::handle(&env.app, event("connect.json", "s-4", Some(&t)), now).await;
    assert_eq!(response.status_code, 200);
}
