//! What every implementation of the store ports must answer alike: the conditions and
//! transactions the services rely on. Run against the in-memory store in the fast tier
//! (`tests/fast_store_contract.rs`) and against DynamoDB on moto (`tests/store.rs`), so
//! the fast tier's store cannot drift from the real one unnoticed.

use chrono::{Duration, TimeZone, Utc};
use shared::domain::fingerprint::posting_fingerprint;
use shared::domain::{
    CanonicalUrl, Email, Job, JobCard, JobId, JobStatus, Period, PlanCatalog, PlanId, Profile,
    Role, Salary, Score, ScoringEntry, Source, SourceId, SourceKind, SourceName, SourceValidators,
    SubscriptionStatus, Tenant, TenantId, TenantName, User, UserId, WorkMode,
};
use shared::ports::{
    AccountStore, AdmissionStore, Applied, BillingChange, BillingStore, Conflict, EventRef,
    IngestStore, JobStore, OneTimeToken, OneTimeTokenStore, PendingUpgrades, QuotaStore, Recorded,
    ReplayMarker, ScoringStore, StoreError, TenantReader, TokenPurpose, UsageReader,
};

/// Every port the contract exercises.
pub trait Store:
    AccountStore
    + AdmissionStore
    + TenantReader
    + UsageReader
    + QuotaStore
    + PendingUpgrades
    + JobStore
    + IngestStore
    + ScoringStore
    + BillingStore
    + OneTimeTokenStore
{
}

impl<T> Store for T where
    T: AccountStore
        + AdmissionStore
        + TenantReader
        + UsageReader
        + QuotaStore
        + PendingUpgrades
        + JobStore
        + IngestStore
        + ScoringStore
        + BillingStore
        + OneTimeTokenStore
{
}

pub fn tenant(name: &str) -> Tenant {
    Tenant {
        id: TenantId::new(),
        name: TenantName::parse(name).expect("valid name"),
        plan: PlanCatalog::builtin().default_plan().id.clone(),
        subscription_status: SubscriptionStatus::None,
        past_due_since: None,
        created_at: Utc::now(),
    }
}

pub fn user(tenant: &Tenant, email: &str, role: Role) -> User {
    User {
        id: UserId::new(),
        tenant_id: tenant.id,
        email: Email::parse(email).expect("valid address"),
        role,
        email_verified: false,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: Utc::now(),
        session_generation: 0,
    }
}

pub fn job(tenant: TenantId, url: &str, status: JobStatus) -> Job {
    let title = format!("Engineer {url}");
    // The card carries a copy of the pay range and the work mode: every store keeps both.
    let salary = Salary::new(Some(60_000.0), Some(80_000.0), Some("EUR"), Some("year"));
    Job {
        tenant_id: tenant,
        card: JobCard {
            id: JobId::new(),
            title: title.clone(),
            company: "Acme".into(),
            location: "Berlin".into(),
            remote: false,
            url: CanonicalUrl::parse(url).expect("valid URL"),
            source_id: SourceId::new(),
            status,
            score: None,
            created_at: Utc::now(),
            scored_at: None,
            closed_at: None,
            stage: None,
            stage_changed_at: None,
            salary: salary.clone(),
            work_mode: Some(WorkMode::Hybrid),
        },
        description: "Build things.".into(),
        native_id: Some(ulid::Ulid::new().to_string()),
        fingerprint: posting_fingerprint("Acme", &title, "Berlin"),
        salary,
        attempt: u32::from(status == JobStatus::Queued),
        last_error: None,
    }
}

/// An enabled source of `kind`, named after it, due now, never fetched.
pub fn source(tenant: TenantId, kind: SourceKind, config: serde_json::Value) -> Source {
    Source {
        id: SourceId::new(),
        tenant_id: tenant,
        name: SourceName::parse(kind.as_str()).expect("a kind's name is a valid source name"),
        kind: kind.into(),
        config,
        enabled: true,
        last_fetched_at: None,
        last_error: None,
        next_fetch_at: Some(Utc::now()),
        jobs_found: 0,
        consecutive_failures: 0,
        validators: SourceValidators::default(),
        open_ids: Vec::new(),
        absences: Default::default(),
        created_at: Utc::now(),
    }
}

fn conflict(result: Result<(), StoreError>) -> Option<Conflict> {
    match result {
        Err(StoreError::Conflict(c)) => Some(c),
        _ => None,
    }
}

