//! Export and erasure of a tenant through `api-tenant` and the erasure worker, against
//! moto: the export holds every kind of item seeded and no secret; the erasure leaves
//! nothing of the tenant in the table, also when a message is delivered twice and when a
//! worker dies between two pages and its message comes back.

use std::sync::Arc;
use std::time::Duration;

use jobmon_tests::TestStack;
use jobmon_tests::events::{HttpEvent, parts};
use serde_json::{Value, json};
use shared::adapters::memory::MemoryQueue;
use shared::domain::{PlanCatalog, TenantId};
use shared::messages::EraseTenantTask;
use shared::services::AuthLimits;
use shared::services::privacy::{ErasureStep, ErasureWorker};

const PASSWORD: &str = "correct horse battery";

async fn tenant_app(stack: &TestStack) -> api_tenant::App {
    let accounts = jobmon_tests::accounts::account_service(stack, AuthLimits::default()).await;
    let queue = stack.queue_url("ErasureQueue");
    let core = stack.core(
        PlanCatalog::builtin(),
        &[("JOBMON_ERASURE_QUEUE_URL", queue)],
    );
    api_tenant::App {
        accounts,
        privacy: core.privacy_service().expect("the erasure queue is set"),
    }
}

struct Signup {
    access: String,
    tenant: TenantId,
    email: String,
}

async fn signup(app: &api_tenant::App, name: &str) -> Signup {
    let email = format!("{}-{name}@example.com", ulid::Ulid::new()).to_lowercase();
    let (status, session) = parts(
        api_auth::handle(
            app,
            HttpEvent::new("POST", "/v1/auth/register")
                .json(&json!({"email": email, "password": PASSWORD, "tenantName": name}))
                .request(),
        )
        .await,
    );
    assert_eq!(status, 201, "{session}");
    Signup {
        access: session["accessToken"].as_str().unwrap().to_owned(),
        tenant: TenantId::parse(session["tenant"]["id"].as_str().unwrap()).unwrap(),
        email,
    }
}

async fn call(app: &api_tenant::App, event: HttpEvent) -> (u16, Value) {
    parts(api_tenant::handle(app, event.request()).await)
}

/// Every item of the table as one JSON text per item.
async fn table_items(stack: &TestStack) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = stack
            .dynamo
            .scan()
            .table_name(stack.table())
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in out.items.unwrap_or_default() {
            items.push(format!("{item:?}"));
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return items,
        }
    }
}

fn mentioning<'a>(items: &'a [String], needle: &str) -> Vec<&'a String> {
    items.iter().filter(|i| i.contains(needle)).collect()
}

#[tokio::test]
async fn an_export_holds_the_tenants_items_without_secrets_and_nothing_of_another_tenant() {
    let stack = TestStack::new().await;
    let app = tenant_app(&stack).await;
    let ours = signup(&app, "Ours").await;
    let theirs = signup(&app, "Theirs").await;
    let store = jobmon_tests::seed::store(&stack);
    jobmon_tests::seed::queued_jobs(&store, ours.tenant, &[("Rust engineer", "Our posting")]).await;
    jobmon_tests::seed::queued_jobs(&store, theirs.tenant, &[("Go engineer", "Their posting")])
        .await;

    let (status, part) = call(
        &app,
        HttpEvent::new("GET", "/v1/tenant/export").bearer(&ours.access),
    )
    .await;
    assert_eq!(status, 200, "{part}");
    assert_eq!(part["format"], "jobmon-export/1");
    assert_eq!(part["tenant"]["name"], "Ours");
    assert_eq!(part["members"][0]["email"], ours.email.as_str());
    assert_eq!(part["jobs"][0]["title"], "Rust engineer 0");
    assert_eq!(part["jobs"][0]["body"]["description"], "Our posting");
    assert!(part["jobs"][0]["scorings"].is_array() && part["jobs"][0]["tracking"].is_array());
    assert_eq!(part["nextCursor"], Value::Null);
    let text = part.to_string();
    assert!(!text.contains("$argon2"), "a password hash was exported");
    assert!(!text.contains("passwordHash"));
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
    let ours = signup(&app, "Ours").await;
    let theirs = signup(&app, "Theirs").await;
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
    // Nobody signs in any more, at once: the e-mail look-up is gone.
    let before = table_items(&stack).await;
    assert!(mentioning(&before, &format!("EMAIL#{}", ours.email)).is_empty());

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
    assert!(mentioning(&after, &ours.email).is_empty());
    // The other tenant is untouched: its tenant item, user, e-mail look-up and 3 jobs.
    assert!(mentioning(&after, &theirs.tenant.to_string()).len() >= 10);
    assert_eq!(
        mentioning(&after, &format!("EMAIL#{}", theirs.email)).len(),
        1
    );
}
