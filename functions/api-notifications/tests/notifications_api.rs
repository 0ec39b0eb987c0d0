//! api-notifications through real-shaped events against moto: settings and channels
//! round trips, field-named 400s that store nothing, SSRF refusals, tenant scoping.

use std::sync::Arc;
use std::time::Duration;

use api_notifications::{App, handle};
use jobmon_connectors::AddressPolicy;
use jobmon_notify::deliver::HttpPoster;
use jobmon_notify::unsubscribe::{MailKind, Unsubscribe, UnsubscribeKey, Unsubscriber};
use jobmon_notify::{DynamoNotifications, NotificationsService};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{account_service, signup};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::scripted::{FakeServer, Reply};
use serde_json::{Value, json};
use shared::services::{AccountService, AuthLimits};

fn unsubscribe_key() -> UnsubscribeKey {
    UnsubscribeKey::new(b"test-only-unsubscribe-key-0123456789abcdef").unwrap()
}

struct Env {
    _stack: TestStack,
    accounts: AccountService,
    app: App,
}

async fn env(destinations: AddressPolicy) -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let app = App {
        notifications: NotificationsService {
            store: Arc::new(DynamoNotifications::new(
                stack.dynamo.clone(),
                stack.table(),
            )),
            clock: shared::ports::SystemClock::shared(),
            destinations,
            poster: Arc::new(
                HttpPoster::new(destinations, Duration::from_secs(2))
                    .with_max_retry_wait(Duration::ZERO),
            ),
            limiter: Arc::new(jobmon_tests::seed::store(&stack)),
            accounts: Arc::new(jobmon_tests::seed::store(&stack)),
            app_url: "http://127.0.0.1:3000".into(),
        },
        unsubscribe: Unsubscriber {
            store: Arc::new(DynamoNotifications::new(
                stack.dynamo.clone(),
                stack.table(),
            )),
            key: unsubscribe_key(),
            clock: shared::ports::SystemClock::shared(),
        },
        tokens: accounts.issuer.clone(),
    };
    Env {
        _stack: stack,
        accounts,
        app,
    }
}

async fn call(env: &Env, event: HttpEvent) -> (u16, Value) {
    parts(handle(&env.app, event.request()).await)
}

fn settings_body(min_score: Value, zone: &str) -> Value {
    json!({"email": {
        "instant": {"enabled": true, "minScore": min_score},
        "digest": {"enabled": true, "hour": 8, "timeZone": zone}
    }})
}

fn create_channel(token: &str, body: Value) -> HttpEvent {
    HttpEvent::new("POST", "/v1/notifications/channels")
        .bearer(token)
        .json(&body)
}

fn list_channels(token: &str) -> HttpEvent {
    HttpEvent::new("GET", "/v1/notifications/channels").bearer(token)
}

#[tokio::test]
async fn settings_round_trip_and_bad_fields_are_named() {
    let env = env(AddressPolicy::PublicOnly).await;
    let (token, _) = signup(&env.accounts, "Settings").await;
    let get = || HttpEvent::new("GET", "/v1/notifications").bearer(&token);

    let (status, defaults) = call(&env, get()).await;
    assert_eq!(status, 200, "{defaults}");
    assert_eq!(defaults["email"]["instant"]["enabled"], false);
    assert_eq!(defaults["email"]["digest"]["timeZone"], "UTC");

    let put = |body: Value| {
        HttpEvent::new("PUT", "/v1/notifications")
            .bearer(&token)
            .json(&body)
    };
    let (status, saved) = call(&env, put(settings_body(json!(7), "Europe/Berlin"))).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["email"]["instant"]["minScore"], 7);
    assert_eq!(call(&env, get()).await.1, saved);

    for (body, field) in [
        (settings_body(json!(0), "UTC"), "email.instant.minScore"),
        (settings_body(json!(11), "UTC"), "email.instant.minScore"),
        (
            settings_body(json!(5), "Nowhere/City"),
            "email.digest.timeZone",
        ),
        (json!({"email": {}}), "email"),
    ] {
        let (status, error) = call(&env, put(body)).await;
        assert_eq!(status, 400, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{message} should name {field}");
    }
    assert_eq!(
        call(&env, get()).await.1,
        saved,
        "refused PUTs stored nothing"
    );
}

