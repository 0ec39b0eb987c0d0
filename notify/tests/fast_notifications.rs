//! The notifications use cases over the in-memory store: roles, tenant scoping, and that a
//! refused request stores nothing.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use jobmon_connectors::AddressPolicy;
use jobmon_notify::deliver::{ChannelPoster, SendOutcome};
use jobmon_notify::service::{MAX_CHANNELS, SAMPLE_REASON, TESTS_PER_MINUTE, TestResult};
use jobmon_notify::settings::{Channel, CreateChannel, SettingsInput, UpdateChannel};
use jobmon_notify::{MemoryNotifications, NotificationsError, NotificationsService};
use serde_json::json;
use shared::adapters::memory::MemoryStore;
use shared::auth::Principal;
use shared::domain::{Email, Role, Tenant, TenantId, TenantName, User, UserId};
use shared::ports::{AccountStore, FixedClock, StoreError};

fn service() -> NotificationsService {
    NotificationsService {
        store: Arc::new(MemoryNotifications::default()),
        clock: Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap(),
        )),
        destinations: AddressPolicy::PublicOnly,
        poster: Arc::new(Scripted::answering(SendOutcome::Sent)),
        limiter: Arc::new(MemoryStore::default()),
        accounts: Arc::new(Members),
        app_url: "https://jobmon.example.com".into(),
    }
}

/// Who the store has, and with which role now: [`principal`] registers each caller as its
/// token says; a test may demote or remove one afterwards.
static ROLES: LazyLock<Mutex<HashMap<(TenantId, UserId), Role>>> = LazyLock::new(Mutex::default);

/// The account store as the notifications use cases read it: only `get_user`.
struct Members;

fn unused<T>() -> Result<T, StoreError> {
    Err(StoreError::Unavailable(
        "not used by the notifications use cases".into(),
    ))
}

#[async_trait]
impl AccountStore for Members {
    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>, StoreError> {
        let role = ROLES.lock().unwrap().get(&(tenant, user)).copied();
        Ok(role.map(|role| User {
            id: user,
            tenant_id: tenant,
            email: Email::parse(&format!("{user}@example.com")).unwrap(),
            role,
            email_verified: true,
            password_hash: String::new(),
            created_at: Utc::now(),
            session_generation: 0,
        }))
    }
    async fn create_account(&self, _: &Tenant, _: &User) -> Result<(), StoreError> {
        unused()
    }
    async fn find_user_by_email(&self, _: &Email) -> Result<Option<User>, StoreError> {
        unused()
    }
    async fn list_users(&self, _: TenantId) -> Result<Vec<User>, StoreError> {
        unused()
    }
    async fn rename_tenant(
        &self,
        _: TenantId,
        _: &TenantName,
    ) -> Result<Option<Tenant>, StoreError> {
        unused()
    }
    async fn add_invited_user(&self, _: &User, _: &str, _: Option<u32>) -> Result<(), StoreError> {
        unused()
    }
    async fn change_role(&self, _: &User, _: Role) -> Result<(), StoreError> {
        unused()
    }
    async fn remove_user(&self, _: &User) -> Result<(), StoreError> {
        unused()
    }
    async fn verify_email(&self, _: &User, _: &str) -> Result<(), StoreError> {
        unused()
    }
    async fn reset_password(&self, _: &User, _: &str, _: &str) -> Result<(), StoreError> {
        unused()
    }
}

/// What a poster was given: the channel id, the body and the signature.
type Posted = (String, Vec<u8>, Option<String>);

/// A poster that records what it was given and answers one scripted outcome.
struct Scripted {
    answer: SendOutcome,
    posted: Mutex<Vec<Posted>>,
}

impl Scripted {
    fn answering(answer: SendOutcome) -> Self {
        Self {
            answer,
            posted: Mutex::default(),
        }
    }
}

