//! Which scorer a deployment uses, from `JOBMON_*` variables.
//!
//! Reading is split from building so that the one secret a scorer needs can live in SSM:
//! [`ScorerConfig::from_vars`] only reads variables and names the secret's source;
//! the caller resolves a `*_PARAMETER` (it owns the SSM client) and passes the value to
//! [`ScorerConfig::build`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jobmon_semantic::Embedder;

use shared::domain::Score;

use crate::error::ScoreError;
use crate::gate::GatedScorer;
use crate::hybrid::{HybridScorer, SemanticTuning};
use crate::openai::{OpenAiConfig, OpenAiScorer, TokenLimitField};
use crate::profile_scorer::{ProfileScorer, RateTable};
use crate::scorer::Scorer;
use crate::webhook::WebhookScorer;

pub const SCORER: &str = "JOBMON_SCORER";
pub const OPENAI_BASE_URL: &str = "JOBMON_OPENAI_BASE_URL";
pub const OPENAI_MODEL: &str = "JOBMON_OPENAI_MODEL";
pub const OPENAI_API_KEY: &str = "JOBMON_OPENAI_API_KEY";
pub const OPENAI_TIMEOUT_SECS: &str = "JOBMON_OPENAI_TIMEOUT_SECS";
pub const OPENAI_MAX_TOKENS: &str = "JOBMON_OPENAI_MAX_TOKENS";
pub const OPENAI_TEMPERATURE: &str = "JOBMON_OPENAI_TEMPERATURE";
pub const OPENAI_TOKEN_FIELD: &str = "JOBMON_OPENAI_TOKEN_FIELD";
pub const OPENAI_REASON_MAX_CHARS: &str = "JOBMON_OPENAI_REASON_MAX_CHARS";
pub const WEBHOOK_URL: &str = "JOBMON_SCORING_WEBHOOK_URL";
pub const WEBHOOK_SECRET: &str = "JOBMON_SCORING_WEBHOOK_SECRET";
pub const WEBHOOK_CALLBACK_URL: &str = "JOBMON_SCORING_WEBHOOK_CALLBACK_URL";
pub const WEBHOOK_TIMEOUT_SECS: &str = "JOBMON_SCORING_WEBHOOK_TIMEOUT_SECS";
/// How long a job handed to the webhook waits for its answer before it is marked `failed`.
pub const WEBHOOK_ANSWER_WITHIN_SECS: &str = "JOBMON_SCORING_WEBHOOK_ANSWER_WITHIN_SECS";
pub const PREGATE: &str = "JOBMON_SCORING_PREGATE";
pub const PREGATE_THRESHOLD: &str = "JOBMON_SCORING_PREGATE_THRESHOLD";
/// The hybrid scorer's model folder (`model.safetensors`, `vocab.txt`, `config.json`).
pub const SEMANTIC_MODEL_DIR: &str = "JOBMON_SEMANTIC_MODEL_DIR";
/// Tokens of each posting the encoder reads (its cost grows with them).
pub const SEMANTIC_MAX_TOKENS: &str = "JOBMON_SEMANTIC_MAX_TOKENS";
/// Points per unit of similarity, and the similarity that moves a score by nothing.
pub const SEMANTIC_WEIGHT: &str = "JOBMON_SEMANTIC_WEIGHT";
pub const SEMANTIC_CENTRE: &str = "JOBMON_SEMANTIC_CENTRE";
/// Overrides of the profile scorer's currency table: `USD=0.92,GBP=1.17` (euros per unit).
pub const CURRENCY_RATES: &str = "JOBMON_SCORING_CURRENCY_RATES";

const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Where a Lambda layer's files appear: the MiniLM layer (`make minilm-layer`) holds
/// `minilm/…`.
const DEFAULT_SEMANTIC_MODEL_DIR: &str = "/opt/minilm";
const DEFAULT_SEMANTIC_MAX_TOKENS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} names an SSM parameter, but no value for it was passed to build()")]
    Unresolved { name: &'static str },
}

