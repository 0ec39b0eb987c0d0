//! The webhook scorer's outbound call against a fake receiver on 127.0.0.1, and the round
//! trip: what it signs, the verifier accepts.

mod support;

use std::time::Duration;

use chrono::Utc;
use jobmon_scoring::{
    Dispatch, SIGNATURE_HEADER, ScoreError, WebhookScorer, WebhookVerifier, sign,
};
use shared::domain::{JobId, TenantId};
use support::{FakeServer, Reply, sample_job, sample_profile};

const SECRET: &[u8] = b"n8n-shared-secret-0123456789abcdef";
const CALLBACK: &str = "https://api.example.com/v1/webhooks/scoring";

fn scorer(server: &FakeServer) -> WebhookScorer {
    WebhookScorer::new(
        &format!("{}/webhook/score", server.base_url),
        SECRET,
        CALLBACK,
        Duration::from_millis(500),
    )
    .expect("valid config")
}

#[tokio::test]
async fn posts_a_signed_n8n_request_that_the_verifier_scheme_accepts() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        r#"{"message":"Workflow was started"}"#,
    )])
    .await;
    let (job_id, tenant_id) = (JobId::new(), TenantId::new());
    let outcome = scorer(&server)
        .dispatch(job_id, tenant_id, 1, &sample_job(), &sample_profile())
        .await
        .unwrap();
    assert_eq!(outcome, Dispatch::Sent);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/webhook/score");
    let body = request.json();
    assert_eq!(body["jobId"], job_id.to_string());
    assert_eq!(body["tenantId"], tenant_id.to_string());
    assert_eq!(body["attempt"], 1);
    assert_eq!(body["callbackUrl"], CALLBACK);
    assert_eq!(body["job"]["title"], "Senior Rust Engineer");
    assert_eq!(body["profile"]["mustHave"][1], "aws");

    let header = request.header(SIGNATURE_HEADER).expect("signed");
    jobmon_scoring::verify(
        SECRET,
        Some(header),
        &request.body,
        Utc::now().timestamp(),
        jobmon_scoring::TOLERANCE,
    )
    .expect("the receiver can verify what was sent");

    // The n8n side answers with the same scheme; the verifier takes it.
    let result = format!(
        r#"{{"jobId":"{job_id}","tenantId":"{tenant_id}","score":9,"reason":"Great fit.","attempt":1}}"#
    );
    let now = Utc::now().timestamp();
    let verified = WebhookVerifier::new(SECRET)
        .unwrap()
        .verify(
            Some(&sign(SECRET, now, result.as_bytes())),
            result.as_bytes(),
            now,
        )
        .unwrap();
    assert_eq!(verified.job_id, job_id);
    assert_eq!(verified.scoring().scorer, "webhook");
}

#[tokio::test]
async fn the_gate_answers_ruled_out_postings_without_calling_out() {
    let server = FakeServer::start(vec![]).await;
    let mut job = sample_job();
    job.description_text
        .push_str(" Our crypto exchange is growing.");
    let outcome = scorer(&server)
        .with_gate(shared::domain::Score::MIN)
        .dispatch(JobId::new(), TenantId::new(), 1, &job, &sample_profile())
        .await
        .unwrap();
    let Dispatch::Scored(scoring) = outcome else {
        panic!("expected the gate to answer, got {outcome:?}");
    };
    assert_eq!(scoring.scorer, "profile");
    assert!(scoring.score.value() <= 3);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn receiver_failures_are_classified_like_the_llm_scorers() {
    let cases = [
        (Reply::json(429, "{}").header("retry-after", "3"), "quota"),
        (Reply::json(402, "{}"), "billing"),
        (Reply::json(503, "{}"), "transient"),
        (Reply::json(401, "{}"), "config"),
        (
            Reply::json(200, "{}").delayed(Duration::from_secs(30)),
            "transient",
        ),
    ];
    for (reply, expected) in cases {
        let server = FakeServer::start(vec![reply]).await;
        let err = scorer(&server)
            .dispatch(
                JobId::new(),
                TenantId::new(),
                1,
                &sample_job(),
                &sample_profile(),
            )
            .await
            .unwrap_err();
        let kind = match err {
            ScoreError::QuotaExceeded { retry_after } => {
                assert_eq!(retry_after, Some(Duration::from_secs(3)));
                "quota"
            }
            ScoreError::Billing(_) => "billing",
            ScoreError::Transient(_) => "transient",
            ScoreError::Config(_) => "config",
            ScoreError::InvalidOutput(_) => "invalid",
        };
        assert_eq!(kind, expected);
    }
}