#[async_trait]
impl ChannelPoster for Scripted {
    async fn post(
        &self,
        channel: &Channel,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> SendOutcome {
        let mut posted = self.posted.lock().unwrap();
        posted.push((channel.id.clone(), body, signature));
        self.answer.clone()
    }
}

fn principal(tenant: TenantId, role: Role) -> Principal {
    let user = UserId::new();
    ROLES.lock().unwrap().insert((tenant, user), role);
    Principal { tenant, user, role }
}

fn slack(url: &str, min_score: i64) -> CreateChannel {
    serde_json::from_value(json!({"kind": "slack", "url": url, "minScore": min_score})).unwrap()
}

#[tokio::test]
async fn settings_are_per_member_and_default_to_off() {
    let app = service();
    let tenant = TenantId::new();
    let (alice, bob) = (
        principal(tenant, Role::Member),
        principal(tenant, Role::Admin),
    );
    let input: SettingsInput = serde_json::from_value(json!({"email": {
        "instant": {"enabled": true, "minScore": 9},
        "digest": {"enabled": true, "hour": 7, "timeZone": "America/New_York"}
    }}))
    .unwrap();
    app.put_settings(alice, input).await.unwrap();
    let mine = app.settings(alice).await.unwrap();
    assert!(mine.email.instant.enabled);
    assert_eq!(mine.email.digest.time_zone, "America/New_York");
    let theirs = app.settings(bob).await.unwrap();
    assert!(!theirs.email.instant.enabled && !theirs.email.digest.enabled);
}

#[tokio::test]
async fn a_bad_settings_body_stores_nothing() {
    let app = service();
    let me = principal(TenantId::new(), Role::Member);
    let bad: SettingsInput = serde_json::from_value(json!({"email": {
        "instant": {"enabled": true, "minScore": 9},
        "digest": {"enabled": true, "hour": 7, "timeZone": "Europe/Atlantis"}
    }}))
    .unwrap();
    let e = app.put_settings(me, bad).await.unwrap_err();
    assert!(
        matches!(&e, NotificationsError::Invalid(f) if f.field == "email.digest.timeZone"),
        "{e:?}"
    );
    assert!(!app.settings(me).await.unwrap().email.instant.enabled);
}

#[tokio::test]
async fn only_admins_manage_channels() {
    let app = service();
    let member = principal(TenantId::new(), Role::Member);
    let e = app
        .create_channel(member, slack("https://hooks.example.com/x", 8))
        .await
        .unwrap_err();
    assert!(matches!(e, NotificationsError::NotAdmin(_)));
    assert!(matches!(
        app.channels(member).await.unwrap_err(),
        NotificationsError::NotAdmin(_)
    ));
}

#[tokio::test]
async fn another_tenants_channel_is_not_found() {
    let app = service();
    let admin = principal(TenantId::new(), Role::Admin);
    let stranger = principal(TenantId::new(), Role::Admin);
    let created = app
        .create_channel(admin, slack("https://hooks.example.com/x", 8))
        .await
        .unwrap();
    let id = created.channel.id.clone();
    let patch = UpdateChannel {
        enabled: Some(false),
        ..Default::default()
    };
    assert!(matches!(
        app.update_channel(stranger, &id, patch).await,
        Err(NotificationsError::NoSuchChannel)
    ));
    assert!(matches!(
        app.delete_channel(stranger, &id).await,
        Err(NotificationsError::NoSuchChannel)
    ));
    assert!(app.channels(stranger).await.unwrap().items.is_empty());
    let mine = app.channels(admin).await.unwrap();
    assert_eq!(mine.items.len(), 1);
    assert!(
        mine.items[0].enabled,
        "the stranger's PATCH changed nothing"
    );
}

#[tokio::test]
async fn only_webhook_channels_get_a_signing_secret_shown_once() {
    let app = service();
    let admin = principal(TenantId::new(), Role::Admin);
    let hook: CreateChannel = serde_json::from_value(
        json!({"kind": "webhook", "url": "https://example.com/hook", "minScore": 6}),
    )
    .unwrap();
    let created = app.create_channel(admin, hook).await.unwrap();
    assert_eq!(created.signing_secret.as_deref().map(str::len), Some(64));
    let listed = serde_json::to_value(app.channels(admin).await.unwrap()).unwrap();
    assert!(
        listed["items"][0].get("signingSecret").is_none(),
        "{listed}"
    );
    let plain = app
        .create_channel(admin, slack("https://hooks.example.com/x", 8))
        .await
        .unwrap();
    assert!(plain.signing_secret.is_none());
}

#[tokio::test]
async fn channels_per_tenant_are_capped() {
    let app = service();
    let admin = principal(TenantId::new(), Role::Admin);
    for i in 0..MAX_CHANNELS {
        let url = format!("https://hooks.example.com/{i}");
        app.create_channel(admin, slack(&url, 8)).await.unwrap();
    }
    let e = app
        .create_channel(admin, slack("https://hooks.example.com/extra", 8))
        .await
        .unwrap_err();
    assert!(matches!(e, NotificationsError::TooManyChannels));
}

#[tokio::test]
async fn a_channel_test_sends_a_signed_sample_with_the_reason_and_changes_nothing_stored() {
    let scripted = Arc::new(Scripted::answering(SendOutcome::NotDelivered {
        reason: "HTTP 404".into(),
        retry: false,
    }));
    let app = NotificationsService {
        poster: scripted.clone(),
        ..service()
    };
    let admin = principal(TenantId::new(), Role::Admin);
    let hook: CreateChannel = serde_json::from_value(
        json!({"kind": "webhook", "url": "https://example.com/hook", "minScore": 6, "enabled": false}),
    )
    .unwrap();
    let created = app.create_channel(admin, hook).await.unwrap();
    let id = created.channel.id.clone();

    let result = app.test_channel(admin, &id).await.unwrap();
    assert_eq!(
        result,
        TestResult {
            delivered: false,
            error: Some("HTTP 404".into())
        }
    );
    let posted = scripted.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "a disabled channel can still be tested");
    let (to, body, signature) = &posted[0];
    assert_eq!(to, &id);
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["job"]["reason"], SAMPLE_REASON);
    assert_eq!(body["job"]["score"], 9);
    let secret = created.signing_secret.unwrap();
    let now = Utc
        .with_ymd_and_hms(2026, 11, 30, 8, 0, 0)
        .unwrap()
        .timestamp();
    jobmon_scoring::verify(
        secret.as_bytes(),
        signature.as_deref(),
        &posted[0].1,
        now,
        jobmon_scoring::TOLERANCE,
    )
    .expect("signed like a real delivery");

    let stored = &app.channels(admin).await.unwrap().items[0];
    assert_eq!(
        (stored.consecutive_failures, &stored.last_error),
        (0, &None)
    );
}

