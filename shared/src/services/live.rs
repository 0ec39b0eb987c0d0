//! The WebSocket API's `$connect` and `$disconnect`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::hash_secret;
use crate::http::ApiError;
use crate::ports::{
    AccountStore, Connection, ConnectionStore, OneTimeTokenStore, StoreError, TokenPurpose,
};
use crate::services::Invalid;

/// Why a WebSocket connection was refused.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A missing, spent or expired ticket, or one that names no user.
    #[error("authentication required")]
    NoTicket,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the tenant has {0} live connections open, the most allowed; close a dashboard tab")]
    TooManyConnections(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> Self {
        match e {
            LiveError::NoTicket => ApiError::Unauthorized,
            LiveError::Invalid(e) => e.into(),
            LiveError::TooManyConnections(_) => ApiError::Refused {
                code: "too_many_connections",
                message: e.to_string(),
            },
            LiveError::Store(e) => e.into(),
        }
    }
}

pub struct LiveConnections {
    pub tokens: Arc<dyn OneTimeTokenStore>,
    pub connections: Arc<dyn ConnectionStore>,
    pub accounts: Arc<dyn AccountStore>,
    /// Open connections per tenant (`MaxSocketsPerTenant`): every scoring pushes to each.
    pub max_per_tenant: usize,
}

/// The template's `MaxSocketsPerTenant` default.
pub const DEFAULT_MAX_SOCKETS_PER_TENANT: usize = 20;

impl LiveConnections {
    /// Spends the one-time ticket from `POST /v1/auth/ws-ticket` and stores the connection
    /// under the ticket's tenant. A missing, spent or expired ticket, or one whose user no
    /// longer belongs to the tenant, is a 401, a tenant at its connection limit a 403
    /// `too_many_connections`; either way nothing is stored.
    pub async fn connect(
        &self,
        connection_id: &str,
        ticket: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Connection, LiveError> {
        let ticket = ticket
            .filter(|t| !t.is_empty())
            .ok_or(LiveError::NoTicket)?;
        if connection_id.is_empty() {
            return Err(Invalid::new("connectionId", "missing").into());
        }
        let token = self
            .tokens
            .take_token(&hash_secret(ticket), TokenPurpose::WebSocketTicket, now)
            .await?
            .ok_or(LiveError::NoTicket)?;
        let user = token.user.ok_or(LiveError::NoTicket)?;
        // The ticket may be a minute old: a member removed since gets no socket.
        self.accounts
            .get_user(token.tenant, user)
            .await?
            .ok_or(LiveError::NoTicket)?;
        // Counted before the write, so two connects at the same instant may both pass:
        // the limit can be exceeded by the concurrency of one tenant's connects, which the
        // ws-ticket rate limit and the stage throttling keep small.
        let open = self.connections.connections(token.tenant, now).await?.len();
        if open >= self.max_per_tenant {
            return Err(LiveError::TooManyConnections(open));
        }
        let connection = Connection {
            id: connection_id.to_owned(),
            tenant: token.tenant,
            user,
            connected_at: now,
            expires_at: now + Connection::MAX_LIFETIME,
        };
        self.connections.put_connection(&connection).await?;
        Ok(connection)
    }

    pub async fn disconnect(&self, connection_id: &str) -> Result<(), LiveError> {
        self.connections.remove_connection(connection_id).await?;
        Ok(())
    }
}