/// Unique e-mail in any letter case; a refused account writes nothing.
pub async fn email_is_unique_in_any_case(store: &impl Store) {
    let first = tenant("First");
    store
        .create_account(&first, &user(&first, "ann@example.com", Role::Admin))
        .await
        .unwrap();
    let second = tenant("Second");
    let refused = user(&second, "ANN@Example.COM", Role::Admin);
    assert_eq!(
        conflict(store.create_account(&second, &refused).await),
        Some(Conflict::EmailTaken)
    );
    assert!(store.get_tenant(second.id).await.unwrap().is_none());
    assert!(
        store
            .get_user(second.id, refused.id)
            .await
            .unwrap()
            .is_none()
    );
    let found = store
        .find_user_by_email(&Email::parse("Ann@EXAMPLE.com").unwrap())
        .await
        .unwrap()
        .expect("look-up ignores case");
    assert_eq!(found.tenant_id, first.id);
}

/// One canonical URL per tenant; a refused job writes nothing; other tenants may have it.
pub async fn job_url_is_unique_per_tenant(store: &impl Store) {
    let (a, b) = (TenantId::new(), TenantId::new());
    let original = job(a, "https://boards.example.com/acme/jobs/1", JobStatus::New);
    store.insert_job(&original).await.unwrap();
    let repost = job(
        a,
        "HTTPS://Boards.Example.com:443/acme/jobs/1/?utm_source=x#apply",
        JobStatus::New,
    );
    assert_eq!(
        conflict(store.insert_job(&repost).await),
        Some(Conflict::DuplicateJobUrl)
    );
    assert!(store.get_job(a, repost.card.id).await.unwrap().is_none());
    store
        .insert_job(&job(
            b,
            "https://boards.example.com/acme/jobs/1",
            JobStatus::New,
        ))
        .await
        .unwrap();
    assert_eq!(
        store.get_job(a, original.card.id).await.unwrap().unwrap(),
        original
    );
    assert!(store.get_job(b, original.card.id).await.unwrap().is_none());
}

async fn invitation(store: &impl Store, tenant: TenantId, email: &str) -> String {
    let hash = format!("contract-{}", ulid::Ulid::new());
    store
        .put_token(&OneTimeToken {
            hash: hash.clone(),
            purpose: TokenPurpose::Invitation,
            tenant,
            user: None,
            email: Some(Email::parse(email).unwrap()),
            role: Some(Role::Member),
            expires_at: Utc::now() + Duration::days(1),
        })
        .await
        .unwrap();
    hash
}

