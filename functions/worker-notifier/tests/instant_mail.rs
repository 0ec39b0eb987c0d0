//! Instant e-mail through worker-notifier's handler against moto's SES v2 and DynamoDB,
//! with members made and verified through the real account service: a verified member
//! gets a match once even when the event comes twice, an unverified one nothing, a score
//! below the threshold nothing, the hourly cap holds, and the mailed one-click URL switches
//! instant mail off without a login.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use jobmon_connectors::AddressPolicy;
use jobmon_notify::deliver::{Deliverer, HttpPoster, SendOutcome};
use jobmon_notify::email::{InstantMailer, MailSender, OutgoingMail};
use jobmon_notify::ses::SesSender;
use jobmon_notify::settings::MemberSettings;
use jobmon_notify::unsubscribe::{MailKind, UnsubscribeKey, Unsubscriber};
use jobmon_notify::{DynamoNotifications, NotificationStore};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::{MAIL_FROM, PASSWORD, account_service, unique_email, verified_signup};
use jobmon_tests::mail::{SentMail, sent_to};
use serde_json::json;
use shared::domain::{JobId, Score, TenantId, UserId};
use shared::services::accounts::RegisterRequest;
use shared::services::{AccountService, AuthLimits};

/// Sends through SES and keeps what it sent, so a test can follow the `List-Unsubscribe`
/// URL (moto stores a message's body, not its headers).
struct Recording {
    ses: SesSender,
    sent: Mutex<Vec<OutgoingMail>>,
}

#[async_trait]
impl MailSender for Recording {
    async fn send(&self, mail: &OutgoingMail) -> SendOutcome {
        let outcome = self.ses.send(mail).await;
        if outcome == SendOutcome::Sent {
            self.sent.lock().unwrap().push(mail.clone());
        }
        outcome
    }
}

struct Env {
    stack: TestStack,
    accounts: AccountService,
    store: Arc<DynamoNotifications>,
    recording: Arc<Recording>,
    key: UnsubscribeKey,
}

async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let store = Arc::new(DynamoNotifications::new(
        stack.dynamo.clone(),
        stack.table(),
    ));
    let recording = Arc::new(Recording {
        ses: SesSender::new(aws_sdk_sesv2::Client::new(&stack.config), MAIL_FROM),
        sent: Mutex::new(Vec::new()),
    });
    Env {
        stack,
        accounts,
        store,
        recording,
        key: UnsubscribeKey::new(b"test-only-unsubscribe-key-0123456789abcdef").unwrap(),
    }
}

impl Env {
    fn deliverer(&self, per_hour: u32) -> Deliverer {
        Deliverer {
            channels: self.store.clone(),
            log: self.store.clone(),
            poster: Arc::new(HttpPoster::new(
                AddressPolicy::AllowPrivate,
                Duration::from_secs(2),
            )),
            clock: shared::ports::SystemClock::shared(),
            app_url: "http://127.0.0.1:3000".into(),
            mail: Some(Arc::new(InstantMailer {
                directory: self.store.clone(),
                digests: self.store.clone(),
                log: self.store.clone(),
                sender: self.recording.clone(),
                key: self.key.clone(),
                per_hour,
                app_url: "http://127.0.0.1:3000".into(),
            })),
        }
    }

    /// A new tenant whose admin asked for instant mail from `min_score`; verified through
    /// the link of the verification mail when `verified`.
    async fn member(&self, verified: bool, min_score: i64) -> (TenantId, UserId, String) {
        let email = unique_email("instant");
        let session = if verified {
            verified_signup(&self.stack, &self.accounts, &email, "Acme").await
        } else {
            self.accounts
                .register(
                    RegisterRequest {
                        email: email.clone(),
                        password: PASSWORD.into(),
                        tenant_name: "Acme".into(),
                    },
                    "127.0.0.1",
                )
                .await
                .unwrap()
        };
        let mut settings = MemberSettings::default();
        settings.email.instant.enabled = true;
        settings.email.instant.min_score = Score::new(min_score).unwrap();
        let (tenant, user) = (session.tenant.id, session.user.id);
        self.store
            .put_settings(tenant, user, &settings)
            .await
            .unwrap();
        (tenant, user, email)
    }

    fn matches_to(&self, email: &str) -> Vec<SentMail> {
        sent_to(&self.stack.endpoint, email)
            .into_iter()
            .filter(|m| {
                m.subject.starts_with("New match") || m.subject.contains(" new matches, best ")
            })
            .collect()
    }
}

fn envelope(tenant: TenantId, job: JobId, score: i64) -> String {
    json!({
        "version": "0", "id": ulid::Ulid::new().to_string(), "source": "jobmon",
        "detail-type": "JobScored", "time": Utc::now(), "resources": [],
        "detail": {"tenantId": tenant, "scorer": "profile", "model": null,
            "reason": "Rust & AWS <Lambda>, remote in the EU as the profile asks.",
            "job": {
            "id": job, "title": "Platform Engineer", "company": "Acme", "location": "Berlin",
            "remote": true, "url": "https://jobs.example.com/2", "status": "scored",
            "score": score, "createdAt": Utc::now()}}
    })
    .to_string()
}

