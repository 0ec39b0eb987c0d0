//! `POST /v1/profile/preview` against moto: a draft profile scored over the tenant's newest
//! jobs with the profile scorer, nothing stored, another tenant's jobs never in it, a bad
//! draft refused by field like `PUT /v1/profile`, and the per-tenant rate limit.

use std::collections::BTreeMap;

mod common;

use common::{Env, call, env, signup};
use jobmon_scoring::pipeline::PREVIEWS_PER_MINUTE;
use jobmon_tests::events::HttpEvent;
use jobmon_tests::seed;
use serde_json::{Value, json};
use shared::domain::{Score, ScoringEntry};
use shared::ports::ScoringStore;

async fn preview(env: &Env, token: &str, draft: &Value) -> (u16, Value) {
    call(
        env,
        HttpEvent::new("POST", "/v1/profile/preview")
            .bearer(token)
            .json(draft),
    )
    .await
}

/// Every item of the table but the rate-limit counters, by key: what a preview must leave
/// exactly as it was.
async fn stored_items(env: &Env) -> BTreeMap<String, String> {
    env.stack
        .all_items()
        .await
        .into_iter()
        .map(|item| {
            let key = format!("{:?}/{:?}", item.get("PK"), item.get("SK"));
            (
                key,
                format!("{:?}", item.iter().collect::<BTreeMap<_, _>>()),
            )
        })
        .filter(|(key, _)| !key.contains("RATE#"))
        .collect()
}

fn draft() -> Value {
    json!({
        "summary": "Backend engineer",
        "mustHave": ["rust"],
        "avoid": ["crypto"],
        "titles": ["Rust Engineer"],
        "remote": "any"
    })
}

#[tokio::test]
async fn a_draft_is_scored_over_the_newest_jobs_and_nothing_is_stored() {
    let env = env().await;
    let (token, tenant) = signup(&env, "Seeker").await;
    let (other_token, other) = signup(&env, "Other").await;
    let jobs = seed::queued_jobs(
        &env.store,
        tenant,
        &[
            (
                "Rust Engineer",
                "We build our backend in Rust on AWS Lambda.",
            ),
            ("Go Engineer", "Go services on Kubernetes; no Rust here."),
            ("Rust Engineer (crypto)", "Rust for a crypto exchange."),
        ],
    )
    .await;
    let entry = ScoringEntry {
        score: Score::new(3).unwrap(),
        reason: "stored before the edit".into(),
        scorer: "profile".into(),
        model: None,
        created_at: chrono::Utc::now(),
        attempt: 1,
    };
    env.store
        .record_scoring(tenant, jobs[0].card.id, &entry, None)
        .await
        .unwrap();
    seed::queued_jobs(&env.store, other, &[("Secret Rust Engineer", "Rust.")]).await;

    let before = stored_items(&env).await;
    let (status, answer) = preview(&env, &token, &draft()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(stored_items(&env).await, before, "a preview stores nothing");

    let previewed = answer["jobs"].as_array().unwrap();
    assert_eq!(previewed.len(), 3, "only this tenant's jobs: {answer}");
    let by_title = |title: &str| {
        previewed
            .iter()
            .find(|j| j["title"].as_str().unwrap().starts_with(title))
            .unwrap_or_else(|| panic!("{title} missing: {answer}"))
            .clone()
    };
    let rust = by_title("Rust Engineer 0");
    assert_eq!(rust["id"], jobs[0].card.id.to_string());
    assert_eq!(
        rust["currentScore"], 3,
        "the stored score beside the preview"
    );
    assert!(rust["reason"].as_str().unwrap().len() > 10, "{rust}");
    let go = by_title("Go Engineer");
    assert!(go.get("currentScore").is_none(), "not scored yet: {go}");
    let crypto = by_title("Rust Engineer (crypto)");
    let score = |job: &Value| job["previewScore"].as_i64().unwrap();
    assert!(
        score(&rust) > score(&go) && score(&rust) > score(&crypto),
        "the draft's must-have and avoid term decide: {answer}"
    );
    assert_eq!(
        answer["warnings"],
        json!([]),
        "fewer than 10 jobs: no warnings"
    );

    // The same preview for the other tenant sees only its own job.
    let (status, theirs) = preview(&env, &other_token, &draft()).await;
    assert_eq!(status, 200);
    let titles: Vec<&str> = theirs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Secret Rust Engineer 0"]);

    let (status, _) = call(
        &env,
        HttpEvent::new("POST", "/v1/profile/preview").json(&draft()),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_bad_draft_is_refused_by_field_and_previews_are_rate_limited() {
    let env = env().await;
    let (token, _) = signup(&env, "Seeker").await;
    for (body, field) in [
        (json!({"mustHave": [""]}), "mustHave[0]"),
        (json!({"minSalary": -1}), "minSalary"),
        (json!({"mustHave": vec!["x"; 51]}), "mustHave"),
        (json!({"remote": "mars"}), "remote"),
        (json!({"colour": "blue"}), "colour"),
        (json!({"avoid": ["a\u{7}b"]}), "avoid[0]"),
    ] {
        let (status, err) = preview(&env, &token, &body).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["error"]["code"], "validation_failed");
        assert!(
            err["error"].to_string().contains(field),
            "{body} should name {field}: {err}"
        );
    }
    // Fixed windows: if a minute turns over mid-loop the count starts again, so count the
    // answers until the first refusal instead of expecting it at an exact request.
    let mut allowed = 0;
    let mut refusal = None;
    for _ in 0..=2 * PREVIEWS_PER_MINUTE {
        let (status, answer) = preview(&env, &token, &draft()).await;
        match status {
            200 => allowed += 1,
            _ => {
                refusal = Some((status, answer));
                break;
            }
        }
    }
    let (status, err) = refusal.expect("previews are limited");
    assert_eq!(status, 429, "{err}");
    assert_eq!(err["error"]["code"], "rate_limited");
    assert!(allowed >= PREVIEWS_PER_MINUTE, "{allowed} allowed first");
}
