//! The OpenAI scorer against a scripted fake endpoint on 127.0.0.1: request shape, one
//! retry on bad output, and how each kind of failure is classified.

mod support;

use std::time::Duration;

use jobmon_scoring::{OpenAiConfig, OpenAiScorer, ScoreError, Scorer};
use support::{FakeServer, Reply, sample_job, sample_profile};

fn scorer(server: &FakeServer) -> OpenAiScorer {
    let mut config = OpenAiConfig::new(format!("{}/v1", server.base_url), "test-model");
    config.api_key = Some("sk-test-key".into());
    config.timeout = Duration::from_millis(500);
    OpenAiScorer::new(config).expect("valid config")
}

async fn score(server: &FakeServer) -> Result<jobmon_scoring::Scoring, ScoreError> {
    scorer(server).score(&sample_job(), &sample_profile()).await
}

#[tokio::test]
async fn sends_an_openai_shaped_request_and_reads_the_answer() {
    let server = FakeServer::start(vec![Reply::completion(
        r#"{"score": 8, "reason": "Rust and AWS both match."}"#,
    )])
    .await;
    let scoring = score(&server).await.unwrap();
    assert_eq!(scoring.score.value(), 8);
    assert_eq!(scoring.reason, "Rust and AWS both match.");
    assert_eq!(scoring.scorer, "openai");
    assert_eq!(
        scoring.model.as_deref(),
        Some("fake-model"),
        "the model that answered"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["max_completion_tokens"], 300);
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    let user = messages[1]["content"].as_str().unwrap();
    assert!(user.contains("Title: Senior Rust Engineer"), "{user}");
    assert!(user.contains("Must have: rust, aws"), "{user}");
}

#[tokio::test]
async fn garbage_then_a_valid_answer_succeeds_on_the_one_retry() {
    let server = FakeServer::start(vec![
        Reply::completion("I think this is a great job!"),
        Reply::completion(r#"{"score": 6, "reason": "Decent."}"#),
    ])
    .await;
    let scoring = score(&server).await.unwrap();
    assert_eq!(scoring.score.value(), 6);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The retry shows the model its bad answer and says what was wrong.
    let retry = requests[1].json();
    let messages = retry["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(messages[2]["content"], "I think this is a great job!");
    assert_eq!(messages[3]["role"], "user");
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .contains("not a JSON object")
    );
}

#[tokio::test]
async fn garbage_twice_is_invalid_output_after_exactly_two_calls() {
    let server = FakeServer::start(vec![
        Reply::completion("nope"),
        Reply::completion("still nope"),
        Reply::completion(r#"{"score": 6, "reason": "never asked for"}"#),
    ])
    .await;
    let err = score(&server).await.unwrap_err();
    assert!(matches!(err, ScoreError::InvalidOutput(_)), "{err:?}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_score_outside_the_scale_or_an_empty_reason_is_invalid() {
    for bad in [
        r#"{"score": 11, "reason": "too good"}"#,
        r#"{"score": 0, "reason": "too bad"}"#,
        r#"{"score": 7, "reason": ""}"#,
        r#"{"score": 7, "reason": "   "}"#,
        r#"{"score": 7}"#,
    ] {
        let server = FakeServer::start(vec![Reply::completion(bad), Reply::completion(bad)]).await;
        match score(&server).await {
            Err(ScoreError::InvalidOutput(why)) => {
                assert!(
                    why.contains("outside 1..10") || why.contains("reason"),
                    "{bad}: {why}"
                )
            }
            other => panic!("{bad}: expected InvalidOutput, got {other:?}"),
        }
        assert_eq!(server.requests().len(), 2, "{bad}");
    }
}

#[tokio::test]
async fn an_answer_cut_off_at_the_token_limit_is_retried() {
    let cut = serde_json::json!({
        "model": "fake-model",
        "choices": [{"message": {"content": "{\"score\": 7, \"reason\": \"aaaa"}, "finish_reason": "length"}],
    });
    let server = FakeServer::start(vec![
        Reply::json(200, cut.to_string()),
        Reply::completion(r#"{"score": 7, "reason": "Short now."}"#),
    ])
    .await;
    assert_eq!(score(&server).await.unwrap().reason, "Short now.");
    let retry = server.requests()[1].json();
    let last = retry["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["content"].as_str().unwrap().contains("cut off"));
}

#[tokio::test]
async fn rate_limits_are_quota_errors_with_the_providers_delay() {
    let server = FakeServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#)
            .header("retry-after", "7"),
    ])
    .await;
    assert_eq!(
        score(&server).await.unwrap_err(),
        ScoreError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert_eq!(
        server.requests().len(),
        1,
        "no retry in the call: the queue waits"
    );
}

#[tokio::test]
async fn payment_problems_are_billing_errors() {
    let server = FakeServer::start(vec![Reply::json(402, r#"{"error":"payment required"}"#)]).await;
    assert!(matches!(score(&server).await, Err(ScoreError::Billing(_))));

    let server = FakeServer::start(vec![Reply::json(
        429,
        r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
    )])
    .await;
    assert!(matches!(score(&server).await, Err(ScoreError::Billing(_))));
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500, 502, 503] {
        let server = FakeServer::start(vec![Reply::json(status, "{}")]).await;
        assert!(
            matches!(score(&server).await, Err(ScoreError::Transient(_))),
            "{status}"
        );
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn refused_credentials_are_configuration_errors() {
    for status in [401, 403, 404] {
        let server = FakeServer::start(vec![Reply::json(
            status,
            r#"{"error":{"message":"Incorrect API key provided"}}"#,
        )])
        .await;
        assert!(
            matches!(score(&server).await, Err(ScoreError::Config(_))),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_slow_endpoint_times_out_as_transient() {
    let server = FakeServer::start(vec![
        Reply::completion(r#"{"score": 5, "reason": "too late"}"#).delayed(Duration::from_secs(30)),
    ])
    .await;
    match score(&server).await {
        Err(ScoreError::Transient(why)) => {
            assert!(why.contains("no answer within 500 ms"), "{why}")
        }
        other => panic!("expected a transient timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_transient() {
    // A port that was free a moment ago: nothing listens there now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    let err = OpenAiScorer::new(config)
        .unwrap()
        .score(&sample_job(), &sample_profile())
        .await
        .unwrap_err();
    assert!(matches!(err, ScoreError::Transient(_)), "{err:?}");
}
