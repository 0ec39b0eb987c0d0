//! The notifications API's use cases: a member's own e-mail settings, and the tenant's
//! channels (admins only).

use std::sync::Arc;

use jobmon_connectors::AddressPolicy;
use serde::Serialize;
use shared::auth::{NotAdmin, Principal};
use shared::domain::{JobId, Score};
use shared::http::ApiError;
use shared::ports::{AccountStore, Clock, RateLimiter, StoreError};
use shared::services::caller::admin_now;
use shared::services::views::ListView;
use shared::services::{RateLimited, rate_limited};

use crate::deliver::{ChannelPoster, ScoredJob, SendOutcome, signed_body};
use crate::messages::Match;
use crate::settings::{
    Channel, ChannelKind, ChannelView, CreateChannel, FieldError, MemberSettings, SettingsInput,
    UpdateChannel,
};
use crate::store::NotificationStore;

/// Channels per tenant. Checked by reading the list first, so two concurrent creates can
/// pass it together; a cap against mistakes and abuse, not a billed limit.
pub const MAX_CHANNELS: usize = 20;

/// Channel tests one tenant may send per minute. Each makes jobmon POST to an address the
/// admin chose, so without a limit the API would relay requests at the gateway's rate; a
/// person checking a URL after fixing it stays well below it.
pub const TESTS_PER_MINUTE: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    NotAdmin(#[from] NotAdmin),
    /// The caller's user is gone (removed, or the tenant is being erased).
    #[error("authentication required")]
    Unauthenticated,
    #[error("channel not found")]
    NoSuchChannel,
    #[error("a tenant has at most {MAX_CHANNELS} channels")]
    TooManyChannels,
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<NotificationsError> for ApiError {
    fn from(e: NotificationsError) -> Self {
        match e {
            NotificationsError::Invalid(f) => ApiError::validation(f.field, f.problem),
            NotificationsError::NotAdmin(e) => e.into(),
            NotificationsError::Unauthenticated => ApiError::Unauthorized,
            NotificationsError::NoSuchChannel => ApiError::NotFound,
            NotificationsError::TooManyChannels => ApiError::Conflict(e.to_string()),
            NotificationsError::RateLimited(r) => r.into(),
            NotificationsError::Store(s) => s.into(),
        }
    }
}

type Outcome<T> = Result<T, NotificationsError>;

/// A new channel as `POST` answers it: the view, plus the signing secret of a `webhook`
/// channel — the only time it is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedChannel {
    #[serde(flatten)]
    pub channel: ChannelView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

pub struct NotificationsService {
    pub store: Arc<dyn NotificationStore>,
    /// The caller's role as it is now, for the channel actions (admins only; a token's
    /// role may be 15 min old, and a channel sends the tenant's jobs somewhere).
    pub accounts: Arc<dyn AccountStore>,
    pub clock: Arc<dyn Clock>,
    /// The connectors' SSRF policy: `AllowPrivate` only on the local stack.
    pub destinations: AddressPolicy,
    /// Sends `…/test` samples (guarded by `destinations` again at send time).
    pub poster: Arc<dyn ChannelPoster>,
    /// Holds channel tests to [`TESTS_PER_MINUTE`] per tenant.
    pub limiter: Arc<dyn RateLimiter>,
    /// The dashboard, for the sample's links.
    pub app_url: String,
}

/// What `POST /v1/notifications/channels/{id}/test` answers: whether the receiver took
/// the sample, and if not why (as a channel's `lastError` would say it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub delivered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The reason the sample shows.
pub const SAMPLE_REASON: &str = "A sample sent from the Notifications page to test this channel.";

fn sample_job(app_url: &str) -> ScoredJob {
    ScoredJob {
        id: JobId::new(),
        title: "Senior Rust Engineer (test message)".into(),
        company: "jobmon".into(),
        location: "Berlin".into(),
        remote: true,
        url: app_url.to_owned(),
        score: Score::new(9).ok(),
        scored_at: None,
    }
}

fn new_signing_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    hex::encode(bytes)
}

impl NotificationsService {
    /// The caller is an admin of the tenant now, not only in their token.
    async fn admin(&self, principal: Principal) -> Outcome<()> {
        admin_now(
            &*self.accounts,
            principal,
            NotificationsError::Unauthenticated,
        )
        .await?;
        Ok(())
    }

