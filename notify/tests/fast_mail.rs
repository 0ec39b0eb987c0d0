//! Instant mail and the daily digest against in-memory fakes: what is recorded for the
//! digest, and what a failure between two steps leaves for the retry.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use jobmon_notify::MemoryDeliveryLog;
use jobmon_notify::deliver::{DeliveryLog, ScoredJob, SendOutcome, Settled};
use jobmon_notify::digest::{DigestEntry, DigestError, DigestRun, DigestStore};
use jobmon_notify::email::{Address, InstantMailer, MailDirectory, MailSender, OutgoingMail};
use jobmon_notify::messages::Match;
use jobmon_notify::settings::MemberSettings;
use jobmon_notify::unsubscribe::UnsubscribeKey;
use shared::domain::{Score, TenantId, UserId};
use shared::ports::{FixedClock, StoreError};

type Marker = (TenantId, UserId, String);
/// Digest entries keyed like the adapter: tenant, scoring time and job.
type EntryKey = (TenantId, DateTime<Utc>, String);

/// The table as the mailers see it: members' settings, addresses, digest entries (keyed
/// like the adapter: scoring time and job), digest markers and an hourly cap that can be
/// made to fail.
#[derive(Default)]
struct Fake {
    members: Mutex<Vec<(TenantId, UserId, MemberSettings)>>,
    entries: Mutex<HashMap<EntryKey, DigestEntry>>,
    markers: Mutex<HashMap<Marker, &'static str>>,
    since_reads: Mutex<usize>,
    /// A tenant whose digest entries cannot be read.
    since_fails: Mutex<Option<TenantId>>,
    slot_fails: Mutex<bool>,
}

#[async_trait]
impl MailDirectory for Fake {
    async fn member_settings(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(UserId, MemberSettings)>, StoreError> {
        let members = self.members.lock().unwrap();
        Ok(members
            .iter()
            .filter(|(t, _, _)| *t == tenant)
            .map(|(_, u, s)| (*u, s.clone()))
            .collect())
    }

    async fn address(&self, _: TenantId, user: UserId) -> Result<Option<Address>, StoreError> {
        Ok(Some(Address {
            email: format!("{user}@example.com"),
            verified: true,
        }))
    }

    async fn take_hourly_slot(
        &self,
        _: TenantId,
        _: UserId,
        _: DateTime<Utc>,
        _: u32,
    ) -> Result<bool, StoreError> {
        if *self.slot_fails.lock().unwrap() {
            return Err(StoreError::Unavailable("throttled".into()));
        }
        Ok(true)
    }
}

#[async_trait]
impl DigestStore for Fake {
    /// The index partition of `hour`: every member's zone is UTC here.
    async fn due_at(
        &self,
        hour: u32,
    ) -> Result<Vec<(TenantId, UserId, MemberSettings)>, StoreError> {
        let members = self.members.lock().unwrap();
        Ok(members
            .iter()
            .filter(|(_, _, s)| s.email.digest.enabled && u32::from(s.email.digest.hour) == hour)
            .cloned()
            .collect())
    }

    async fn record(&self, tenant: TenantId, entry: &DigestEntry) -> Result<(), StoreError> {
        let key = (tenant, entry.scored_at, entry.job_id.to_string());
        self.entries.lock().unwrap().insert(key, entry.clone());
        Ok(())
    }

