//! Notifications: what each member wants to be told by e-mail, the tenant's channels
//! (Slack, Discord, signed webhooks), where they are stored and the API's use cases.

pub mod deliver;
pub mod digest;
pub mod dynamo;
mod dynamo_digest;
mod dynamo_mail;
pub mod email;
pub mod messages;
pub mod service;
pub mod ses;
pub mod settings;
pub mod store;
pub mod unsubscribe;
pub mod zone;

pub use dynamo::DynamoNotifications;
pub use service::{NotificationsError, NotificationsService};
pub use store::{MemoryDeliveryLog, MemoryNotifications, NotificationStore};

/// Building the notifications service from `Core` at init; mains and tests both call it.
pub mod wiring {
    use std::sync::Arc;
    use std::time::Duration;

    use jobmon_connectors::{AddressPolicy, FetchSettings};
    use shared::config::{ConfigError, Env};
    use shared::ports::SystemClock;
    use shared::wiring::Core;

    use shared::adapters::{Sdk, SdkClient, SsmParameters};

    use crate::deliver::HttpPoster;
    use crate::digest::DigestRun;
    use crate::email::InstantMailer;
    use crate::ses::SesSender;
    use crate::unsubscribe::Unsubscriber;
    use crate::{DynamoNotifications, NotificationsService};

    /// How long a channel may take to answer before its send counts as "unknown".
    const SEND_TIMEOUT: Duration = Duration::from_secs(5);

    /// Channels follow the sources' SSRF policy (`JOBMON_ALLOW_PRIVATE_SOURCES`): one
    /// switch decides whether this deployment may reach private networks.
    fn address_policy(env: &Env) -> Result<AddressPolicy, ConfigError> {
        FetchSettings::from_vars(|name| env.get(name).map(str::to_owned))
            .map(|fetch| fetch.address_policy)
            .map_err(|e| ConfigError::Invalid {
                name: "JOBMON_ALLOW_PRIVATE_SOURCES".into(),
                reason: e.to_string(),
            })
    }

    fn poster(policy: AddressPolicy) -> HttpPoster {
        HttpPoster::new(policy, SEND_TIMEOUT)
    }

    /// The dashboard, for links in messages (`JOBMON_APP_URL`).
    fn app_url(env: &Env) -> String {
        env.get("JOBMON_APP_URL")
            .unwrap_or("http://127.0.0.1:3000")
            .to_owned()
    }

    /// What `api-notifications` serves: the notifications service and, for
    /// `POST /v1/notifications/unsubscribe`, the unsubscriber with the key that verifies
    /// the mailed tokens. Both over one table client.
    pub async fn api(core: &Core) -> Result<(NotificationsService, Unsubscriber), ConfigError> {
        let store = Arc::new(DynamoNotifications::new(
            core.store.shared_client(),
            core.store.table(),
        ));
        let destinations = address_policy(&core.env)?;
        // An API request waits for no `Retry-After`: the admin sees the 429 instead.
        let poster = poster(destinations).with_max_retry_wait(Duration::ZERO);
        let service = NotificationsService {
            store: store.clone(),
            clock: SystemClock::shared(),
            destinations,
            poster: Arc::new(poster),
            limiter: Arc::new(core.store.clone()),
            accounts: Arc::new(core.store.clone()),
            app_url: app_url(&core.env),
        };
        let unsubscriber = Unsubscriber {
            store,
            key: crate::unsubscribe::load_key(&core.env, &core.parameters).await?,
            clock: SystemClock::shared(),
        };
        Ok((service, unsubscriber))
    }

    /// Instant mails per member and hour (`JOBMON_INSTANT_MAIL_PER_HOUR`, default 10).
    fn per_hour(env: &Env) -> Result<u32, ConfigError> {
        const NAME: &str = "JOBMON_INSTANT_MAIL_PER_HOUR";
        match env.get(NAME) {
            None => Ok(crate::email::DEFAULT_PER_HOUR),
            Some(raw) => {
                raw.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError::Invalid {
                        name: NAME.into(),
                        reason: "must be a whole number above 0".into(),
                    })
            }
        }
    }

    /// Instant mail and the daily digest when `JOBMON_MAIL_FROM` names a sender; both
    /// need the unsubscribe key ([`crate::unsubscribe::load_key`]).
    async fn mailers(
        sdk: &Sdk,
        env: &Env,
        store: Arc<DynamoNotifications>,
    ) -> Result<Option<(Arc<InstantMailer>, DigestRun)>, ConfigError> {
        let Some(from) = env.get("JOBMON_MAIL_FROM") else {
            tracing::warn!("JOBMON_MAIL_FROM is not set: no notification e-mail is sent");
            return Ok(None);
        };
        let parameters = SsmParameters::lazy(sdk);
        let key = crate::unsubscribe::load_key(env, &parameters).await?;
        let sender = Arc::new(SesSender::new(
            SdkClient::lazy(sdk, aws_sdk_sesv2::Client::new),
            from,
        ));
        let instant = InstantMailer {
            directory: store.clone(),
            digests: store.clone(),
            log: store.clone(),
            sender: sender.clone(),
            key: key.clone(),
            per_hour: per_hour(env)?,
            app_url: app_url(env),
        };
        let digest = DigestRun {
            store: store.clone(),
            directory: store,
            sender,
            key,
            app_url: app_url(env),
            clock: SystemClock::shared(),
        };
        Ok(Some((Arc::new(instant), digest)))
    }

    /// What `worker-notifier` runs: the deliverer of queue messages and, when mail is
    /// configured, the hourly digest. The table from `JOBMON_TABLE`, the dashboard link
    /// base from `JOBMON_APP_URL`, the SSRF policy from `JOBMON_ALLOW_PRIVATE_SOURCES`, mail
    /// from `JOBMON_MAIL_FROM`.
    pub async fn notifier(
        sdk: impl Into<Sdk>,
        env: &Env,
    ) -> Result<(crate::deliver::Deliverer, Option<DigestRun>), ConfigError> {
        let sdk = sdk.into();
        let store = Arc::new(DynamoNotifications::new(
            SdkClient::lazy(&sdk, aws_sdk_dynamodb::Client::new),
            env.require("JOBMON_TABLE")?,
        ));
        let (mail, digest) = match mailers(&sdk, env, store.clone()).await? {
            Some((instant, digest)) => (Some(instant), Some(digest)),
            None => (None, None),
        };
        let deliverer = crate::deliver::Deliverer {
            channels: store.clone(),
            log: store,
            poster: Arc::new(poster(address_policy(env)?)),
            clock: SystemClock::shared(),
            app_url: app_url(env),
            mail,
        };
        Ok((deliverer, digest))
    }
}
