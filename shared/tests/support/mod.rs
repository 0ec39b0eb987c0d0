//! The account service on the in-memory store, as the fast account tests build it, and the
//! steps they share (register, log in, invite and accept).
#![allow(dead_code)]

use std::sync::Arc;

use chrono::Utc;
use shared::adapters::MemoryStore;
use shared::adapters::memory::{MemoryMailer, RecordingSockets};
use shared::auth::{PasswordHasher, Principal, TokenIssuer};
use shared::domain::{PlanCatalog, Role};
use shared::http::ApiError;
use shared::ports::FixedClock;
use shared::services::accounts::{
    InviteRequest, LoginRequest, RefreshRequest, RegisterRequest, TokenPasswordRequest,
    TokenRequest,
};
use shared::services::views::SessionView;
use shared::services::{AccountService, AuthLimits};

pub const PASSWORD: &str = "correct horse battery";
pub const IP: &str = "192.0.2.1";

pub struct Accounts {
    pub service: AccountService,
    pub store: MemoryStore,
    pub mailer: Arc<MemoryMailer>,
    /// Stands at the real time when the service is built; tests move it on.
    pub clock: Arc<FixedClock>,
    pub sockets: Arc<RecordingSockets>,
}

pub fn accounts_with(limits: AuthLimits) -> Accounts {
    let store = MemoryStore::new();
    let mailer = Arc::new(MemoryMailer::default());
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let sockets = Arc::new(RecordingSockets::default());
    let shared = Arc::new(store.clone());
    let service = AccountService {
        accounts: shared.clone(),
        tenants: shared.clone(),
        usage: shared.clone(),
        sessions: shared.clone(),
        tokens: shared.clone(),
        invitations: shared.clone(),
        connections: shared.clone(),
        sockets: sockets.clone(),
        limiter: shared.clone(),
        failures: shared,
        mailer: mailer.clone(),
        passwords: PasswordHasher::owasp(),
        issuer: TokenIssuer::new(&[9u8; 32]).expect("32-byte key"),
        plans: PlanCatalog::builtin(),
        app_url: "https://app.example.com".into(),
        limits,
        clock: clock.clone(),
    };
    Accounts {
        service,
        store,
        mailer,
        clock,
        sockets,
    }
}

pub fn accounts() -> Accounts {
    accounts_with(AuthLimits::default())
}

/// The error's API code, whatever error type the use case returns.
pub fn code<T: std::fmt::Debug, E: Into<ApiError>>(result: Result<T, E>) -> &'static str {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(e) => e.into().code(),
    }
}

/// The token of the link in a mail (`…?token=<secret>`).
pub fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

pub fn principal(session: &SessionView) -> Principal {
    Principal {
        tenant: session.tenant.id,
        user: session.user.id,
        role: session.user.role,
    }
}

pub async fn register(a: &Accounts, email: &str) -> SessionView {
    a.service
        .register(
            RegisterRequest {
                email: email.into(),
                password: PASSWORD.into(),
                tenant_name: "Acme".into(),
            },
            IP,
        )
        .await
        .expect("registered")
}

/// Registers `email` and opens the verification link mailed to it (other mails sent so
/// far are dropped).
pub async fn register_verified(a: &Accounts, email: &str) -> SessionView {
    let session = register(a, email).await;
    let mail = a
        .mailer
        .take_sent()
        .into_iter()
        .rfind(|m| m.to.as_str() == email && m.text.contains("verify-email"))
        .expect("a verification mail");
    a.service
        .verify_email(TokenRequest {
            token: token_in(&mail.text),
        })
        .await
        .expect("verified");
    session
}

pub fn refresh(token: &str) -> RefreshRequest {
    RefreshRequest {
        refresh_token: token.into(),
    }
}

pub fn login(email: &str, password: &str) -> LoginRequest {
    LoginRequest {
        email: email.into(),
        password: password.into(),
    }
}

/// Invites `email` as `role` and accepts; the new member's session.
pub async fn invite_and_accept(
    a: &Accounts,
    admin: &SessionView,
    email: &str,
    role: Role,
) -> SessionView {
    a.service
        .invite(
            principal(admin),
            InviteRequest {
                email: email.into(),
                role,
            },
        )
        .await
        .expect("invited");
    let mail = a.mailer.take_sent().pop().expect("an invitation mail");
    assert_eq!(mail.to.as_str(), email);
    a.service
        .accept_invitation(TokenPasswordRequest {
            token: token_in(&mail.text),
            password: PASSWORD.into(),
        })
        .await
        .expect("accepted")
}
