//! Export and erasure of a tenant through `api-tenant` and the erasure worker, against
//! moto: the export holds every kind of item seeded and no secret; the erasure leaves
//! nothing of the tenant in the table, also when a message is delivered twice and when a
//! worker dies between two pages and its message comes back.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{PASSWORD, tenant_app};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{unique_email, verified_signup};
use jobmon_tests::events::{HttpEvent, parts};
use serde_json::{Value, json};
use shared::adapters::memory::MemoryQueue;
use shared::domain::TenantId;
use shared::messages::EraseTenantTask;
use shared::services::privacy::{ErasureStep, ErasureWorker};

struct Signup {
    access: String,
    tenant: TenantId,
    email: String,
}

/// Registers an admin and opens the mailed verification link (only a verified admin may
/// invite the member the tests seed).
async fn signup(stack: &TestStack, app: &api_tenant::App, name: &str) -> Signup {
    let email = unique_email(&name.to_lowercase());
    let session = verified_signup(stack, &app.accounts, &email, name).await;
    Signup {
        access: session.access_token,
        tenant: session.tenant.id,
        email,
    }
}

async fn call(app: &api_tenant::App, event: HttpEvent) -> (u16, Value) {
    parts(api_tenant::handle(app, event.request()).await)
}

/// Every item of the table as one text per item.
async fn table_items(stack: &TestStack) -> Vec<String> {
    stack
        .all_items()
        .await
        .iter()
        .map(|item| format!("{item:?}"))
        .collect()
}

fn mentioning<'a>(items: &'a [String], needle: &str) -> Vec<&'a String> {
    items.iter().filter(|i| i.contains(needle)).collect()
}

const CHANNEL_URL_SECRET: &str = "T0000/B0000/XXXXsecretXXXX";
const SIGNING_SECRET: &str = "a1b2c3d4e5f6signing";