/// Where a secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The variable itself holds it (local runs, tests).
    Value(String),
    /// `<VARIABLE>_PARAMETER` names an SSM SecureString holding it.
    Parameter {
        variable: &'static str,
        parameter: String,
    },
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(..)"),
            Self::Parameter {
                variable,
                parameter,
            } => write!(f, "Parameter({variable}_PARAMETER = {parameter:?})"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum ScorerKind {
    Profile,
    /// The profile scorer plus the MiniLM semantic stage.
    Hybrid {
        model_dir: PathBuf,
        max_tokens: usize,
        tuning: SemanticTuning,
    },
    OpenAi {
        /// Everything but the key, which comes from `api_key`.
        config: OpenAiConfig,
        /// `None` for endpoints that need no key (Ollama, llama.cpp).
        api_key: Option<SecretSource>,
    },
    Webhook {
        url: String,
        callback_url: String,
        timeout: Duration,
        answer_within: Duration,
        secret: SecretSource,
    },
}

#[derive(Debug, Clone)]
pub struct ScorerConfig {
    pub kind: ScorerKind,
    /// The pre-gate's threshold, `None` when it is off. Ignored for the profile scorer.
    pub pregate: Option<Score>,
    /// The profile scorer's (and so the pre-gate's) currency conversion.
    pub rates: RateTable,
}

/// What [`ScorerConfig::build`] made.
pub enum ConfiguredScorer {
    /// Answers in the call: the profile or OpenAI scorer, gated or not.
    Inline(Box<dyn Scorer>),
    /// Sends the job out; the result arrives at `POST /v1/webhooks/scoring`.
    Webhook(WebhookScorer),
}

impl std::fmt::Debug for ConfiguredScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => f.write_str("Inline(..)"),
            Self::Webhook(w) => f.debug_tuple("Webhook").field(w).finish(),
        }
    }
}

impl ScorerConfig {
    /// Reads the variables through `lookup` (e.g. `|k| std::env::var(k).ok()`); an empty
    /// value counts as unset, as SAM parameters default to "".
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(lookup);
        let kind = match vars.get(SCORER).as_deref().unwrap_or("profile") {
            "profile" => ScorerKind::Profile,
            "hybrid" => vars.hybrid()?,
            "openai" => vars.openai()?,
            "webhook" => vars.webhook()?,
            other => {
                return Err(invalid(
                    SCORER,
                    &format!("{other:?} is not one of profile, hybrid, openai, webhook"),
                ));
            }
        };
        Ok(Self {
            kind,
            pregate: vars.pregate()?,
            rates: vars.rates()?,
        })
    }

    /// Only the currency table (`JOBMON_SCORING_CURRENCY_RATES`): what the profile preview
    /// needs to score as the worker does, without the rest of the scorer's settings.
    pub fn rates_from_vars(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RateTable, ConfigError> {
        Vars(lookup).rates()
    }

    /// The secret to resolve before [`Self::build`], if the scorer needs one.
    pub fn secret(&self) -> Option<&SecretSource> {
        match &self.kind {
            ScorerKind::Profile | ScorerKind::Hybrid { .. } => None,
            ScorerKind::OpenAi { api_key, .. } => api_key.as_ref(),
            ScorerKind::Webhook { secret, .. } => Some(secret),
        }
    }

    /// Builds the scorer. `resolved_secret` is the value of the SSM parameter named by
    /// [`Self::secret`] when that is a [`SecretSource::Parameter`]; otherwise it is ignored.
    pub fn build(&self, resolved_secret: Option<&str>) -> Result<ConfiguredScorer, ConfigError> {
        let secret_value = |source: &SecretSource| -> Result<String, ConfigError> {
            match source {
                SecretSource::Value(value) => Ok(value.clone()),
                SecretSource::Parameter { variable, .. } => resolved_secret
                    .map(str::to_owned)
                    .ok_or(ConfigError::Unresolved { name: variable }),
            }
        };
        match &self.kind {
            ScorerKind::Profile => Ok(ConfiguredScorer::Inline(Box::new(
                ProfileScorer::with_rates(self.rates.clone()),
            ))),
            ScorerKind::Hybrid {
                model_dir,
                max_tokens,
                tuning,
            } => {
                let embedder = Embedder::load(model_dir, *max_tokens)
                    .map_err(|e| invalid(SEMANTIC_MODEL_DIR, &e.to_string()))?;
                Ok(ConfiguredScorer::Inline(Box::new(HybridScorer::new(
                    ProfileScorer::with_rates(self.rates.clone()),
                    Arc::new(embedder),
                    *tuning,
                ))))
            }
            ScorerKind::OpenAi { config, api_key } => {
                let mut config = config.clone();
                config.api_key = api_key.as_ref().map(secret_value).transpose()?;
                let scorer =
                    OpenAiScorer::new(config).map_err(|e| invalid(OPENAI_BASE_URL, &reason(e)))?;
                Ok(ConfiguredScorer::Inline(match self.pregate {
                    Some(threshold) => Box::new(GatedScorer {
                        inner: Box::new(scorer),
                        gate: ProfileScorer::with_rates(self.rates.clone()),
                        threshold,
                    }),
                    None => Box::new(scorer),
                }))
            }
            ScorerKind::Webhook {
                url,
                callback_url,
                timeout,
                answer_within,
                secret,
            } => {
                let secret = secret_value(secret)?;
                let scorer = WebhookScorer::new(url, secret.as_bytes(), callback_url, *timeout)
                    .map_err(|e| invalid(WEBHOOK_SECRET, &reason(e)))?
                    .with_answer_within(*answer_within);
                Ok(ConfiguredScorer::Webhook(match self.pregate {
                    Some(threshold) => scorer.with_gate(threshold),
                    None => scorer,
                }))
            }
        }
    }
}