fn batch(bodies: &[String]) -> SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({"messageId": format!("m{i}"), "receiptHandle": "r", "body": body,
                   "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                   "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:NotificationQueue"})
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

async fn run(deliverer: &Deliverer, bodies: &[String]) {
    let response = worker_notifier::handle(deliverer, batch(bodies)).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "nothing to retry: {:?}",
        response.batch_item_failures
    );
}

#[tokio::test]
async fn a_match_mails_a_verified_member_once_even_when_the_event_comes_twice() {
    let env = env().await;
    let deliverer = env.deliverer(10);
    let (tenant, _, email) = env.member(true, 7).await;
    let (other, _, unverified) = env.member(false, 7).await;
    let job = JobId::new();
    let event = envelope(tenant, job, 9);
    run(&deliverer, &[event.clone(), event.clone()]).await;
    run(&deliverer, &[event, envelope(other, JobId::new(), 9)]).await;

    let mails = env.matches_to(&email);
    assert_eq!(mails.len(), 1, "once, though the event came three times");
    let mail = &mails[0];
    assert_eq!(mail.subject, "New match 9/10: Platform Engineer at Acme");
    // moto keeps the HTML part: title, company, score, the escaped reason, the link.
    assert!(mail.body.contains("Platform Engineer"));
    assert!(mail.body.contains("Acme · Berlin (remote)"));
    assert!(mail.body.contains("Score: 9/10"));
    assert!(
        mail.body
            .contains("Rust &amp; AWS &lt;Lambda&gt;, remote in the EU")
    );
    assert!(
        mail.body
            .contains(&format!("http://127.0.0.1:3000/jobs/{job}"))
    );
    assert!(
        env.matches_to(&unverified).is_empty(),
        "an unverified address receives nothing"
    );

    let sent = env.recording.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].text.contains("Why: Rust & AWS <Lambda>"));
    assert!(
        sent[0]
            .unsubscribe_url
            .starts_with("http://127.0.0.1:3000/v1/notifications/unsubscribe?token=")
    );
}

#[tokio::test]
async fn a_score_below_the_members_threshold_mails_nothing() {
    let env = env().await;
    let deliverer = env.deliverer(10);
    let (tenant, _, email) = env.member(true, 10).await;
    run(&deliverer, &[envelope(tenant, JobId::new(), 9)]).await;
    assert!(env.matches_to(&email).is_empty());
}

#[tokio::test]
async fn the_hourly_cap_holds_across_batches() {
    let env = env().await;
    let deliverer = env.deliverer(2);
    let (tenant, _, email) = env.member(true, 7).await;
    // Four batches of one (a batch is one mail, however many jobs it lists).
    for _ in 0..4 {
        run(&deliverer, &[envelope(tenant, JobId::new(), 8)]).await;
    }
    assert_eq!(env.matches_to(&email).len(), 2, "at most 2 an hour");
}

#[tokio::test]
async fn matches_found_together_reach_a_member_as_one_mail_best_first() {
    let env = env().await;
    let deliverer = env.deliverer(10);
    let (tenant, _, email) = env.member(true, 7).await;
    let (low, best, good) = (JobId::new(), JobId::new(), JobId::new());
    let best_event = envelope(tenant, best, 9);
    // Under the threshold, the best twice (a duplicate delivery), another tenant's match.
    let (other, _, other_email) = env.member(true, 7).await;
    let batch = [
        envelope(tenant, low, 6),
        envelope(tenant, good, 8),
        best_event.clone(),
        best_event,
        envelope(other, JobId::new(), 8),
    ];
    run(&deliverer, &batch).await;

    let mails = env.matches_to(&email);
    assert_eq!(mails.len(), 1, "one mail for the batch");
    assert!(
        mails[0].subject.starts_with("2 new matches, best 9/10: "),
        "{}",
        mails[0].subject
    );
    let (at_best, at_good) = (
        mails[0]
            .body
            .find(&format!("/jobs/{best}"))
            .expect("the best job is listed"),
        mails[0]
            .body
            .find(&format!("/jobs/{good}"))
            .expect("the other match is listed"),
    );
    assert!(at_best < at_good, "best first");
    assert!(
        !mails[0].body.contains(&format!("/jobs/{low}")),
        "nothing under the threshold"
    );
    assert_eq!(
        env.matches_to(&other_email).len(),
        1,
        "each tenant's own mail"
    );

    // The batch delivered again: every job is marked, nothing is mailed twice.
    run(&deliverer, &batch).await;
    assert_eq!(env.matches_to(&email).len(), 1);
}

#[tokio::test]
async fn the_mailed_one_click_url_switches_instant_mail_off_without_a_login() {
    let env = env().await;
    let deliverer = env.deliverer(10);
    let (tenant, user, email) = env.member(true, 7).await;
    run(&deliverer, &[envelope(tenant, JobId::new(), 8)]).await;
    let url = env.recording.sent.lock().unwrap()[0]
        .unsubscribe_url
        .clone();
    let token = url.split_once("token=").unwrap().1.to_owned();

    let unsubscriber = Unsubscriber {
        store: env.store.clone(),
        key: env.key.clone(),
        clock: shared::ports::SystemClock::shared(),
    };
    let tampered = token.replacen(".instant.", ".digest.", 1);
    assert!(unsubscriber.unsubscribe(&tampered).await.is_err());
    assert_eq!(
        unsubscriber.unsubscribe(&token).await.unwrap(),
        MailKind::Instant
    );
    let settings = env.store.settings(tenant, user).await.unwrap().unwrap();
    assert!(!settings.email.instant.enabled);

    run(&deliverer, &[envelope(tenant, JobId::new(), 10)]).await;
    assert_eq!(
        env.matches_to(&email).len(),
        1,
        "nothing after unsubscribing"
    );
}