/// Seeds one item of every kind a tenant owns, through the stores that write them: a
/// source, the profile, jobs (card, body, markers, usage), a scoring, a stage change and a
/// note, member notification settings, a webhook channel with its signing secret, and an
/// invited member who joined. Returns the joined member's e-mail.
async fn seed_everything(stack: &TestStack, app: &api_tenant::App, who: &Signup) -> String {
    use shared::ports::{JobStore, ScoringStore, SourceStore, TrackingStore};
    let store = jobmon_tests::seed::store(stack);
    let jobs =
        jobmon_tests::seed::queued_jobs(&store, who.tenant, &[("Rust engineer", "Our posting")])
            .await;
    let source = jobmon_tests::contract::source(
        who.tenant,
        shared::domain::SourceKind::Greenhouse,
        json!({"board": "acme"}),
    );
    store.create_source(&source, 10).await.unwrap();
    store
        .put_profile(who.tenant, &shared::domain::Profile::default())
        .await
        .unwrap();
    let card = store
        .get_job(who.tenant, jobs[0].card.id)
        .await
        .unwrap()
        .unwrap()
        .card;
    store
        .set_stage(
            who.tenant,
            &card,
            shared::domain::Stage::Applied,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let note = shared::domain::NoteText::parse("Called the recruiter").unwrap();
    store
        .add_note(who.tenant, card.id, &note, chrono::Utc::now())
        .await
        .unwrap();
    // A scoring as the scoring worker stores it (its transaction needs a queued attempt).
    stack
        .dynamo
        .put_item()
        .table_name(stack.table())
        .item("PK", s(format!("T#{}#JOB#{}", who.tenant, card.id)))
        .item("SK", s("SCORE#0000000001"))
        .item("entity", s("score"))
        .item(
            "score",
            aws_sdk_dynamodb::types::AttributeValue::N("8".into()),
        )
        .item("reason", s("Strong Rust fit"))
        .send()
        .await
        .unwrap();
    let notify =
        jobmon_notify::dynamo::DynamoNotifications::new(stack.dynamo.clone(), stack.table());
    let settings = serde_json::from_value(json!({"email": {
        "instant": {"enabled": true, "minScore": 7},
        "digest": {"enabled": false, "hour": 8, "timeZone": "UTC"}}}))
    .unwrap();
    use jobmon_notify::store::NotificationStore;
    let me = app.me(principal_of(app, who)).await.unwrap().user.id;
    notify
        .put_settings(who.tenant, me, &settings)
        .await
        .unwrap();
    let channel: jobmon_notify::settings::Channel = serde_json::from_value(json!({
        "id": ulid::Ulid::new().to_string(), "tenantId": who.tenant, "kind": "webhook",
        "url": format!("https://hooks.example.com/services/{CHANNEL_URL_SECRET}"),
        "minScore": 7, "enabled": true, "signingSecret": SIGNING_SECRET,
        "createdAt": chrono::Utc::now(), "updatedAt": chrono::Utc::now()}))
    .unwrap();
    notify.create_channel(&channel).await.unwrap();
    join_member(stack, app, who).await
}

fn s(v: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

fn principal_of(app: &api_tenant::App, who: &Signup) -> shared::auth::Principal {
    app.issuer
        .verify(&who.access)
        .expect("a token this app issued")
}

/// Invites a member and accepts through the mailed link; the member's e-mail.
async fn join_member(stack: &TestStack, app: &api_tenant::App, admin: &Signup) -> String {
    let email = format!("{}-member@example.com", ulid::Ulid::new()).to_lowercase();
    let (status, body) = call(
        app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&admin.access)
            .json(&json!({"email": email, "role": "member"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let token =
        jobmon_tests::mail::token_from_last_mail(&stack.endpoint, &email, "accept-invitation")
            .expect("invitation mail");
    let (status, body) = parts(
        api_auth::handle(
            app,
            HttpEvent::new("POST", "/v1/auth/invitations/accept")
                .json(&json!({"token": token, "password": PASSWORD}))
                .request(),
        )
        .await,
    );
    assert_eq!(status, 200, "{body}");
    email
}

#[tokio::test]
async fn an_export_holds_every_kind_of_item_without_secrets_and_nothing_of_another_tenant() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let ours = signup(&stack, &app, "Ours").await;
    let theirs = signup(&stack, &app, "Theirs").await;
    let member = seed_everything(&stack, &app, &ours).await;
    let store = jobmon_tests::seed::store(&stack);
    jobmon_tests::seed::queued_jobs(&store, theirs.tenant, &[("Go engineer", "Their posting")])
        .await;

    let (status, part) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export").bearer(&ours.access),
    )
    .await;
    assert_eq!(status, 200, "{part}");
    assert_eq!(part["format"], "jobmon-export/1");
    assert_eq!(part["nextCursor"], Value::Null);
    assert_eq!(part["tenant"]["name"], "Ours");
    let mut emails: Vec<&str> = part["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    emails.sort();
    let mut expected = vec![ours.email.as_str(), member.as_str()];
    expected.sort();
    assert_eq!(emails, expected);
    assert_eq!(part["sources"][0]["kind"], "greenhouse");
    assert!(part["profile"].is_object(), "{part}");
    assert_eq!(part["usage"].as_array().unwrap().len(), 1, "{part}");
    assert_eq!(
        part["notificationSettings"][0]["email"]["instant"]["minScore"],
        7
    );
    let channel = &part["channels"][0];
    assert_eq!(
        (channel["url"].as_str(), channel["urlRedacted"].as_bool()),
        (Some("https://hooks.example.com"), Some(true))
    );
    let job = &part["jobs"][0];
    assert_eq!(job["title"], "Rust engineer 0");
    assert_eq!(job["stage"], "applied");
    assert_eq!(job["body"]["description"], "Our posting");
    assert_eq!(job["scorings"][0]["reason"], "Strong Rust fit");
    let kinds: Vec<&str> = job["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["stage", "note"]);
    assert_eq!(job["tracking"][1]["text"], "Called the recruiter");

    let text = part.to_string();
    for secret in [
        "$argon2",
        "passwordHash",
        SIGNING_SECRET,
        CHANNEL_URL_SECRET,
        "signingSecret",
    ] {
        assert!(!text.contains(secret), "{secret} was exported");
    }
    assert!(!text.contains(&theirs.tenant.to_string()) && !text.contains("Their posting"));

    let (status, body) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export")
            .query("cursor=forged.cursor")
            .bearer(&ours.access),
    )
    .await;
    assert_eq!(
        (status, body["error"]["details"]["cursor"].is_string()),
        (400, true),
        "{body}"
    );
    let (status, body) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export")
            .query("format=zip")
            .bearer(&ours.access),
    )
    .await;
    assert_eq!(
        (status, body["error"]["details"]["format"].is_string()),
        (400, true),
        "{body}"
    );
    // Three exports a day: two more pass, the fourth is refused.
    for expected in [200, 200, 429] {
        let (status, _) = call(
            &app,
            HttpEvent::new("GET", "/v1/tenant/export").bearer(&ours.access),
        )
        .await;
        assert_eq!(status, expected);
    }
}

#[tokio::test]
async fn an_export_in_small_parts_joins_to_the_whole_archive_and_only_admins_export() {
    let stack = TestStack::new().await;
    let mut app = tenant_app(&stack).await;
    let ours = signup(&stack, &app, "Ours").await;
    let store = jobmon_tests::seed::store(&stack);
    let titles: Vec<String> = (0..30).map(|i| format!("Posting {i}")).collect();
    let titles: Vec<(&str, &str)> = titles.iter().map(|t| ("Engineer", t.as_str())).collect();
    jobmon_tests::seed::queued_jobs(&store, ours.tenant, &titles).await;
    let (_, whole) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export").bearer(&ours.access),
    )
    .await;
    assert_eq!(whole["jobs"].as_array().unwrap().len(), 30);

    // About three jobs a part.
    app.privacy.part_bytes = 1500;
    let mut joined: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut parts_seen = 0;
    loop {
        let mut event = HttpEvent::new("GET", "/v1/tenant/export").bearer(&ours.access);
        if let Some(c) = &cursor {
            event = event.query(&format!("cursor={c}"));
        }
        let (status, part) = call(&app, event).await;
        assert_eq!(status, 200, "{part}");
        joined.extend(part["jobs"].as_array().unwrap().iter().cloned());
        parts_seen += 1;
        match part["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert!(parts_seen >= 5, "{parts_seen} parts");
    assert_eq!(Value::Array(joined), whole["jobs"]);

    // A cursor of this export is no cursor for another tenant, and members cannot export.
    let theirs = signup(&stack, &app, "Theirs").await;
    let (_, first) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export").bearer(&ours.access),
    )
    .await;
    let next = first["nextCursor"].as_str().unwrap();
    let (status, _) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export")
            .query(&format!("cursor={next}"))
            .bearer(&theirs.access),
    )
    .await;
    assert_eq!(status, 400);
    let member_email = join_member(&stack, &app, &ours).await;
    let (status, session) = parts(
        api_auth::handle(
            &app,
            HttpEvent::new("POST", "/v1/auth/login")
                .json(&json!({"email": member_email, "password": PASSWORD}))
                .request(),
        )
        .await,
    );
    assert_eq!(status, 200, "{session}");
    let member_token = session["accessToken"].as_str().unwrap();
    for (method, path) in [("GET", "/v1/tenant/export"), ("DELETE", "/v1/tenant")] {
        let (status, body) = call(
            &app,
            HttpEvent::new(method, path)
                .bearer(member_token)
                .json(&json!({"password": PASSWORD})),
        )
        .await;
        assert_eq!(status, 403, "{method} {path}: {body}");
    }
}

fn pending_invitee(who: &Signup) -> String {
    format!("pending-{}", who.email)
}

/// The items outside `T#<tenant>` that point at it: a pending invitation (one-time token),
/// a WebSocket connection and its reference, the Stripe customer mapping, and a
/// password-reset rate-limit window keyed by a member's address. Refresh tokens, e-mail look-ups and the
/// verification token exist from the sign-ups already.
async fn seed_outside_the_partition(
    stack: &TestStack,
    app: &api_tenant::App,
    who: &Signup,
    member: &str,
) {
    use shared::ports::{BillingStore, ConnectionStore};
    let (status, body) = call(
        app,
        HttpEvent::new("POST", "/v1/tenant/members")
            .bearer(&who.access)
            .json(&json!({"email": pending_invitee(who), "role": "member"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let store = jobmon_tests::seed::store(stack);
    let user = principal_of(app, who).user;
    store
        .put_connection(&shared::ports::Connection {
            id: format!("conn-{}", ulid::Ulid::new()),
            tenant: who.tenant,
            user,
            connected_at: chrono::Utc::now(),
            expires_at: chrono::Utc::now() + chrono::Duration::hours(2),
        })
        .await
        .unwrap();
    store.link_customer(who.tenant, "cus_erased").await.unwrap();
    // Failed logins are counted under a hash of address and IP (no address in the key);
    // a password-reset request keeps a window keyed by the address itself.
    let (status, body) = parts(
        api_auth::handle(
            app,
            HttpEvent::new("POST", "/v1/auth/password/forgot")
                .json(&json!({"email": member}))
                .request(),
        )
        .await,
    );
    assert!((200..300).contains(&status), "{status} {body}");
}

/// Takes the one erasure message `DELETE /v1/tenant` sent.
async fn sent_erasure(stack: &TestStack) -> EraseTenantTask {
    let out = stack
        .sqs
        .receive_message()
        .queue_url(stack.queue_url("ErasureQueue"))
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = out.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1);
    serde_json::from_str(messages[0].body().unwrap()).unwrap()
}

fn worker(stack: &TestStack, queue: Arc<MemoryQueue>) -> ErasureWorker {
    ErasureWorker {
        eraser: Arc::new(jobmon_tests::seed::store(stack)),
        queue,
        canceller: None,
        // Tiny pages and no budget: one page per message, so the walk takes many
        // messages and the test can stop it between any two.
        page_size: 7,
        budget: Duration::ZERO,
    }
}

#[tokio::test]
async fn erasing_a_tenant_leaves_nothing_of_it_even_with_duplicated_and_interrupted_messages() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let ours = signup(&stack, &app, "Ours").await;
    let theirs = signup(&stack, &app, "Theirs").await;
    let store = jobmon_tests::seed::store(&stack);
    let titles: Vec<(String, String)> = (0..20)
        .map(|i| (format!("Job {i}"), format!("Posting {i}")))
        .collect();
    let titles: Vec<(&str, &str)> = titles
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    jobmon_tests::seed::queued_jobs(&store, ours.tenant, &titles).await;
    jobmon_tests::seed::queued_jobs(&store, theirs.tenant, &titles[..3]).await;
    let member = seed_everything(&stack, &app, &ours).await;
    seed_outside_the_partition(&stack, &app, &ours, &member).await;

    let (status, body) = call(
        &app,
        HttpEvent::new("DELETE", "/v1/tenant")
            .bearer(&ours.access)
            .json(&json!({"password": "not the password"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("wrong_password")),
        "{body}"
    );
    let (status, body) = call(
        &app,
        HttpEvent::new("DELETE", "/v1/tenant")
            .bearer(&ours.access)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call(
        &app,
        HttpEvent::new("DELETE", "/v1/tenant")
            .bearer(&ours.access)
            .json(&json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("erasing")),
        "{body}"
    );
    // Nobody signs in any more, at once: the e-mail look-ups are gone.
    let before = table_items(&stack).await;
    assert!(mentioning(&before, &format!("EMAIL#{}", ours.email)).is_empty());
    assert!(mentioning(&before, &format!("EMAIL#{member}")).is_empty());
    // Before the walk, items outside the partition point at the tenant (else the scan
    // below would prove nothing about them).
    for kind in [
        "REFRESH#",
        "TOKEN#",
        "CONN#",
        "STRIPE_CUSTOMER#",
        "RATE#forgot:email:",
    ] {
        assert!(
            before.iter().any(|i| i.contains(kind)
                && (i.contains(&ours.tenant.to_string()) || i.contains(&member))),
            "no {kind} item of the tenant was seeded"
        );
    }

    let first = sent_erasure(&stack).await;
    let queue = Arc::new(MemoryQueue::default());
    let worker = worker(&stack, queue.clone());
    // Delivered twice, handled at the same time.
    let (a, b) = tokio::join!(worker.handle(first.clone()), worker.handle(first.clone()));
    assert!(matches!(a.unwrap(), ErasureStep::Continued { .. }));
    assert!(matches!(b.unwrap(), ErasureStep::Continued { .. }));
    // The worker dies after its page, before its continuation is sent: the continuation
    // is lost and the queue hands the same message out again.
    let mut pending = queue.take_sent();
    let interrupted: EraseTenantTask = serde_json::from_str(&pending[0]).unwrap();
    worker.handle(interrupted.clone()).await.unwrap();
    queue.take_sent();
    pending.push(serde_json::to_string(&interrupted).unwrap());
    let mut second_pass = Vec::new();
    let mut steps = 0;
    while let Some(body) = pending.pop() {
        let task: EraseTenantTask = serde_json::from_str(&body).unwrap();
        worker.handle(task).await.unwrap();
        pending.extend(queue.take_sent());
        second_pass.extend(queue.take_delayed());
        steps += 1;
        assert!(steps < 10_000, "the walk does not end");
    }
    assert!(!second_pass.is_empty(), "the second pass is queued");
    assert_eq!(second_pass[0].1, Duration::from_secs(15 * 60));
    let task: EraseTenantTask = serde_json::from_str(&second_pass[0].0).unwrap();
    assert_eq!(task.pass, 2);

    let after = table_items(&stack).await;
    let left = mentioning(&after, &ours.tenant.to_string());
    assert!(left.is_empty(), "left of the tenant: {left:?}");
    for email in [&ours.email, &member, &pending_invitee(&ours)] {
        let left = mentioning(&after, email);
        assert!(left.is_empty(), "left of {email}: {left:?}");
    }
    assert!(mentioning(&after, "cus_erased").is_empty());
    // The other tenant is untouched: its tenant item, user, e-mail look-up and 3 jobs.
    assert!(mentioning(&after, &theirs.tenant.to_string()).len() >= 10);
    assert_eq!(
        mentioning(&after, &format!("EMAIL#{}", theirs.email)).len(),
        1
    );
}
