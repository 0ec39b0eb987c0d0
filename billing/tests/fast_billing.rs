//! Billing webhooks on the in-memory store: events applied once and in order, an upgrade
//! admits `pending_upgrade` jobs, the monthly admission. Fast tier, no moto and no Stripe.

use jobmon_scoring::wiring::Listeners;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
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
    AccountStore, BillingStore, Clock, FixedClock, IngestStore, PendingUpgrades, QuotaStore,
    SystemClock, TenantReader, UsageReader,
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
    billing_with(SystemClock::shared()).await
}

async fn billing_with(clock: Arc<dyn Clock>) -> Billing {
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
        clock.clone(),
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
        clock,
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
        self.over_quota_at(n, Utc::now()).await
    }

    /// [`Self::over_quota`] in the month of `now`.
    async fn over_quota_at(&self, n: u32, now: DateTime<Utc>) -> Vec<JobId> {
        self.store
            .reserve_quota(self.tenant, &Period::of(now), 2, 2)
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

impl Billing {
    async fn limit(&self) -> u32 {
        self.service
            .overview(self.tenant)
            .await
            .unwrap()
            .usage
            .limit
    }

    async fn past_due_since(&self) -> Option<i64> {
        let tenant = self.store.get_tenant(self.tenant).await.unwrap().unwrap();
        tenant.past_due_since.map(|t| t.timestamp())
    }
}

#[tokio::test]
async fn past_due_keeps_the_paid_limits_for_seven_days_then_the_free_ones_until_paid() {
    let start = Utc::now();
    let clock = Arc::new(FixedClock::at(start));
    let b = billing_with(clock.clone()).await;
    let t0 = start.timestamp();
    let fill = |event, created| StripeFill {
        event,
        created,
        tenant: b.tenant,
        customer: "cus_grace",
        subscription: "sub_grace",
        plan: "pro",
    };
    b.webhook(&sample(
        "checkout-session-completed.json",
        &fill("evt_g1", t0),
        &[],
    ))
    .await;
    assert_eq!(b.limit().await, 5);
    let failed = |event, created| {
        sample(
            "invoice.json",
            &fill(event, created),
            &[("INVOICE_EVENT", "invoice.payment_failed")],
        )
    };
    assert_eq!(
        b.webhook(&failed("evt_g2", t0 + 10)).await,
        WebhookOutcome::Applied
    );
    assert_eq!(b.past_due_since().await, Some(t0 + 10));
    // Stripe's retry fails again on day 3: the grace still counts from the first failure.
    let day = |n: i64| t0 + 10 + n * 86_400;
    assert_eq!(
        b.webhook(&failed("evt_g3", day(3))).await,
        WebhookOutcome::Applied
    );
    assert_eq!(b.past_due_since().await, Some(t0 + 10));

    clock.set(start + Duration::seconds(10) + Duration::days(6));
    assert_eq!(b.limit().await, 5, "day 6: still the paid limits");
    clock.set(start + Duration::seconds(10) + Duration::days(8));
    assert_eq!(b.limit().await, 2, "day 8: the default plan's limits");
    let tenant = b.store.get_tenant(b.tenant).await.unwrap().unwrap();
    assert_eq!(
        tenant.plan.as_str(),
        "pro",
        "the plan itself is kept for when it is paid"
    );

    let paid = sample(
        "invoice.json",
        &fill("evt_g4", day(8)),
        &[("INVOICE_EVENT", "invoice.paid")],
    );
    assert_eq!(b.webhook(&paid).await, WebhookOutcome::Applied);
    assert_eq!(b.limit().await, 5, "invoice.paid restores the paid limits");
    assert_eq!(b.past_due_since().await, None);
}

#[tokio::test]
async fn unpaid_and_paused_subscriptions_drop_to_the_default_plan_at_once() {
    let b = billing().await;
    let t0 = Utc::now().timestamp();
    let fill = |event, created| StripeFill {
        event,
        created,
        tenant: b.tenant,
        customer: "cus_drop",
        subscription: "sub_drop",
        plan: "pro",
    };
    b.webhook(&sample(
        "checkout-session-completed.json",
        &fill("evt_d1", t0),
        &[],
    ))
    .await;
    assert_eq!(b.limit().await, 5);
    let steps = [
        ("evt_d2", "unpaid", 2),
        ("evt_d3", "active", 5),
        ("evt_d4", "paused", 2),
    ];
    for (i, (event, status, limit)) in steps.into_iter().enumerate() {
        let update = sample(
            "customer-subscription-updated.json",
            &fill(event, t0 + 10 * (i as i64 + 1)),
            &[("\"STATUS\"", &format!("\"{status}\""))],
        );
        assert_eq!(
            b.webhook(&update).await,
            WebhookOutcome::Applied,
            "{status}"
        );
        assert_eq!(b.limit().await, limit, "{status}");
    }
    let state = b.store.billing_state(b.tenant).await.unwrap().unwrap();
    assert_eq!(state.subscription_status, SubscriptionStatus::Paused);
    assert_eq!(state.plan.as_str(), "pro");
}

#[tokio::test]
async fn paying_after_the_grace_admits_the_held_back_jobs_at_once() {
    // Mid-month, so that the grace and the payment fall in one quota period.
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(start));
    let b = billing_with(clock.clone()).await;
    let t0 = start.timestamp();
    let fill = |event, created| StripeFill {
        event,
        created,
        tenant: b.tenant,
        customer: "cus_late",
        subscription: "sub_late",
        plan: "pro",
    };
    b.webhook(&sample(
        "checkout-session-completed.json",
        &fill("evt_l1", t0),
        &[],
    ))
    .await;
    let failed = sample(
        "invoice.json",
        &fill("evt_l2", t0 + 10),
        &[("INVOICE_EVENT", "invoice.payment_failed")],
    );
    assert_eq!(b.webhook(&failed).await, WebhookOutcome::Applied);
    clock.set(start + Duration::days(8));
    assert_eq!(
        b.limit().await,
        2,
        "past the grace: the default plan's limits"
    );
    let ids = b.over_quota_at(3, clock.now()).await;
    assert_eq!(b.statuses(&ids), vec![JobStatus::PendingUpgrade; 3]);

    // invoice.paid changes only the status, yet the effective quota grows from 2 to 5.
    let paid = sample(
        "invoice.json",
        &fill("evt_l3", t0 + 8 * 86_400),
        &[("INVOICE_EVENT", "invoice.paid")],
    );
    assert_eq!(b.webhook(&paid).await, WebhookOutcome::Applied);
    assert_eq!(b.statuses(&ids), vec![JobStatus::Queued; 3]);
    assert_eq!(b.queue.take_sent().len(), 3);
}