/// The member limit, the spent token and the last admin are conditions of the write
/// itself; a refused write leaves the token, the e-mail and the counters as they were.
pub async fn member_rules_hold_in_the_transaction(store: &impl Store) {
    let t = tenant("Members");
    let admin = user(
        &t,
        &format!("{}@example.com", ulid::Ulid::new()),
        Role::Admin,
    );
    store.create_account(&t, &admin).await.unwrap();

    // Limit 1: the admin fills it.
    let email = format!("{}@example.com", ulid::Ulid::new());
    let hash = invitation(store, t.id, &email).await;
    let refused = user(&t, &email, Role::Member);
    assert_eq!(
        conflict(store.add_invited_user(&refused, &hash, Some(1)).await),
        Some(Conflict::MemberLimit)
    );
    assert!(store.get_user(t.id, refused.id).await.unwrap().is_none());
    assert!(
        store
            .find_user_by_email(&refused.email)
            .await
            .unwrap()
            .is_none(),
        "the e-mail stays free"
    );
    assert!(
        store
            .find_token(&hash, TokenPurpose::Invitation, Utc::now())
            .await
            .unwrap()
            .is_some(),
        "the invitation is not spent by a refused accept"
    );

    // Within the limit it is accepted, and the token is spent with it.
    store
        .add_invited_user(&refused, &hash, Some(2))
        .await
        .unwrap();
    assert!(
        store
            .find_token(&hash, TokenPurpose::Invitation, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    let again = user(
        &t,
        &format!("{}@example.com", ulid::Ulid::new()),
        Role::Member,
    );
    assert_eq!(
        conflict(store.add_invited_user(&again, &hash, None).await),
        Some(Conflict::TokenSpent)
    );
    assert_eq!(store.list_users(t.id).await.unwrap().len(), 2);

    // The only admin can be neither demoted nor removed.
    assert_eq!(
        conflict(store.change_role(&admin, Role::Member).await),
        Some(Conflict::LastAdmin)
    );
    assert_eq!(
        conflict(store.remove_user(&admin).await),
        Some(Conflict::LastAdmin)
    );
    let still = store.get_user(t.id, admin.id).await.unwrap().unwrap();
    assert_eq!(still.role, Role::Admin);
    assert!(
        store
            .find_user_by_email(&admin.email)
            .await
            .unwrap()
            .is_some()
    );

    // With a second admin, the first may step down; a stale role is refused.
    store.change_role(&refused, Role::Admin).await.unwrap();
    store.change_role(&admin, Role::Member).await.unwrap();
    assert_eq!(
        conflict(store.change_role(&admin, Role::Member).await),
        Some(Conflict::Stale),
        "the role as read (admin) is no longer stored"
    );
    // A removed user frees the address.
    let member = store.get_user(t.id, admin.id).await.unwrap().unwrap();
    store.remove_user(&member).await.unwrap();
    assert!(
        store
            .find_user_by_email(&admin.email)
            .await
            .unwrap()
            .is_none()
    );
}

/// The monthly quota is never granted past its limit and never released below zero.
pub async fn quota_is_conditional(store: &impl Store) {
    let t = TenantId::new();
    let november = Period::of(Utc.with_ymd_and_hms(2026, 11, 15, 12, 0, 0).unwrap());
    let december = Period::of(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    assert_eq!(store.reserve_quota(t, &november, 3, 5).await.unwrap(), 3);
    assert_eq!(store.reserve_quota(t, &november, 3, 5).await.unwrap(), 2);
    assert_eq!(store.reserve_quota(t, &november, 1, 5).await.unwrap(), 0);
    assert_eq!(store.scored_jobs(t, &november).await.unwrap(), 5);
    store.release_quota(t, &november, 2).await.unwrap();
    assert_eq!(store.scored_jobs(t, &november).await.unwrap(), 3);
    store.release_quota(t, &november, 4).await.unwrap();
    assert_eq!(store.scored_jobs(t, &november).await.unwrap(), 3);
    assert_eq!(store.scored_jobs(t, &december).await.unwrap(), 0);
}

/// An admission takes quota and writes its marker together, only as far as the month's
/// quota goes, in the month it was reserved in; open admissions are listed oldest first
/// until closed; job statuses tell written jobs from never-written ones.
pub async fn admissions_reserve_with_their_marker(store: &impl Store) {
    let t = tenant("Admit");
    store
        .create_account(&t, &user(&t, &format!("{}@example.com", t.id), Role::Admin))
        .await
        .unwrap();
    let november = Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 0).unwrap();
    let ids: Vec<JobId> = (0..4).map(|_| JobId::new()).collect();
    let first = store
        .reserve_admission(t.id, "01A", november, &ids[..3], 5)
        .await
        .unwrap()
        .expect("granted");
    assert_eq!(first.jobs, ids[..3]);
    assert_eq!(first.period(), Period::of(november));
    let second = store
        .reserve_admission(t.id, "01B", november, &ids[3..], 4)
        .await
        .unwrap()
        .expect("granted");
    assert_eq!(second.jobs, ids[3..]);
    // The month is used up: nothing is granted and no marker is written.
    assert!(
        store
            .reserve_admission(t.id, "01C", november, &ids, 4)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .scored_jobs(t.id, &Period::of(november))
            .await
            .unwrap(),
        4
    );
    let open = store.open_admissions(t.id).await.unwrap();
    assert_eq!(open, vec![first.clone(), second.clone()]);
    assert!(
        store
            .open_admissions(TenantId::new())
            .await
            .unwrap()
            .is_empty()
    );

    let written = job(t.id, "https://example.com/admitted", JobStatus::Queued);
    store
        .insert_jobs(std::slice::from_ref(&written))
        .await
        .unwrap();
    assert_eq!(
        store
            .job_statuses(t.id, &[written.card.id, ids[0]])
            .await
            .unwrap(),
        vec![Some(JobStatus::Queued), None]
    );
    store.close_admission(t.id, "01A").await.unwrap();
    store.close_admission(t.id, "01A").await.unwrap();
    assert_eq!(store.open_admissions(t.id).await.unwrap(), vec![second]);
}

fn entry(attempt: u32, score: i64) -> ScoringEntry {
    ScoringEntry {
        score: Score::new(score).unwrap(),
        reason: "fits".into(),
        scorer: "profile".into(),
        model: None,
        created_at: Utc::now(),
        attempt,
    }
}

/// A score made with a profile is stored only while the profile is at the version the
/// scorer read: every save increments it, and a stale score writes nothing. The card the
/// caller read is trusted only as far as the condition (queued, this attempt) holds.
pub async fn scorings_are_conditional_on_the_profile_version(store: &impl Store) {
    let t = TenantId::new();
    let queued = job(t, "https://jobs.example.com/profiled", JobStatus::Queued);
    store.insert_job(&queued).await.unwrap();
    let never_saved = store.versioned_profile(t).await.unwrap();
    assert_eq!(never_saved.version, 0);
    assert_eq!(never_saved.profile, Profile::default());

    let mut profile = Profile {
        summary: "Rust on Lambda".into(),
        ..Profile::default()
    };
    store.put_profile(t, &profile).await.unwrap();
    let saved = store.versioned_profile(t).await.unwrap();
    assert_eq!((saved.version, &saved.profile), (1, &profile));
    profile.summary = "Rust anywhere".into();
    store.put_profile(t, &profile).await.unwrap();
    assert_eq!(store.versioned_profile(t).await.unwrap().version, 2);
    assert_eq!(store.get_profile(t).await.unwrap(), Some(profile));

    for stale in [0, 1, 3] {
        assert_eq!(
            store
                .record_scoring_of(t, &queued.card, &entry(1, 7), stale)
                .await
                .unwrap(),
            Recorded::StaleProfile,
            "version {stale} is not the profile's"
        );
    }
    let untouched = store.get_job(t, queued.card.id).await.unwrap().unwrap();
    assert_eq!(
        untouched.card.status,
        JobStatus::Queued,
        "a stale score moved the card"
    );
    let history = store
        .history(t, queued.card.id, &shared::ports::PageRequest::first(10))
        .await
        .unwrap();
    assert!(history.items.is_empty(), "a stale score left an entry");

    assert_eq!(
        store
            .record_scoring_of(t, &queued.card, &entry(2, 7), 2)
            .await
            .unwrap(),
        Recorded::NotAwaited,
        "attempt 2 is not awaited"
    );
    let Recorded::Scored(card) = store
        .record_scoring_of(t, &queued.card, &entry(1, 7), 2)
        .await
        .unwrap()
    else {
        panic!("attempt 1 with the current profile is stored");
    };
    assert_eq!(card.status, JobStatus::Scored);
    assert_eq!(
        store
            .record_scoring_of(t, &queued.card, &entry(1, 3), 2)
            .await
            .unwrap(),
        Recorded::AlreadyScored
    );
}

/// Status moves apply only to the job as read; a scoring is recorded once per attempt,
/// only while the job awaits it, and a replayed signature writes nothing.
pub async fn moves_and_scorings_are_conditional(store: &impl Store) {
    let t = TenantId::new();
    let queued = job(t, "https://jobs.example.com/q", JobStatus::Queued);
    store.insert_job(&queued).await.unwrap();

    // Stale: the caller read the job as `new`.
    let mut stale = queued.card.clone();
    stale.status = JobStatus::New;
    assert!(
        store
            .set_status(t, &stale, 1, JobStatus::Archived)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .record_scoring(t, queued.card.id, &entry(2, 7), None)
            .await
            .unwrap(),
        Recorded::NotAwaited,
        "attempt 2 is not awaited"
    );
    let replay = ReplayMarker {
        key: format!("contract-{}", ulid::Ulid::new()),
        expires_at: (Utc::now() + Duration::hours(1)).timestamp(),
    };
    let Recorded::Scored(card) = store
        .record_scoring(t, queued.card.id, &entry(1, 7), Some(&replay))
        .await
        .unwrap()
    else {
        panic!("attempt 1 is awaited");
    };
    assert_eq!(card.status, JobStatus::Scored);
    assert_eq!(card.score, Some(Score::new(7).unwrap()));
    assert_eq!(
        store
            .record_scoring(t, queued.card.id, &entry(1, 3), None)
            .await
            .unwrap(),
        Recorded::AlreadyScored
    );
    assert_eq!(
        store
            .record_scoring(t, queued.card.id, &entry(1, 3), Some(&replay))
            .await
            .unwrap(),
        Recorded::Replayed
    );
    let stored = store.get_job(t, queued.card.id).await.unwrap().unwrap();
    assert_eq!(stored.card.score, Some(Score::new(7).unwrap()));
    let history = store
        .history(t, queued.card.id, &shared::ports::PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(history.items.len(), 1);

    // Requeue for a rescoring, then fail it: the fallback error is kept.
    let requeued = store
        .requeue(t, queued.card.id, JobStatus::Scored, 1)
        .await
        .unwrap()
        .expect("scored at attempt 1");
    assert_eq!(requeued.status, JobStatus::Queued);
    assert!(
        store
            .requeue(t, queued.card.id, JobStatus::Scored, 1)
            .await
            .unwrap()
            .is_none(),
        "already requeued"
    );
    assert!(
        store
            .mark_failed(t, queued.card.id, 1, None)
            .await
            .unwrap()
            .is_none()
    );
    let failed = store
        .mark_failed(t, queued.card.id, 2, None)
        .await
        .unwrap()
        .expect("queued for attempt 2");
    assert_eq!(failed.status, JobStatus::Failed);
    let stored = store.get_job(t, queued.card.id).await.unwrap().unwrap();
    assert_eq!(stored.attempt, 2);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("scoring failed after repeated attempts")
    );
}

/// Stripe events apply once and in order; a change about another subscription is not
/// applied; the first linked customer stays.
pub async fn billing_events_apply_once_and_in_order(store: &impl Store) {
    let t = tenant("Billing");
    store
        .create_account(
            &t,
            &user(
                &t,
                &format!("{}@example.com", ulid::Ulid::new()),
                Role::Admin,
            ),
        )
        .await
        .unwrap();
    let pro = PlanId::parse("pro").unwrap();
    let event = |id: &str, created: i64| EventRef {
        id: format!("{id}-{}", t.id),
        created,
        kind: "customer.subscription.updated".into(),
    };
    let change = BillingChange {
        plan: Some(pro.clone()),
        subscription_status: Some(SubscriptionStatus::Active),
        subscription_id: Some("sub_1".into()),
        ..BillingChange::default()
    };
    assert!(matches!(
        store
            .apply_event(t.id, &event("evt_2", 200), &change, Some("sub_1"))
            .await
            .unwrap(),
        Applied::Changed { .. }
    ));
    assert_eq!(
        store
            .apply_event(t.id, &event("evt_2", 200), &change, Some("sub_1"))
            .await
            .unwrap(),
        Applied::Duplicate
    );
    let downgrade = BillingChange {
        plan: Some(PlanCatalog::builtin().default_plan().id.clone()),
        ..BillingChange::default()
    };
    assert_eq!(
        store
            .apply_event(t.id, &event("evt_1", 100), &downgrade, None)
            .await
            .unwrap(),
        Applied::Stale,
        "older than the applied event"
    );
    assert_eq!(
        store
            .apply_event(t.id, &event("evt_3", 300), &downgrade, Some("sub_other"))
            .await
            .unwrap(),
        Applied::Stale,
        "another subscription"
    );
    assert!(
        store
            .event_processed(&event("evt_1", 100).id)
            .await
            .unwrap()
    );
    let state = store.billing_state(t.id).await.unwrap().unwrap();
    assert_eq!(state.plan, pro);
    assert_eq!(state.subscription_status, SubscriptionStatus::Active);
    assert_eq!(state.event_at, Some(200));
    assert_eq!(
        store
            .apply_event(TenantId::new(), &event("evt_4", 400), &downgrade, None)
            .await
            .unwrap(),
        Applied::UnknownTenant
    );

    let customer = format!("cus_{}", ulid::Ulid::new());
    assert_eq!(
        store.link_customer(t.id, &customer).await.unwrap(),
        customer
    );
    assert_eq!(
        store.link_customer(t.id, "cus_later").await.unwrap(),
        customer
    );
    assert_eq!(
        store.tenant_of_customer(&customer).await.unwrap(),
        Some(t.id)
    );
    assert_eq!(store.tenant_of_customer("cus_later").await.unwrap(), None);
}
