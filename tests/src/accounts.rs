//! An account service wired to a test stack by `Core::account_service`, as a function
//! wires it, with the stack's known secret and an SES identity created in moto.

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
    let core = stack.core(PlanCatalog::builtin(), &[("JOBMON_MAIL_FROM", MAIL_FROM)]);
    AccountService {
        limits,
        ..core.account_service().expect("JOBMON_MAIL_FROM is set")
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
