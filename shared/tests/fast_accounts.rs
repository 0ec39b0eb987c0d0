//! The account use cases (sessions, recovery, members, tenant) on the in-memory store:
//! fast tier, no moto. Each test asserts the answer and what was stored or sent.

mod support;

use shared::auth::Principal;
use shared::domain::{Email, Role};
use shared::http::ApiError;
use shared::ports::{AccountStore, TenantReader, TokenPurpose};
use shared::services::AuthLimits;
use shared::services::accounts::{
    ForgotRequest, InviteRequest, RegisterRequest, RenameTenantRequest, RoleRequest,
    TokenPasswordRequest, TokenRequest,
};
use support::*;

#[tokio::test]
async fn registration_creates_the_admin_and_mails_a_verification_link_that_works_once() {
    let a = accounts();
    let session = register(&a, "ann@example.com").await;
    assert_eq!(session.user.role, Role::Admin);
    assert!(!session.user.email_verified);
    let mails = a.mailer.take_sent();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to.as_str(), "ann@example.com");
    assert!(
        mails[0]
            .text
            .contains("https://app.example.com/verify-email?token=")
    );

    let token = token_in(&mails[0].text);
    a.service
        .verify_email(TokenRequest {
            token: token.clone(),
        })
        .await
        .expect("verified");
    let user = a
        .store
        .get_user(session.tenant.id, session.user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified);
    assert_eq!(
        code(a.service.verify_email(TokenRequest { token }).await),
        "validation_failed",
        "the link works once"
    );
}

#[tokio::test]
async fn an_expired_verification_link_is_refused() {
    let a = accounts();
    let session = register(&a, "exp@example.com").await;
    let token = token_in(&a.mailer.take_sent()[0].text);
    for hash in a.store.token_hashes(TokenPurpose::VerifyEmail) {
        a.store.expire_token(&hash);
    }
    assert_eq!(
        code(a.service.verify_email(TokenRequest { token }).await),
        "validation_failed"
    );
    let user = a
        .store
        .get_user(session.tenant.id, session.user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!user.email_verified);
}