#[tokio::test]
async fn channels_crud_is_scoped_to_the_tenant() {
    let env = env(AddressPolicy::PublicOnly).await;
    let (token, _) = signup(&env.accounts, "Owner").await;
    let (stranger, _) = signup(&env.accounts, "Stranger").await;
    let (status, created) = call(
        &env,
        create_channel(
            &token,
            json!({"kind": "webhook", "url": "https://hooks.example.com/jobmon", "minScore": 7}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["kind"], "webhook");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["signingSecret"].as_str().map(str::len), Some(64));
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/notifications/channels/{id}");

    let (status, list) = call(&env, list_channels(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("signingSecret").is_none());
    assert_eq!(list["items"][0]["lastError"], Value::Null);

    // The stranger sees nothing and cannot touch it.
    assert_eq!(
        call(&env, list_channels(&stranger)).await.1["items"],
        json!([])
    );
    let disable = json!({"enabled": false});
    let patch = |token: &str, body: &Value| HttpEvent::new("PATCH", &path).bearer(token).json(body);
    let delete = |token: &str| HttpEvent::new("DELETE", &path).bearer(token);
    assert_eq!(call(&env, patch(&stranger, &disable)).await.0, 404);
    assert_eq!(call(&env, delete(&stranger)).await.0, 404);

    let (status, updated) = call(
        &env,
        patch(&token, &json!({"minScore": 9, "enabled": false})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["minScore"], 9);
    assert_eq!(updated["enabled"], false);

    let (status, error) = call(&env, patch(&token, &json!({"kind": "slack"}))).await;
    assert_eq!(status, 400, "the kind is fixed: {error}");

    assert_eq!(call(&env, delete(&token)).await.0, 204);
    assert_eq!(call(&env, delete(&token)).await.0, 404);
    assert_eq!(
        call(&env, patch(&token, &disable)).await.0,
        404,
        "a deleted channel is not recreated by a PATCH"
    );
    let (_, list) = call(&env, list_channels(&token)).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn bad_channels_are_refused_by_field_and_nothing_is_stored() {
    let env = env(AddressPolicy::PublicOnly).await;
    let (token, _) = signup(&env.accounts, "Guarded").await;
    let cases = [
        ("slack", "https://127.0.0.1/hook", 5, "url"),
        ("slack", "https://169.254.169.254/latest", 5, "url"),
        ("slack", "https://[::ffff:10.0.0.1]/x", 5, "url"),
        ("discord", "https://localhost/x", 5, "url"),
        ("webhook", "http://hooks.example.com/x", 5, "url"),
        ("teams", "https://hooks.example.com/x", 5, "kind"),
        ("slack", "https://hooks.example.com/x", 0, "minScore"),
        ("slack", "https://hooks.example.com/x", 11, "minScore"),
    ];
    for (kind, url, min_score, field) in cases {
        let body = json!({"kind": kind, "url": url, "minScore": min_score});
        let (status, error) = call(&env, create_channel(&token, body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field}:")),
            "{message} should name {field}"
        );
    }
    let (_, list) = call(&env, list_channels(&token)).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn the_local_stack_allows_http_to_private_receivers() {
    let env = env(AddressPolicy::AllowPrivate).await;
    let (token, _) = signup(&env.accounts, "Laptop").await;
    let body = json!({"kind": "webhook", "url": "http://127.0.0.1:9/hook", "minScore": 5});
    let (status, created) = call(&env, create_channel(&token, body)).await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn send_test_reaches_the_receiver_and_answers_its_refusal() {
    let env = env(AddressPolicy::AllowPrivate).await;
    let (token, _) = signup(&env.accounts, "Tester").await;
    let (stranger, _) = signup(&env.accounts, "Stranger").await;
    let receiver = FakeServer::start(vec![
        Reply::json(200, "ok"),
        Reply::json(429, "slow down").header("retry-after", "30"),
        Reply::json(410, "gone"),
    ])
    .await;
    let url = format!("{}/slack", receiver.base_url);
    let body = json!({"kind": "slack", "url": url, "minScore": 8});
    let (_, created) = call(&env, create_channel(&token, body)).await;
    let path = format!(
        "/v1/notifications/channels/{}/test",
        created["id"].as_str().unwrap()
    );
    let test = |token: &str| HttpEvent::new("POST", &path).bearer(token);

    assert_eq!(call(&env, test(&stranger)).await.0, 404);
    assert!(
        receiver.requests().is_empty(),
        "another tenant's test sent nothing"
    );
    let (status, answer) = call(&env, test(&token)).await;
    assert_eq!((status, answer), (200, json!({"delivered": true})));
    let sample = receiver.requests()[0].json();
    assert_eq!(
        sample["text"],
        "New match 9/10: Senior Rust Engineer (test message) at jobmon"
    );
    let (status, answer) = call(&env, test(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"delivered": false, "error": "HTTP 429 (rate limited; Retry-After 30 s)"}),
        "the API waits out no Retry-After"
    );
    let (_, answer) = call(&env, test(&token)).await;
    assert_eq!(answer, json!({"delivered": false, "error": "HTTP 410"}));
    assert_eq!(receiver.requests().len(), 3);
    let (_, list) = call(&env, list_channels(&token)).await;
    assert_eq!(
        list["items"][0]["consecutiveFailures"], 0,
        "a test is no delivery"
    );
    assert_eq!(list["items"][0]["lastError"], Value::Null);
}

#[test]
fn routes_match_the_template() {
    jobmon_tests::assert_routes_match_template(
        "ApiNotificationsFunction",
        &shared::http::routes::keys(api_notifications::ROUTES),
    );
}

#[tokio::test]
async fn unsubscribe_needs_no_login_switches_one_mail_type_off_and_refuses_bad_tokens() {
    let env = env(AddressPolicy::PublicOnly).await;
    let (token, _) = signup(&env.accounts, "Reader").await;
    let principal = env.accounts.issuer.verify(&token).unwrap();
    let put = HttpEvent::new("PUT", "/v1/notifications")
        .bearer(&token)
        .json(&settings_body(json!(7), "Europe/Berlin"));
    assert_eq!(call(&env, put).await.0, 200);

    let signed = unsubscribe_key().sign(
        Unsubscribe {
            tenant: principal.tenant,
            user: principal.user,
            kind: MailKind::Instant,
        },
        chrono::Utc::now(),
    );
    let post = |query: String| {
        HttpEvent::new("POST", "/v1/notifications/unsubscribe")
            .query(&query)
            .raw_body("List-Unsubscribe=One-Click")
            .header("content-type", "application/x-www-form-urlencoded")
    };
    let bad = [
        format!("token={}", signed.replacen(".instant.", ".digest.", 1)),
        format!("token={}0", signed),
        "token=nonsense".to_owned(),
        String::new(),
    ];
    for query in bad {
        let (status, error) = call(&env, post(query.clone())).await;
        assert_eq!(status, 400, "{query}: {error}");
        assert_eq!(error["error"]["code"], "validation_failed");
        assert!(error["error"]["details"]["token"].is_string(), "{error}");
    }
    let get = || HttpEvent::new("GET", "/v1/notifications").bearer(&token);
    assert_eq!(
        call(&env, get()).await.1["email"]["instant"]["enabled"],
        true
    );

    let (status, body) = call(&env, post(format!("token={signed}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unsubscribed"], "instant");
    let (_, settings) = call(&env, get()).await;
    assert_eq!(settings["email"]["instant"]["enabled"], false);
    assert_eq!(
        settings["email"]["digest"]["enabled"], true,
        "only the token's mail type is switched off"
    );
    let (status, _) = call(&env, post(format!("token={signed}"))).await;
    assert_eq!(status, 200, "a second click changes nothing and succeeds");
}
