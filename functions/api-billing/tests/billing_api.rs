//! `api-billing` driven by real-shaped API Gateway events against moto: the overview,
//! checkout and portal (with a recording gateway; the real Stripe calls are tested in
//! billing/tests/gateway.rs), and the Stripe webhook with events shaped like Stripe's
//! (events/api-billing/), signed per Stripe's documented scheme.

use std::sync::{Arc, Mutex};

use api_billing::{App, handle};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use jobmon_billing::{
    BillingGateway, BillingService, CheckoutRequest, GatewayError, ReturnUrls, WebhookSecret,
};
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::stripe_events::{StripeFill, sample};
use jobmon_tests::{TestStack, seed};
use lambda_http::Context;
use serde_json::{Value, json};
use sha2::Sha256;
use shared::adapters::DynamoStore;
use shared::auth::{Principal, TokenIssuer};
use shared::domain::{JobStatus, PlanCatalog, Role, SubscriptionStatus, TenantId};
use shared::ports::{AccountStore, BillingStore, IngestStore, JobStore, QuotaStore, UsageReader};

const WEBHOOK_SECRET: &str = "whsec_test_jobmon";
/// Small quotas so that limits are visible with a handful of jobs.
const PLANS: &str = r#"{"defaultPlan":"free","plans":[
  {"id":"free","name":"Free","monthlyScoredJobs":2,"maxSources":1,"fetchIntervalMinutes":1440,"maxMembers":3,"priceId":null},
  {"id":"pro","name":"Pro","monthlyScoredJobs":5,"maxSources":10,"fetchIntervalMinutes":60,"maxMembers":10,"priceId":"price_pro_test"}]}"#;

#[derive(Default)]
struct RecordingGateway {
    customers: Mutex<Vec<(TenantId, String)>>,
    checkouts: Mutex<Vec<CheckoutRequest>>,
    portals: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl BillingGateway for RecordingGateway {
    async fn create_customer(
        &self,
        tenant: TenantId,
        email: &str,
        _name: &str,
    ) -> Result<String, GatewayError> {
        let mut customers = self.customers.lock().unwrap();
        customers.push((tenant, email.to_owned()));
        Ok(format!("cus_test_{}", customers.len()))
    }

    async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<String, GatewayError> {
        self.checkouts.lock().unwrap().push(request.clone());
        Ok("https://checkout.stripe.com/c/pay/cs_test_1".into())
    }

    async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<String, GatewayError> {
        self.portals
            .lock()
            .unwrap()
            .push((customer.to_owned(), return_url.to_owned()));
        Ok("https://billing.stripe.com/p/session/test_1".into())
    }
}

struct Env {
    stack: TestStack,
    store: DynamoStore,
    app: App,
    gateway: Arc<RecordingGateway>,
    issuer: TokenIssuer,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let store = seed::store(&stack);
    let plans = PlanCatalog::from_json(PLANS).unwrap();
    let shared_store = Arc::new(store.clone());
    let gateway = Arc::new(RecordingGateway::default());
    let issuer = TokenIssuer::new(&[9u8; 32]).unwrap();
    let app = App {
        billing: BillingService {
            billing: shared_store.clone(),
            tenants: shared_store.clone(),
            usage: shared_store.clone(),
            users: shared_store,
            plans: plans.clone(),
            gateway: Some(gateway.clone()),
            webhook_secret: Some(WebhookSecret::new(WEBHOOK_SECRET)),
            // As the function wires it.
            admitter: jobmon_billing::wiring::admitter(&stack.core(plans, &[])).expect("wired"),
            urls: ReturnUrls {
                app_url: "http://app.test/".into(),
            },
            clock: shared::ports::SystemClock::shared(),
        },
        tokens: TokenIssuer::new(&[9u8; 32]).unwrap(),
    };
    Env {
        stack,
        store,
        app,
        gateway,
        issuer,
    }
}

impl Env {
    async fn call(&self, event: HttpEvent) -> (u16, Value) {
        let request = event.request();
        let request = lambda_http::RequestExt::with_lambda_context(request, Context::default());
        parts(handle(&self.app, request).await)
    }

