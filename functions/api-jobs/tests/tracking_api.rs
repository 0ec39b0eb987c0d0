//! Application tracking through api-jobs against moto: stage changes with their history,
//! notes, the `stage` filter, the export's columns, bad input and tenant isolation.

mod common;

use common::{Env, call, env, signup};
use jobmon_tests::events::HttpEvent;
use jobmon_tests::seed;
use serde_json::{Value, json};

async fn patch(env: &Env, token: &str, id: &str, body: Value) -> (u16, Value) {
    call(
        env,
        HttpEvent::new("PATCH", &format!("/v1/jobs/{id}"))
            .bearer(token)
            .json(&body),
    )
    .await
}

async fn note(env: &Env, token: &str, id: &str, text: &str) -> (u16, Value) {
    call(
        env,
        HttpEvent::new("POST", &format!("/v1/jobs/{id}/notes"))
            .bearer(token)
            .json(&json!({ "text": text })),
    )
    .await
}

#[tokio::test]
async fn a_job_moves_through_stages_with_notes_and_history() {
    let env = env().await;
    let (token, tenant) = signup(&env, "Seeker").await;
    let jobs = seed::queued_jobs(
        &env.store,
        tenant,
        &[("Rust Engineer", "Rust"), ("Go Engineer", "Go")],
    )
    .await;
    let id = jobs[0].card.id.to_string();

    for stage in ["applied", "interviewing"] {
        let (status, card) = patch(&env, &token, &id, json!({ "stage": stage })).await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(card["stage"], stage);
        assert!(card["stageChangedAt"].is_string());
        assert_eq!(card["status"], "queued", "the status is left alone");
    }
    // The same stage again records nothing.
    let (status, _) = patch(&env, &token, &id, json!({ "stage": "interviewing" })).await;
    assert_eq!(status, 200);
    let (status, created) = note(&env, &token, &id, "  Call with Ana on Monday ").await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["text"], "Call with Ana on Monday");

    let (status, view) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}")).bearer(&token),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["stage"], "interviewing");
    let kinds: Vec<(&str, &str)> = view["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let kind = e["kind"].as_str().unwrap();
            let what = e["stage"].as_str().or(e["text"].as_str()).unwrap();
            (kind, what)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("stage", "applied"),
            ("stage", "interviewing"),
            ("note", "Call with Ana on Monday")
        ]
    );
    assert_eq!(view["tracking"][1]["from"], "applied");

    let (status, list) = call(
        &env,
        HttpEvent::new("GET", "/v1/jobs")
            .bearer(&token)
            .query("stage=interviewing"),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()], "only the tracked job is in the stage");

    let response = api_jobs::handle(
        &env.app,
        HttpEvent::new("GET", "/v1/jobs/export")
            .bearer(&token)
            .request(),
    )
    .await;
    let csv = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("unexpected body {other:?}"),
    };
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",stage,stageChangedAt")
    );
    assert!(csv.contains(",interviewing,"), "{csv}");
}

#[tokio::test]
async fn bad_stages_and_notes_are_field_named_and_store_nothing() {
    let env = env().await;
    let (token, tenant) = signup(&env, "Seeker").await;
    let id = seed::queued_jobs(&env.store, tenant, &[("Rust Engineer", "Rust")])
        .await
        .remove(0)
        .card
        .id
        .to_string();
    for (body, field) in [
        (json!({ "stage": "hired" }), "stage"),
        (json!({ "stage": "applied", "status": "archived" }), "stage"),
        (json!({}), "status"),
    ] {
        let (status, err) = patch(&env, &token, &id, body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(
            err["error"]["details"].get(field).is_some(),
            "{body}: {err}"
        );
    }
    let long = "x".repeat(10_001);
    for text in ["   ", long.as_str()] {
        let (status, err) = note(&env, &token, &id, text).await;
        assert_eq!(status, 400, "{err}");
        assert!(err["error"]["details"].get("text").is_some(), "{err}");
    }
    let (status, _) = note(&env, &token, &id, &"é".repeat(10_000)).await;
    assert_eq!(status, 201, "10,000 characters (not bytes) fit");
    let (_, view) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}")).bearer(&token),
    )
    .await;
    assert!(view.get("stage").is_none(), "{view}");
    assert_eq!(view["tracking"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_tenants_job_is_not_found() {
    let env = env().await;
    let (token, tenant) = signup(&env, "Seeker").await;
    let (other, _) = signup(&env, "Other").await;
    let id = seed::queued_jobs(&env.store, tenant, &[("Rust Engineer", "Rust")])
        .await
        .remove(0)
        .card
        .id
        .to_string();
    let (status, _) = patch(&env, &other, &id, json!({ "stage": "applied" })).await;
    assert_eq!(status, 404);
    let (status, _) = note(&env, &other, &id, "mine now").await;
    assert_eq!(status, 404);
    let (_, view) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}")).bearer(&token),
    )
    .await;
    assert!(view.get("stage").is_none());
    assert_eq!(view["tracking"], json!([]));
}
