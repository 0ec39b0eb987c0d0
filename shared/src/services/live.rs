//! The WebSocket API's `$connect` and `$disconnect`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::hash_secret;
use crate::http::ApiError;
use crate::ports::{Connection, ConnectionStore, OneTimeTokenStore, TokenPurpose};

pub struct LiveConnections {
    pub tokens: Arc<dyn OneTimeTokenStore>,
    pub connections: Arc<dyn ConnectionStore>,
}

impl LiveConnections {
    /// Spends the one-time ticket from `POST /v1/auth/ws-ticket` and stores the connection
    /// under the ticket's tenant. A missing, spent or expired ticket is a 401, and nothing
    /// is stored.
    pub async fn connect(
        &self,
        connection_id: &str,
        ticket: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Connection, ApiError> {
        let ticket = ticket
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        if connection_id.is_empty() {
            return Err(ApiError::validation("connectionId", "missing"));
        }
        let token = self
            .tokens
            .take_token(&hash_secret(ticket), TokenPurpose::WebSocketTicket, now)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let user = token.user.ok_or(ApiError::Unauthorized)?;
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

    pub async fn disconnect(&self, connection_id: &str) -> Result<(), ApiError> {
        self.connections.remove_connection(connection_id).await?;
        Ok(())
    }
}
