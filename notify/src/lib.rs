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
}
