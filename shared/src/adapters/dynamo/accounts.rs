//! Tenants, users and the global e-mail index.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem, Update};

use super::items::{EmailIndexItem, TenantItem, UserItem};
use super::{DynamoStore, delete_action, from_item, keys, put_new, s, to_item, unavailable};
use crate::domain::{Email, Role, Tenant, TenantId, TenantName, User, UserId};
use crate::ports::{AccountStore, Conflict, StoreError, TenantReader, UsageReader};

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Member => "member",
    }
}

impl DynamoStore {
    /// Updates the tenant's member/admin counters; `min_admins_after` guards the last
    /// admin, `max_members` the plan limit.
    fn tenant_counters(
        &self,
        tenant: TenantId,
        members: i64,
        admins: i64,
        max_members: Option<u32>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut conditions = vec!["attribute_exists(PK)".to_owned()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression("ADD memberCount :dm, adminCount :da")
            .expression_attribute_values(":dm", n(members))
            .expression_attribute_values(":da", n(admins));
        if admins < 0 {
            conditions.push("adminCount > :one".into());
            update = update.expression_attribute_values(":one", n(1));
        }
        if let (Some(max), true) = (max_members, members > 0) {
            conditions.push("memberCount < :max".into());
            update = update.expression_attribute_values(":max", n(i64::from(max)));
        }
        let update = update
            .condition_expression(conditions.join(" AND "))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn delete_token(&self, token_hash: &str) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::token_pk(token_hash)))
            .key(keys::SK, s(keys::TOKEN_SK))
            .condition_expression("attribute_exists(PK) AND expiresAt > :now")
            .expression_attribute_values(":now", n(chrono::Utc::now().timestamp()))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn update_user(
        &self,
        user: &User,
        expression: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        condition: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(user.tenant_id)))
            .key(keys::SK, s(keys::user_sk(user.id)))
            .update_expression(expression)
            .condition_expression(condition);
        for (placeholder, name) in names {
            update = update.expression_attribute_names(*placeholder, *name);
        }
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build())
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_account(&self, tenant: &Tenant, admin: &User) -> Result<(), StoreError> {
        let actions = vec![
            put_new(&self.table, to_item(&TenantItem::new_account(tenant))?)?,
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
        self.get_user(tenant, user).await
    }

    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>, StoreError> {
        match self
            .get_item(keys::tenant_pk(tenant), &keys::user_sk(user))
            .await?
        {
            Some(item) => Ok(Some(from_item::<UserItem>(item)?.into_domain()?)),
            None => Ok(None),
        }
    }

    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError> {
        let mut users = self
            .query_prefix(keys::tenant_pk(tenant), keys::USER_SK_PREFIX, None)
            .await?
            .into_iter()
            .map(|item| from_item::<UserItem>(item)?.into_domain())
            .collect::<Result<Vec<_>, _>>()?;
        users.sort_by_key(|u| u.id);
        Ok(users)
    }

    async fn rename_tenant(
        &self,
        tenant: TenantId,
        name: &TenantName,
    ) -> Result<Option<Tenant>, StoreError> {
        let result = self
            .update_tenant_item(tenant, keys::TENANT_SK)
            .await
            .update_expression("SET #name = :name")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":name", s(name.as_str()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes {
                Some(item) => Ok(Some(from_item::<TenantItem>(item)?.into_domain()?)),
                None => Ok(None),
            },
            Err(e) if super::is_condition_failure(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn add_invited_user(
        &self,
        user: &User,
        token_hash: &str,
        max_members: Option<u32>,
    ) -> Result<(), StoreError> {
        let admins = i64::from(user.role == Role::Admin);
        let invitation = delete_action(
            &self.table,
            keys::tenant_pk(user.tenant_id),
            keys::invitation_sk(&crate::ports::Invitation::id_for(token_hash)),
        )?;
        let actions = vec![
            self.delete_token(token_hash)?,
            put_new(&self.table, to_item(&UserItem::from_domain(user))?)?,
            put_new(&self.table, to_item(&EmailIndexItem::new(user))?)?,
            self.tenant_counters(user.tenant_id, 1, admins, max_members)?,
            invitation,
        ];
        self.transact(
            actions,
            &[
                Some(Conflict::TokenSpent),
                Some(Conflict::AlreadyExists),
                Some(Conflict::EmailTaken),
                Some(Conflict::MemberLimit),
                None,
            ],
        )
        .await
    }

    async fn change_role(&self, user: &User, role: Role) -> Result<(), StoreError> {
        if user.role == role {
            return Ok(());
        }
        let admins = if role == Role::Admin { 1 } else { -1 };
        let actions = vec![
            self.update_user(
                user,
                "SET #role = :new",
                &[("#role", "role")],
                vec![
                    (":new", s(role_name(role))),
                    (":old", s(role_name(user.role))),
                ],
                "#role = :old",
            )?,
            self.tenant_counters(user.tenant_id, 0, admins, None)?,
        ];
        self.transact(actions, &[Some(Conflict::Stale), Some(Conflict::LastAdmin)])
            .await
    }

    async fn remove_user(&self, user: &User) -> Result<(), StoreError> {
        let delete_user = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(user.tenant_id)))
            .key(keys::SK, s(keys::user_sk(user.id)))
            .condition_expression("attribute_exists(PK) AND #role = :role")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role_name(user.role)))
            .build()
            .map_err(unavailable)?;
        let admins = if user.role == Role::Admin { -1 } else { 0 };
        let actions = vec![
            TransactWriteItem::builder().delete(delete_user).build(),
            delete_action(
                &self.table,
                keys::email_pk(&user.email),
                keys::EMAIL_SK.to_owned(),
            )?,
            self.tenant_counters(user.tenant_id, -1, admins, None)?,
        ];
        self.transact(
            actions,
            &[Some(Conflict::Stale), None, Some(Conflict::LastAdmin)],
        )
        .await
    }

    async fn verify_email(&self, user: &User, token_hash: &str) -> Result<(), StoreError> {
        let actions = vec![
            self.delete_token(token_hash)?,
            self.update_user(
                user,
                "SET emailVerified = :yes",
                &[],
                vec![(":yes", AttributeValue::Bool(true))],
                "attribute_exists(PK)",
            )?,
        ];
        self.transact(
            actions,
            &[Some(Conflict::TokenSpent), Some(Conflict::Stale)],
        )
        .await
    }

    async fn reset_password(
        &self,
        user: &User,
        password_hash: &str,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let actions = vec![
            self.delete_token(token_hash)?,
            self.update_user(
                user,
                "SET passwordHash = :hash ADD sessionGen :one",
                &[],
                vec![(":hash", s(password_hash)), (":one", n(1))],
                "attribute_exists(PK)",
            )?,
        ];
        self.transact(
            actions,
            &[Some(Conflict::TokenSpent), Some(Conflict::Stale)],
        )
        .await
    }
}

#[async_trait]
impl TenantReader for DynamoStore {
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

#[async_trait]
impl UsageReader for DynamoStore {
    async fn scored_jobs(
        &self,
        tenant: TenantId,
        period: &crate::domain::Period,
    ) -> Result<u32, StoreError> {
        let item = self
            .get_item(keys::tenant_pk(tenant), &keys::usage_sk(period))
            .await?;
        Ok(item
            .as_ref()
            .and_then(|i| i.get("scoredJobs"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }
}