/// The variables as [`ScorerConfig::from_vars`] reads them, one reader per scorer.
struct Vars<F>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn require(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// The variable's own value, else the SSM parameter `<name>_PARAMETER` names.
    fn secret(&self, name: &'static str) -> Option<SecretSource> {
        self.get(name).map(SecretSource::Value).or_else(|| {
            self.get(&format!("{name}_PARAMETER"))
                .map(|parameter| SecretSource::Parameter {
                    variable: name,
                    parameter,
                })
        })
    }

    /// Whole seconds within `range`, `None` when unset.
    fn secs(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<Duration>, ConfigError> {
        self.get(name)
            .map(|secs| parse_in(name, &secs, range).map(Duration::from_secs))
            .transpose()
    }

    fn openai(&self) -> Result<ScorerKind, ConfigError> {
        let mut config = OpenAiConfig::new(
            self.get(OPENAI_BASE_URL)
                .unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
            self.require(OPENAI_MODEL)?,
        );
        if let Some(timeout) = self.secs(OPENAI_TIMEOUT_SECS, 1..=900)? {
            config.timeout = timeout;
        }
        if let Some(tokens) = self.get(OPENAI_MAX_TOKENS) {
            config.max_tokens = parse_in(OPENAI_MAX_TOKENS, &tokens, 16..=4096)? as u32;
        }
        if let Some(t) = self.get(OPENAI_TEMPERATURE) {
            config.temperature = t
                .parse::<f32>()
                .ok()
                .filter(|t| (0.0..=0.2).contains(t))
                .ok_or_else(|| invalid(OPENAI_TEMPERATURE, "must be a number from 0 to 0.2"))?;
        }
        if let Some(field) = self.get(OPENAI_TOKEN_FIELD) {
            config.token_limit_field = match field.as_str() {
                "max_tokens" => TokenLimitField::MaxTokens,
                "max_completion_tokens" => TokenLimitField::MaxCompletionTokens,
                _ => {
                    return Err(invalid(
                        OPENAI_TOKEN_FIELD,
                        "must be max_tokens or max_completion_tokens",
                    ));
                }
            };
        }
        if let Some(chars) = self.get(OPENAI_REASON_MAX_CHARS) {
            let chars = parse_in(OPENAI_REASON_MAX_CHARS, &chars, 0..=4000)? as u32;
            config.reason_max_chars = (chars > 0).then_some(chars);
        }
        // Fail at init on a bad URL, not at the first message.
        OpenAiScorer::new(config.clone()).map_err(|e| invalid(OPENAI_BASE_URL, &reason(e)))?;
        Ok(ScorerKind::OpenAi {
            config,
            api_key: self.secret(OPENAI_API_KEY),
        })
    }

    fn hybrid(&self) -> Result<ScorerKind, ConfigError> {
        let max_tokens = match self.get(SEMANTIC_MAX_TOKENS) {
            Some(t) => parse_in(SEMANTIC_MAX_TOKENS, &t, 16..=512)? as usize,
            None => DEFAULT_SEMANTIC_MAX_TOKENS,
        };
        let mut tuning = SemanticTuning::default();
        for (name, field, range) in [
            (SEMANTIC_WEIGHT, &mut tuning.weight, 0.0..=50.0),
            (SEMANTIC_CENTRE, &mut tuning.centre, -1.0..=1.0),
        ] {
            if let Some(v) = self.get(name) {
                *field = v
                    .parse::<f32>()
                    .ok()
                    .filter(|v| range.contains(v))
                    .ok_or_else(|| {
                        invalid(
                            name,
                            &format!("must be a number from {} to {}", range.start(), range.end()),
                        )
                    })?;
            }
        }
        Ok(ScorerKind::Hybrid {
            model_dir: self
                .get(SEMANTIC_MODEL_DIR)
                .unwrap_or_else(|| DEFAULT_SEMANTIC_MODEL_DIR.into())
                .into(),
            max_tokens,
            tuning,
        })
    }

    fn webhook(&self) -> Result<ScorerKind, ConfigError> {
        let timeout = self
            .secs(WEBHOOK_TIMEOUT_SECS, 1..=60)?
            .unwrap_or(WebhookScorer::DEFAULT_TIMEOUT);
        let answer_within = self
            .secs(WEBHOOK_ANSWER_WITHIN_SECS, 10..=86_400)?
            .unwrap_or(WebhookScorer::DEFAULT_ANSWER_WITHIN);
        let url = self.require(WEBHOOK_URL)?;
        let callback_url = self.require(WEBHOOK_CALLBACK_URL)?;
        for (name, value) in [(WEBHOOK_URL, &url), (WEBHOOK_CALLBACK_URL, &callback_url)] {
            let parsed = url::Url::parse(value).map_err(|e| invalid(name, &e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid(name, "must be an http(s) URL"));
            }
        }
        Ok(ScorerKind::Webhook {
            url,
            callback_url,
            timeout,
            answer_within,
            secret: self
                .secret(WEBHOOK_SECRET)
                .ok_or(ConfigError::Missing(WEBHOOK_SECRET))?,
        })
    }

    /// The pre-gate's threshold (default 1), or `None` when it is off.
    fn pregate(&self) -> Result<Option<Score>, ConfigError> {
        match self.get(PREGATE).as_deref().unwrap_or("on") {
            "on" | "true" | "1" => {
                let threshold = match self.get(PREGATE_THRESHOLD) {
                    Some(t) => parse_in(PREGATE_THRESHOLD, &t, 1..=10)?,
                    None => 1,
                };
                Score::new(threshold as i64)
                    .map(Some)
                    .map_err(|e| invalid(PREGATE_THRESHOLD, &e.to_string()))
            }
            "off" | "false" | "0" => Ok(None),
            _ => Err(invalid(PREGATE, "must be on or off")),
        }
    }

    /// The currency table for pay comparisons: the built-in rates with any overrides.
    fn rates(&self) -> Result<RateTable, ConfigError> {
        match self.get(CURRENCY_RATES) {
            Some(spec) => RateTable::with_overrides(&spec).map_err(|e| invalid(CURRENCY_RATES, &e)),
            None => Ok(RateTable::default()),
        }
    }
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_owned(),
    }
}

