//! Ending every session at once (issue 17, point 1), on the in-memory store: a password
//! reset, "sign out everywhere" and a member's removal each end 1,000+ sessions with a
//! bounded number of store calls, and every one of their refresh tokens is refused after.

mod support;

use chrono::Duration;
use shared::auth::{OpaqueSecret, hash_secret};
use shared::domain::Role;
use shared::ports::{Clock, SessionGrant, SessionStore};
use shared::services::accounts::{ForgotRequest, TokenPasswordRequest};
use shared::services::views::SessionView;
use support::*;

const SESSIONS: usize = 1_200;

/// Opens `SESSIONS` sessions of the user of `session`, as that many logins would (an
/// attacker who knows the password); their refresh tokens.
async fn open_sessions(a: &Accounts, session: &SessionView) -> Vec<String> {
    let mut tokens = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let secret = OpaqueSecret::generate();
        let grant = SessionGrant {
            tenant: session.tenant.id,
            user: session.user.id,
            family: ulid::Ulid::new().to_string(),
            generation: 0,
        };
        a.store
            .start_session(
                &grant,
                &hash_secret(secret.expose()),
                a.clock.now() + Duration::days(30),
            )
            .await
            .expect("session started");
        tokens.push(secret.expose().to_owned());
    }
    tokens
}

/// How many of `tokens` still refresh.
async fn still_refreshing(a: &Accounts, tokens: &[String]) -> usize {
    let mut live = 0;
    for token in tokens {
        if a.service.refresh(refresh(token)).await.is_ok() {
            live += 1;
        }
    }
    live
}

/// The store calls `work` makes.
async fn store_calls<T>(a: &Accounts, work: impl std::future::Future<Output = T>) -> (T, u64) {
    let before = a.store.requests();
    let out = work.await;
    (out, a.store.requests() - before)
}

#[tokio::test]
async fn a_password_reset_ends_every_session_in_one_write_however_many_there_are() {
    let a = accounts();
    let owner = register(&a, "victim@example.com").await;
    let tokens = open_sessions(&a, &owner).await;
    assert_eq!(
        still_refreshing(&a, &tokens[..3]).await,
        3,
        "sessions are live"
    );
    a.service
        .forgot_password(
            ForgotRequest {
                email: "victim@example.com".into(),
            },
            IP,
        )
        .await
        .unwrap();
    let link = token_in(&a.mailer.take_sent().pop().expect("reset mail").text);

    let (reset, calls) = store_calls(
        &a,
        a.service.reset_password(TokenPasswordRequest {
            token: link,
            password: "a brand new passphrase".into(),
        }),
    )
    .await;
    reset.expect("reset");
    // Read the token, read the user, one transaction: independent of the 1,200 sessions.
    assert!(calls <= 3, "{calls} store calls for the reset");
    assert_eq!(still_refreshing(&a, &tokens).await, 0);
    a.service
        .login(login("victim@example.com", "a brand new passphrase"), IP)
        .await
        .expect("the new password opens a new session");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_caller_and_no_one_elses() {
    let a = accounts();
    let owner = register(&a, "owner@example.com").await;
    let other = register(&a, "other@example.com").await;
    let tokens = open_sessions(&a, &owner).await;

    let (out, calls) = store_calls(&a, a.service.logout_all(principal(&owner))).await;
    out.expect("signed out everywhere");
    assert_eq!(calls, 1, "one write, not one per session");
    assert_eq!(still_refreshing(&a, &tokens).await, 0);
    assert_eq!(
        code(a.service.refresh(refresh(&owner.refresh_token)).await),
        "unauthorized",
        "the caller's own session ends too"
    );
    a.service
        .refresh(refresh(&other.refresh_token))
        .await
        .expect("another user's session is untouched");
    let again = a
        .service
        .login(login("owner@example.com", PASSWORD), IP)
        .await
        .expect("signing in again works");
    a.service
        .refresh(refresh(&again.refresh_token))
        .await
        .expect("and the new session refreshes");
}

#[tokio::test]
async fn removing_a_member_ends_every_session_of_theirs_in_one_transaction() {
    let a = accounts();
    let admin = register_verified(&a, "admin@example.com").await;
    let member = invite_and_accept(&a, &admin, "leaver@example.com", Role::Member).await;
    let tokens = open_sessions(&a, &member).await;

    let (out, calls) = store_calls(
        &a,
        a.service
            .remove_member(principal(&admin), &member.user.id.to_string()),
    )
    .await;
    out.expect("removed");
    assert!(calls <= 4, "{calls} store calls for the removal");
    assert_eq!(still_refreshing(&a, &tokens).await, 0);
    assert_eq!(
        code(a.service.refresh(refresh(&member.refresh_token)).await),
        "unauthorized"
    );
}
