//! An account service wired to a test stack, as `Core::account_service` wires it in a
//! function, but with a known secret and an SES identity created in moto.

use std::sync::Arc;

use shared::adapters::{DynamoStore, SesMailer};
use shared::auth::{PasswordHasher, TokenIssuer};
use shared::config::SecretKey;
use shared::domain::{PlanCatalog, TenantId};
use shared::services::accounts::RegisterRequest;
use shared::services::{AccountService, AuthLimits};

use crate::TestStack;

pub const MAIL_FROM: &str = "jobmon@example.com";

pub async fn account_service(stack: &TestStack, limits: AuthLimits) -> AccountService {
    let ses = aws_sdk_sesv2::Client::new(&stack.config);
    // Idempotent in moto; SES refuses to send from an unverified identity.
    let _ = ses
        .create_email_identity()
        .email_identity(MAIL_FROM)
        .send()
        .await;
    let secret = SecretKey::new(&[7u8; 32]).expect("32 bytes");
    let store = Arc::new(DynamoStore::new(
        stack.dynamo.clone(),
        stack.table(),
        secret.cursor_codec(),
    ));
    AccountService {
        accounts: store.clone(),
        tenants: store.clone(),
        usage: store.clone(),
        sessions: store.clone(),
        tokens: store.clone(),
        limiter: store,
        mailer: Arc::new(SesMailer::new(ses, MAIL_FROM)),
        passwords: PasswordHasher::owasp(),
        issuer: TokenIssuer::new(&secret.derive("jwt")).expect("derived key"),
        plans: PlanCatalog::builtin(),
        app_url: "http://127.0.0.1:3000".into(),
        limits,
        clock: shared::ports::SystemClock::shared(),
    }
}

/// Registers a new tenant (unique e-mail) through the service; its access token and id.
pub async fn signup(accounts: &AccountService, tenant_name: &str) -> (String, TenantId) {
    let session = accounts
        .register(
            RegisterRequest {
                email: format!("{}@example.com", ulid::Ulid::new()),
                password: "correct horse battery".into(),
                tenant_name: tenant_name.into(),
            },
            "127.0.0.1",
        )
        .await
        .expect("registered");
    (session.access_token, session.tenant.id)
}
