//! Notifications: what each member wants to be told by e-mail, the tenant's channels
//! (Slack, Discord, signed webhooks), where they are stored and the API's use cases.

pub mod deliver;
pub mod dynamo;
pub mod messages;
pub mod service;
pub mod settings;
pub mod store;

pub use dynamo::DynamoNotifications;
pub use service::{NotificationsError, NotificationsService};
pub use store::{MemoryDeliveryLog, MemoryNotifications, NotificationStore};

/// Building the notifications service from `Core` at init; mains and tests both call it.
pub mod wiring {
    use std::sync::Arc;

    use jobmon_connectors::FetchSettings;
    use shared::config::ConfigError;
    use shared::ports::SystemClock;
    use shared::wiring::Core;

    use crate::{DynamoNotifications, NotificationsService};

    pub fn notifications_service(core: &Core) -> Result<NotificationsService, ConfigError> {
        // Channels follow the sources' SSRF policy (`JOBMON_ALLOW_PRIVATE_SOURCES`): one
        // switch decides whether this deployment may reach private networks.
        let fetch = FetchSettings::from_vars(|name| core.env.get(name).map(str::to_owned))
            .map_err(|e| ConfigError::Invalid {
                name: "JOBMON_ALLOW_PRIVATE_SOURCES".into(),
                reason: e.to_string(),
            })?;
        Ok(NotificationsService {
            store: Arc::new(DynamoNotifications::new(
                aws_sdk_dynamodb::Client::new(&core.sdk),
                core.store.table(),
            )),
            clock: SystemClock::shared(),
            destinations: fetch.address_policy,
        })
    }

    /// How long a channel may take to answer before its send counts as "unknown".
    const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

    /// The deliverer of `worker-notifier`: the table from `JOBMON_TABLE`, the dashboard
    /// link base from `JOBMON_APP_URL`, the SSRF policy from `JOBMON_ALLOW_PRIVATE_SOURCES`.
    pub fn deliverer(
        sdk: &aws_config::SdkConfig,
        env: &shared::config::Env,
    ) -> Result<crate::deliver::Deliverer, ConfigError> {
        let fetch =
            FetchSettings::from_vars(|name| env.get(name).map(str::to_owned)).map_err(|e| {
                ConfigError::Invalid {
                    name: "JOBMON_ALLOW_PRIVATE_SOURCES".into(),
                    reason: e.to_string(),
                }
            })?;
        let store = Arc::new(DynamoNotifications::new(
            aws_sdk_dynamodb::Client::new(sdk),
            env.require("JOBMON_TABLE")?,
        ));
        let poster =
            crate::deliver::HttpPoster::new(fetch.address_policy, SEND_TIMEOUT).map_err(|e| {
                ConfigError::Invalid {
                    name: "HTTP client".into(),
                    reason: e.to_string(),
                }
            })?;
        Ok(crate::deliver::Deliverer {
            channels: store.clone(),
            log: store,
            poster: Arc::new(poster),
            clock: SystemClock::shared(),
            app_url: env
                .get("JOBMON_APP_URL")
                .unwrap_or("http://127.0.0.1:3000")
                .to_owned(),
        })
    }
}
