//! Ending every session at once through api-auth against moto (issue 17, point 1): with
//! 1,000 sessions open, a password reset and "sign out everywhere" each make a bounded
//! number of DynamoDB requests, and every refresh token is refused afterwards.

use std::sync::Arc;

use api_auth::handle;
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{PASSWORD, account_service, unique_email};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::mail::token_from_last_mail;
use jobmon_tests::requests::{Requests, counted_store};
use jobmon_tests::seed;
use serde_json::{Value, json};
use shared::auth::{OpaqueSecret, hash_secret};
use shared::ports::{SessionGrant, SessionStore};
use shared::services::{AccountService, AuthLimits};

const SESSIONS: usize = 1_000;

async fn call(app: &AccountService, event: HttpEvent) -> (u16, Value) {
    parts(handle(app, event.request()).await)
}

/// The account service over a store whose DynamoDB requests are counted.
async fn counted_app(stack: &TestStack) -> (AccountService, Requests) {
    let (store, count) = counted_store(stack);
    let store = Arc::new(store);
    let app = AccountService {
        accounts: store.clone(),
        tenants: store.clone(),
        usage: store.clone(),
        sessions: store.clone(),
        tokens: store.clone(),
        limiter: store,
        ..account_service(stack, AuthLimits::default()).await
    };
    (app, count)
}

/// Registers `email`; the session's body.
async fn register(app: &AccountService, email: &str) -> Value {
    let (status, body) = call(
        app,
        HttpEvent::new("POST", "/v1/auth/register")
            .json(&json!({"email": email, "password": PASSWORD, "tenantName": "Acme"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// `SESSIONS` more sessions of the user of `session`, as that many logins would leave in
/// the table; their refresh tokens.
async fn open_sessions(stack: &TestStack, session: &Value) -> Vec<String> {
    let store = seed::store(stack);
    let grant = |family: String| SessionGrant {
        tenant: session["tenant"]["id"].as_str().unwrap().parse().unwrap(),
        user: session["user"]["id"].as_str().unwrap().parse().unwrap(),
        family,
        generation: 0,
    };
    futures_util::stream::iter(0..SESSIONS)
        .map(|_| {
            let store = &store;
            let grant = grant(ulid::Ulid::new().to_string());
            async move {
                let secret = OpaqueSecret::generate();
                store
                    .start_session(
                        &grant,
                        &hash_secret(secret.expose()),
                        Utc::now() + Duration::days(30),
                    )
                    .await
                    .expect("session started");
                secret.expose().to_owned()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await
}

/// How many of `tokens` still refresh through the route.
async fn still_refreshing(app: &AccountService, tokens: &[String]) -> usize {
    futures_util::stream::iter(tokens)
        .map(|token| async move {
            let event =
                HttpEvent::new("POST", "/v1/auth/refresh").json(&json!({"refreshToken": token}));
            call(app, event).await.0
        })
        .buffer_unordered(16)
        .filter(|status| std::future::ready(*status == 200))
        .count()
        .await
}

#[tokio::test]
async fn a_reset_and_sign_out_everywhere_end_a_thousand_sessions_in_a_few_requests() {
    let stack = TestStack::new().await;
    let (app, count) = counted_app(&stack).await;
    let email = unique_email("victim");
    let owner = register(&app, &email).await;
    let tokens = open_sessions(&stack, &owner).await;
    assert_eq!(still_refreshing(&app, &tokens[..2]).await, 2, "live before");

    let forgot = HttpEvent::new("POST", "/v1/auth/password/forgot").json(&json!({"email": email}));
    assert_eq!(call(&app, forgot).await.0, 202);
    let link = token_from_last_mail(&stack.endpoint, &email, "reset-password").expect("mail");
    let before = count.total();
    let reset = HttpEvent::new("POST", "/v1/auth/password/reset")
        .json(&json!({"token": link, "password": "a brand new passphrase"}));
    assert_eq!(call(&app, reset).await.0, 204);
    let requests = count.total() - before;
    // GetItem of the token, of the user, one transaction; it was one request per session.
    assert!(requests <= 3, "{requests} DynamoDB requests for the reset");
    assert_eq!(
        still_refreshing(&app, &tokens).await,
        0,
        "a token survived the reset"
    );

    // Signed in again, the attacker opens another thousand; "sign out everywhere" ends them.
    let (status, again) = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/login")
            .json(&json!({"email": email, "password": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    let mut second = open_sessions(&stack, &again).await;
    second.push(again["refreshToken"].as_str().unwrap().to_owned());
    let before = count.total();
    let logout_all = HttpEvent::new("POST", "/v1/auth/logout-all")
        .bearer(again["accessToken"].as_str().unwrap());
    assert_eq!(call(&app, logout_all).await.0, 204);
    assert_eq!(count.total() - before, 1, "one write ends every session");
    assert_eq!(still_refreshing(&app, &second).await, 0);
    let anonymous = HttpEvent::new("POST", "/v1/auth/logout-all");
    assert_eq!(call(&app, anonymous).await.0, 401);
}
