//! Tenants, users and the global e-mail index.

use async_trait::async_trait;

use super::items::{EmailIndexItem, TenantItem, UserItem};
use super::{DynamoStore, from_item, keys, put_new, to_item};
use crate::domain::{Email, Tenant, TenantId, User};
use crate::ports::{AccountStore, Conflict, StoreError};

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_account(&self, tenant: &Tenant, admin: &User) -> Result<(), StoreError> {
        let actions = vec![
            put_new(&self.table, to_item(&TenantItem::from_domain(tenant))?)?,
            put_new(&self.table, to_item(&UserItem::from_domain(admin))?)?,
            put_new(&self.table, to_item(&EmailIndexItem::new(admin))?)?,
        ];
        self.transact(
            actions,
            &[
                Some(Conflict::AlreadyExists),
                Some(Conflict::AlreadyExists),
                Some(Conflict::EmailTaken),
            ],
        )
        .await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let Some(index) = self.get_item(keys::email_pk(email), keys::EMAIL_SK).await? else {
            return Ok(None);
        };
        let (tenant, user) = from_item::<EmailIndexItem>(index)?.ids()?;
        match self
            .get_item(keys::tenant_pk(tenant), &keys::user_sk(user))
            .await?
        {
            Some(item) => Ok(Some(from_item::<UserItem>(item)?.into_domain()?)),
            None => Ok(None),
        }
    }

    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        match self
            .get_item(keys::tenant_pk(tenant), keys::TENANT_SK)
            .await?
        {
            Some(item) => Ok(Some(from_item::<TenantItem>(item)?.into_domain()?)),
            None => Ok(None),
        }
    }
}
