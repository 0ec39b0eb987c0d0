//! api-auth through real-shaped API Gateway events, against moto (DynamoDB + SES v2).

use api_auth::handle;
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{PASSWORD, account_service, unique_email};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::mail::{sent_to, token_from_last_mail};
use serde_json::{Value, json};
use shared::services::{AccountService, AuthLimits};

async fn call(app: &AccountService, event: HttpEvent) -> (u16, Value) {
    parts(handle(app, event.request()).await)
}

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

async fn login(app: &AccountService, email: &str, password: &str) -> (u16, Value) {
    call(
        app,
        HttpEvent::new("POST", "/v1/auth/login")
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

async fn refresh(app: &AccountService, token: &str) -> (u16, Value) {
    call(
        app,
        HttpEvent::new("POST", "/v1/auth/refresh").json(&json!({"refreshToken": token})),
    )
    .await
}

#[tokio::test]
async fn register_returns_a_session_and_verification_completes_from_the_mail() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let email = unique_email("ann");
    let session = register(&app, &email).await;
    assert_eq!(session["expiresIn"], 900);
    assert_eq!(session["user"]["email"], email.as_str());
    assert_eq!(session["user"]["role"], "admin");
    assert_eq!(session["user"]["emailVerified"], false);
    assert_eq!(session["tenant"]["name"], "Acme");
    assert_eq!(session["tenant"]["plan"], "free");
    assert_eq!(session["tenant"]["subscriptionStatus"], "none");
    let access = session["accessToken"].as_str().unwrap();

    let token = token_from_last_mail(&stack.endpoint, &email, "verify-email")
        .expect("a verification mail with a link was sent");
    let verify = || HttpEvent::new("POST", "/v1/auth/verify-email").json(&json!({"token": token}));
    assert_eq!(call(&app, verify()).await.0, 204);
    // One-time: the same token again is refused.
    let (status, body) = call(&app, verify()).await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["token"].is_string());

    let (status, me) = call(&app, HttpEvent::new("GET", "/v1/auth/me").bearer(access)).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["emailVerified"], true);
    assert_eq!(me["tenant"]["id"], session["tenant"]["id"]);
}

#[tokio::test]
async fn a_taken_email_in_any_case_is_409_and_bad_input_is_400_or_413() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let email = unique_email("dup");
    register(&app, &email).await;
    let (status, body) = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/register").json(
            &json!({"email": email.to_uppercase(), "password": PASSWORD, "tenantName": "Other"}),
        ),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");

    let register_with = |body: Value| HttpEvent::new("POST", "/v1/auth/register").json(&body);
    let cases = [
        (
            register_with(
                json!({"email": "not-an-email", "password": PASSWORD, "tenantName": "x"}),
            ),
            "email",
        ),
        (
            register_with(
                json!({"email": unique_email("p"), "password": "short", "tenantName": "x"}),
            ),
            "password",
        ),
        (
            register_with(
                json!({"email": unique_email("p"), "password": "x".repeat(129), "tenantName": "x"}),
            ),
            "password",
        ),
        (
            register_with(
                json!({"email": unique_email("p"), "password": PASSWORD, "tenantName": "x", "plan": "pro"}),
            ),
            "plan",
        ),
        (
            register_with(json!({"email": 42, "password": PASSWORD, "tenantName": "x"})),
            "email",
        ),
        (
            register_with(json!({"email": unique_email("p"), "password": PASSWORD})),
            "tenantName",
        ),
        (
            HttpEvent::new("POST", "/v1/auth/register").raw_body("{\"email\": "),
            "body",
        ),
    ];
    for (event, field) in cases {
        let (status, body) = call(&app, event).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed");
        assert!(
            body["error"]["details"][field].is_string(),
            "{field}: {body}"
        );
    }
    let huge = json!({"email": unique_email("big"), "password": PASSWORD, "tenantName": "x".repeat(70 * 1024)});
    let (status, body) = call(&app, register_with(huge)).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn login_answers_the_same_401_for_unknown_email_and_wrong_password() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let email = unique_email("log");
    register(&app, &email).await;

    let (status, session) = login(&app, &email.to_uppercase(), PASSWORD).await;
    assert_eq!(status, 200);
    assert!(session["accessToken"].is_string());

    let wrong = login(&app, &email, "wrong password here").await;
    let unknown = login(&app, &unique_email("nobody"), PASSWORD).await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_of_a_spent_token_revokes_the_family() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let email = unique_email("rot");
    let first = register(&app, &email).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, second) = refresh(&app, &first).await;
    assert_eq!(status, 200, "{second}");
    let second = second["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let (status, third) = refresh(&app, &second).await;
    assert_eq!(status, 200);
    let third = third["refreshToken"].as_str().unwrap().to_owned();

    // Someone replays the spent first token: refused, and the live one dies with it.
    assert_eq!(refresh(&app, &first).await.0, 401);
    assert_eq!(refresh(&app, &third).await.0, 401);

    // A new login is a new family, unaffected.
    let (_, session) = login(&app, &email, PASSWORD).await;
    let fresh = session["refreshToken"].as_str().unwrap();
    assert_eq!(refresh(&app, fresh).await.0, 200);
    assert_eq!(refresh(&app, "made-up").await.0, 401);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let token = register(&app, &unique_email("out")).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let logout = || HttpEvent::new("POST", "/v1/auth/logout").json(&json!({"refreshToken": token}));
    assert_eq!(call(&app, logout()).await.0, 204);
    assert_eq!(refresh(&app, &token).await.0, 401);
    // Idempotent.
    assert_eq!(call(&app, logout()).await.0, 204);
}