#[tokio::test]
async fn only_an_admin_of_the_tenant_can_test_a_channel() {
    let app = service();
    let tenant = TenantId::new();
    let admin = principal(tenant, Role::Admin);
    let created = app
        .create_channel(admin, slack("https://hooks.example.com/x", 8))
        .await
        .unwrap();
    let id = created.channel.id;
    assert!(matches!(
        app.test_channel(principal(tenant, Role::Member), &id).await,
        Err(NotificationsError::NotAdmin(_))
    ));
    assert!(matches!(
        app.test_channel(principal(TenantId::new(), Role::Admin), &id)
            .await,
        Err(NotificationsError::NoSuchChannel)
    ));
    assert!(matches!(
        app.test_channel(admin, "not-a-ulid").await,
        Err(NotificationsError::NoSuchChannel)
    ));
    assert_eq!(
        app.test_channel(admin, &id).await.unwrap(),
        TestResult {
            delivered: true,
            error: None
        }
    );
}

#[tokio::test]
async fn channel_tests_are_limited_per_tenant() {
    let scripted = Arc::new(Scripted::answering(SendOutcome::Sent));
    let app = NotificationsService {
        poster: scripted.clone(),
        ..service()
    };
    let admin = principal(TenantId::new(), Role::Admin);
    let id = app
        .create_channel(admin, slack("https://hooks.example.com/x", 8))
        .await
        .unwrap()
        .channel
        .id;
    for _ in 0..TESTS_PER_MINUTE {
        assert!(app.test_channel(admin, &id).await.unwrap().delivered);
    }
    let refused = app.test_channel(admin, &id).await.unwrap_err();
    assert!(matches!(
        refused,
        NotificationsError::RateLimited(r) if r.retry_after_secs > 0
    ));
    assert_eq!(shared::http::ApiError::from(refused).status().as_u16(), 429);
    assert_eq!(
        scripted.posted.lock().unwrap().len(),
        TESTS_PER_MINUTE as usize,
        "a refused test posts nothing"
    );

    // Another tenant has its own window.
    let other = principal(TenantId::new(), Role::Admin);
    let theirs = app
        .create_channel(other, slack("https://hooks.example.com/y", 8))
        .await
        .unwrap()
        .channel
        .id;
    assert!(app.test_channel(other, &theirs).await.unwrap().delivered);
}

/// A token's role may be 15 minutes old: channel actions read the caller's role now, so a
/// demoted admin cannot add a channel (which sends the tenant's jobs elsewhere), test one or
/// change one, and a removed one is signed out.
#[tokio::test]
async fn a_demoted_or_removed_admin_cannot_touch_channels_on_an_old_token() {
    let app = service();
    let tenant = TenantId::new();
    let (demoted, removed) = (
        principal(tenant, Role::Admin),
        principal(tenant, Role::Admin),
    );
    let id = app
        .create_channel(demoted, slack("https://hooks.example.com/x", 8))
        .await
        .unwrap()
        .channel
        .id;
    ROLES
        .lock()
        .unwrap()
        .insert((tenant, demoted.user), Role::Member);
    ROLES.lock().unwrap().remove(&(tenant, removed.user));

    for caller in [demoted, removed] {
        let expected = |e: &NotificationsError| match e {
            NotificationsError::NotAdmin(_) => caller == demoted,
            NotificationsError::Unauthenticated => caller == removed,
            _ => false,
        };
        let create = app
            .create_channel(caller, slack("https://evil.example.com/y", 1))
            .await;
        assert!(create.as_ref().is_err_and(expected), "{create:?}");
        let test = app.test_channel(caller, &id).await;
        assert!(test.as_ref().is_err_and(expected), "{test:?}");
        let delete = app.delete_channel(caller, &id).await;
        assert!(delete.as_ref().is_err_and(expected), "{delete:?}");
    }
    let admin = principal(tenant, Role::Admin);
    let listed = app.channels(admin).await.unwrap();
    assert_eq!(listed.items.len(), 1, "nothing added, nothing removed");
}
