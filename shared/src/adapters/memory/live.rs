//! WebSocket connections (the conditions of `dynamo/connections.rs`), and recorders of
//! what the services push to live connections and publish as domain events.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::{JobCard, ScoringEntry, SourceId, TenantId};
use crate::ports::{
    Conflict, Connection, ConnectionStore, EventPublisher, LiveMessage, LiveNotifier, StoreError,
};

#[async_trait]
impl ConnectionStore for MemoryStore {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.connections.contains_key(&connection.id) {
            return Err(StoreError::Conflict(Conflict::AlreadyExists));
        }
        state
            .connections
            .insert(connection.id.clone(), connection.clone());
        Ok(())
    }

    async fn remove_connection(&self, id: &str) -> Result<Option<TenantId>, StoreError> {
        Ok(self.lock().connections.remove(id).map(|c| c.tenant))
    }

    async fn connections(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Connection>, StoreError> {
        Ok(self
            .lock()
            .connections
            .values()
            .filter(|c| c.tenant == tenant && c.expires_at > now)
            .cloned()
            .collect())
    }
}

/// Records every push, in order.
#[derive(Default)]
pub struct RecordingNotifier {
    pushed: Mutex<Vec<(TenantId, LiveMessage)>>,
}

impl RecordingNotifier {
    /// Every message pushed so far, with its tenant.
    pub fn pushed(&self) -> Vec<(TenantId, LiveMessage)> {
        self.pushed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl LiveNotifier for RecordingNotifier {
    async fn push(&self, tenant: TenantId, messages: &[LiveMessage]) {
        self.pushed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(messages.iter().map(|m| (tenant, m.clone())));
    }
}

/// Records every socket closed, in order.
#[derive(Default)]
pub struct RecordingSockets {
    closed: Mutex<Vec<String>>,
}

impl RecordingSockets {
    pub fn closed(&self) -> Vec<String> {
        self.closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl crate::ports::SocketCloser for RecordingSockets {
    async fn close(&self, connection_id: &str) {
        self.closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(connection_id.to_owned());
    }
}

/// One domain event as published.
#[derive(Debug, Clone, PartialEq)]
pub enum Published {
    JobsCreated {
        tenant: TenantId,
        source: SourceId,
        count: usize,
    },
    JobScored {
        tenant: TenantId,
        card: Box<JobCard>,
        reason: String,
        scorer: String,
        model: Option<String>,
    },
}

/// Records every domain event, in order.
#[derive(Default)]
pub struct RecordingEvents {
    published: Mutex<Vec<Published>>,
}

impl RecordingEvents {
    pub fn published(&self) -> Vec<Published> {
        self.published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn record(&self, event: Published) {
        self.published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
    }
}

#[async_trait]
impl EventPublisher for RecordingEvents {
    async fn jobs_created(&self, tenant: TenantId, source: SourceId, count: usize) {
        self.record(Published::JobsCreated {
            tenant,
            source,
            count,
        });
    }

    async fn job_scored(&self, tenant: TenantId, card: &JobCard, entry: &ScoringEntry) {
        self.record(Published::JobScored {
            tenant,
            card: Box::new(card.clone()),
            reason: entry.reason.clone(),
            scorer: entry.scorer.clone(),
            model: entry.model.clone(),
        });
    }
}