#[tokio::test]
async fn the_same_address_in_another_letter_case_cannot_register_again() {
    let a = accounts();
    let first = register(&a, "bob@example.com").await;
    let again = a
        .service
        .register(
            RegisterRequest {
                email: "BOB@Example.com".into(),
                password: PASSWORD.into(),
                tenant_name: "Other".into(),
            },
            IP,
        )
        .await;
    assert_eq!(code(again), "conflict");
    let owner = a
        .store
        .find_user_by_email(&Email::parse("bob@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.tenant_id, first.tenant.id);
    assert_eq!(a.mailer.take_sent().len(), 1, "no mail for the refused one");
}

#[tokio::test]
async fn login_checks_the_password_in_any_letter_case_of_the_address() {
    let a = accounts();
    register(&a, "cat@example.com").await;
    assert_eq!(
        code(
            a.service
                .login(login("cat@example.com", "wrong password!"), IP)
                .await
        ),
        "unauthorized"
    );
    assert_eq!(
        code(
            a.service
                .login(login("nobody@example.com", PASSWORD), IP)
                .await
        ),
        "unauthorized"
    );
    let session = a
        .service
        .login(login("Cat@Example.com", PASSWORD), IP)
        .await
        .expect("logged in, address in any case");
    assert_eq!(session.user.email, "cat@example.com");
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_whole_family() {
    let a = accounts();
    let first = register(&a, "dan@example.com").await;
    let second = a
        .service
        .refresh(refresh(&first.refresh_token))
        .await
        .expect("rotated");
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.user.id, first.user.id);

    // The spent token comes back: a copy is being replayed.
    assert_eq!(
        code(a.service.refresh(refresh(&first.refresh_token)).await),
        "unauthorized"
    );
    // ... and the family is revoked, so the legitimate next token is dead too.
    assert_eq!(
        code(a.service.refresh(refresh(&second.refresh_token)).await),
        "unauthorized"
    );
    // Another login is a new family.
    let other = a
        .service
        .login(login("dan@example.com", PASSWORD), IP)
        .await
        .unwrap();
    a.service
        .refresh(refresh(&other.refresh_token))
        .await
        .expect("a new family is unaffected");
    assert_eq!(code(a.service.refresh(refresh("")).await), "unauthorized");
    assert_eq!(
        code(a.service.refresh(refresh("never-issued")).await),
        "unauthorized"
    );
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let a = accounts();
    let session = register(&a, "eve@example.com").await;
    a.service
        .logout(refresh(&session.refresh_token))
        .await
        .unwrap();
    assert_eq!(
        code(a.service.refresh(refresh(&session.refresh_token)).await),
        "unauthorized"
    );
    // Unknown tokens are ignored.
    a.service.logout(refresh("never-issued")).await.unwrap();
}

#[tokio::test]
async fn forgot_and_reset_password_replace_it_spend_the_link_and_end_every_session() {
    let a = accounts();
    let session = register(&a, "fay@example.com").await;
    a.mailer.take_sent();

    // Unknown addresses get the same answer and no mail.
    a.service
        .forgot_password(
            ForgotRequest {
                email: "nobody@example.com".into(),
            },
            IP,
        )
        .await
        .unwrap();
    assert!(a.mailer.take_sent().is_empty());

    a.service
        .forgot_password(
            ForgotRequest {
                email: "FAY@example.com".into(),
            },
            IP,
        )
        .await
        .unwrap();
    let mail = a.mailer.take_sent().pop().expect("a reset mail");
    assert!(mail.text.contains("/reset-password?token="));
    let token = token_in(&mail.text);

    let new_password = "a brand new passphrase";
    a.service
        .reset_password(TokenPasswordRequest {
            token: token.clone(),
            password: new_password.into(),
        })
        .await
        .expect("reset");
    assert_eq!(
        code(a.service.refresh(refresh(&session.refresh_token)).await),
        "unauthorized",
        "every session ends"
    );
    assert_eq!(
        code(
            a.service
                .login(login("fay@example.com", PASSWORD), IP)
                .await
        ),
        "unauthorized"
    );
    a.service
        .login(login("fay@example.com", new_password), IP)
        .await
        .expect("the new password works");
    assert_eq!(
        code(
            a.service
                .reset_password(TokenPasswordRequest {
                    token,
                    password: "yet another passphrase".into(),
                })
                .await
        ),
        "validation_failed",
        "the link works once"
    );
}

#[tokio::test]
async fn an_invitation_adds_a_verified_member_once() {
    let a = accounts();
    let admin = register_verified(&a, "gus@example.com").await;
    a.mailer.take_sent();
    a.service
        .invite(
            principal(&admin),
            InviteRequest {
                email: "hal@example.com".into(),
                role: Role::Member,
            },
        )
        .await
        .unwrap();
    let mail = a.mailer.take_sent().pop().unwrap();
    assert!(mail.subject.contains("Acme"));
    let token = token_in(&mail.text);
    let member = a
        .service
        .accept_invitation(TokenPasswordRequest {
            token: token.clone(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    assert_eq!(member.tenant.id, admin.tenant.id);
    assert_eq!(member.user.role, Role::Member);
    assert!(member.user.email_verified);
    assert_eq!(
        code(
            a.service
                .accept_invitation(TokenPasswordRequest {
                    token,
                    password: PASSWORD.into(),
                })
                .await
        ),
        "validation_failed"
    );
    let members = a.service.members(principal(&admin)).await.unwrap();
    assert_eq!(members.items.len(), 2);
    assert_eq!(a.store.member_counts(admin.tenant.id), Some((2, 1)));
    // An existing address cannot be invited again.
    assert_eq!(
        code(
            a.service
                .invite(
                    principal(&admin),
                    InviteRequest {
                        email: "HAL@example.com".into(),
                        role: Role::Member,
                    },
                )
                .await
        ),
        "conflict"
    );
    // Members cannot invite or list.
    assert_eq!(
        code(
            a.service
                .invite(
                    principal(&member),
                    InviteRequest {
                        email: "ivy@example.com".into(),
                        role: Role::Member,
                    },
                )
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        code(a.service.members(principal(&member)).await),
        "forbidden"
    );
}

#[tokio::test]
async fn the_plan_member_limit_counts_pending_invitations() {
    let a = accounts();
    let admin = register_verified(&a, "jay@example.com").await;
    let invite = |email: &str| {
        a.service.invite(
            principal(&admin),
            InviteRequest {
                email: email.into(),
                role: Role::Member,
            },
        )
    };
    // The free plan allows 3 members: the admin and two pending invitations fill it.
    let mut tokens = Vec::new();
    for email in ["k1@example.com", "k2@example.com"] {
        invite(email).await.expect("within the limit");
        tokens.push(token_in(&a.mailer.take_sent().pop().unwrap().text));
    }
    assert_eq!(
        code(invite("k3@example.com").await),
        "plan_limit",
        "a third pending invitation would overfill the tenant"
    );
    assert!(a.mailer.take_sent().is_empty(), "nothing mailed");
    for token in &tokens {
        a.service
            .accept_invitation(TokenPasswordRequest {
                token: token.clone(),
                password: PASSWORD.into(),
            })
            .await
            .unwrap();
    }
    assert_eq!(a.store.member_counts(admin.tenant.id), Some((3, 1)));
    assert_eq!(
        code(invite("k4@example.com").await),
        "plan_limit",
        "and a full tenant cannot invite"
    );
}

#[tokio::test]
async fn roles_change_but_the_last_admin_stays() {
    let a = accounts();
    let admin = register_verified(&a, "lea@example.com").await;
    a.mailer.take_sent();
    let admin_id = admin.user.id.to_string();
    assert_eq!(
        code(
            a.service
                .change_role(
                    principal(&admin),
                    &admin_id,
                    RoleRequest { role: Role::Member }
                )
                .await
        ),
        "conflict"
    );
    assert_eq!(
        code(a.service.remove_member(principal(&admin), &admin_id).await),
        "conflict"
    );
    let member = invite_and_accept(&a, &admin, "max@example.com", Role::Member).await;
    let member_id = member.user.id.to_string();
    let promoted = a
        .service
        .change_role(
            principal(&admin),
            &member_id,
            RoleRequest { role: Role::Admin },
        )
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    a.service
        .change_role(
            principal(&admin),
            &admin_id,
            RoleRequest { role: Role::Member },
        )
        .await
        .expect("another admin exists now");
    assert_eq!(a.store.member_counts(admin.tenant.id), Some((2, 1)));
    let stored = a
        .store
        .get_user(admin.tenant.id, admin.user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.role, Role::Member);
    // Garbage and other tenants' ids answer like missing ones.
    assert_eq!(
        code(
            a.service
                .change_role(
                    Principal {
                        role: Role::Admin,
                        ..principal(&member)
                    },
                    "not-an-id",
                    RoleRequest { role: Role::Admin }
                )
                .await
        ),
        "not_found"
    );
}

#[tokio::test]
async fn removing_a_member_frees_the_address_and_ends_their_sessions() {
    let a = accounts();
    let admin = register_verified(&a, "ned@example.com").await;
    a.mailer.take_sent();
    let member = invite_and_accept(&a, &admin, "ola@example.com", Role::Member).await;
    a.service
        .remove_member(principal(&admin), &member.user.id.to_string())
        .await
        .unwrap();
    assert_eq!(
        code(a.service.refresh(refresh(&member.refresh_token)).await),
        "unauthorized"
    );
    assert!(
        a.store
            .find_user_by_email(&Email::parse("ola@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(a.store.member_counts(admin.tenant.id), Some((1, 1)));
}

#[tokio::test]
async fn the_tenant_is_renamed_by_admins_and_shows_its_usage() {
    let a = accounts();
    let admin = register_verified(&a, "pam@example.com").await;
    a.mailer.take_sent();
    let renamed = a
        .service
        .rename_tenant(
            principal(&admin),
            RenameTenantRequest {
                name: "  Acme Two ".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Acme Two");
    let stored = a.store.get_tenant(admin.tenant.id).await.unwrap().unwrap();
    assert_eq!(stored.name.as_str(), "Acme Two");
    let member = invite_and_accept(&a, &admin, "quin@example.com", Role::Member).await;
    assert_eq!(
        code(
            a.service
                .rename_tenant(
                    principal(&member),
                    RenameTenantRequest {
                        name: "Mine".into()
                    }
                )
                .await
        ),
        "forbidden"
    );
    let detail = a.service.tenant(principal(&member)).await.unwrap();
    assert_eq!(detail.usage.scored_jobs, 0);
    assert_eq!(detail.usage.limit, 50);
    assert_eq!(detail.limits.max_members, Some(3));
}

#[tokio::test]
async fn ws_tickets_are_rate_limited_per_user() {
    let a = accounts_with(AuthLimits {
        tickets_per_minute: 3,
        ..AuthLimits::default()
    });
    let alice = principal(&register(&a, "alice@example.com").await);
    let bob = principal(&register(&a, "bob@example.com").await);
    for _ in 0..3 {
        a.service.ws_ticket(alice).await.expect("within the limit");
    }
    let refused: ApiError = a.service.ws_ticket(alice).await.unwrap_err().into();
    assert!(
        matches!(refused, ApiError::RateLimited { retry_after_secs } if retry_after_secs > 0),
        "{refused:?}"
    );
    a.service
        .ws_ticket(bob)
        .await
        .expect("another user has their own limit");
}
