//! An account service wired to a test stack by `KeyedCore::account_service`, as a function
//! wires it, with the stack's known secret and an SES identity created in moto.

use shared::domain::{PlanCatalog, TenantId};
use shared::services::accounts::{RegisterRequest, TokenRequest};
use shared::services::views::SessionView;
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

/// The password every test account is registered with.
pub const PASSWORD: &str = "correct horse battery";

/// An address no other test uses: `<tag>-<ulid>@example.com`, lower case.
pub fn unique_email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

async fn register(accounts: &AccountService, email: &str, tenant_name: &str) -> SessionView {
    accounts
        .register(
            RegisterRequest {
                email: email.into(),
                password: PASSWORD.into(),
                tenant_name: tenant_name.into(),
            },
            "127.0.0.1",
        )
        .await
        .expect("registered")
}

/// Registers a new tenant (unique e-mail) through the service; its access token and id.
pub async fn signup(accounts: &AccountService, tenant_name: &str) -> (String, TenantId) {
    let session = register(
        accounts,
        &format!("{}@example.com", ulid::Ulid::new()),
        tenant_name,
    )
    .await;
    (session.access_token, session.tenant.id)
}

/// Registers `email` as the admin of a new tenant and opens the link of the verification
/// mail that moto holds, as the user would; the session of the registration.
pub async fn verified_signup(
    stack: &TestStack,
    accounts: &AccountService,
    email: &str,
    tenant_name: &str,
) -> SessionView {
    let session = register(accounts, email, tenant_name).await;
    let token = crate::mail::token_from_last_mail(&stack.endpoint, email, "verify-email")
        .expect("verification mail");
    accounts
        .verify_email(TokenRequest { token })
        .await
        .expect("verified through the mailed link");
    session
}
