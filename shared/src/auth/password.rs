//! Passwords: argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, 1 lane),
//! always run on the blocking pool so a hash never stalls the async executor.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be 10 to 128 characters")]
    Length,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

/// The password policy of docs/api.md: 10..=128 characters (Unicode scalar values).
pub fn validate_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A real hash of a random password, verified against when the e-mail is unknown so
    /// that an unknown address costs the same argon2 work as a wrong password. Made on
    /// first need, not at construction: only login needs it, and api-tenant (which builds
    /// the account and privacy services for other routes) would otherwise pay one argon2
    /// hash at every cold start. api-auth makes it at init ([`Self::prepare_dummy`]).
    dummy: Arc<OnceLock<String>>,
}

impl PasswordHasher {
    /// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
    pub fn owasp() -> Self {
        let params =
            Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
        Self {
            params,
            dummy: Arc::new(OnceLock::new()),
        }
    }

    /// Makes the dummy hash now (blocking), so that even the first unknown-e-mail login
    /// costs no more than a wrong password does: a function that logs in calls it at init.
    pub fn prepare_dummy(&self) {
        self.dummy();
    }

    fn dummy(&self) -> &str {
        self.dummy.get_or_init(|| {
            let random = super::secret::OpaqueSecret::generate();
            self.hash_now(random.expose())
                .expect("hashing a random string with valid parameters succeeds")
        })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_now(&self, password: &str) -> Result<String, PasswordError> {
        self.argon()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// Hashes on the blocking pool; returns the PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let this = self.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || this.hash_now(&password))
            .await
            .map_err(|e| PasswordError::Hash(e.to_string()))?
    }

    /// Verifies on the blocking pool. `None` (unknown user) verifies against the dummy
    /// hash and returns false, taking as long as a real check. A password longer than the
    /// policy allows cannot have been set, so it answers false at once without hashing:
    /// nobody can make the server run argon2 over megabytes.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        if password.chars().count() > MAX_CHARS {
            return false;
        }
        let known = phc.is_some();
        let phc = phc.map(str::to_owned);
        let password = password.to_owned();
        let this = self.clone();
        let ok = tokio::task::spawn_blocking(move || {
            let phc = phc.as_deref().unwrap_or_else(|| this.dummy());
            match PasswordHash::new(phc) {
                Ok(parsed) => this
                    .argon()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => false,
            }
        })
        .await
        .unwrap_or(false);
        ok && known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_counts_characters_not_bytes() {
        assert!(validate_password("123456789").is_err());
        assert!(validate_password("1234567890").is_ok());
        assert!(validate_password(&"é".repeat(10)).is_ok());
        assert!(validate_password(&"x".repeat(128)).is_ok());
        assert!(validate_password(&"x".repeat(129)).is_err());
    }

    #[tokio::test]
    async fn hashes_with_owasp_argon2id_and_verifies() {
        let hasher = PasswordHasher::owasp();
        let phc = hasher.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse battery", Some(&phc)).await);
        assert!(!hasher.verify("wrong horse battery", Some(&phc)).await);
        assert!(
            !hasher
                .verify("correct horse battery", Some("not a phc"))
                .await
        );
        // Salted: the same password hashes differently each time.
        assert_ne!(phc, hasher.hash("correct horse battery").await.unwrap());
    }

    #[tokio::test]
    async fn an_over_long_password_never_verifies_even_if_it_was_hashed() {
        let hasher = PasswordHasher::owasp();
        let long = "x".repeat(MAX_CHARS + 1);
        let phc = hasher.hash(&long).await.unwrap();
        assert!(!hasher.verify(&long, Some(&phc)).await);
        let longest = "x".repeat(MAX_CHARS);
        let phc = hasher.hash(&longest).await.unwrap();
        assert!(hasher.verify(&longest, Some(&phc)).await);
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let hasher = PasswordHasher::owasp();
        assert!(!hasher.verify("anything at all", None).await);
    }

    #[tokio::test]
    async fn the_dummy_hash_is_made_once_on_first_need_and_shared_by_clones() {
        let hasher = PasswordHasher::owasp();
        let clone = hasher.clone();
        assert!(
            hasher.dummy.get().is_none(),
            "no argon2 work at construction"
        );
        assert!(!clone.verify("anything at all", None).await);
        let dummy = hasher
            .dummy
            .get()
            .expect("made by the clone's unknown-user check");
        assert!(
            dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{dummy}"
        );
        let prepared = PasswordHasher::owasp();
        prepared.prepare_dummy();
        assert!(prepared.dummy.get().is_some());
    }
}
