//! api-tenant (with api-auth for sign-up and invitations) through real-shaped events,
//! against moto. Covers roles, the last-admin rule, plan limits and tenant isolation.

mod common;

use common::{PASSWORD, tenant_app};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{unique_email, verified_signup};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::mail::token_from_last_mail;
use serde_json::{Value, json};
use shared::services::AccountService;

async fn tenant_call(app: &api_tenant::App, event: HttpEvent) -> (u16, Value) {
    parts(api_tenant::handle(app, event.request()).await)
}

async fn auth_call(app: &AccountService, event: HttpEvent) -> (u16, Value) {
    parts(api_auth::handle(app, event.request()).await)
}

struct Account {
    access: String,
    refresh: String,
    user_id: String,
    email: String,
}

fn account(session: &Value, email: &str) -> Account {
    Account {
        access: session["accessToken"].as_str().unwrap().to_owned(),
        refresh: session["refreshToken"].as_str().unwrap().to_owned(),
        user_id: session["user"]["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
    }
}

async fn register(app: &api_tenant::App, name: &str) -> Account {
    let email = unique_email(name);
    let (status, session) = auth_call(
        app,
        HttpEvent::new("POST", "/v1/auth/register")
            .json(&json!({"email": email, "password": PASSWORD, "tenantName": name})),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    account(&session, &email)
}

/// Registers and opens the mailed verification link: only a verified admin may invite.
async fn register_verified(stack: &TestStack, app: &api_tenant::App, name: &str) -> Account {
    let email = unique_email(name);
    let session = verified_signup(stack, &app.accounts, &email, name).await;
    Account {
        access: session.access_token,
        refresh: session.refresh_token,
        user_id: session.user.id.to_string(),
        email,
    }
}

/// Invites `role` into the admin's tenant and accepts through the mailed link.
async fn invite_and_join(
    stack: &TestStack,
    app: &api_tenant::App,
    admin: &Account,
    role: &str,
) -> Account {
    let email = unique_email(role);
    let (status, body) = tenant_call(
        app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&admin.access)
            .json(&json!({"email": email, "role": role})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["role"], role);
    let token = token_from_last_mail(&stack.endpoint, &email, "accept-invitation")
        .expect("invitation mail");
    let (status, session) = auth_call(
        app,
        HttpEvent::new("POST", "/v1/auth/invitations/accept")
            .json(&json!({"token": token, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user"]["role"], role);
    assert_eq!(session["user"]["emailVerified"], true);
    account(&session, &email)
}

/// The member's refresh token is dead and their password no longer signs in.
async fn assert_signed_out_for_good(app: &api_tenant::App, member: &Account) {
    let (status, _) = auth_call(
        app,
        HttpEvent::new("POST", "/v1/auth/refresh").json(&json!({"refreshToken": member.refresh})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = auth_call(
        app,
        HttpEvent::new("POST", "/v1/auth/login")
            .json(&json!({"email": member.email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 401);
}

fn member_path(user: &str) -> String {
    format!("/v1/tenant/members/{user}")
}

#[tokio::test]
async fn tenant_shows_plan_usage_and_limits_and_only_admins_rename_it() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let admin = register_verified(&stack, &app, "Acme").await;
    let (status, tenant) = tenant_call(
        &app,
        HttpEvent::new("GET", "/v1/tenant").bearer(&admin.access),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(tenant["name"], "Acme");
    assert_eq!(tenant["plan"], "free");
    assert_eq!(tenant["usage"]["scoredJobs"], 0);
    assert_eq!(tenant["usage"]["limit"], 50);
    assert_eq!(tenant["usage"]["period"].as_str().unwrap().len(), 7);
    assert_eq!(
        tenant["limits"],
        json!({"monthlyScoredJobs": 50, "maxSources": 3, "fetchIntervalMinutes": 1440, "maxMembers": 3})
    );

    let rename = |token: &str, body: Value| {
        HttpEvent::new("PATCH", "/v1/tenant")
            .bearer(token)
            .json(&body)
    };
    let (status, renamed) =
        tenant_call(&app, rename(&admin.access, json!({"name": "Acme Talent"}))).await;
    assert_eq!(
        (status, renamed["name"].clone()),
        (200, json!("Acme Talent"))
    );
    assert_eq!(
        tenant_call(&app, rename(&admin.access, json!({"name": ""})))
            .await
            .0,
        400
    );
    assert_eq!(
        tenant_call(
            &app,
            rename(&admin.access, json!({"name": "x", "plan": "pro"}))
        )
        .await
        .0,
        400
    );

    let member = invite_and_join(&stack, &app, &admin, "member").await;
    let (status, body) = tenant_call(&app, rename(&member.access, json!({"name": "Mine"}))).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "forbidden");
    // A member can read the tenant, not the member list.
    assert_eq!(
        tenant_call(
            &app,
            HttpEvent::new("GET", "/v1/tenant").bearer(&member.access)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        tenant_call(
            &app,
            HttpEvent::new("GET", "/v1/tenant/members").bearer(&member.access)
        )
        .await
        .0,
        403
    );
    assert_eq!(
        tenant_call(&app, HttpEvent::new("GET", "/v1/tenant"))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let admin = register_verified(&stack, &app, "Solo").await;
    let demote = |token: &str, user: &str| {
        HttpEvent::new("PATCH", &member_path(user))
            .bearer(token)
            .json(&json!({"role": "member"}))
    };
    let (status, body) = tenant_call(&app, demote(&admin.access, &admin.user_id)).await;
    assert_eq!(status, 409, "{body}");
    let remove =
        |token: &str, user: &str| HttpEvent::new("DELETE", &member_path(user)).bearer(token);
    assert_eq!(
        tenant_call(&app, remove(&admin.access, &admin.user_id))
            .await
            .0,
        409
    );

    // With a second admin, the first can step down; then the second is the last one.
    let second = invite_and_join(&stack, &app, &admin, "admin").await;
    assert_eq!(
        tenant_call(&app, demote(&admin.access, &admin.user_id))
            .await
            .0,
        200
    );
    assert_eq!(
        tenant_call(&app, demote(&second.access, &second.user_id))
            .await
            .0,
        409
    );
    assert_eq!(
        tenant_call(&app, remove(&second.access, &second.user_id))
            .await
            .0,
        409
    );

    let (_, members) = tenant_call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/members").bearer(&second.access),
    )
    .await;
    let roles: Vec<(String, String)> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_owned(),
                u["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            (admin.email.clone(), "member".into()),
            (second.email.clone(), "admin".into())
        ]
    );
    let (status, body) = tenant_call(
        &app,
        HttpEvent::new("PATCH", &member_path(&admin.user_id))
            .bearer(&second.access)
            .json(&json!({"role": "owner"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["role"].is_string(), "{body}");
}

#[tokio::test]
async fn removing_a_member_frees_the_email_and_ends_their_sessions() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let admin = register_verified(&stack, &app, "Team").await;
    let member = invite_and_join(&stack, &app, &admin, "member").await;
    let (status, _) = tenant_call(
        &app,
        HttpEvent::new("DELETE", &member_path(&member.user_id)).bearer(&admin.access),
    )
    .await;
    assert_eq!(status, 204);
    assert_signed_out_for_good(&app, &member).await;
    // The address can be invited again.
    let (status, _) = tenant_call(
        &app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&admin.access)
            .json(&json!({"email": member.email, "role": "member"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        tenant_call(
            &app,
            HttpEvent::new("DELETE", &member_path(&member.user_id)).bearer(&admin.access)
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn invitations_respect_the_plan_member_limit_and_existing_accounts() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let admin = register_verified(&stack, &app, "Small").await;
    invite_and_join(&stack, &app, &admin, "member").await;
    invite_and_join(&stack, &app, &admin, "member").await;
    // Free plan: 3 members.
    let (status, body) = tenant_call(
        &app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&admin.access)
            .json(&json!({"email": unique_email("fourth"), "role": "member"})),
    )
    .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"]["code"], "plan_limit");

    let other = register_verified(&stack, &app, "Other").await;
    let (status, _) = tenant_call(
        &app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&other.access)
            .json(&json!({"email": admin.email.to_uppercase(), "role": "member"})),
    )
    .await;
    assert_eq!(status, 409, "an address with an account cannot be invited");
}

#[tokio::test]
async fn another_tenant_gets_404_for_every_member_route_and_changes_nothing() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let a = register_verified(&stack, &app, "Alpha").await;
    let a_member = invite_and_join(&stack, &app, &a, "member").await;
    let b = register(&app, "Beta").await;

    for target in [&a.user_id, &a_member.user_id] {
        let (status, body) = tenant_call(
            &app,
            HttpEvent::new("PATCH", &member_path(target))
                .bearer(&b.access)
                .json(&json!({"role": "admin"})),
        )
        .await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
        let (status, _) = tenant_call(
            &app,
            HttpEvent::new("DELETE", &member_path(target)).bearer(&b.access),
        )
        .await;
        assert_eq!(status, 404);
    }
    assert_eq!(
        tenant_call(
            &app,
            HttpEvent::new("DELETE", &member_path("not-a-ulid")).bearer(&b.access)
        )
        .await
        .0,
        404
    );
    // B sees only its own tenant and members.
    let (_, tenant) =
        tenant_call(&app, HttpEvent::new("GET", "/v1/tenant").bearer(&b.access)).await;
    assert_eq!(tenant["name"], "Beta");
    let (_, members) = tenant_call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/members").bearer(&b.access),
    )
    .await;
    assert_eq!(members["items"].as_array().unwrap().len(), 1);
    assert_eq!(members["nextCursor"], Value::Null);
    // A is untouched.
    let (_, members) = tenant_call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/members").bearer(&a.access),
    )
    .await;
    let items = members["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .any(|u| u["id"] == a_member.user_id.as_str() && u["role"] == "member")
    );
    // B's rename does not touch A.
    tenant_call(
        &app,
        HttpEvent::new("PATCH", "/v1/tenant")
            .bearer(&b.access)
            .json(&json!({"name": "Renamed"})),
    )
    .await;
    let (_, tenant) =
        tenant_call(&app, HttpEvent::new("GET", "/v1/tenant").bearer(&a.access)).await;
    assert_eq!(tenant["name"], "Alpha");
}

#[tokio::test]
async fn invitations_are_listed_revoked_and_counted_and_only_verified_admins_send_them() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let invite = |admin: &Account, email: &str| {
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&admin.access)
            .json(&json!({"email": email, "role": "member"}))
    };
    let unverified = register(&app, "Fresh").await;
    let (status, body) = tenant_call(&app, invite(&unverified, &unique_email("x"))).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("email_unverified"))
    );

    let admin = register_verified(&stack, &app, "Inviting").await;
    let first = unique_email("first");
    let (status, sent) = tenant_call(&app, invite(&admin, &first)).await;
    assert_eq!(status, 201, "{sent}");
    let (status, second) = tenant_call(&app, invite(&admin, &unique_email("second"))).await;
    assert_eq!(status, 201, "{second}");
    // Free plan, 3 members: the admin and two pending invitations fill it.
    let (status, body) = tenant_call(&app, invite(&admin, &unique_email("third"))).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (402, json!("plan_limit"))
    );
    let (status, list) = tenant_call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/invitations").bearer(&admin.access),
    )
    .await;
    assert_eq!(status, 200);
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&sent["id"], &second["id"]]);
    assert_eq!(list["items"][0]["email"], first.as_str());

    let revoke = |token: &str, id: &Value| {
        HttpEvent::new(
            "DELETE",
            &format!("/v1/tenant/invitations/{}", id.as_str().unwrap()),
        )
        .bearer(token)
    };
    let outsider = register_verified(&stack, &app, "Outsider").await;
    assert_eq!(
        tenant_call(&app, revoke(&outsider.access, &sent["id"]))
            .await
            .0,
        404
    );
    let garbage = HttpEvent::new("DELETE", "/v1/tenant/invitations/nonsense").bearer(&admin.access);
    assert_eq!(tenant_call(&app, garbage).await.0, 404);
    let link = token_from_last_mail(&stack.endpoint, &first, "accept-invitation").unwrap();
    assert_eq!(
        tenant_call(&app, revoke(&admin.access, &sent["id"]))
            .await
            .0,
        204
    );
    assert_eq!(
        tenant_call(&app, revoke(&admin.access, &sent["id"]))
            .await
            .0,
        404
    );
    let (status, body) = auth_call(
        &app,
        HttpEvent::new("POST", "/v1/auth/invitations/accept")
            .json(&json!({"token": link, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 400, "a revoked link is refused: {body}");
    // The revoked seat is free again.
    assert_eq!(
        tenant_call(&app, invite(&admin, &unique_email("third")))
            .await
            .0,
        201
    );
}

/// Every route the template sends to this function is served by the handler.
#[tokio::test]
async fn every_template_route_reaches_a_handler() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let admin = register_verified(&stack, &app, "Routes").await;
    let (status, invitation) = tenant_call(
        &app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&admin.access)
            .json(&json!({"email": unique_email("route"), "role": "member"})),
    )
    .await;
    assert_eq!(status, 201, "{invitation}");
    jobmon_tests::assert_routes_match_template(
        "ApiTenantFunction",
        &shared::http::routes::keys(api_tenant::ROUTES),
    );
    let routes = jobmon_tests::template_routes("ApiTenantFunction");
    assert_eq!(routes.len(), 10);
    for (method, path) in routes {
        let path = path
            .replace("{userId}", &admin.user_id)
            .replace("{invitationId}", invitation["id"].as_str().unwrap());
        let (status, body) =
            tenant_call(&app, HttpEvent::new(&method, &path).bearer(&admin.access)).await;
        assert_ne!(status, 404, "{method} {path}: {body}");
        assert!(status < 500, "{method} {path}: {status} {body}");
    }
}

async fn delete_me(app: &api_tenant::App, who: &Account, password: Option<&str>) -> (u16, Value) {
    let mut event = HttpEvent::new("DELETE", "/v1/auth/me").bearer(&who.access);
    if let Some(password) = password {
        event = event.json(&json!({ "password": password }));
    }
    auth_call(app, event).await
}

#[tokio::test]
async fn members_delete_themselves_but_not_the_last_admin_nor_the_only_member() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let admin = register_verified(&stack, &app, "Leavers").await;

    let (status, body) = delete_me(&app, &admin, Some(PASSWORD)).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("DELETE /v1/tenant"),
        "{body}"
    );

    let member = invite_and_join(&stack, &app, &admin, "member").await;
    let (status, body) = delete_me(&app, &admin, Some(PASSWORD)).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("last admin")
    );
    let (status, body) = delete_me(&app, &member, Some("not my password")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("wrong_password"))
    );
    let (status, body) = delete_me(&app, &member, None).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = delete_me(&app, &member, Some("")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"]["password"].is_string(), "{body}");

    let (status, body) = delete_me(&app, &member, Some(PASSWORD)).await;
    assert_eq!(status, 204, "{body}");
    // Gone: no refresh, no login, no longer a member.
    assert_signed_out_for_good(&app, &member).await;
    let (_, members) = tenant_call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/members").bearer(&admin.access),
    )
    .await;
    assert_eq!(members["items"].as_array().unwrap().len(), 1, "{members}");
    // A second call with the still-valid access token: the user is gone.
    let (status, _) = delete_me(&app, &member, Some(PASSWORD)).await;
    assert_eq!(status, 401);
}
