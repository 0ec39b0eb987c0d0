//! api-sources through real-shaped events against moto and a local board.

use api_sources::{App, handle};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::account_service;
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::fixture::{FixtureServer, greenhouse_board};
use serde_json::{Value, json};
use shared::domain::PlanCatalog;
use shared::services::{AccountService, AuthLimits};

struct Env {
    stack: TestStack,
    accounts: AccountService,
    app: App,
    board: FixtureServer,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let board = FixtureServer::start().await;
    let app = sources_app(&stack, &accounts, &board.connector_vars());
    Env {
        stack,
        accounts,
        app,
        board,
    }
}

/// api-sources as its main wires it, over `vars` (the fixture board's connector settings;
/// without `JOBMON_ALLOW_PRIVATE_SOURCES` the loopback board is refused as in production).
fn sources_app(stack: &TestStack, accounts: &AccountService, vars: &[(&str, &str)]) -> App {
    let core = stack.core(PlanCatalog::builtin(), vars);
    App {
        sources: jobmon_ingest::wiring::sources_service(&core).expect("wired"),
        tokens: accounts.issuer.clone(),
    }
}

async fn signup(env: &Env, name: &str) -> String {
    let (status, session) = parts(
        api_auth::handle(
            &env.accounts,
            HttpEvent::new("POST", "/v1/auth/register")
                .json(&json!({"email": format!("{}@example.com", ulid::Ulid::new()), "password": "correct horse battery", "tenantName": name}))
                .request(),
        )
        .await,
    );
    assert_eq!(status, 201);
    session["accessToken"].as_str().unwrap().to_owned()
}

async fn call(env: &Env, event: HttpEvent) -> (u16, Value) {
    parts(handle(&env.app, event.request()).await)
}

fn create(token: &str, body: Value) -> HttpEvent {
    HttpEvent::new("POST", "/v1/sources")
        .bearer(token)
        .json(&body)
}

