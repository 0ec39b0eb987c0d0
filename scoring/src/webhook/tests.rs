use shared::domain::CanonicalUrl;

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_767_225_600;
const JOB: &str = "01JH0000000000000000000000";
const TENANT: &str = "01JH0000000000000000000001";

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SECRET).unwrap()
}

fn body(score: &str, reason: &str) -> Vec<u8> {
    format!(
        r#"{{"jobId":"{JOB}","tenantId":"{TENANT}","score":{score},"reason":{reason},"attempt":2}}"#
    )
    .into_bytes()
}

fn signed(body: &[u8], at: i64) -> String {
    signature::sign(SECRET, at, body)
}

fn unauthorized(result: Result<WebhookResult, WebhookError>) -> SignatureError {
    match result {
        Err(WebhookError::Unauthorized(reason)) => reason,
        other => panic!("expected 401, got {other:?}"),
    }
}

#[test]
fn accepts_a_good_result_and_types_it() {
    let b = body("8", r#"" Strong Rust match. ""#);
    let result = verifier()
        .verify(Some(&signed(&b, NOW)), &b, NOW + 10)
        .unwrap();
    assert_eq!(result.job_id.to_string(), JOB);
    assert_eq!(result.tenant_id.to_string(), TENANT);
    assert_eq!(result.attempt, 2);
    assert_eq!(result.score.value(), 8);
    assert_eq!(result.reason, "Strong Rust match.");
    let scoring = result.scoring();
    assert_eq!(scoring.scorer, "webhook");
    assert_eq!(scoring.score.value(), 8);
    assert_eq!(result.replay_expires_at(), NOW + 300);
    assert!(result.replay_key().starts_with(&format!("{NOW}.")));
}

#[test]
fn refuses_tampered_forged_stale_and_future_results() {
    let b = body("8", r#""ok""#);
    let header = signed(&b, NOW);
    let tampered = body("10", r#""ok""#);
    assert_eq!(
        unauthorized(verifier().verify(Some(&header), &tampered, NOW)),
        SignatureError::Mismatch
    );
    let forged = signature::sign(b"some other secret, long enough", NOW, &b);
    assert_eq!(
        unauthorized(verifier().verify(Some(&forged), &b, NOW)),
        SignatureError::Mismatch
    );
    assert!(matches!(
        unauthorized(verifier().verify(Some(&header), &b, NOW + 301)),
        SignatureError::Stale { .. }
    ));
    assert!(matches!(
        unauthorized(verifier().verify(Some(&header), &b, NOW - 301)),
        SignatureError::Future { .. }
    ));
    assert_eq!(
        unauthorized(verifier().verify(None, &b, NOW)),
        SignatureError::Missing
    );
    assert!(matches!(
        unauthorized(verifier().verify(Some("t=abc"), &b, NOW)),
        SignatureError::Malformed(_)
    ));
}

#[test]
fn accepts_one_good_signature_among_several() {
    let b = body("5", r#""fine""#);
    let good = signed(&b, NOW);
    let good_v1 = good.split_once(",v1=").unwrap().1;
    let stale_secret = signature::sign(b"the previous secret value", NOW, &b);
    let old_v1 = stale_secret.split_once(",v1=").unwrap().1;
    let header = format!("t={NOW},v1={old_v1},v1={good_v1}");
    assert!(verifier().verify(Some(&header), &b, NOW).is_ok());
}

#[test]
fn checks_the_signature_before_the_body() {
    // Garbage that is unsigned is a 401, not a 400 that would describe the format.
    assert!(matches!(
        verifier().verify(None, b"not json", NOW),
        Err(WebhookError::Unauthorized(_))
    ));
}

#[test]
fn signed_but_invalid_bodies_are_400() {
    for (b, why) in [
        (body("11", r#""x""#), "score must be an integer from 1 to 10, got 11"),
        (body("0", r#""x""#), "got 0"),
        (body("7.5", r#""x""#), "got 7.5"),
        (body("7", r#""  ""#), "reason must not be empty"),
        (body("\"7\"", r#""x""#), "invalid type"),
        (
            format!(r#"{{"jobId":"{JOB}","tenantId":"{TENANT}","score":7,"reason":"x","attempt":1,"extra":1}}"#).into_bytes(),
            "unknown field",
        ),
        (
            format!(r#"{{"jobId":"nope","tenantId":"{TENANT}","score":7,"reason":"x","attempt":1}}"#).into_bytes(),
            "job",
        ),
        (
            format!(r#"{{"jobId":"{JOB}","score":7,"reason":"x","attempt":1}}"#).into_bytes(),
            "tenantId",
        ),
    ] {
        match verifier().verify(Some(&signed(&b, NOW)), &b, NOW) {
            Err(WebhookError::InvalidBody(message)) => {
                assert!(message.contains(why), "{message} should mention {why}")
            }
            other => panic!("expected 400 for {}, got {other:?}", String::from_utf8_lossy(&b)),
        }
    }
}

#[test]
fn oversized_bodies_are_refused_unread() {
    let b = vec![b' '; MAX_RESULT_BYTES + 1];
    assert_eq!(
        verifier().verify(Some(&signed(&b, NOW)), &b, NOW),
        Err(WebhookError::TooLarge)
    );
}

#[test]
fn long_reasons_are_clipped() {
    let b = body("6", &format!("\"{}\"", "r".repeat(5000)));
    let result = verifier().verify(Some(&signed(&b, NOW)), &b, NOW).unwrap();
    assert_eq!(result.reason.chars().count(), MAX_REASON_CHARS);
}

#[test]
fn short_secrets_and_bad_urls_are_configuration_errors() {
    assert!(matches!(
        WebhookVerifier::new(b"short"),
        Err(ScoreError::Config(_))
    ));
    let timeout = WebhookScorer::DEFAULT_TIMEOUT;
    let cb = "https://api.example.com/v1/webhooks/scoring";
    assert!(WebhookScorer::new("https://n8n.example.com/webhook/x", SECRET, cb, timeout).is_ok());
    assert!(matches!(
        WebhookScorer::new("https://n8n.example.com/x", b"short", cb, timeout),
        Err(ScoreError::Config(_))
    ));
    assert!(matches!(
        WebhookScorer::new("not a url", SECRET, cb, timeout),
        Err(ScoreError::Config(_))
    ));
    assert!(matches!(
        WebhookScorer::new("https://n8n.example.com/x", SECRET, "mailto:x@y", timeout),
        Err(ScoreError::Config(_))
    ));
}

#[test]
fn the_outbound_request_is_n8n_shaped_and_verifiable_with_the_same_secret() {
    let scorer = WebhookScorer::new(
        "https://n8n.example.com/webhook/score",
        SECRET,
        "https://api.example.com/v1/webhooks/scoring",
        WebhookScorer::DEFAULT_TIMEOUT,
    )
    .unwrap();
    let job = JobForScoring {
        title: "Rust Engineer".into(),
        company: "Acme".into(),
        location: "Berlin".into(),
        remote: true,
        description_text: "Rust".into(),
        salary_min: Some(1.0),
        salary_max: None,
        salary_currency: Some("EUR".into()),
        url: CanonicalUrl::parse("https://jobs.example.com/1").unwrap(),
    };
    let profile = Profile {
        must_have: vec!["rust".into()],
        ..Profile::default()
    };
    let request = WebhookRequest {
        job_id: JobId::parse(JOB).unwrap(),
        tenant_id: TenantId::parse(TENANT).unwrap(),
        attempt: 3,
        job: &job,
        profile: &profile,
        callback_url: scorer.callback_url(),
    };
    let (body, header) = scorer.signed_request(&request, NOW).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["jobId"], JOB);
    assert_eq!(json["tenantId"], TENANT);
    assert_eq!(json["attempt"], 3);
    assert_eq!(json["job"]["title"], "Rust Engineer");
    assert_eq!(json["job"]["descriptionText"], "Rust");
    assert_eq!(json["profile"]["mustHave"][0], "rust");
    assert_eq!(
        json["callbackUrl"],
        "https://api.example.com/v1/webhooks/scoring"
    );
    assert!(header.starts_with(&format!("t={NOW},v1=")));
    assert!(signature::verify(SECRET, Some(&header), &body, NOW, TOLERANCE).is_ok());
}
