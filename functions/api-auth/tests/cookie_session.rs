//! The dashboard's session cookie (functions/api-auth/src/web_session.rs) through real-shaped
//! API Gateway events, against moto: the refresh token lives in an HttpOnly cookie that only
//! the dashboard's own site can use; API clients keep the JSON body.

use api_auth::handle;
use api_auth::web_session::SESSION_HEADER;
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{PASSWORD, account_service};
use jobmon_tests::events::{HttpEvent, parts};
use lambda_http::http::header::SET_COOKIE;
use serde_json::{Value, json};
use shared::services::{AccountService, AuthLimits};

/// `jobmon_tests::accounts::account_service` builds the service with this dashboard URL.
const DASHBOARD: &str = "http://127.0.0.1:3000";

struct Answer {
    status: u16,
    body: Value,
    set_cookies: Vec<String>,
}

impl Answer {
    /// The refresh cookie's value the answer sets (the same for both paths).
    fn refresh_cookie(&self) -> Option<String> {
        let values: Vec<_> = self
            .set_cookies
            .iter()
            .filter_map(|c| c.strip_prefix("jobmon_refresh="))
            .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
            .collect();
        assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
        values.into_iter().next()
    }
}

async fn call(app: &AccountService, event: HttpEvent) -> Answer {
    let response = handle(app, event.request()).await;
    let set_cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let (status, body) = parts(response);
    Answer {
        status,
        body,
        set_cookies,
    }
}

fn from_dashboard(event: HttpEvent) -> HttpEvent {
    event
        .header(SESSION_HEADER, "cookie")
        .header("origin", DASHBOARD)
}

async fn signed_up(app: &AccountService) -> Answer {
    let email = format!(
        "c-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let answer = call(
        app,
        from_dashboard(HttpEvent::new("POST", "/v1/auth/register"))
            .json(&json!({"email": email, "password": PASSWORD, "tenantName": "Acme"})),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer
}

fn refresh_with(cookie: &str) -> HttpEvent {
    HttpEvent::new("POST", "/v1/auth/refresh").cookie(&format!("jobmon_refresh={cookie}"))
}

#[tokio::test]
async fn the_dashboard_gets_its_refresh_token_only_as_an_http_only_cookie() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let session = signed_up(&app).await;
    assert!(
        session.body.get("refreshToken").is_none(),
        "{}",
        session.body
    );
    assert!(session.body["accessToken"].is_string());
    assert_eq!(session.set_cookies.len(), 2, "{:?}", session.set_cookies);
    for (cookie, path) in session
        .set_cookies
        .iter()
        .zip(["/v1/auth/refresh", "/v1/auth/logout"])
    {
        let path = format!("Path={path}");
        for attribute in [
            path.as_str(),
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Max-Age=2592000",
        ] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
    }

    // Reload: the cookie alone (with the header, from the dashboard) opens a new session
    // and rotates the cookie.
    let first = session.refresh_cookie().unwrap();
    let reloaded = call(&app, from_dashboard(refresh_with(&first))).await;
    assert_eq!(reloaded.status, 200, "{}", reloaded.body);
    assert!(reloaded.body.get("refreshToken").is_none());
    let second = reloaded.refresh_cookie().unwrap();
    assert_ne!(first, second);

    // Sign-out revokes the session and clears the cookie; the cookie then opens nothing.
    let out = call(
        &app,
        from_dashboard(
            HttpEvent::new("POST", "/v1/auth/logout").cookie(&format!("jobmon_refresh={second}")),
        ),
    )
    .await;
    assert_eq!(out.status, 204);
    assert_eq!(out.refresh_cookie().as_deref(), Some(""));
    assert!(out.set_cookies.iter().all(|c| c.contains("Max-Age=0")));
    let after = call(&app, from_dashboard(refresh_with(&second))).await;
    assert_eq!(after.status, 401);
    assert_eq!(
        after.refresh_cookie().as_deref(),
        Some(""),
        "a refused cookie is cleared"
    );
}

#[tokio::test]
async fn a_cross_site_request_cannot_refresh_with_the_cookie() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let cookie = signed_up(&app).await.refresh_cookie().unwrap();

    // A cross-site form: the browser would attach the cookie only without SameSite, and a
    // form cannot add the header. Without it the cookie is not a credential at all.
    let form = call(
        &app,
        refresh_with(&cookie).header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(form.status, 400, "{}", form.body);
    // A cross-site script that adds the header: refused on its Origin.
    for origin in ["https://evil.example", "null", "http://127.0.0.1:3001"] {
        let script = call(
            &app,
            refresh_with(&cookie)
                .header(SESSION_HEADER, "cookie")
                .header("origin", origin),
        )
        .await;
        assert_eq!(
            (script.status, script.body["error"]["code"].as_str()),
            (403, Some("cross_site")),
            "{origin}"
        );
        assert!(script.set_cookies.is_empty());
    }
    let no_origin = call(&app, refresh_with(&cookie).header(SESSION_HEADER, "cookie")).await;
    assert_eq!(no_origin.status, 403);
    // Same for sign-out: another site cannot end the session either.
    let logout = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/logout")
            .cookie(&format!("jobmon_refresh={cookie}"))
            .header(SESSION_HEADER, "cookie")
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(logout.status, 403);

    // None of it spent the token: the dashboard itself still refreshes with it.
    let own = call(&app, from_dashboard(refresh_with(&cookie))).await;
    assert_eq!(own.status, 200, "{}", own.body);
}

#[tokio::test]
async fn api_clients_keep_the_json_body_and_get_no_cookie() {
    let stack = TestStack::new().await;
    let app = account_service(&stack, AuthLimits::default()).await;
    let email = format!(
        "api-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let register = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/register")
            .json(&json!({"email": email, "password": PASSWORD, "tenantName": "Acme"})),
    )
    .await;
    assert_eq!(register.status, 201);
    assert!(register.set_cookies.is_empty());
    let token = register.body["refreshToken"].as_str().unwrap();
    let refreshed = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/refresh").json(&json!({"refreshToken": token})),
    )
    .await;
    assert_eq!(refreshed.status, 200);
    assert!(refreshed.body["refreshToken"].is_string());
    assert!(refreshed.set_cookies.is_empty());
    // A dashboard request without a cookie is a plain 401, not a 500.
    let none = call(
        &app,
        from_dashboard(HttpEvent::new("POST", "/v1/auth/refresh")),
    )
    .await;
    assert_eq!(none.status, 401);
    let bad_mode = call(
        &app,
        HttpEvent::new("POST", "/v1/auth/refresh")
            .header(SESSION_HEADER, "please")
            .header("origin", DASHBOARD),
    )
    .await;
    assert_eq!(bad_mode.status, 400);
    assert!(bad_mode.body["error"]["details"][SESSION_HEADER].is_string());
}
