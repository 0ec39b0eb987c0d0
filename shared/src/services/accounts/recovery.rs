//! Proving an address and getting back in: e-mail verification, forgotten and reset
//! passwords.

use super::*;

impl AccountService {
    pub async fn verify_email(&self, req: TokenRequest) -> Result<(), AccountError> {
        let (hash, user) = self
            .token_user(&req.token, TokenPurpose::VerifyEmail)
            .await?;
        self.accounts
            .verify_email(&user, &hash)
            .await
            .map_err(|e| conflict_or(e, |_| AccountError::InvalidToken))
    }

    /// Mails a new verification link to the caller, unless their address is already
    /// verified (then nothing is sent). A few a hour per user: each is a mail.
    pub async fn resend_verification(&self, principal: Principal) -> Result<(), AccountError> {
        let user = self.caller(principal).await?;
        if user.email_verified {
            return Ok(());
        }
        self.limit(
            &format!("verify:user:{}", user.id),
            self.limits.verify_resend_per_hour,
            60 * 60,
        )
        .await?;
        self.send_verification(&user).await
    }

    /// A new verification token for `user`, mailed to their address.
    pub(super) async fn send_verification(&self, user: &User) -> Result<(), AccountError> {
        let (secret, _) = self
            .issue_token(
                TokenPurpose::VerifyEmail,
                user.tenant_id,
                user.id,
                self.limits.verify_ttl,
            )
            .await?;
        self.mail(
            &user.email,
            "Confirm your e-mail address for jobmon",
            format!(
                "Welcome to jobmon!\n\nConfirm your address by opening this link:\n{}\n\nIt expires in 48 hours.",
                self.link("verify-email", &secret)
            ),
        )
        .await;
        Ok(())
    }

    pub async fn forgot_password(&self, req: ForgotRequest, ip: &str) -> Result<(), AccountError> {
        // Always 202 for a well-formed address: the answer must not reveal accounts.
        let email = parse_email(&req.email)?;
        self.limit(
            &format!("forgot:email:{}", email.normalized()),
            self.limits.forgot_per_email,
            self.limits.forgot_window_secs,
        )
        .await?;
        self.limit(
            &format!("forgot:ip:{ip}"),
            self.limits.forgot_per_ip,
            self.limits.forgot_window_secs,
        )
        .await?;
        let Some(user) = self.accounts.find_user_by_email(&email).await? else {
            return Ok(());
        };
        let (secret, _) = self
            .issue_token(
                TokenPurpose::PasswordReset,
                user.tenant_id,
                user.id,
                self.limits.reset_ttl,
            )
            .await?;
        self.mail(
            &user.email,
            "Reset your jobmon password",
            format!(
                "Someone asked to reset the password of your jobmon account.\n\nSet a new password here:\n{}\n\nThe link expires in one hour. If it was not you, ignore this mail.",
                self.link("reset-password", &secret)
            ),
        )
        .await;
        Ok(())
    }

    pub async fn reset_password(&self, req: TokenPasswordRequest) -> Result<(), AccountError> {
        check_password(&req.password)?;
        let (hash, user) = self
            .token_user(&req.token, TokenPurpose::PasswordReset)
            .await?;
        let password_hash = self.passwords.hash(&req.password).await.map_err(internal)?;
        // The same write moves the user's session generation on: every session ends with
        // it, so nothing is left half-revoked however many sessions there were.
        self.accounts
            .reset_password(&user, &password_hash, &hash)
            .await
            .map_err(|e| conflict_or(e, |_| AccountError::InvalidToken))
    }
}