    pub async fn settings(&self, principal: Principal) -> Outcome<MemberSettings> {
        let stored = self
            .store
            .settings(principal.tenant, principal.user)
            .await?;
        Ok(stored.unwrap_or_default())
    }

    pub async fn put_settings(
        &self,
        principal: Principal,
        input: SettingsInput,
    ) -> Outcome<MemberSettings> {
        let settings = input.parse()?;
        self.store
            .put_settings(principal.tenant, principal.user, &settings)
            .await?;
        Ok(settings)
    }

    pub async fn channels(&self, principal: Principal) -> Outcome<ListView<ChannelView>> {
        self.admin(principal).await?;
        let channels = self.store.channels(principal.tenant).await?;
        Ok(ListView {
            items: channels.iter().map(ChannelView::from).collect(),
            next_cursor: None,
        })
    }

    pub async fn create_channel(
        &self,
        principal: Principal,
        input: CreateChannel,
    ) -> Outcome<CreatedChannel> {
        self.admin(principal).await?;
        let new = input.parse(self.destinations)?;
        if self.store.channels(principal.tenant).await?.len() >= MAX_CHANNELS {
            return Err(NotificationsError::TooManyChannels);
        }
        let now = self.clock.now();
        let channel = Channel {
            id: ulid::Ulid::new().to_string(),
            tenant_id: principal.tenant,
            kind: new.kind,
            url: new.url.to_string(),
            min_score: new.min_score,
            enabled: new.enabled,
            signing_secret: (new.kind == ChannelKind::Webhook).then(new_signing_secret),
            last_error: None,
            consecutive_failures: 0,
            created_at: now,
            updated_at: now,
        };
        self.store.create_channel(&channel).await?;
        Ok(CreatedChannel {
            channel: (&channel).into(),
            signing_secret: channel.signing_secret.clone(),
        })
    }

    async fn own(&self, principal: &Principal, id: &str) -> Outcome<Channel> {
        // Ids are ULIDs; anything else cannot name a channel and is not worth a read.
        if ulid::Ulid::from_string(id).is_err() {
            return Err(NotificationsError::NoSuchChannel);
        }
        self.store
            .channel(principal.tenant, id)
            .await?
            .ok_or(NotificationsError::NoSuchChannel)
    }

    pub async fn update_channel(
        &self,
        principal: Principal,
        id: &str,
        input: UpdateChannel,
    ) -> Outcome<ChannelView> {
        self.admin(principal).await?;
        let mut channel = self.own(&principal, id).await?;
        input.apply(&mut channel, self.destinations, self.clock.now())?;
        if !self.store.replace_channel(&channel).await? {
            return Err(NotificationsError::NoSuchChannel);
        }
        Ok((&channel).into())
    }

    pub async fn delete_channel(&self, principal: Principal, id: &str) -> Outcome<()> {
        self.admin(principal).await?;
        if ulid::Ulid::from_string(id).is_err()
            || !self.store.delete_channel(principal.tenant, id).await?
        {
            return Err(NotificationsError::NoSuchChannel);
        }
        Ok(())
    }

    /// Sends a sample match to the channel, enabled or not (so a fixed URL can be checked
    /// before switching the channel back on). The channel's stored streak and `lastError`
    /// are left alone: a test is the admin's question, not a delivery.
    pub async fn test_channel(&self, principal: Principal, id: &str) -> Outcome<TestResult> {
        self.admin(principal).await?;
        let channel = self.own(&principal, id).await?;
        rate_limited::check::<NotificationsError>(
            self.limiter.as_ref(),
            &format!("channel-test:tenant:{}", principal.tenant),
            TESTS_PER_MINUTE,
            60,
            self.clock.now(),
        )
        .await?;
        let job = sample_job(&self.app_url);
        let score = job.score.unwrap_or(Score::MAX);
        let sample = Match::new(principal.tenant, &job, score, SAMPLE_REASON, &self.app_url);
        let (body, signature) = signed_body(&channel, &sample, self.clock.now());
        Ok(match self.poster.post(&channel, body, signature).await {
            SendOutcome::Sent => TestResult {
                delivered: true,
                error: None,
            },
            SendOutcome::NotDelivered { reason, .. } | SendOutcome::Unknown { reason } => {
                TestResult {
                    delivered: false,
                    error: Some(reason),
                }
            }
        })
    }
}
