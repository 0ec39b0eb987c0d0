//! A rotation of the signing secret through `api-jobs`, as the deployed functions live it
//! (docs/operations.md, "Rotating the secret"): before it, everything is signed with the old
//! secret; during it, a function holds the new secret and the old one as previous; after
//! it, the new one only. Real-shaped events against moto.

use api_jobs::{App, handle};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{account_service, signup};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::seed;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use shared::auth::SigningSecrets;
use shared::config::SecretKey;
use shared::domain::{JobStatus, PlanCatalog};
use shared::ports::JobStore;
use shared::services::AuthLimits;

fn new_secret() -> SecretKey {
    SecretKey::new(&[8u8; 32]).expect("32-byte key")
}

fn app(stack: &TestStack, keys: SigningSecrets) -> App {
    App::wire(&stack.core_with_keys(PlanCatalog::builtin(), &[], keys)).expect("wired")
}

async fn list(app: &App, token: &str, query: &str) -> (u16, Value) {
    let event = HttpEvent::new("GET", "/v1/jobs").bearer(token).query(query);
    parts(handle(app, event.request()).await)
}

/// `token` with its header's `kid` replaced and re-signed with `key`: a valid signature
/// under a key id nobody holds.
fn with_unknown_kid(token: &str, key: &[u8]) -> String {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .expect("a JWT")
        .claims;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("deadbeef".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key)).unwrap()
}

#[tokio::test]
async fn a_rotation_keeps_tokens_and_cursors_of_the_previous_key_until_it_is_dropped() {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let (old_token, tenant) = signup(&accounts, "Rotating").await;
    let store = seed::store(&stack);
    for n in 0..3 {
        let job = seed::job(
            tenant,
            n,
            "Rust Engineer",
            "Rust on Lambda.",
            JobStatus::New,
        );
        store.insert_job(&job).await.unwrap();
    }

    let before = app(&stack, SigningSecrets::new(seed::secret(), None));
    let (status, page) = list(&before, &old_token, "limit=1").await;
    assert_eq!(status, 200, "{page}");
    let old_cursor = page["nextCursor"]
        .as_str()
        .expect("a second page")
        .to_owned();

    // During: the old token and the old cursor still work; new ones are signed anew.
    let during = app(
        &stack,
        SigningSecrets::new(new_secret(), Some(seed::secret())),
    );
    let (status, page) = list(&during, &old_token, &format!("limit=1&cursor={old_cursor}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let principal = before
        .tokens
        .verify(&old_token)
        .expect("the old key's token");
    let new_token = during
        .tokens
        .issue(principal, chrono::Utc::now().timestamp())
        .unwrap();
    let (status, page) = list(&during, &new_token, "limit=1").await;
    assert_eq!(status, 200, "{page}");
    let new_cursor = page["nextCursor"].as_str().unwrap().to_owned();
    assert_ne!(
        new_cursor.split('.').next(),
        old_cursor.split('.').next(),
        "cursors name the key that sealed them"
    );

    // A valid signature under a key id nobody holds is no token and no cursor.
    let unknown = with_unknown_kid(&new_token, &new_secret().derive("jwt"));
    assert_eq!(list(&during, &unknown, "limit=1").await.0, 401);
    let (_, rest) = new_cursor.split_once('.').unwrap();
    let (status, body) = list(
        &during,
        &new_token,
        &format!("limit=1&cursor=deadbeef.{rest}"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["cursor"], "invalid cursor");

    // After: the previous key is dropped; what it signed is refused, the new key's works.
    let after = app(&stack, SigningSecrets::new(new_secret(), None));
    assert_eq!(list(&after, &old_token, "limit=1").await.0, 401);
    let (status, body) = list(&after, &new_token, &format!("limit=1&cursor={old_cursor}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["cursor"], "invalid cursor");
    let (status, page) = list(&after, &new_token, &format!("limit=1&cursor={new_cursor}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}
