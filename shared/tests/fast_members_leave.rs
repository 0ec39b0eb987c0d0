//! Leaving means leaving (issue 17, point 2), on the in-memory store: a removed, departed or
//! demoted member's sockets close, a removed member gets no ticket and no connection, a demoted
//! admin loses admin rights at once, and invitations are listed, revoked, counted, limited
//! per day and sent by verified admins only.

mod support;

use std::sync::Arc;

use chrono::Duration;
use shared::domain::Role;
use shared::ports::{Clock, Connection, ConnectionStore};
use shared::services::AuthLimits;
use shared::services::accounts::{
    InviteRequest, PasswordConfirmation, RoleRequest, TokenPasswordRequest,
};
use shared::services::live::LiveConnections;
use shared::services::views::SessionView;
use support::*;

async fn open_socket(a: &Accounts, session: &SessionView, id: &str) {
    let now = a.clock.now();
    a.store
        .put_connection(&Connection {
            id: id.into(),
            tenant: session.tenant.id,
            user: session.user.id,
            connected_at: now,
            expires_at: now + Connection::MAX_LIFETIME,
        })
        .await
        .unwrap();
}

async fn open_ids(a: &Accounts, session: &SessionView) -> Vec<String> {
    let open = a.store.connections(session.tenant.id, a.clock.now()).await;
    open.unwrap().into_iter().map(|c| c.id).collect()
}

async fn no_pending_invitations(a: &Accounts, session: &SessionView) -> bool {
    let listed = a.service.invitations(principal(session)).await.unwrap();
    listed.items.is_empty()
}

fn invitation(email: &str) -> InviteRequest {
    InviteRequest {
        email: email.into(),
        role: Role::Member,
    }
}

#[tokio::test]
async fn a_removed_member_loses_their_sockets_their_ticket_and_any_new_connection() {
    let a = accounts();
    let admin = register_verified(&a, "admin@example.com").await;
    let member = invite_and_accept(&a, &admin, "leaver@example.com", Role::Member).await;
    open_socket(&a, &admin, "admin-tab").await;
    open_socket(&a, &member, "member-tab-1").await;
    open_socket(&a, &member, "member-tab-2").await;
    let ticket = a.service.ws_ticket(principal(&member)).await.unwrap();

    a.service
        .remove_member(principal(&admin), &member.user.id.to_string())
        .await
        .unwrap();
    let mut closed = a.sockets.closed();
    closed.sort();
    assert_eq!(closed, ["member-tab-1", "member-tab-2"]);
    assert_eq!(
        open_ids(&a, &admin).await,
        ["admin-tab"],
        "pushes reach only the admin"
    );

    // Their access token still verifies for a few minutes: no new ticket with it…
    assert_eq!(
        code(a.service.ws_ticket(principal(&member)).await),
        "unauthorized"
    );
    // …and the ticket they took before the removal opens nothing.
    let store = Arc::new(a.store.clone());
    let live = LiveConnections {
        tokens: store.clone(),
        connections: store.clone(),
        accounts: store,
        max_per_tenant: shared::services::live::DEFAULT_MAX_SOCKETS_PER_TENANT,
    };
    let refused = live
        .connect("member-tab-3", Some(&ticket.ticket), a.clock.now())
        .await;
    assert_eq!(code(refused), "unauthorized");
    assert_eq!(open_ids(&a, &admin).await, ["admin-tab"]);
}

