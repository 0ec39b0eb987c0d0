//! Billing webhooks on the in-memory store: events applied once and in order, an upgrade
//! admits `pending_upgrade` jobs, the monthly admission. Fast tier, no moto and no Stripe.

use jobmon_scoring::wiring::Listeners;
use std::sync::Arc;

use chrono::Utc;
use jobmon_billing::service::{BillingService, ReturnUrls, WebhookOutcome};
use jobmon_billing::signature::WebhookSecret;
use jobmon_scoring::admit::Admitter;
use jobmon_tests::contract;
use jobmon_tests::stripe_events::{StripeFill, sample};
use shared::adapters::MemoryStore;
use shared::adapters::memory::{MemoryQueue, RecordingEvents, RecordingNotifier};
use shared::domain::{
    JobId, JobStatus, Period, PlanCatalog, PlanId, Role, SubscriptionStatus, TenantId,
};
use shared::ports::{
    AccountStore, BillingStore, IngestStore, PendingUpgrades, QuotaStore, SystemClock, UsageReader,
};

const SECRET: &str = "whsec_test_jobmon";
/// Small quotas so that limits are visible with a handful of jobs.
const PLANS: &str = r#"{"defaultPlan":"free","plans":[
  {"id":"free","name":"Free","monthlyScoredJobs":2,"maxSources":1,"fetchIntervalMinutes":1440,"maxMembers":3,"priceId":null},
  {"id":"pro","name":"Pro","monthlyScoredJobs":5,"maxSources":10,"fetchIntervalMinutes":60,"maxMembers":10,"priceId":"price_pro_test"}]}"#;

struct Billing {
    service: BillingService,
    admitter: Arc<Admitter>,
    store: MemoryStore,
    queue: Arc<MemoryQueue>,
    tenant: TenantId,
}

async fn billing() -> Billing {
    let plans = PlanCatalog::from_json(PLANS).unwrap();
    let store = MemoryStore::new();
    let queue = Arc::new(MemoryQueue::default());
    let shared = Arc::new(store.clone());
    let recorder = jobmon_scoring::wiring::recorder_over(
        shared.clone(),
        Listeners {
            live: Arc::new(RecordingNotifier::default()),
            events: Arc::new(RecordingEvents::default()),
        },
        plans.clone(),
        SystemClock::shared(),
    );
    let rescorer = jobmon_scoring::wiring::rescorer_over(shared.clone(), recorder, queue.clone());
    let admitter = Arc::new(Admitter {
        rescorer,
        billing: shared.clone(),
        tenants: shared.clone(),
        plans: plans.clone(),
    });
    let service = BillingService {
        billing: shared.clone(),
        tenants: shared.clone(),
        usage: shared.clone(),
        users: shared,
        plans: plans.clone(),
        gateway: None,
        webhook_secret: Some(WebhookSecret::new(SECRET)),
        admitter: admitter.clone(),
        urls: ReturnUrls {
            app_url: "https://app.example.com".into(),
        },
        clock: SystemClock::shared(),
    };
    let mut tenant = contract::tenant("Billing");
    tenant.plan = PlanId::parse("free").unwrap();
    store
        .create_account(
            &tenant,
            &contract::user(&tenant, &format!("{}@example.com", tenant.id), Role::Admin),
        )
        .await
        .unwrap();
    Billing {
        service,
        admitter,
        store,
        queue,
        tenant: tenant.id,
    }
}

impl Billing {
    async fn webhook(&self, body: &str) -> WebhookOutcome {
        let now = Utc::now();
        let signature = WebhookSecret::new(SECRET).sign(now.timestamp(), body.as_bytes());
        self.service
            .webhook(Some(&signature), body.as_bytes(), now)
            .await
            .expect("a valid webhook")
    }

    /// `n` `pending_upgrade` jobs, the free quota (2) used up, as a fetch leaves them.
    async fn over_quota(&self, n: u32) -> Vec<JobId> {
        self.store
            .reserve_quota(self.tenant, &Period::of(Utc::now()), 2, 2)
            .await
            .unwrap();
        let jobs: Vec<_> = (0..n)
            .map(|i| {
                contract::job(
                    self.tenant,
                    &format!("https://jobs.example.com/{i}"),
                    JobStatus::PendingUpgrade,
                )
            })
            .collect();
        self.store.insert_jobs(&jobs).await.unwrap();
        let mut ids: Vec<_> = jobs.iter().map(|j| j.card.id).collect();
        ids.sort();
        ids
    }

    fn statuses(&self, ids: &[JobId]) -> Vec<JobStatus> {
        ids.iter()
            .map(|id| self.store.job(self.tenant, *id).unwrap().card.status)
            .collect()
    }
}