/// Checkout and the portal read the caller's role now: a token's may be 15 minutes old,
/// and a demoted or removed admin must not buy or manage the subscription on it.
#[tokio::test]
async fn a_demoted_or_removed_admin_can_neither_check_out_nor_open_the_portal() {
    let b = billing().await;
    // A user the store has as a member (the account's first user, demoted meanwhile).
    let tenant = contract::tenant("Demoted");
    let mut member = contract::user(&tenant, &format!("{}@example.com", tenant.id), Role::Member);
    member.email_verified = true;
    b.store.create_account(&tenant, &member).await.unwrap();
    let demoted = shared::auth::Principal {
        tenant: tenant.id,
        user: member.id,
        role: Role::Admin,
    };
    let removed = shared::auth::Principal {
        tenant: b.tenant,
        user: shared::domain::UserId::new(),
        role: Role::Admin,
    };
    use jobmon_billing::service::BillingError;
    let checkout = b.service.checkout(&demoted, "pro").await;
    assert!(
        matches!(checkout, Err(BillingError::NotAdmin(_))),
        "{checkout:?}"
    );
    let portal = b.service.portal(&demoted).await;
    assert!(
        matches!(portal, Err(BillingError::NotAdmin(_))),
        "{portal:?}"
    );
    let checkout = b.service.checkout(&removed, "pro").await;
    assert!(
        matches!(checkout, Err(BillingError::Unauthenticated)),
        "{checkout:?}"
    );
    let portal = b.service.portal(&removed).await;
    assert!(
        matches!(portal, Err(BillingError::Unauthenticated)),
        "{portal:?}"
    );
}
