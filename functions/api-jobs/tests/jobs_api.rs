//! api-jobs through real-shaped events against moto: profile, job with history, rescore.

mod common;

use common::{Env, call, env, signup};
use jobmon_tests::events::HttpEvent;
use jobmon_tests::seed;
use serde_json::json;
use shared::domain::{JobStatus, Score, ScoringEntry};
use shared::ports::ScoringStore;

async fn queue_len(env: &Env) -> usize {
    env.stack
        .sqs
        .receive_message()
        .queue_url(env.stack.queue_url("ScoringQueue"))
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages()
        .len()
}

#[tokio::test]
async fn profile_is_read_validated_and_saved() {
    let env = env().await;
    let (token, _) = signup(&env, "Seeker").await;
    let (status, profile) = call(&env, HttpEvent::new("GET", "/v1/profile").bearer(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(profile["mustHave"], json!([]));
    assert_eq!(profile["remote"], "any");

    let wanted = json!({
        "summary": "Backend engineer",
        "mustHave": [" rust ", "aws"],
        "niceToHave": ["kubernetes"],
        "avoid": ["crypto"],
        "titles": ["Rust Engineer"],
        "locations": ["Berlin"],
        "remote": "remote",
        "minSalary": 70000,
        "seniority": "senior"
    });
    let (status, saved) = call(
        &env,
        HttpEvent::new("PUT", "/v1/profile")
            .bearer(&token)
            .json(&wanted),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved["mustHave"],
        json!(["rust", "aws"]),
        "terms are trimmed"
    );
    // The answer is the stored profile plus warnings from recent jobs (none without jobs).
    assert_eq!(saved["warnings"], json!([]), "{saved}");
    let mut saved = saved;
    if let Some(fields) = saved.as_object_mut() {
        fields.remove("warnings");
    }
    let (_, read) = call(&env, HttpEvent::new("GET", "/v1/profile").bearer(&token)).await;
    assert_eq!(read, saved);
    assert_eq!(
        queue_len(&env).await,
        1,
        "a changed profile queues one bulk rescore"
    );

    for (body, field) in [
        (json!({"mustHave": [""]}), "mustHave[0]"),
        (json!({"minSalary": -1}), "minSalary"),
        (json!({"mustHave": vec!["x"; 51]}), "mustHave"),
        (json!({"remote": "mars"}), "remote"),
        (json!({"colour": "blue"}), "colour"),
        (json!({"seniority": 3}), "seniority"),
    ] {
        let (status, err) = call(
            &env,
            HttpEvent::new("PUT", "/v1/profile")
                .bearer(&token)
                .json(&body),
        )
        .await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["error"]["code"], "validation_failed");
        assert!(
            err["error"].to_string().contains(field),
            "{body} should name {field}: {err}"
        );
    }
    let (_, read) = call(&env, HttpEvent::new("GET", "/v1/profile").bearer(&token)).await;
    assert_eq!(read, saved, "a refused profile changes nothing");

    let (status, _) = call(&env, HttpEvent::new("GET", "/v1/profile")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_job_with_its_history_and_rescoring() {
    let env = env().await;
    let (token, tenant) = signup(&env, "Seeker").await;
    let (other_token, _) = signup(&env, "Other").await;
    let job = seed::queued_jobs(&env.store, tenant, &[("Rust Engineer", "Rust on Lambda")])
        .await
        .remove(0);
    let id = job.card.id.to_string();

    let (status, view) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}")).bearer(&token),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "queued");
    assert_eq!(view["description"], "Rust on Lambda");
    assert_eq!(view["history"], json!([]));
    assert!(view.get("reason").is_none());

    // Queued jobs are waiting for their score already.
    let (status, err) = call(
        &env,
        HttpEvent::new("POST", &format!("/v1/jobs/{id}/rescore")).bearer(&token),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("conflict"))
    );

    // Two scorings, as the worker stores them.
    for attempt in 1..=2u32 {
        if attempt == 2 {
            let (status, card) = call(
                &env,
                HttpEvent::new("POST", &format!("/v1/jobs/{id}/rescore")).bearer(&token),
            )
            .await;
            assert_eq!(status, 202, "{card}");
            assert_eq!(card["status"], "queued");
        }
        let entry = ScoringEntry {
            score: Score::new(i64::from(attempt) + 4).unwrap(),
            reason: format!("scoring {attempt}"),
            scorer: "openai".into(),
            model: Some("fake-model".into()),
            created_at: chrono::Utc::now(),
            attempt,
        };
        let recorded = env
            .store
            .record_scoring(tenant, job.card.id, &entry, None)
            .await
            .unwrap();
        assert!(matches!(recorded, shared::ports::Recorded::Scored(_)));
    }
    assert_eq!(queue_len(&env).await, 1, "the rescore's message");

    let (status, view) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}")).bearer(&token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(view["status"], JobStatus::Scored.as_str());
    assert_eq!(view["score"], 6);
    assert_eq!(view["reason"], "scoring 2");
    assert_eq!(view["history"].as_array().unwrap().len(), 2);

    let (status, page) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}/history"))
            .bearer(&token)
            .query("limit=1"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["reason"], "scoring 2", "newest first");
    assert_eq!(page["items"][0]["scorer"], "openai");
    assert_eq!(page["items"][0]["model"], "fake-model");
    assert!(page["items"][0]["createdAt"].is_string());
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let (status, next) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}/history"))
            .bearer(&token)
            .query(&format!("limit=1&cursor={cursor}")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(next["items"][0]["reason"], "scoring 1");

    for query in ["limit=0", "limit=101", "limit=x", "cursor=forged"] {
        let (status, err) = call(
            &env,
            HttpEvent::new("GET", &format!("/v1/jobs/{id}/history"))
                .bearer(&token)
                .query(query),
        )
        .await;
        assert_eq!(status, 400, "{query}: {err}");
    }

    // Another tenant sees none of it, exactly like a job that does not exist.
    for (method, path) in [
        ("GET", format!("/v1/jobs/{id}")),
        ("GET", format!("/v1/jobs/{id}/history")),
        ("POST", format!("/v1/jobs/{id}/rescore")),
        ("GET", "/v1/jobs/not-an-id".to_owned()),
    ] {
        let (status, err) = call(&env, HttpEvent::new(method, &path).bearer(&other_token)).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}"
        );
    }
    // The other tenant's cursor is refused.
    let (status, _) = call(
        &env,
        HttpEvent::new("GET", &format!("/v1/jobs/{id}/history"))
            .bearer(&token)
            .query(&format!("cursor={}", cursor.replace('A', "B"))),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn every_template_route_reaches_a_handler() {
    let env = env().await;
    let (token, _) = signup(&env, "Routes").await;
    jobmon_tests::assert_routes_match_template(
        "ApiJobsFunction",
        &shared::http::routes::keys(api_jobs::ROUTES),
    );
    let routes = jobmon_tests::template_routes("ApiJobsFunction");
    assert_eq!(routes.len(), 10);
    for (method, path) in routes {
        let path = path.replace("{id}", &ulid::Ulid::new().to_string());
        let mut event = HttpEvent::new(&method, &path).bearer(&token);
        if method == "PUT" {
            event = event.json(&json!({}));
        }
        let (status, body) = call(&env, event).await;
        assert!(status < 500, "{method} {path}: {status} {body}");
        if status == 404 {
            assert!(path.contains("/v1/jobs/"), "{method} {path} not routed");
        }
    }
}
