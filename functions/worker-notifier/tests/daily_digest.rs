//! The daily digest through worker-notifier's `dispatch` with a schedule event, against
//! moto: jobs scored through the queue path are kept, the member whose digest hour (in
//! their zone) has come gets one mail with the day's matches at or above their threshold,
//! best first; nothing when nothing is new; running the hour twice sends once.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use jobmon_connectors::AddressPolicy;
use jobmon_notify::deliver::{Deliverer, HttpPoster};
use jobmon_notify::digest::DigestRun;
use jobmon_notify::email::InstantMailer;
use jobmon_notify::ses::SesSender;
use jobmon_notify::settings::MemberSettings;
use jobmon_notify::unsubscribe::UnsubscribeKey;
use jobmon_notify::{DynamoNotifications, NotificationStore};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{MAIL_FROM, account_service, unique_email, verified_signup};
use jobmon_tests::mail::{SentMail, sent_to};
use serde_json::{Value, json};
use shared::domain::{JobId, Score, TenantId};
use shared::ports::FixedClock;
use shared::services::{AccountService, AuthLimits};

const ZONE: &str = "Europe/Berlin";

struct Env {
    stack: TestStack,
    accounts: AccountService,
    store: Arc<DynamoNotifications>,
    clock: Arc<FixedClock>,
    deliverer: Deliverer,
    digest: DigestRun,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let store = Arc::new(DynamoNotifications::new(
        stack.dynamo.clone(),
        stack.table(),
    ));
    // Mid-hour, so the run and the recorded jobs share one clock and one hour.
    let now = Utc::now().with_minute(30).unwrap();
    let clock = Arc::new(FixedClock::at(now));
    let key = UnsubscribeKey::new(b"test-only-unsubscribe-key-0123456789abcdef").unwrap();
    let sender = Arc::new(SesSender::new(
        aws_sdk_sesv2::Client::new(&stack.config),
        MAIL_FROM,
    ));
    let app_url = "http://127.0.0.1:3000".to_owned();
    let deliverer = Deliverer {
        channels: store.clone(),
        log: store.clone(),
        poster: Arc::new(HttpPoster::new(
            AddressPolicy::AllowPrivate,
            Duration::from_secs(2),
        )),
        clock: clock.clone(),
        app_url: app_url.clone(),
        mail: Some(Arc::new(InstantMailer {
            directory: store.clone(),
            digests: store.clone(),
            log: store.clone(),
            sender: sender.clone(),
            key: key.clone(),
            per_hour: 10,
            app_url: app_url.clone(),
        })),
    };
    let digest = DigestRun {
        store: store.clone(),
        directory: store.clone(),
        sender,
        key,
        app_url,
        clock: clock.clone(),
    };
    Env {
        stack,
        accounts,
        store,
        clock,
        deliverer,
        digest,
    }
}

impl Env {
    /// A verified admin of a new tenant with the digest at `hour` (Berlin time), threshold 7,
    /// instant mail off.
    async fn member(&self, hour: u32) -> (TenantId, String) {
        let email = unique_email("digest");
        let session = verified_signup(&self.stack, &self.accounts, &email, "Acme").await;
        let mut settings = MemberSettings::default();
        settings.email.instant.min_score = Score::new(7).unwrap();
        settings.email.digest.enabled = true;
        settings.email.digest.hour = hour as u8;
        settings.email.digest.time_zone = ZONE.into();
        self.store
            .put_settings(session.tenant.id, session.user.id, &settings)
            .await
            .unwrap();
        (session.tenant.id, email)
    }

    fn local_hour(&self) -> u32 {
        let tz: Tz = ZONE.parse().unwrap();
        tz.from_utc_datetime(&shared::ports::Clock::now(&*self.clock).naive_utc())
            .hour()
    }

    async fn scored(&self, tenant: TenantId, title: &str, score: i64) {
        let body = json!({
            "version": "0", "id": ulid::Ulid::new().to_string(), "source": "jobmon",
            "detail-type": "JobScored", "time": Utc::now(), "resources": [],
            "detail": {"tenantId": tenant, "scorer": "profile", "model": null,
                "reason": format!("Why {title}"),
                "job": {"id": JobId::new(), "title": title, "company": "Acme",
                    "location": "Berlin", "remote": false, "url": "https://jobs.example.com/1",
                    "status": "scored", "score": score, "createdAt": Utc::now()}}
        })
        .to_string();
        let event: SqsEvent = serde_json::from_value(json!({"Records": [{
            "messageId": "m", "receiptHandle": "r", "body": body,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:NotificationQueue"}]}))
        .unwrap();
        let response = worker_notifier::handle(&self.deliverer, event).await;
        assert!(response.batch_item_failures.is_empty());
    }

    async fn hourly(&self) -> Value {
        let schedule = json!({"version": "0", "id": "e", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": Utc::now(), "resources": [], "detail": {}});
        worker_notifier::dispatch(&self.deliverer, Some(&self.digest), schedule)
            .await
            .unwrap()
    }

    fn digests_to(&self, email: &str) -> Vec<SentMail> {
        sent_to(&self.stack.endpoint, email)
            .into_iter()
            .filter(|m| m.subject.starts_with("Your jobmon digest"))
            .collect()
    }
}

#[tokio::test]
async fn the_digest_holds_the_days_matches_best_first_and_the_hour_twice_sends_once() {
    let env = env().await;
    let hour = env.local_hour();
    let (tenant, email) = env.member(hour).await;
    let (later, later_email) = env.member((hour + 1) % 24).await;
    for (title, score) in [("Seven", 7), ("Nine", 9), ("Five", 5), ("Eight", 8)] {
        env.scored(tenant, title, score).await;
        env.scored(later, title, score).await;
    }

    let report = env.hourly().await;
    assert_eq!(report["sent"], 1, "{report}");
    let mails = env.digests_to(&email);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Your jobmon digest: 3 new matches");
    let body = &mails[0].body;
    let at = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {body}"))
    };
    assert!(at(">Nine<") < at(">Eight<") && at(">Eight<") < at(">Seven<"));
    assert!(!body.contains(">Five<"), "below the threshold");
    assert!(body.contains("<strong>9/10</strong>") && body.contains("Why Nine"));
    assert!(body.contains("http://127.0.0.1:3000/jobs/"));
    assert!(
        env.digests_to(&later_email).is_empty(),
        "not yet their hour"
    );

    let again = env.hourly().await;
    assert_eq!(again["sent"], 0, "{again}");
    assert_eq!(env.digests_to(&email).len(), 1, "the hour twice sends once");
}

#[tokio::test]
async fn nothing_new_sends_nothing() {
    let env = env().await;
    let (tenant, email) = env.member(env.local_hour()).await;
    env.scored(tenant, "Too weak", 4).await;
    let report = env.hourly().await;
    assert_eq!(report["due"], 1, "{report}");
    assert_eq!(report["empty"], 1, "{report}");
    assert!(env.digests_to(&email).is_empty());
}