    async fn token(&self, tenant: TenantId, role: Role) -> String {
        let admin = self.store.list_users(tenant).await.unwrap()[0].id;
        self.issuer
            .issue(
                Principal {
                    tenant,
                    user: admin,
                    role,
                },
                chrono::Utc::now().timestamp(),
            )
            .unwrap()
    }

    async fn webhook(&self, body: &str) -> (u16, Value) {
        self.call(
            HttpEvent::new("POST", "/v1/billing/webhook")
                .raw_body(body)
                .header("stripe-signature", &sign(WEBHOOK_SECRET, now(), body)),
        )
        .await
    }

    async fn state(&self, tenant: TenantId) -> shared::ports::BillingState {
        self.store.billing_state(tenant).await.unwrap().unwrap()
    }

    async fn statuses(&self, tenant: TenantId, ids: &[shared::domain::JobId]) -> Vec<JobStatus> {
        let mut out = Vec::new();
        for id in ids {
            out.push(
                self.store
                    .get_job(tenant, *id)
                    .await
                    .unwrap()
                    .unwrap()
                    .card
                    .status,
            );
        }
        out
    }

    async fn queued_messages(&self) -> usize {
        let out = self
            .stack
            .sqs
            .get_queue_attributes()
            .queue_url(self.stack.queue_url("ScoringQueue"))
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap();
        out.attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            })
            .and_then(|n| n.parse().ok())
            .unwrap()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `Stripe-Signature` per Stripe's documentation, computed here independently of the
/// verifier: `t=<ts>,v1=hex(HMAC-SHA256(secret, "<ts>.<body>"))`.
fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A free tenant with `n` pending_upgrade jobs (the free quota of 2 is used up).
async fn over_quota_tenant(env: &Env, n: usize) -> (TenantId, Vec<shared::domain::JobId>) {
    let tenant = seed::tenant(&env.store, "free").await.id;
    let period = shared::domain::Period::of(chrono::Utc::now());
    env.store
        .reserve_quota(tenant, &period, 2, 2)
        .await
        .unwrap();
    let jobs: Vec<_> = (0..n)
        .map(|i| {
            seed::job(
                tenant,
                i,
                &format!("Job {i}"),
                "text",
                JobStatus::PendingUpgrade,
            )
        })
        .collect();
    env.store.insert_jobs(&jobs).await.unwrap();
    let mut ids: Vec<_> = jobs.iter().map(|j| j.card.id).collect();
    ids.sort(); // ULIDs: ascending = oldest first
    (tenant, ids)
}

#[tokio::test]
async fn routes_match_the_template() {
    jobmon_tests::assert_routes_match_template(
        "ApiBillingFunction",
        &shared::http::routes::keys(api_billing::ROUTES),
    );
    let mut routes = jobmon_tests::template_routes("ApiBillingFunction");
    routes.sort();
    assert_eq!(
        routes,
        vec![
            ("GET".to_owned(), "/v1/billing".to_owned()),
            ("POST".to_owned(), "/v1/billing/checkout".to_owned()),
            ("POST".to_owned(), "/v1/billing/portal".to_owned()),
            ("POST".to_owned(), "/v1/billing/webhook".to_owned()),
        ]
    );
}

#[tokio::test]
async fn an_unverified_admin_cannot_start_checkout() {
    let env = env().await;
    let tenant = jobmon_tests::contract::tenant("Unproven");
    let email = format!("{}@example.com", ulid::Ulid::new());
    let admin = jobmon_tests::contract::user(&tenant, &email, Role::Admin);
    assert!(!admin.email_verified);
    env.store.create_account(&tenant, &admin).await.unwrap();
    let token = env.token(tenant.id, Role::Admin).await;
    let (status, body) = env
        .call(
            HttpEvent::new("POST", "/v1/billing/checkout")
                .bearer(&token)
                .json(&json!({ "plan": "pro" })),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "email_unverified");
    assert!(env.gateway.customers.lock().unwrap().is_empty());
    assert!(env.gateway.checkouts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn overview_checkout_and_portal() {
    let env = env().await;
    let tenant = seed::tenant(&env.store, "free").await.id;
    let admin = env.token(tenant, Role::Admin).await;
    let member = env.token(tenant, Role::Member).await;

    let (status, body) = env
        .call(HttpEvent::new("GET", "/v1/billing").bearer(&member))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["plan"], "free");
    assert_eq!(body["subscriptionStatus"], "none");
    assert_eq!(body["usage"]["limit"], 2);
    assert_eq!(body["plans"][1]["priceId"], "price_pro_test");
    assert_eq!(body["plans"][1]["monthlyScoredJobs"], 5);
    assert!(body.get("currentPeriodEnd").is_none());

    let (status, _) = env.call(HttpEvent::new("GET", "/v1/billing")).await;
    assert_eq!(status, 401);

    let checkout = |token: &str, plan: &str| {
        HttpEvent::new("POST", "/v1/billing/checkout")
            .bearer(token)
            .json(&json!({ "plan": plan }))
    };
    let (status, _) = env.call(checkout(&member, "pro")).await;
    assert_eq!(status, 403);
    let (status, body) = env.call(checkout(&admin, "platinum")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = env.call(checkout(&admin, "free")).await;
    assert_eq!(status, 400, "a plan without a price cannot be bought");
    let (status, _) = env
        .call(HttpEvent::new("POST", "/v1/billing/portal").bearer(&admin))
        .await;
    assert_eq!(status, 409, "no customer yet");
    assert!(env.gateway.customers.lock().unwrap().is_empty());

    let (status, body) = env.call(checkout(&admin, "pro")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["url"], "https://checkout.stripe.com/c/pay/cs_test_1");
    let (status, _) = env.call(checkout(&admin, "pro")).await;
    assert_eq!(status, 200);
    // One customer, reused by the second checkout.
    assert_eq!(env.gateway.customers.lock().unwrap().len(), 1);
    let checkouts = env.gateway.checkouts.lock().unwrap().clone();
    assert_eq!(checkouts.len(), 2);
    assert!(checkouts.iter().all(|c| {
        c.customer == "cus_test_1"
            && c.tenant == tenant
            && c.plan.as_str() == "pro"
            && c.price_id == "price_pro_test"
            && c.success_url
                .starts_with("http://app.test/billing?checkout=success")
    }));
    assert_eq!(
        env.state(tenant).await.customer_id.as_deref(),
        Some("cus_test_1")
    );

    let (status, _) = env
        .call(HttpEvent::new("POST", "/v1/billing/portal").bearer(&member))
        .await;
    assert_eq!(status, 403);
    let (status, body) = env
        .call(HttpEvent::new("POST", "/v1/billing/portal").bearer(&admin))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["url"], "https://billing.stripe.com/p/session/test_1");
    assert_eq!(
        env.gateway.portals.lock().unwrap().clone(),
        vec![(
            "cus_test_1".to_owned(),
            "http://app.test/billing".to_owned()
        )]
    );
}

#[tokio::test]
async fn bad_signatures_change_nothing() {
    let env = env().await;
    let (tenant, _) = over_quota_tenant(&env, 1).await;
    let fill = StripeFill {
        event: "evt_sig",
        created: now(),
        tenant,
        customer: "cus_sig",
        subscription: "sub_sig",
        plan: "pro",
    };
    let body = sample("checkout-session-completed.json", &fill, &[]);
    let t = now();
    let cases = [
        None,
        Some(sign("whsec_wrong", t, &body)),
        Some(sign(WEBHOOK_SECRET, t - 301, &body)),
        Some(sign(
            WEBHOOK_SECRET,
            t,
            &body.replace("\"pro\"", "\"free\""),
        )),
        Some("garbage".to_owned()),
    ];
    for header in cases {
        let mut event = HttpEvent::new("POST", "/v1/billing/webhook").raw_body(&body);
        if let Some(h) = &header {
            event = event.header("stripe-signature", h);
        }
        let (status, _) = env.call(event).await;
        assert_eq!(status, 400, "{header:?}");
    }
    assert_eq!(env.state(tenant).await.plan.as_str(), "free");
    assert!(!env.store.event_processed("evt_sig").await.unwrap());
    // Several v1 signatures (a secret being rolled): one good one is enough.
    let both = format!(
        "{},v1={}",
        sign("whsec_old", t, &body),
        sign(WEBHOOK_SECRET, t, &body).split("v1=").nth(1).unwrap()
    );
    let (status, _) = env
        .call(
            HttpEvent::new("POST", "/v1/billing/webhook")
                .raw_body(&body)
                .header("stripe-signature", &both),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(env.state(tenant).await.plan.as_str(), "pro");
}

#[tokio::test]
async fn checkout_upgrades_and_admits_pending_jobs_oldest_first_once() {
    let env = env().await;
    let (tenant, ids) = over_quota_tenant(&env, 7).await;
    let fill = StripeFill {
        event: "evt_checkout_1",
        created: now(),
        tenant,
        customer: "cus_up",
        subscription: "sub_up",
        plan: "pro",
    };
    let body = sample("checkout-session-completed.json", &fill, &[]);
    let (status, reply) = env.webhook(&body).await;
    assert_eq!((status, reply["outcome"].as_str()), (200, Some("applied")));
    let state = env.state(tenant).await;
    assert_eq!(state.plan.as_str(), "pro");
    assert_eq!(state.subscription_status, SubscriptionStatus::Active);
    assert_eq!(state.customer_id.as_deref(), Some("cus_up"));
    assert_eq!(state.subscription_id.as_deref(), Some("sub_up"));
    assert_eq!(
        env.store.tenant_of_customer("cus_up").await.unwrap(),
        Some(tenant)
    );
    // Pro allows 5 a month, 2 are used: the 3 oldest pending jobs are queued.
    let statuses = env.statuses(tenant, &ids).await;
    assert_eq!(
        statuses,
        [
            vec![JobStatus::Queued; 3],
            vec![JobStatus::PendingUpgrade; 4]
        ]
        .concat()
    );
    assert_eq!(env.queued_messages().await, 3);
    let period = shared::domain::Period::of(chrono::Utc::now());
    assert_eq!(env.store.scored_jobs(tenant, &period).await.unwrap(), 5);

    // A replay answers 200 and changes nothing.
    let (status, reply) = env.webhook(&body).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (200, Some("duplicate"))
    );
    assert_eq!(env.queued_messages().await, 3);
    assert_eq!(env.statuses(tenant, &ids).await, statuses);
}

#[tokio::test]
async fn cancellation_waits_for_the_period_end_then_lowers_limits_without_deleting() {
    let env = env().await;
    let (tenant, ids) = over_quota_tenant(&env, 1).await;
    let t0 = now() - 100;
    let f = |event: &'static str, created: i64| StripeFill {
        event,
        created,
        tenant,
        customer: "cus_c",
        subscription: "sub_c",
        plan: "pro",
    };
    let (s, _) = env
        .webhook(&sample(
            "checkout-session-completed.json",
            &f("evt_c1", t0),
            &[],
        ))
        .await;
    assert_eq!(s, 200);
    // Cancelled in the portal: still pro until the period ends.
    let cancel = sample(
        "customer-subscription-updated.json",
        &f("evt_c2", t0 + 10),
        &[("CANCEL_AT_PERIOD_END", "true")],
    );
    let (s, reply) = env.webhook(&cancel).await;
    assert_eq!((s, reply["outcome"].as_str()), (200, Some("applied")));
    let state = env.state(tenant).await;
    assert_eq!(state.plan.as_str(), "pro");
    assert!(state.cancel_at_period_end);
    assert_eq!(
        state.current_period_end.map(|t| t.timestamp()),
        Some(1_769_904_000)
    );
    let admin = env.token(tenant, Role::Admin).await;
    let (_, overview) = env
        .call(HttpEvent::new("GET", "/v1/billing").bearer(&admin))
        .await;
    assert_eq!(overview["currentPeriodEnd"], "2026-02-01T00:00:00Z");

    // A late payment failure of an older moment is out of order: ignored.
    let late = sample(
        "invoice.json",
        &f("evt_c0", t0 + 5),
        &[("INVOICE_EVENT", "invoice.payment_failed")],
    );
    let (s, reply) = env.webhook(&late).await;
    assert_eq!((s, reply["outcome"].as_str()), (200, Some("stale")));
    assert_eq!(
        env.state(tenant).await.subscription_status,
        SubscriptionStatus::Active
    );

    // The period ends: Stripe deletes the subscription.
    let deleted = sample(
        "customer-subscription-deleted.json",
        &f("evt_c3", t0 + 20),
        &[("\"STATUS\"", "\"canceled\"")],
    );
    let (s, _) = env.webhook(&deleted).await;
    assert_eq!(s, 200);
    let state = env.state(tenant).await;
    assert_eq!(state.plan.as_str(), "free");
    assert_eq!(state.subscription_status, SubscriptionStatus::Canceled);
    // Nothing deleted: every job is still there.
    for id in &ids {
        assert!(env.store.get_job(tenant, *id).await.unwrap().is_some());
    }
    // An update older than the deletion, delivered late, does not bring pro back.
    let stale = sample(
        "customer-subscription-updated.json",
        &f("evt_c4", t0 + 15),
        &[],
    );
    let (s, reply) = env.webhook(&stale).await;
    assert_eq!((s, reply["outcome"].as_str()), (200, Some("stale")));
    assert_eq!(env.state(tenant).await.plan.as_str(), "free");
}

#[tokio::test]
async fn invoices_move_the_status_and_unknown_tenants_change_nothing() {
    let env = env().await;
    let (tenant, _) = over_quota_tenant(&env, 0).await;
    let t0 = now() - 100;
    let f = |event: &'static str, created: i64, customer: &'static str| StripeFill {
        event,
        created,
        tenant,
        customer,
        subscription: "sub_i",
        plan: "pro",
    };
    env.webhook(&sample(
        "checkout-session-completed.json",
        &f("evt_i1", t0, "cus_i"),
        &[],
    ))
    .await;
    let failed = sample(
        "invoice.json",
        &f("evt_i2", t0 + 10, "cus_i"),
        &[("INVOICE_EVENT", "invoice.payment_failed")],
    );
    let (s, _) = env.webhook(&failed).await;
    assert_eq!(s, 200);
    let state = env.state(tenant).await;
    assert_eq!(state.subscription_status, SubscriptionStatus::PastDue);
    assert_eq!(
        state.plan.as_str(),
        "pro",
        "past_due keeps the plan while Stripe retries"
    );
    let paid = sample(
        "invoice.json",
        &f("evt_i3", t0 + 20, "cus_i"),
        &[("INVOICE_EVENT", "invoice.paid")],
    );
    env.webhook(&paid).await;
    assert_eq!(
        env.state(tenant).await.subscription_status,
        SubscriptionStatus::Active
    );

    // Unknown customer, unknown tenant: 200, logged, nothing stored.
    let before = env.state(tenant).await;
    let unknown_customer = sample(
        "invoice.json",
        &f("evt_i4", t0 + 30, "cus_nobody"),
        &[("INVOICE_EVENT", "invoice.payment_failed")],
    );
    let (s, reply) = env.webhook(&unknown_customer).await;
    assert_eq!(
        (s, reply["outcome"].as_str()),
        (200, Some("unknown_tenant"))
    );
    let stranger = StripeFill {
        event: "evt_i5",
        created: t0 + 30,
        tenant: TenantId::new(),
        customer: "cus_stranger",
        subscription: "sub_s",
        plan: "pro",
    };
    let (s, reply) = env
        .webhook(&sample("checkout-session-completed.json", &stranger, &[]))
        .await;
    assert_eq!(
        (s, reply["outcome"].as_str()),
        (200, Some("unknown_tenant"))
    );
    assert_eq!(
        env.store.tenant_of_customer("cus_stranger").await.unwrap(),
        None
    );
    assert_eq!(env.state(tenant).await, before);
}

/// The grace period of a failed payment through the function and DynamoDB: the failure
/// nine days ago is recorded as the start, a later failure keeps it, the overview shows the
/// free limit (the grace is over) with the plan still `pro`, and `invoice.paid` restores it.
#[tokio::test]
async fn a_failed_payment_past_the_grace_drops_to_the_free_limits_until_paid() {
    let env = env().await;
    let (tenant, _) = over_quota_tenant(&env, 0).await;
    let t0 = now() - 9 * 86_400;
    let f = |event: &'static str, created: i64| StripeFill {
        event,
        created,
        tenant,
        customer: "cus_g",
        subscription: "sub_g",
        plan: "pro",
    };
    env.webhook(&sample(
        "checkout-session-completed.json",
        &f("evt_g1", t0),
        &[],
    ))
    .await;
    let admin = env.token(tenant, Role::Admin).await;
    let limit = || async {
        let (s, overview) = env
            .call(HttpEvent::new("GET", "/v1/billing").bearer(&admin))
            .await;
        assert_eq!(s, 200, "{overview}");
        overview["usage"]["limit"].as_u64().unwrap()
    };
    assert_eq!(limit().await, 5);
    let failed = |event, created| {
        sample(
            "invoice.json",
            &f(event, created),
            &[("INVOICE_EVENT", "invoice.payment_failed")],
        )
    };
    let (s, _) = env.webhook(&failed("evt_g2", t0 + 10)).await;
    assert_eq!(s, 200);
    let (s, _) = env.webhook(&failed("evt_g3", t0 + 3 * 86_400)).await;
    assert_eq!(s, 200);
    let state = env.state(tenant).await;
    assert_eq!(state.subscription_status, SubscriptionStatus::PastDue);
    assert_eq!(state.plan.as_str(), "pro");
    assert_eq!(state.past_due_since.map(|t| t.timestamp()), Some(t0 + 10));
    assert_eq!(limit().await, 2, "nine days past due: the free limits");

    let paid = sample(
        "invoice.json",
        &f("evt_g4", now() - 10),
        &[("INVOICE_EVENT", "invoice.paid")],
    );
    let (s, _) = env.webhook(&paid).await;
    assert_eq!(s, 200);
    let state = env.state(tenant).await;
    assert_eq!(state.subscription_status, SubscriptionStatus::Active);
    assert_eq!(state.past_due_since, None);
    assert_eq!(limit().await, 5);
}

/// `t=i64::MIN` used to overflow the tolerance check (a panic in a debug build).
#[tokio::test]
async fn a_webhook_with_an_extreme_timestamp_is_a_clean_400() {
    let env = env().await;
    let body = r#"{"id":"evt_x","type":"invoice.paid","created":1,"data":{"object":{}}}"#;
    for t in [i64::MIN, i64::MAX] {
        let (s, reply) = env
            .call(
                HttpEvent::new("POST", "/v1/billing/webhook")
                    .raw_body(body)
                    .header("stripe-signature", &sign(WEBHOOK_SECRET, t, body)),
            )
            .await;
        assert_eq!(s, 400, "{t}: {reply}");
        assert_eq!(reply["error"]["code"], "validation_failed", "{t}");
    }
}