#[tokio::test]
async fn password_reset_from_the_mail_changes_the_password_and_revokes_sessions() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let email = unique_email("reset");
    let old_refresh = register(&app, &email).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let forgot = |address: &str| {
        HttpEvent::new("POST", "/v1/auth/password/forgot").json(&json!({"email": address}))
    };
    let nobody = unique_email("nobody");
    assert_eq!(call(&app, forgot(&nobody)).await, (202, Value::Null));
    assert!(sent_to(&stack.endpoint, &nobody).is_empty());
    assert_eq!(call(&app, forgot(&email)).await, (202, Value::Null));
    let token =
        token_from_last_mail(&stack.endpoint, &email, "reset-password").expect("reset mail");

    let reset = |password: &str| {
        HttpEvent::new("POST", "/v1/auth/password/reset")
            .json(&json!({"token": token, "password": password}))
    };
    assert_eq!(call(&app, reset("too short")).await.0, 400);
    assert_eq!(call(&app, reset("a brand new passphrase")).await.0, 204);
    assert_eq!(
        call(&app, reset("another new passphrase")).await.0,
        400,
        "single use"
    );

    assert_eq!(login(&app, &email, PASSWORD).await.0, 401);
    assert_eq!(login(&app, &email, "a brand new passphrase").await.0, 200);
    assert_eq!(
        refresh(&app, &old_refresh).await.0,
        401,
        "reset revokes sessions"
    );
}

#[tokio::test]
async fn failed_logins_hold_back_their_email_and_ip_but_never_the_owner_elsewhere() {
    let stack = TestStack::new().await;
    let limits = AuthLimits {
        login_free_failures: 3,
        login_per_ip: 5,
        // Long enough that this loaded machine cannot outwait it between two attempts.
        login_backoff_base_secs: 600,
        ..AuthLimits::default()
    };
    let app = account_service(&stack, limits).await;
    let email = unique_email("brute");
    register(&app, &email).await;
    let attempt = |address: &str, password: &str, ip: &str| {
        HttpEvent::new("POST", "/v1/auth/login")
            .source_ip(ip)
            .json(&json!({"email": address, "password": password}))
    };
    for _ in 0..3 {
        let guess = attempt(&email, "guess guess guess", "203.0.113.1");
        assert_eq!(call(&app, guess).await.0, 401);
    }
    let response = handle(&app, attempt(&email, PASSWORD, "203.0.113.1").request()).await;
    assert_eq!(response.status().as_u16(), 429, "the guessing IP waits");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((500..=600).contains(&retry_after), "{retry_after}");
    // The owner, from another IP, is not locked out by someone else's failures.
    let owner = attempt(&email, PASSWORD, "203.0.113.2");
    assert_eq!(call(&app, owner).await.0, 200);

    // Per IP: five failures on different addresses, then the IP waits.
    for i in 0..5 {
        let guess = attempt(
            &unique_email(&format!("ip{i}")),
            "guess guess guess",
            "203.0.113.9",
        );
        assert_eq!(call(&app, guess).await.0, 401);
    }
    let sixth = attempt(&unique_email("ip5"), "guess guess guess", "203.0.113.9");
    assert_eq!(call(&app, sixth).await.0, 429);
}

#[tokio::test]
async fn protected_routes_need_a_valid_token_and_unknown_routes_are_json_404() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    for event in [
        HttpEvent::new("GET", "/v1/auth/me"),
        HttpEvent::new("GET", "/v1/auth/me").bearer("garbage"),
        HttpEvent::new("POST", "/v1/auth/ws-ticket"),
    ] {
        let (status, body) = call(&app, event).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let session = register(&app, &unique_email("ws")).await;
    let (status, ticket) = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/ws-ticket")
            .bearer(session["accessToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ticket["ticket"].as_str().unwrap().len(), 43);
    assert_eq!(ticket["expiresIn"], 60);

    let (status, body) = call(&app, HttpEvent::new("GET", "/v1/auth/nothing")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

/// Every route the template sends to this function is one the handler serves (a request
/// without a body gets a 400/401, never the router's 404), so template and code cannot
/// drift apart.
#[tokio::test]
async fn every_template_route_reaches_a_handler() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    jobmon_tests::assert_routes_match_template(
        "ApiAuthFunction",
        &shared::http::routes::keys(api_auth::ROUTES),
    );
    let routes = jobmon_tests::template_routes("ApiAuthFunction");
    assert_eq!(routes.len(), 13);
    for (method, path) in routes {
        let (status, body) = call(&app, HttpEvent::new(&method, &path)).await;
        assert!(
            matches!(status, 400 | 401),
            "{method} {path}: {status} {body}"
        );
    }
}
