//! Members: the member list, roles, removal and leaving. Admin rights are read from the
//! store (`services::caller`), not from the token, so a demotion or a removal takes effect
//! at once.

use super::*;

impl AccountService {
    pub async fn members(&self, principal: Principal) -> Result<ListView<UserView>, AccountError> {
        self.admin(principal).await?;
        let users = self.accounts.list_users(principal.tenant).await?;
        Ok(ListView {
            items: users.iter().map(UserView::from).collect(),
            next_cursor: None,
        })
    }

    async fn member(&self, principal: Principal, user: &str) -> Result<User, AccountError> {
        self.admin(principal).await?;
        // Another tenant's user, or garbage, answers exactly like a missing one.
        let id = UserId::parse(user).map_err(|_| AccountError::NotFound)?;
        self.accounts
            .get_user(principal.tenant, id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    pub async fn change_role(
        &self,
        principal: Principal,
        user: &str,
        req: RoleRequest,
    ) -> Result<UserView, AccountError> {
        let mut member = self.member(principal, user).await?;
        self.accounts.change_role(&member, req.role).await?;
        let demoted = member.role == Role::Admin && req.role == Role::Member;
        member.role = req.role;
        if demoted {
            // Their dashboard reconnects with a new ticket and sees what a member sees.
            self.close_sockets(&member).await?;
        }
        Ok((&member).into())
    }

    pub async fn remove_member(
        &self,
        principal: Principal,
        user: &str,
    ) -> Result<(), AccountError> {
        let member = self.member(principal, user).await?;
        // Deleting the user item ends every session: rotation needs the user to exist.
        self.accounts.remove_user(&member).await?;
        self.close_sockets(&member).await
    }

    /// Closes and forgets every WebSocket of `user`: pushes go to stored connections only,
    /// so forgetting them stops live updates even if a close does not get through.
    async fn close_sockets(&self, user: &User) -> Result<(), AccountError> {
        let open = self
            .connections
            .connections(user.tenant_id, self.clock.now())
            .await?;
        for connection in open.iter().filter(|c| c.user == user.id) {
            self.sockets.close(&connection.id).await;
            self.connections.remove_connection(&connection.id).await?;
        }
        Ok(())
    }

    /// `DELETE /v1/auth/me`: the caller deletes their own user, confirmed by their
    /// password. The tenant's only member is refused and pointed at `DELETE /v1/tenant`
    /// rather than erasing the tenant here: erasing every job, source and subscription
    /// is an admin's explicit act with its own confirmation, not a side effect of leaving.
    pub async fn delete_me(
        &self,
        principal: Principal,
        req: PasswordConfirmation,
    ) -> Result<(), AccountError> {
        let typed = req.typed()?;
        let user = self.caller(principal).await?;
        confirm_password(&self.passwords, &user, typed).await?;
        let members = self.accounts.list_users(principal.tenant).await?;
        if members.len() <= 1 {
            return Err(AccountError::OnlyMember);
        }
        // The store's admin counter decides under concurrency; this read only gives the
        // common case its clear answer before any write.
        let admins = members.iter().filter(|m| m.role == Role::Admin).count();
        if user.role == Role::Admin && admins <= 1 {
            return Err(AccountError::LastAdminLeaving);
        }
        self.accounts.remove_user(&user).await.map_err(|e| {
            conflict_or(e, |c| match c {
                Conflict::LastAdmin => AccountError::LastAdminLeaving,
                other => AccountError::Conflict(other),
            })
        })?;
        // Deleting the user item ends every session (rotation needs the user to exist), as
        // for a removed member; their open dashboards stop getting pushes at once too.
        self.close_sockets(&user).await
    }
}
