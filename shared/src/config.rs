//! Configuration, read once at init. Values come from environment variables; a value may
//! instead live in SSM Parameter Store, named by `<NAME>_PARAMETER` (SecureString for
//! secrets), so nothing secret has to sit in the template or the function's environment.

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

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

/// [`Env::app_url`] when `JOBMON_APP_URL` is unset.
pub const DEFAULT_APP_URL: &str = "http://127.0.0.1:3000";

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

    /// `name` as a whole number within `range`; unset means `default`. Every bounded
    /// setting is read here, so each refuses a bad value alike, naming the variable.
    pub fn number_in<T>(
        &self,
        name: &str,
        default: T,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display,
    {
        match self.get(name) {
            Some(raw) => whole_number_in(raw, range).map_err(|reason| ConfigError::Invalid {
                name: name.to_owned(),
                reason,
            }),
            None => Ok(default),
        }
    }

    /// The dashboard's origin (`JOBMON_APP_URL`), for links in mail and Stripe's return
    /// URLs; unset means the local dashboard of `make dev`.
    pub fn app_url(&self) -> &str {
        self.get("JOBMON_APP_URL").unwrap_or(DEFAULT_APP_URL)
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

/// `raw` as a whole number within `range`, or why not (for a caller that reads its
/// settings another way than [`Env::number_in`] and names the variable itself).
pub fn whole_number_in<T>(raw: &str, range: RangeInclusive<T>) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    raw.trim()
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{raw:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            )
        })
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

    /// A codec of this key alone, for tests and benchmarks. Functions use
    /// `SigningSecrets::cursor_codec`, which also opens the previous key's cursors.
    pub fn cursor_codec(&self) -> CursorCodec {
        CursorCodec::new(&self.derive("cursor")).expect("derived keys are 32 bytes")
    }
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

    #[test]
    fn a_bounded_number_is_its_default_unset_and_refused_outside_its_range() {
        let env = Env::from_pairs([("N", " 7 "), ("EMPTY", ""), ("BIG", "11"), ("NEG", "-1")]);
        assert_eq!(env.number_in("N", 2u32, 1..=10).unwrap(), 7);
        assert_eq!(env.number_in("UNSET", 2u32, 1..=10).unwrap(), 2);
        assert_eq!(env.number_in("EMPTY", 2u32, 1..=10).unwrap(), 2);
        for name in ["BIG", "NEG"] {
            let err = env.number_in(name, 2u32, 1..=10).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{name}: ")), "{err}");
            assert!(err.contains("from 1 to 10"), "{err}");
        }
        let env = Env::from_pairs([("F", "1.5")]);
        assert!(env.number_in("F", 2u64, 0..=10).is_err());
    }

    #[test]
    fn the_app_url_defaults_to_the_local_dashboard() {
        assert_eq!(Env::default().app_url(), DEFAULT_APP_URL);
        let env = Env::from_pairs([("JOBMON_APP_URL", "https://jobs.example.com")]);
        assert_eq!(env.app_url(), "https://jobs.example.com");
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
            SecretKey::load(&Env::default(), &none).await,
            Err(ConfigError::Missing(_))
        ));
        assert!(matches!(
            SecretKey::load(&Env::from_pairs([("JOBMON_SECRET_KEY", "short")]), &none).await,
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
        assert!(SecretKey::load(&env, &none).await.is_ok());
    }
}