    async fn since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        *self.since_reads.lock().unwrap() += 1;
        if *self.since_fails.lock().unwrap() == Some(tenant) {
            return Err(StoreError::Unavailable("throttled".into()));
        }
        let entries = self.entries.lock().unwrap();
        Ok(entries
            .iter()
            .filter(|((t, at, _), _)| *t == tenant && *at >= since)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn claim(&self, tenant: TenantId, user: UserId, date: &str) -> Result<bool, StoreError> {
        let mut markers = self.markers.lock().unwrap();
        let key = (tenant, user, date.to_owned());
        match markers.get(&key) {
            None | Some(&"failed") => {
                markers.insert(key, "attempted");
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    async fn settle(
        &self,
        tenant: TenantId,
        user: UserId,
        date: &str,
        settled: Settled,
    ) -> Result<(), StoreError> {
        let state = match settled {
            Settled::Sent => "sent",
            Settled::Failed => "failed",
        };
        let key = (tenant, user, date.to_owned());
        self.markers.lock().unwrap().insert(key, state);
        Ok(())
    }
}

/// Answers the scripted outcomes in order, then `Sent`; records who was mailed.
#[derive(Default)]
struct Sender {
    script: Mutex<VecDeque<SendOutcome>>,
    sent: Mutex<Vec<String>>,
}

#[async_trait]
impl MailSender for Sender {
    async fn send(&self, mail: &OutgoingMail) -> SendOutcome {
        let outcome = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(SendOutcome::Sent);
        if outcome == SendOutcome::Sent {
            self.sent.lock().unwrap().push(mail.to.clone());
        }
        outcome
    }
}

fn throttled() -> SendOutcome {
    SendOutcome::NotDelivered {
        reason: "SES throttling".into(),
        retry: true,
    }
}

fn settings(instant: bool, digest: bool) -> MemberSettings {
    let mut s = MemberSettings::default();
    s.email.instant.enabled = instant;
    s.email.instant.min_score = Score::new(5).unwrap();
    s.email.digest.enabled = digest;
    s.email.digest.hour = 8;
    s.email.digest.time_zone = "UTC".into();
    s
}

fn at_eight() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap()
}

fn key() -> UnsubscribeKey {
    UnsubscribeKey::new(b"test-only-unsubscribe-key-0123456789abcdef").unwrap()
}

fn job(scored_at: Option<DateTime<Utc>>) -> ScoredJob {
    let mut job: ScoredJob = serde_json::from_value(serde_json::json!({
        "id": shared::domain::JobId::new(), "title": "Rust Engineer", "company": "Acme",
        "url": "https://jobs.example.com/1", "score": 8
    }))
    .unwrap();
    job.scored_at = scored_at;
    job
}

struct Mail {
    fake: Arc<Fake>,
    log: Arc<MemoryDeliveryLog>,
    sender: Arc<Sender>,
    mailer: InstantMailer,
}

fn mail() -> Mail {
    let fake = Arc::new(Fake::default());
    let log = Arc::new(MemoryDeliveryLog::default());
    let sender = Arc::new(Sender::default());
    let mailer = InstantMailer {
        directory: fake.clone(),
        digests: fake.clone(),
        log: log.clone(),
        sender: sender.clone(),
        key: key(),
        per_hour: 10,
        app_url: "https://jobmon.example.com".into(),
    };
    Mail {
        fake,
        log,
        sender,
        mailer,
    }
}

fn scored<'a>(tenant: TenantId, job: &'a ScoredJob) -> Match<'a> {
    Match::new(
        tenant,
        job,
        Score::new(8).unwrap(),
        "fits",
        "https://jobmon.example.com",
    )
}

#[tokio::test]
async fn scored_jobs_are_kept_for_the_digest_only_when_a_member_wants_one_and_once_per_score() {
    let m = mail();
    let tenant = TenantId::new();
    let user = UserId::new();
    m.fake
        .members
        .lock()
        .unwrap()
        .push((tenant, user, settings(false, false)));
    let scored_at = at_eight() - Duration::hours(1);
    let j = job(Some(scored_at));
    m.mailer
        .jobs_scored(&[scored(tenant, &j)], at_eight())
        .await
        .unwrap();
    assert!(m.fake.entries.lock().unwrap().is_empty(), "no digest is on");

    m.fake.members.lock().unwrap()[0].2 = settings(false, true);
    for redelivery in 0..2 {
        let now = at_eight() + Duration::minutes(redelivery);
        m.mailer
            .jobs_scored(&[scored(tenant, &j)], now)
            .await
            .unwrap();
    }
    let entries = m.fake.entries.lock().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "a redelivered event rewrites the same entry"
    );
    assert_eq!(entries.values().next().unwrap().scored_at, scored_at);
}

#[tokio::test]
async fn a_store_error_on_the_hourly_cap_leaves_the_mail_to_the_retry() {
    let m = mail();
    let tenant = TenantId::new();
    let user = UserId::new();
    m.fake
        .members
        .lock()
        .unwrap()
        .push((tenant, user, settings(true, false)));
    let j = job(None);
    *m.fake.slot_fails.lock().unwrap() = true;
    assert!(
        m.mailer
            .jobs_scored(&[scored(tenant, &j)], at_eight())
            .await
            .is_err()
    );
    assert!(m.sender.sent.lock().unwrap().is_empty());

    *m.fake.slot_fails.lock().unwrap() = false;
    let retried = m
        .mailer
        .jobs_scored(&[scored(tenant, &j)], at_eight())
        .await
        .unwrap();
    assert!(retried.is_empty(), "nothing left to retry");
    assert_eq!(m.sender.sent.lock().unwrap().len(), 1, "the retry mails it");
    assert!(
        !m.log
            .claim(tenant, j.id, &format!("MAIL#{user}"))
            .await
            .unwrap(),
        "and marks it sent"
    );
}

fn digest(fake: Arc<Fake>, sender: Arc<Sender>) -> DigestRun {
    DigestRun {
        store: fake.clone(),
        directory: fake,
        sender,
        key: key(),
        app_url: "https://jobmon.example.com".into(),
        clock: Arc::new(FixedClock::at(at_eight())),
    }
}

async fn digest_members(fake: &Fake, n: usize) -> (TenantId, HashSet<String>) {
    let tenant = TenantId::new();
    let mut addresses = HashSet::new();
    for _ in 0..n {
        let user = UserId::new();
        addresses.insert(format!("{user}@example.com"));
        fake.members
            .lock()
            .unwrap()
            .push((tenant, user, settings(false, true)));
    }
    let j = job(Some(at_eight() - Duration::hours(2)));
    let entry = DigestEntry {
        job_id: j.id,
        title: j.title.clone(),
        company: j.company.clone(),
        place: String::new(),
        score: Score::new(8).unwrap(),
        reason: "fits".into(),
        link: "https://jobmon.example.com/jobs/1".into(),
        scored_at: j.scored_at.unwrap(),
    };
    fake.record(tenant, &entry).await.unwrap();
    (tenant, addresses)
}

#[tokio::test]
async fn a_digest_run_reads_each_tenants_day_once() {
    let fake = Arc::new(Fake::default());
    let sender = Arc::new(Sender::default());
    digest_members(&fake, 3).await;
    let report = digest(fake.clone(), sender.clone()).run().await.unwrap();
    assert_eq!((report.due, report.sent), (3, 3));
    assert_eq!(*fake.since_reads.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_throttled_digest_fails_the_run_and_the_repeat_sends_it_once() {
    let fake = Arc::new(Fake::default());
    let sender = Arc::new(Sender::default());
    let (_, addresses) = digest_members(&fake, 2).await;
    sender.script.lock().unwrap().push_back(throttled());
    let run = digest(fake.clone(), sender.clone());

    let failed = run.run().await.unwrap_err();
    assert!(matches!(
        failed,
        DigestError::Retryable { count: 1, ref report } if report.sent == 1 && report.failed == 1
    ));
    // The schedule's retry within the hour: the failed marker is claimed again, the sent
    // one is not.
    let repeat = run.run().await.unwrap();
    assert_eq!((repeat.sent, repeat.empty), (1, 1));
    let sent = sender.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent.into_iter().collect::<HashSet<_>>(), addresses);
}

#[tokio::test]
async fn one_tenants_unreadable_entries_fail_only_its_digests_and_the_repeat_sends_them() {
    let fake = Arc::new(Fake::default());
    let sender = Arc::new(Sender::default());
    let (unreadable, first) = digest_members(&fake, 1).await;
    let (_, second) = digest_members(&fake, 1).await;
    *fake.since_fails.lock().unwrap() = Some(unreadable);
    let run = digest(fake.clone(), sender.clone());

    let failed = run.run().await.unwrap_err();
    assert!(matches!(
        failed,
        DigestError::Retryable { count: 1, ref report } if report.sent == 1 && report.failed == 1
    ));
    assert_eq!(
        sender
            .sent
            .lock()
            .unwrap()
            .iter()
            .cloned()
            .collect::<HashSet<_>>(),
        second
    );

    *fake.since_fails.lock().unwrap() = None;
    let repeat = run.run().await.unwrap();
    assert_eq!(repeat.sent, 1);
    let all: HashSet<String> = sender.sent.lock().unwrap().iter().cloned().collect();
    assert_eq!(all, first.union(&second).cloned().collect());
    assert_eq!(sender.sent.lock().unwrap().len(), 2, "each digest once");
}

#[tokio::test]
async fn a_digest_refused_for_good_is_not_sent_again_by_a_repeat() {
    let fake = Arc::new(Fake::default());
    let sender = Arc::new(Sender::default());
    digest_members(&fake, 1).await;
    sender
        .script
        .lock()
        .unwrap()
        .push_back(SendOutcome::NotDelivered {
            reason: "address rejected".into(),
            retry: false,
        });
    let run = digest(fake.clone(), sender.clone());
    let report = run.run().await.unwrap();
    assert_eq!(
        (report.sent, report.failed),
        (0, 1),
        "not a reason to repeat the run"
    );
    let repeat = run.run().await.unwrap();
    assert_eq!(
        (repeat.sent, repeat.empty),
        (0, 1),
        "the refused digest is not tried again"
    );
    assert!(sender.sent.lock().unwrap().is_empty());
}