#[tokio::test]
async fn a_checkout_upgrades_once_and_admits_pending_jobs_oldest_first() {
    let b = billing().await;
    let ids = b.over_quota(4).await;
    let t0 = Utc::now().timestamp();
    let checkout = sample(
        "checkout-session-completed.json",
        &StripeFill {
            event: "evt_1",
            created: t0,
            tenant: b.tenant,
            customer: "cus_fast",
            subscription: "sub_fast",
            plan: "pro",
        },
        &[],
    );
    assert_eq!(b.webhook(&checkout).await, WebhookOutcome::Applied);
    let state = b.store.billing_state(b.tenant).await.unwrap().unwrap();
    assert_eq!(state.plan.as_str(), "pro");
    assert_eq!(state.subscription_status, SubscriptionStatus::Active);
    assert_eq!(state.customer_id.as_deref(), Some("cus_fast"));
    assert_eq!(
        b.store.tenant_of_customer("cus_fast").await.unwrap(),
        Some(b.tenant)
    );
    // Pro allows 5 a month, 2 are used: the 3 oldest are admitted, the newest waits.
    assert_eq!(
        b.statuses(&ids),
        vec![
            JobStatus::Queued,
            JobStatus::Queued,
            JobStatus::Queued,
            JobStatus::PendingUpgrade
        ]
    );
    assert_eq!(b.queue.take_sent().len(), 3);
    assert_eq!(
        b.store
            .scored_jobs(b.tenant, &Period::of(Utc::now()))
            .await
            .unwrap(),
        5
    );
    assert!(b.store.pending_marker(b.tenant).await.unwrap().is_some());

    // Stripe delivers again: nothing changes, nothing is admitted twice.
    assert_eq!(b.webhook(&checkout).await, WebhookOutcome::Duplicate);
    assert!(b.queue.take_sent().is_empty());
}

#[tokio::test]
async fn an_older_event_arriving_late_changes_nothing() {
    let b = billing().await;
    let t0 = Utc::now().timestamp();
    let fill = |event, created, plan| StripeFill {
        event,
        created,
        tenant: b.tenant,
        customer: "cus_fast",
        subscription: "sub_fast",
        plan,
    };
    b.webhook(&sample(
        "checkout-session-completed.json",
        &fill("evt_a", t0, "pro"),
        &[],
    ))
    .await;
    let cancel = sample(
        "customer-subscription-updated.json",
        &fill("evt_b", t0 + 10, "pro"),
        &[("CANCEL_AT_PERIOD_END", "true")],
    );
    assert_eq!(b.webhook(&cancel).await, WebhookOutcome::Applied);
    let late = sample(
        "customer-subscription-updated.json",
        &fill("evt_old", t0 + 5, "pro"),
        &[],
    );
    assert_eq!(b.webhook(&late).await, WebhookOutcome::Stale);
    let state = b.store.billing_state(b.tenant).await.unwrap().unwrap();
    assert!(state.cancel_at_period_end, "the newer event's state stays");
    assert_eq!(state.event_at, Some(t0 + 10));
    assert!(b.store.event_processed("evt_old").await.unwrap());
}

#[tokio::test]
async fn a_forged_or_unsigned_webhook_is_refused_and_changes_nothing() {
    let b = billing().await;
    let body = sample(
        "checkout-session-completed.json",
        &StripeFill {
            event: "evt_forged",
            created: Utc::now().timestamp(),
            tenant: b.tenant,
            customer: "cus_fast",
            subscription: "sub_fast",
            plan: "pro",
        },
        &[],
    );
    let now = Utc::now();
    let forged = WebhookSecret::new("whsec_wrong").sign(now.timestamp(), body.as_bytes());
    assert!(
        b.service
            .webhook(Some(&forged), body.as_bytes(), now)
            .await
            .is_err()
    );
    assert!(b.service.webhook(None, body.as_bytes(), now).await.is_err());
    let state = b.store.billing_state(b.tenant).await.unwrap().unwrap();
    assert_eq!(state.plan.as_str(), "free");
    assert!(!b.store.event_processed("evt_forged").await.unwrap());
}

#[tokio::test]
async fn the_monthly_admission_admits_within_the_new_quota_and_clears_the_marker() {
    let b = billing().await;
    let ids = b.over_quota(3).await;
    assert!(b.store.pending_marker(b.tenant).await.unwrap().is_some());
    // A new month: the quota counter of this period is what the admission uses, so
    // give the quota back as a new period would.
    b.store
        .release_quota(b.tenant, &Period::of(Utc::now()), 2)
        .await
        .unwrap();
    let admission = b.admitter.admit(b.tenant).await.unwrap();
    assert_eq!(admission.queued, 2);
    assert!(admission.more_pending);
    assert_eq!(
        b.statuses(&ids),
        vec![
            JobStatus::Queued,
            JobStatus::Queued,
            JobStatus::PendingUpgrade
        ]
    );
    assert!(b.store.pending_marker(b.tenant).await.unwrap().is_some());

    // With room for the last one, the marker goes.
    b.store
        .release_quota(b.tenant, &Period::of(Utc::now()), 2)
        .await
        .unwrap();
    let admission = b.admitter.admit(b.tenant).await.unwrap();
    assert_eq!(admission.queued, 1);
    assert!(!admission.more_pending);
    assert!(b.store.pending_marker(b.tenant).await.unwrap().is_none());
    assert_eq!(b.queue.take_sent().len(), 3);
}