#[tokio::test]
async fn a_member_who_leaves_loses_their_sockets_and_sessions() {
    let a = accounts();
    let admin = register_verified(&a, "admin@example.com").await;
    let member = invite_and_accept(&a, &admin, "leaver@example.com", Role::Member).await;
    open_socket(&a, &admin, "admin-tab").await;
    open_socket(&a, &member, "member-tab-1").await;
    open_socket(&a, &member, "member-tab-2").await;

    a.service
        .delete_me(
            principal(&member),
            PasswordConfirmation {
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let mut closed = a.sockets.closed();
    closed.sort();
    assert_eq!(closed, ["member-tab-1", "member-tab-2"]);
    assert_eq!(open_ids(&a, &admin).await, ["admin-tab"]);
    assert_eq!(
        code(a.service.refresh(refresh(&member.refresh_token)).await),
        "unauthorized",
        "deleting the user item ended the session"
    );
    assert_eq!(
        code(a.service.ws_ticket(principal(&member)).await),
        "unauthorized"
    );
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_rights_and_sockets_at_once() {
    let a = accounts();
    let owner = register_verified(&a, "owner@example.com").await;
    let deputy = invite_and_accept(&a, &owner, "deputy@example.com", Role::Admin).await;
    open_socket(&a, &deputy, "deputy-tab").await;
    a.service
        .change_role(
            principal(&owner),
            &deputy.user.id.to_string(),
            RoleRequest { role: Role::Member },
        )
        .await
        .unwrap();
    assert_eq!(a.sockets.closed(), ["deputy-tab"]);
    assert!(open_ids(&a, &owner).await.is_empty());

    // Their token still says admin; the store no longer does.
    let stale = principal(&deputy);
    assert_eq!(stale.role, Role::Admin);
    let as_admin = a
        .service
        .invite(
            stale,
            InviteRequest {
                email: "mailbox-they-own@example.com".into(),
                role: Role::Admin,
            },
        )
        .await;
    assert_eq!(code(as_admin), "forbidden");
    assert_eq!(code(a.service.members(stale).await), "forbidden");
    assert_eq!(code(a.service.invitations(stale).await), "forbidden");
    assert!(a.mailer.take_sent().is_empty(), "no invitation was mailed");
}

#[tokio::test]
async fn invitations_are_listed_revoked_and_another_tenants_are_not_found() {
    let a = accounts();
    let admin = register_verified(&a, "admin@example.com").await;
    let other = register_verified(&a, "other@example.com").await;
    let sent = a
        .service
        .invite(principal(&admin), invitation("new@example.com"))
        .await
        .unwrap();
    let link = token_in(&a.mailer.take_sent().pop().unwrap().text);
    let listed = a.service.invitations(principal(&admin)).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, sent.id);
    assert_eq!(listed.items[0].email, "new@example.com");
    assert!(no_pending_invitations(&a, &other).await);

    assert_eq!(
        code(
            a.service
                .revoke_invitation(principal(&other), &sent.id)
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code(a.service.revoke_invitation(principal(&admin), "../x").await),
        "not_found"
    );
    a.service
        .revoke_invitation(principal(&admin), &sent.id)
        .await
        .expect("revoked");
    assert!(no_pending_invitations(&a, &admin).await);
    let accepted = a
        .service
        .accept_invitation(TokenPasswordRequest {
            token: link,
            password: PASSWORD.into(),
        })
        .await;
    assert_eq!(code(accepted), "validation_failed", "the link died with it");

    // An accepted invitation leaves the list too.
    invite_and_accept(&a, &admin, "joined@example.com", Role::Member).await;
    assert!(no_pending_invitations(&a, &admin).await);
    // Expired ones are not pending.
    a.service
        .invite(principal(&admin), invitation("late@example.com"))
        .await
        .unwrap();
    a.clock.advance(Duration::days(8));
    assert!(no_pending_invitations(&a, &admin).await);
}

#[tokio::test]
async fn a_tenant_sends_a_limited_number_of_invitations_a_day() {
    let a = accounts_with(AuthLimits {
        invitations_per_day: 2,
        ..AuthLimits::default()
    });
    let admin = register_verified(&a, "admin@example.com").await;
    for email in ["one@example.com", "two@example.com"] {
        let sent = a.service.invite(principal(&admin), invitation(email)).await;
        a.service
            .revoke_invitation(principal(&admin), &sent.unwrap().id)
            .await
            .unwrap();
    }
    let third = a
        .service
        .invite(principal(&admin), invitation("three@example.com"))
        .await;
    assert_eq!(
        code(third),
        "rate_limited",
        "revoking does not give mail back"
    );
    assert_eq!(a.mailer.take_sent().len(), 2);
    a.clock.advance(Duration::days(1));
    a.service
        .invite(principal(&admin), invitation("three@example.com"))
        .await
        .expect("the next day");
}

#[tokio::test]
async fn only_a_verified_admin_invites_and_the_link_can_be_sent_again_a_few_times() {
    let a = accounts();
    let admin = register(&a, "new-admin@example.com").await;
    a.mailer.take_sent();
    let refused = a
        .service
        .invite(principal(&admin), invitation("friend@example.com"))
        .await;
    assert_eq!(code(refused), "email_unverified");
    assert!(a.mailer.take_sent().is_empty());

    for _ in 0..3 {
        a.service
            .resend_verification(principal(&admin))
            .await
            .unwrap();
    }
    assert_eq!(
        code(a.service.resend_verification(principal(&admin)).await),
        "rate_limited"
    );
    let mails = a.mailer.take_sent();
    assert_eq!(mails.len(), 3);
    a.service
        .verify_email(shared::services::accounts::TokenRequest {
            token: token_in(&mails[2].text),
        })
        .await
        .expect("the resent link verifies");
    a.service
        .invite(principal(&admin), invitation("friend@example.com"))
        .await
        .expect("verified admins invite");
    a.clock.advance(Duration::hours(1));
    a.service
        .resend_verification(principal(&admin))
        .await
        .unwrap();
    assert!(
        a.mailer
            .take_sent()
            .iter()
            .all(|m| !m.text.contains("verify-email")),
        "a verified address gets no new link"
    );
}
