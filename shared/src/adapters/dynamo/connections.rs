//! WebSocket connections: one item under the tenant (what pushes query) and an id ->
//! tenant reference (what `$disconnect` looks up), written and deleted together.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::items::ConnectionItem;
use super::{DynamoStore, delete_action, from_item, keys, put_new, to_item};
use crate::domain::TenantId;
use crate::ports::{Conflict, Connection, ConnectionStore, StoreError};

#[async_trait]
impl ConnectionStore for DynamoStore {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let (under_tenant, reference) = ConnectionItem::pair(connection);
        self.transact(
            vec![
                put_new(&self.table, to_item(&under_tenant)?)?,
                put_new(&self.table, to_item(&reference)?)?,
            ],
            &[Some(Conflict::AlreadyExists), Some(Conflict::AlreadyExists)],
        )
        .await
    }

    async fn remove_connection(&self, id: &str) -> Result<Option<TenantId>, StoreError> {
        let Some(item) = self
            .get_item(keys::connection_pk(id), keys::CONNECTION_REF_SK)
            .await?
        else {
            return Ok(None);
        };
        let connection = from_item::<ConnectionItem>(item)?.into_domain()?;
        self.transact(
            vec![
                delete_action(
                    &self.table,
                    keys::tenant_pk(connection.tenant),
                    keys::connection_sk(id),
                )?,
                delete_action(
                    &self.table,
                    keys::connection_pk(id),
                    keys::CONNECTION_REF_SK.to_owned(),
                )?,
            ],
            &[None, None],
        )
        .await?;
        Ok(Some(connection.tenant))
    }

    async fn connections(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Connection>, StoreError> {
        let items = self
            .query_prefix(keys::tenant_pk(tenant), keys::CONNECTION_SK_PREFIX, None)
            .await?;
        let mut open = Vec::with_capacity(items.len());
        for item in items {
            let connection = from_item::<ConnectionItem>(item)?.into_domain()?;
            // TTL deletion lags; an expired item is a socket API Gateway already closed.
            if connection.expires_at > now {
                open.push(connection);
            }
        }
        Ok(open)
    }
}
