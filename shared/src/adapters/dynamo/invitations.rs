//! Invitation entries: `INVITE#<id>` under the tenant beside the `TOKEN#<hash>` item that
//! accepting spends; created, revoked (and, in `accounts.rs`, accepted) in one transaction
//! with it, so the list never shows an invitation that cannot be used, nor hides one that can.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::tokens::TokenItem;
use super::{DynamoStore, delete_action, from_item, keys, put_new, to_item};
use crate::domain::{Email, Role, TenantId};
use crate::ports::{Conflict, Invitation, InvitationStore, OneTimeToken, StoreError};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvitationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    id: String,
    email: String,
    role: Role,
    token_hash: String,
    created_at: DateTime<Utc>,
    /// Epoch seconds; also the table's TTL attribute.
    expires_at: i64,
}

impl InvitationItem {
    fn from_domain(i: &Invitation) -> Self {
        Self {
            pk: keys::tenant_pk(i.tenant),
            sk: keys::invitation_sk(&i.id),
            entity: "invitation".into(),
            id: i.id.clone(),
            email: i.email.as_str().to_owned(),
            role: i.role,
            token_hash: i.token_hash.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at.timestamp(),
        }
    }

    fn into_domain(self, tenant: TenantId) -> Result<Invitation, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            key: format!("{}/{}", self.pk, self.sk),
            reason,
        };
        Ok(Invitation {
            email: Email::parse(&self.email).map_err(|e| corrupt(e.to_string()))?,
            expires_at: DateTime::from_timestamp(self.expires_at, 0)
                .ok_or_else(|| corrupt("expiresAt out of range".into()))?,
            id: self.id,
            tenant,
            role: self.role,
            token_hash: self.token_hash,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl InvitationStore for DynamoStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        token: &OneTimeToken,
    ) -> Result<(), StoreError> {
        let actions = vec![
            put_new(&self.table, to_item(&TokenItem::from_domain(token))?)?,
            put_new(
                &self.table,
                to_item(&InvitationItem::from_domain(invitation))?,
            )?,
        ];
        self.transact(
            actions,
            &[Some(Conflict::AlreadyExists), Some(Conflict::AlreadyExists)],
        )
        .await
    }

    async fn invitations(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let items = self
            .query_prefix(keys::tenant_pk(tenant), keys::INVITATION_SK_PREFIX, None)
            .await?;
        let mut live = Vec::with_capacity(items.len());
        for item in items {
            let invitation = from_item::<InvitationItem>(item)?.into_domain(tenant)?;
            // TTL deletion lags: an expired invitation is gone for the caller.
            if invitation.expires_at > now {
                live.push(invitation);
            }
        }
        live.sort_by_key(|i| i.created_at);
        Ok(live)
    }

    async fn revoke_invitation(&self, tenant: TenantId, id: &str) -> Result<bool, StoreError> {
        let Some(item) = self
            .get_item(keys::tenant_pk(tenant), &keys::invitation_sk(id))
            .await?
        else {
            return Ok(false);
        };
        let invitation = from_item::<InvitationItem>(item)?;
        self.transact(
            vec![
                delete_action(
                    &self.table,
                    keys::tenant_pk(tenant),
                    keys::invitation_sk(id),
                )?,
                delete_action(
                    &self.table,
                    keys::token_pk(&invitation.token_hash),
                    keys::TOKEN_SK.into(),
                )?,
            ],
            &[None, None],
        )
        .await?;
        Ok(true)
    }
}