#[tokio::test]
async fn sources_crud_preview_and_plan_limit() {
    let env = env().await;
    let token = signup(&env, "Acme").await;
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..14));

    let (status, source) = call(
        &env,
        create(
            &token,
            json!({"name": "Acme", "kind": "greenhouse", "config": {"board": "acme"}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{source}");
    assert_eq!(source["kind"], "greenhouse");
    assert_eq!(source["config"], json!({"board": "acme"}));
    assert_eq!(source["enabled"], true);
    assert_eq!(source["jobsFound"], 0);
    assert!(source["nextFetchAt"].is_string());
    let id = source["id"].as_str().unwrap().to_owned();

    let (status, preview) = call(
        &env,
        HttpEvent::new("POST", &format!("/v1/sources/{id}/preview")).bearer(&token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        preview["items"].as_array().unwrap().len(),
        10,
        "at most ten postings"
    );
    assert_eq!(preview["error"], Value::Null);
    assert!(!preview.to_string().contains("<script"));

    let (status, updated) = call(
        &env,
        HttpEvent::new("PATCH", &format!("/v1/sources/{id}"))
            .bearer(&token)
            .json(&json!({"enabled": false, "name": "Acme jobs"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (updated["enabled"].clone(), updated["nextFetchAt"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(updated["name"], "Acme jobs");

    // Free plan: three sources.
    for board in ["b2", "b3"] {
        assert_eq!(
            call(
                &env,
                create(
                    &token,
                    json!({"name": board, "kind": "lever", "config": {"site": board}})
                )
            )
            .await
            .0,
            201
        );
    }
    let (status, body) = call(
        &env,
        create(
            &token,
            json!({"name": "b4", "kind": "ashby", "config": {"board": "b4"}}),
        ),
    )
    .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"]["code"], "plan_limit");
    let (_, list) = call(&env, HttpEvent::new("GET", "/v1/sources").bearer(&token)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);

    // Deleting frees a slot.
    assert_eq!(
        call(
            &env,
            HttpEvent::new("DELETE", &format!("/v1/sources/{id}")).bearer(&token)
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(
            &env,
            HttpEvent::new("GET", &format!("/v1/sources/{id}")).bearer(&token)
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            &env,
            create(
                &token,
                json!({"name": "b4", "kind": "ashby", "config": {"board": "b4"}})
            )
        )
        .await
        .0,
        201
    );
}

#[tokio::test]
async fn invalid_configs_name_the_field() {
    let env = env().await;
    let token = signup(&env, "Bad").await;
    let cases = [
        (
            json!({"name": "x", "kind": "monster", "config": {}}),
            "kind",
        ),
        (
            json!({"name": "x", "kind": "greenhouse", "config": {}}),
            "config.board",
        ),
        (
            json!({"name": "x", "kind": "rss", "config": {"url": "ftp://example.com/feed"}}),
            "config.url",
        ),
        (
            json!({"name": "x", "kind": "rss", "config": {"url": "https://example.com/f", "extra": 1}}),
            "config.extra",
        ),
        (
            json!({"name": "", "kind": "greenhouse", "config": {"board": "a"}}),
            "name",
        ),
        (
            json!({"name": "x", "kind": "greenhouse", "config": {"board": "a"}, "owner": "me"}),
            "owner",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = call(&env, create(&token, body)).await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert!(
            answer["error"]["details"][field].is_string(),
            "{field}: {answer}"
        );
    }
    let (_, list) = call(&env, HttpEvent::new("GET", "/v1/sources").bearer(&token)).await;
    assert_eq!(
        list["items"],
        json!([]),
        "nothing stored by a refused request"
    );
}

#[tokio::test]
async fn fetch_now_queues_the_tenants_enabled_sources_and_isolation_holds() {
    let env = env().await;
    let a = signup(&env, "Alpha").await;
    let b = signup(&env, "Beta").await;
    let (_, source) = call(
        &env,
        create(
            &a,
            json!({"name": "A", "kind": "greenhouse", "config": {"board": "alpha"}}),
        ),
    )
    .await;
    let id = source["id"].as_str().unwrap().to_owned();
    call(&env, create(&a, json!({"name": "off", "kind": "greenhouse", "config": {"board": "off"}, "enabled": false}))).await;

    let (status, body) = call(&env, HttpEvent::new("POST", "/v1/jobs/fetch").bearer(&a)).await;
    assert_eq!((status, body), (202, json!({"queuedSources": 1})));
    let (status, body) = call(
        &env,
        HttpEvent::new("POST", "/v1/jobs/fetch")
            .bearer(&a)
            .json(&json!({"sourceId": id})),
    )
    .await;
    assert_eq!((status, body), (202, json!({"queuedSources": 1})));

    // Tenant B: every route on A's source answers 404 and changes nothing.
    for event in [
        HttpEvent::new("GET", &format!("/v1/sources/{id}")).bearer(&b),
        HttpEvent::new("PATCH", &format!("/v1/sources/{id}"))
            .bearer(&b)
            .json(&json!({"enabled": false})),
        HttpEvent::new("DELETE", &format!("/v1/sources/{id}")).bearer(&b),
        HttpEvent::new("POST", &format!("/v1/sources/{id}/preview")).bearer(&b),
        HttpEvent::new("POST", "/v1/jobs/fetch")
            .bearer(&b)
            .json(&json!({"sourceId": id})),
    ] {
        let (status, body) = call(&env, event).await;
        assert_eq!(status, 404, "{body}");
    }
    let (_, still) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/sources/{id}")).bearer(&a),
    )
    .await;
    assert_eq!(still["enabled"], true);
    let (_, list) = call(&env, HttpEvent::new("GET", "/v1/sources").bearer(&b)).await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(
        call(&env, HttpEvent::new("GET", "/v1/sources")).await.0,
        401
    );
    let _ = &env.stack;
}

#[tokio::test]
async fn every_template_route_reaches_a_handler() {
    let env = env().await;
    let token = signup(&env, "Routes").await;
    jobmon_tests::assert_routes_match_template(
        "ApiSourcesFunction",
        &shared::http::routes::keys(api_sources::ROUTES),
    );
    let routes = jobmon_tests::template_routes("ApiSourcesFunction");
    assert_eq!(routes.len(), 8);
    for (method, path) in routes {
        let path = path.replace("{id}", &ulid::Ulid::new().to_string());
        let response = handle(
            &env.app,
            HttpEvent::new(&method, &path).bearer(&token).request(),
        )
        .await;
        let (status, body) = parts(response);
        // 404 here must be the resource's (well-formed id, absent), not the router's.
        assert!(status < 500, "{method} {path}: {status} {body}");
        if status == 404 {
            assert!(path.contains("/v1/sources/"), "{method} {path} not routed");
        }
    }
}

fn detect(token: &str, url: &str) -> HttpEvent {
    HttpEvent::new("POST", "/v1/sources/detect")
        .bearer(token)
        .json(&json!({ "url": url }))
}

#[tokio::test]
async fn a_pasted_careers_url_becomes_a_source_with_a_preview_and_nothing_stored() {
    let env = env().await;
    let token = signup(&env, "Acme").await;
    let base = env.board.base_url.clone();
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..3));

    // A board URL is recognised without fetching any page.
    let (status, found) = call(&env, detect(&token, "https://boards.greenhouse.io/acme")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (found["kind"].as_str(), &found["config"]),
        (Some("greenhouse"), &json!({"board": "acme"}))
    );
    assert_eq!(found["name"], "Acme (Greenhouse)");
    assert_eq!(found["preview"]["items"].as_array().unwrap().len(), 3);

    // A company's own careers page that embeds the board.
    env.board.set(
        "/careers",
        200,
        r#"<html><body><h1>Join us</h1><div id="grnhse_app"></div>
        <script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script></body></html>"#,
    );
    let (status, found) = call(&env, detect(&token, &format!("{base}/careers"))).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["config"], json!({"board": "acme"}));
    assert_eq!(env.board.hits("/careers"), 1);

    // A page that announces a feed (autodiscovery), and the feed's own preview.
    env.board.set(
        "/blog",
        200,
        r#"<head><link rel="alternate" type="application/rss+xml" title="Acme jobs" href="/jobs.rss"></head>"#,
    );
    env.board.set(
        "/jobs.rss",
        200,
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Jobs</title>
        <item><title>Rust Engineer</title><link>https://acme.example/jobs/1</link><guid>1</guid></item></channel></rss>"#,
    );
    let (status, found) = call(&env, detect(&token, &format!("{base}/blog"))).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["kind"], "rss");
    assert_eq!(found["config"]["url"], format!("{base}/jobs.rss"));
    assert_eq!(found["name"], "Acme jobs");
    assert_eq!(found["preview"]["items"][0]["title"], "Rust Engineer");

    // Nothing was stored by any of it.
    let (_, list) = call(&env, HttpEvent::new("GET", "/v1/sources").bearer(&token)).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn a_url_that_is_no_careers_page_is_a_sentence_on_the_url_field() {
    let env = env().await;
    let token = signup(&env, "Acme").await;
    let base = env.board.base_url.clone();
    env.board.set(
        "/about",
        200,
        "<html><body><a href='/team'>Team</a></body></html>",
    );
    let cases = [
        (format!("{base}/about"), "no job board or feed was found"),
        (format!("{base}/missing"), "does not exist (HTTP 404)"),
        ("ftp://acme.example/jobs".to_owned(), "http or https"),
        ("not a url".to_owned(), "not a valid URL"),
        (String::new(), "is required"),
    ];
    for (url, says) in cases {
        let (status, body) = call(&env, detect(&token, &url)).await;
        assert_eq!(status, 400, "{url}: {body}");
        let problem = body["error"]["details"]["url"].as_str().unwrap_or_default();
        assert!(problem.contains(says), "{url}: {problem}");
    }

    // In production private addresses are refused before any request is made.
    let guarded = sources_app(
        &env.stack,
        &env.accounts,
        &[("JOBMON_GREENHOUSE_BASE_URL", base.as_str())],
    );
    let (status, body) =
        parts(handle(&guarded, detect(&token, &format!("{base}/about")).request()).await);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["details"]["url"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{body}"
    );
    assert_eq!(
        env.board.hits("/about"),
        1,
        "the guarded fetcher never reached the page"
    );
}

#[tokio::test]
async fn detection_is_rate_limited_per_tenant() {
    let env = env().await;
    let token = signup(&env, "Acme").await;
    env.board
        .set("/v1/boards/acme/jobs", 200, greenhouse_board("acme", 0..1));
    for _ in 0..jobmon_ingest::detect::DETECTIONS_PER_HOUR {
        let (status, _) = call(&env, detect(&token, "https://boards.greenhouse.io/acme")).await;
        assert_eq!(status, 200);
    }
    let (status, body) = call(&env, detect(&token, "https://boards.greenhouse.io/acme")).await;
    assert_eq!(status, 429, "{body}");
    // Another tenant is not affected.
    let other = signup(&env, "Other").await;
    assert_eq!(
        call(&env, detect(&other, "https://boards.greenhouse.io/acme"))
            .await
            .0,
        200
    );
}