fn reason(error: ScoreError) -> String {
    match error {
        ScoreError::Config(reason) => reason,
        other => other.to_string(),
    }
}

fn parse_in(
    name: &'static str,
    raw: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    shared::config::whole_number_in(raw, range).map_err(|reason| invalid(name, &reason))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<ScorerConfig, ConfigError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ScorerConfig::from_vars(|k| vars.get(k).cloned())
    }

    const WEBHOOK: [(&str, &str); 4] = [
        (SCORER, "webhook"),
        (WEBHOOK_URL, "https://n8n.example.com/webhook/score"),
        (
            WEBHOOK_CALLBACK_URL,
            "https://api.example.com/v1/webhooks/scoring",
        ),
        (WEBHOOK_SECRET, "0123456789abcdef0123456789abcdef"),
    ];

    #[test]
    fn defaults_to_the_profile_scorer() {
        let config = read(&[]).unwrap();
        assert!(matches!(config.kind, ScorerKind::Profile));
        assert_eq!(config.secret(), None);
        assert!(matches!(
            config.build(None).unwrap(),
            ConfiguredScorer::Inline(_)
        ));
        // Empty counts as unset.
        assert!(matches!(
            read(&[(SCORER, "")]).unwrap().kind,
            ScorerKind::Profile
        ));
    }

    #[test]
    fn reads_hybrid_settings_and_refuses_bad_ones_by_name() {
        let config = read(&[
            (SCORER, "hybrid"),
            (SEMANTIC_MAX_TOKENS, "64"),
            (SEMANTIC_WEIGHT, "6"),
            (SEMANTIC_CENTRE, "0.3"),
        ])
        .unwrap();
        let ScorerKind::Hybrid {
            model_dir,
            max_tokens,
            tuning,
        } = &config.kind
        else {
            panic!("expected hybrid, got {:?}", config.kind);
        };
        assert_eq!(model_dir, &PathBuf::from("/opt/minilm"));
        assert_eq!(*max_tokens, 64);
        assert_eq!((tuning.weight, tuning.centre), (6.0, 0.3));
        assert_eq!(config.secret(), None);
        for (name, value) in [
            (SEMANTIC_MAX_TOKENS, "8"),
            (SEMANTIC_WEIGHT, "-1"),
            (SEMANTIC_CENTRE, "two"),
        ] {
            let err = read(&[(SCORER, "hybrid"), (name, value)]).unwrap_err();
            assert!(
                matches!(err, ConfigError::Invalid { name: n, .. } if n == name),
                "{err}"
            );
        }
    }

    #[test]
    fn a_hybrid_scorer_without_its_model_fails_at_build_naming_the_folder() {
        let config = read(&[
            (SCORER, "hybrid"),
            (SEMANTIC_MODEL_DIR, "/nonexistent/minilm"),
        ])
        .unwrap();
        let err = config.build(None).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { name, reason } if *name == SEMANTIC_MODEL_DIR && reason.contains("/nonexistent/minilm")),
            "{err}"
        );
    }

    #[test]
    fn reads_openai_settings() {
        let config = read(&[
            (SCORER, "openai"),
            (OPENAI_MODEL, "gpt-4o-mini"),
            (OPENAI_API_KEY, "sk-test"),
            (OPENAI_TIMEOUT_SECS, "12"),
            (OPENAI_MAX_TOKENS, "200"),
            (OPENAI_TEMPERATURE, "0.1"),
            (OPENAI_TOKEN_FIELD, "max_tokens"),
            (OPENAI_REASON_MAX_CHARS, "0"),
            (PREGATE_THRESHOLD, "4"),
        ])
        .unwrap();
        let ScorerKind::OpenAi {
            config: openai,
            api_key,
        } = &config.kind
        else {
            panic!("expected openai, got {:?}", config.kind);
        };
        assert_eq!(openai.base_url, DEFAULT_OPENAI_BASE_URL);
        assert_eq!(openai.model, "gpt-4o-mini");
        assert_eq!(openai.timeout, Duration::from_secs(12));
        assert_eq!(openai.max_tokens, 200);
        assert_eq!(openai.temperature, 0.1);
        assert_eq!(openai.token_limit_field, TokenLimitField::MaxTokens);
        assert_eq!(openai.reason_max_chars, None);
        assert_eq!(api_key, &Some(SecretSource::Value("sk-test".into())));
        assert_eq!(config.pregate, Some(Score::new(4).unwrap()));
        assert!(matches!(
            config.build(None).unwrap(),
            ConfiguredScorer::Inline(_)
        ));
    }

    #[test]
    fn a_key_may_come_from_ssm_and_must_then_be_resolved() {
        let config = read(&[
            (SCORER, "openai"),
            (OPENAI_MODEL, "m"),
            ("JOBMON_OPENAI_API_KEY_PARAMETER", "/jobmon/openai-key"),
        ])
        .unwrap();
        assert_eq!(
            config.secret(),
            Some(&SecretSource::Parameter {
                variable: OPENAI_API_KEY,
                parameter: "/jobmon/openai-key".into()
            })
        );
        assert!(matches!(
            config.build(None),
            Err(ConfigError::Unresolved {
                name: OPENAI_API_KEY
            })
        ));
        assert!(config.build(Some("sk-from-ssm")).is_ok());
    }

    #[test]
    fn a_keyless_local_endpoint_is_fine() {
        let config = read(&[
            (SCORER, "openai"),
            (OPENAI_BASE_URL, "http://127.0.0.1:11434/v1"),
            (OPENAI_MODEL, "llama3"),
            (PREGATE, "off"),
        ])
        .unwrap();
        assert_eq!(config.secret(), None);
        assert_eq!(config.pregate, None);
        assert!(config.build(None).is_ok());
    }

    #[test]
    fn reads_webhook_settings() {
        let config = read(&WEBHOOK).unwrap();
        assert!(matches!(config.secret(), Some(SecretSource::Value(_))));
        let ConfiguredScorer::Webhook(scorer) = config.build(None).unwrap() else {
            panic!("expected a webhook scorer");
        };
        assert_eq!(
            scorer.callback_url(),
            "https://api.example.com/v1/webhooks/scoring"
        );
        assert_eq!(scorer.answer_within(), WebhookScorer::DEFAULT_ANSWER_WITHIN);
        let mut patient: Vec<(&str, &str)> = WEBHOOK.to_vec();
        patient.push((WEBHOOK_ANSWER_WITHIN_SECS, "3600"));
        let ConfiguredScorer::Webhook(scorer) = read(&patient).unwrap().build(None).unwrap() else {
            panic!("expected a webhook scorer");
        };
        assert_eq!(scorer.answer_within(), Duration::from_secs(3600));
        for bad in ["0", "9", "86401", "soon"] {
            let mut config: Vec<(&str, &str)> = WEBHOOK.to_vec();
            config.push((WEBHOOK_ANSWER_WITHIN_SECS, bad));
            assert!(
                matches!(
                    read(&config),
                    Err(ConfigError::Invalid {
                        name: WEBHOOK_ANSWER_WITHIN_SECS,
                        ..
                    })
                ),
                "{bad}"
            );
        }

        let mut from_ssm: Vec<(&str, &str)> = WEBHOOK[..3].to_vec();
        from_ssm.push(("JOBMON_SCORING_WEBHOOK_SECRET_PARAMETER", "/jobmon/webhook"));
        let config = read(&from_ssm).unwrap();
        assert!(matches!(
            config.build(None),
            Err(ConfigError::Unresolved {
                name: WEBHOOK_SECRET
            })
        ));
        assert!(matches!(
            config.build(Some("short")),
            Err(ConfigError::Invalid {
                name: WEBHOOK_SECRET,
                ..
            })
        ));
        assert!(
            config
                .build(Some("0123456789abcdef0123456789abcdef"))
                .is_ok()
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: Vec<(Vec<(&str, &str)>, ConfigError)> = vec![
            (vec![(SCORER, "bedrock")], invalid(SCORER, "")),
            (vec![(SCORER, "openai")], ConfigError::Missing(OPENAI_MODEL)),
            (
                vec![
                    (SCORER, "openai"),
                    (OPENAI_MODEL, "m"),
                    (OPENAI_TEMPERATURE, "0.7"),
                ],
                invalid(OPENAI_TEMPERATURE, ""),
            ),
            (
                vec![
                    (SCORER, "openai"),
                    (OPENAI_MODEL, "m"),
                    (OPENAI_TIMEOUT_SECS, "soon"),
                ],
                invalid(OPENAI_TIMEOUT_SECS, ""),
            ),
            (
                vec![
                    (SCORER, "openai"),
                    (OPENAI_MODEL, "m"),
                    (OPENAI_BASE_URL, "nope"),
                ],
                invalid(OPENAI_BASE_URL, ""),
            ),
            (
                vec![
                    (SCORER, "openai"),
                    (OPENAI_MODEL, "m"),
                    (OPENAI_TOKEN_FIELD, "tokens"),
                ],
                invalid(OPENAI_TOKEN_FIELD, ""),
            ),
            (WEBHOOK[..3].to_vec(), ConfigError::Missing(WEBHOOK_SECRET)),
            (
                vec![WEBHOOK[0], WEBHOOK[1], WEBHOOK[3]],
                ConfigError::Missing(WEBHOOK_CALLBACK_URL),
            ),
            (
                vec![WEBHOOK[0], (WEBHOOK_URL, "ftp://x"), WEBHOOK[2], WEBHOOK[3]],
                invalid(WEBHOOK_URL, ""),
            ),
            (vec![(PREGATE, "maybe")], invalid(PREGATE, "")),
            (
                vec![(PREGATE_THRESHOLD, "11")],
                invalid(PREGATE_THRESHOLD, ""),
            ),
        ];
        for (vars, expected) in cases {
            let err = read(&vars).unwrap_err();
            match (&err, &expected) {
                (ConfigError::Invalid { name, .. }, ConfigError::Invalid { name: want, .. }) => {
                    assert_eq!(name, want, "{vars:?}");
                    assert!(err.to_string().starts_with(want), "{err}");
                }
                _ => assert_eq!(err, expected, "{vars:?}"),
            }
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let config = read(&WEBHOOK).unwrap();
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }
}
