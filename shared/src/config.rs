//! Configuration, read once at init. Values come from environment variables; a value may
//! instead live in SSM Parameter Store, named by `<NAME>_PARAMETER` (SecureString for
//! secrets), so nothing secret has to sit in the template or the function's environment.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::domain::{PlanCatalog, PlanError};
use crate::http::CursorCodec;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(String),
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("could not read parameter {name}: {reason}")]
    Parameter { name: String, reason: String },
}

/// Where `<NAME>_PARAMETER` values are read from (SSM in AWS and against moto).
#[async_trait]
pub trait ParameterSource: Send + Sync {
    async fn get(&self, name: &str) -> Result<String, ConfigError>;
}

/// A snapshot of the environment, so reading is testable without touching the process's.
#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// The value of `name`; an empty value counts as unset (SAM parameters default to "").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, ConfigError> {
        self.get(name)
            .ok_or_else(|| ConfigError::Missing(name.to_owned()))
    }

    /// `name` directly, else the SSM parameter named by `<name>_PARAMETER`, else `None`.
    pub async fn value(
        &self,
        name: &str,
        parameters: &dyn ParameterSource,
    ) -> Result<Option<String>, ConfigError> {
        if let Some(v) = self.get(name) {
            return Ok(Some(v.to_owned()));
        }
        match self.get(&format!("{name}_PARAMETER")) {
            Some(parameter) => parameters.get(parameter).await.map(Some),
            None => Ok(None),
        }
    }
}

/// The plan catalog: `JOBMON_PLANS` (JSON), or the SSM parameter `JOBMON_PLANS_PARAMETER`,
/// or the built-in defaults.
pub async fn plans(
    env: &Env,
    parameters: &dyn ParameterSource,
) -> Result<PlanCatalog, ConfigError> {
    match env.value("JOBMON_PLANS", parameters).await? {
        Some(json) => PlanCatalog::from_json(&json).map_err(|e: PlanError| ConfigError::Invalid {
            name: "JOBMON_PLANS".into(),
            reason: e.to_string(),
        }),
        None => Ok(PlanCatalog::builtin()),
    }
}

/// The one secret an operator manages: `JOBMON_SECRET_KEY` (or the SSM SecureString named
/// by `JOBMON_SECRET_KEY_PARAMETER`), at least 32 bytes. Each use gets its own key derived
/// from it (HMAC-SHA256 of a purpose label), so a token signing key can never verify a
/// cursor and the reverse.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub const ENV: &'static str = "JOBMON_SECRET_KEY";

    pub fn new(raw: &[u8]) -> Result<Self, ConfigError> {
        if raw.len() < 32 {
            return Err(ConfigError::Invalid {
                name: Self::ENV.into(),
                reason: "must be at least 32 bytes".into(),
            });
        }
        Ok(Self(raw.to_vec()))
    }

    pub async fn load(env: &Env, parameters: &dyn ParameterSource) -> Result<Self, ConfigError> {
        let raw = env
            .value(Self::ENV, parameters)
            .await?
            .ok_or_else(|| ConfigError::Missing(Self::ENV.into()))?;
        Self::new(raw.as_bytes())
    }

    /// A 32-byte key for one purpose, e.g. `"jwt"` or `"cursor"`.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(b"jobmon-key-v1:");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn cursor_codec(&self) -> CursorCodec {
        CursorCodec::new(&self.derive("cursor")).expect("derived keys are 32 bytes")
    }
}

/// The pagination cursor codec from the operator's secret key.
pub async fn cursor_codec(
    env: &Env,
    parameters: &dyn ParameterSource,
) -> Result<CursorCodec, ConfigError> {
    Ok(SecretKey::load(env, parameters).await?.cursor_codec())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(HashMap<&'static str, &'static str>);

    #[async_trait]
    impl ParameterSource for Fixed {
        async fn get(&self, name: &str) -> Result<String, ConfigError> {
            self.0
                .get(name)
                .map(|v| v.to_string())
                .ok_or_else(|| ConfigError::Parameter {
                    name: name.into(),
                    reason: "ParameterNotFound".into(),
                })
        }
    }

    const ONE_PLAN: &str = r#"{"defaultPlan":"solo","plans":[{"id":"solo","name":"Solo","monthlyScoredJobs":5,"maxSources":1,"fetchIntervalMinutes":60,"maxMembers":1}]}"#;

    #[tokio::test]
    async fn plans_come_from_env_then_parameter_then_defaults() {
        let none = Fixed(HashMap::new());
        let from_env = plans(&Env::from_pairs([("JOBMON_PLANS", ONE_PLAN)]), &none)
            .await
            .unwrap();
        assert_eq!(from_env.default_plan().id.as_str(), "solo");

        let ssm = Fixed([("/jobmon/plans", ONE_PLAN)].into_iter().collect());
        let env = Env::from_pairs([
            ("JOBMON_PLANS", ""),
            ("JOBMON_PLANS_PARAMETER", "/jobmon/plans"),
        ]);
        assert_eq!(plans(&env, &ssm).await.unwrap().plans().len(), 1);

        let defaults = plans(&Env::default(), &none).await.unwrap();
        assert_eq!(defaults, PlanCatalog::builtin());
    }

    #[tokio::test]
    async fn bad_configuration_is_a_typed_error() {
        let none = Fixed(HashMap::new());
        let bad = plans(&Env::from_pairs([("JOBMON_PLANS", "{nope")]), &none).await;
        assert!(matches!(bad, Err(ConfigError::Invalid { name, .. }) if name == "JOBMON_PLANS"));
        let missing_param = plans(
            &Env::from_pairs([("JOBMON_PLANS_PARAMETER", "/absent")]),
            &none,
        )
        .await;
        assert!(matches!(missing_param, Err(ConfigError::Parameter { .. })));
        assert!(matches!(
            cursor_codec(&Env::default(), &none).await,
            Err(ConfigError::Missing(_))
        ));
        assert!(matches!(
            cursor_codec(&Env::from_pairs([("JOBMON_SECRET_KEY", "short")]), &none).await,
            Err(ConfigError::Invalid { .. })
        ));
        let secret = "s".repeat(32);
        let env = Env::from_pairs([("JOBMON_SECRET_KEY", secret.as_str())]);
        let key = SecretKey::load(&env, &none).await.unwrap();
        assert_ne!(key.derive("jwt"), key.derive("cursor"));
        assert_eq!(
            key.derive("jwt"),
            SecretKey::new(secret.as_bytes()).unwrap().derive("jwt")
        );
        assert!(cursor_codec(&env, &none).await.is_ok());
    }
}
