//! A scorer backed by any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama,
//! vLLM, llama.cpp's server), asking for JSON-schema output.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};
use shared::domain::Score;
use url::Url;

use crate::error::ScoreError;
use crate::http_failure::{classify, read_capped, transport};
use crate::job::JobForScoring;
use crate::prompt;
use crate::scorer::{Scorer, Scoring};
use shared::domain::Profile;

/// Which request field caps the answer's length. OpenAI's newer models accept only
/// `max_completion_tokens`; some compatible servers know only `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimitField {
    MaxTokens,
    MaxCompletionTokens,
}

impl TokenLimitField {
    fn name(self) -> &'static str {
        match self {
            Self::MaxTokens => "max_tokens",
            Self::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

#[derive(Clone)]
pub struct OpenAiConfig {
    /// Up to and including the version segment, e.g. `https://api.openai.com/v1`;
    /// `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer`; local servers (Ollama, llama.cpp) need none.
    pub api_key: Option<String>,
    /// For the whole request, answer included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// 0.0..=0.2: scoring should be repeatable, not creative.
    pub temperature: f32,
    pub max_tokens: u32,
    pub token_limit_field: TokenLimitField,
    /// `maxLength` of the reason in the schema; `None` leaves it out for providers whose
    /// strict mode rejects the keyword. It also stops a small model that loops inside the
    /// string from running into the token limit.
    pub reason_max_chars: Option<u32>,
    /// Longer descriptions are cut (at a word) before they go into the prompt.
    pub max_description_chars: usize,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| ".."))
            .field("timeout", &self.timeout)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("token_limit_field", &self.token_limit_field)
            .field("reason_max_chars", &self.reason_max_chars)
            .field("max_description_chars", &self.max_description_chars)
            .finish_non_exhaustive()
    }
}

impl OpenAiConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_TOKENS: u32 = 300;
    pub const DEFAULT_REASON_MAX_CHARS: u32 = 500;
    pub const DEFAULT_MAX_DESCRIPTION_CHARS: usize = 6000;

    /// The defaults for everything but where and which model.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            temperature: 0.0,
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            token_limit_field: TokenLimitField::MaxCompletionTokens,
            reason_max_chars: Some(Self::DEFAULT_REASON_MAX_CHARS),
            max_description_chars: Self::DEFAULT_MAX_DESCRIPTION_CHARS,
        }
    }
}

pub struct OpenAiScorer {
    client: reqwest::Client,
    endpoint: Url,
    config: OpenAiConfig,
}

/// The name under which the schema is sent (OpenAI requires one).
const SCHEMA_NAME: &str = "job_fit_score";
/// How much of a bad answer is echoed back to the model when asking again.
const ECHOED_ANSWER_CHARS: usize = 2000;
/// Reasons are shown in lists and stored in every scoring event.
const MAX_REASON_CHARS: usize = 2000;

impl OpenAiScorer {
    /// Builds the client once (at init); fails with [`ScoreError::Config`] on a bad URL or
    /// settings.
    pub fn new(config: OpenAiConfig) -> Result<Self, ScoreError> {
        let endpoint = chat_completions_url(&config.base_url)?;
        if config.model.trim().is_empty() {
            return Err(ScoreError::Config("the model name is empty".into()));
        }
        if !(0.0..=0.2).contains(&config.temperature) {
            return Err(ScoreError::Config(format!(
                "temperature {} is outside 0.0..=0.2",
                config.temperature
            )));
        }
        if config.max_tokens == 0 {
            return Err(ScoreError::Config("max tokens must be positive".into()));
        }
        let client = reqwest::Client::builder()
            // A redirected POST would turn into a GET or carry the body elsewhere; a 3xx is
            // a configuration problem to report, not to follow.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ScoreError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            endpoint,
            config,
        })
    }

    pub fn model(&self) -> &str {
        &self.config.model
    }

    fn request_body(&self, messages: &[Value]) -> Value {
        let mut reason = json!({"type": "string", "minLength": 1});
        if let Some(max) = self.config.reason_max_chars {
            reason["maxLength"] = json!(max);
        }
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": SCHEMA_NAME,
                    "strict": true,
                    "schema": {
                        "type": "object",
                        "properties": {
                            // An enum rather than minimum/maximum: grammar-based servers
                            // (llama.cpp) then cannot produce anything outside 1..=10.
                            "score": {"type": "integer", "enum": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]},
                            "reason": reason,
                        },
                        "required": ["score", "reason"],
                        "additionalProperties": false,
                    },
                },
            },
        });
        body[self.config.token_limit_field.name()] = json!(self.config.max_tokens);
        body
    }

    /// One round trip; `Ok` holds the raw answer text, or why it is not usable.
    async fn complete(&self, messages: &[Value]) -> Result<Result<Answer, String>, ScoreError> {
        let body = serde_json::to_vec(&self.request_body(messages))
            .map_err(|e| ScoreError::Config(format!("could not encode the request: {e}")))?;
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.config.api_key {
            request = request.header(AUTHORIZATION, format!("Bearer {key}"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport(&e, self.config.timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_capped(response, self.config.timeout).await?;
        if !status.is_success() {
            return Err(classify(status, &headers, &body, Utc::now()));
        }
        Ok(parse_completion(&body))
    }
}

/// What came back in a 200.
#[derive(Debug)]
struct Answer {
    content: String,
    model: Option<String>,
}

#[async_trait]
impl Scorer for OpenAiScorer {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        let mut messages = vec![
            json!({"role": "system", "content": prompt::SYSTEM}),
            json!({
                "role": "user",
                "content": prompt::user_message(job, profile, self.config.max_description_chars),
            }),
        ];
        let mut problem = String::new();
        // One retry on bad output. The retry tells the model what was wrong, so that a
        // deterministic backend does not just repeat itself.
        for attempt in 0..2 {
            let (why, content) = match self.complete(&messages).await? {
                Ok(answer) => match parse_verdict(&answer.content) {
                    Ok((score, reason)) => {
                        return Ok(Scoring {
                            score,
                            reason,
                            scorer: Scoring::OPENAI,
                            model: Some(answer.model.unwrap_or_else(|| self.config.model.clone())),
                        });
                    }
                    Err(why) => (why, Some(answer.content)),
                },
                Err(why) => (why, None),
            };
            tracing::warn!(attempt, problem = why, "invalid scoring answer");
            if let Some(content) = content {
                let echoed: String = content.chars().take(ECHOED_ANSWER_CHARS).collect();
                messages.push(json!({"role": "assistant", "content": echoed}));
            }
            messages.push(json!({
                "role": "user",
                "content": format!(
                    "That answer is invalid ({why}). Reply again with only the JSON object: \
                     an integer \"score\" from 1 to 10 and a short, non-empty \"reason\"."
                ),
            }));
            problem = why;
        }
        Err(ScoreError::InvalidOutput(problem))
    }
}

fn chat_completions_url(base: &str) -> Result<Url, ScoreError> {
    let base = base.trim().trim_end_matches('/');
    let url = Url::parse(&format!("{base}/chat/completions"))
        .map_err(|e| ScoreError::Config(format!("invalid base URL {base:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ScoreError::Config(format!(
            "base URL {base:?} must be http(s) with a host"
        )));
    }
    Ok(url)
}

/// `choices[0].message.content` of a chat completion, or why there is none usable.
fn parse_completion(body: &[u8]) -> Result<Answer, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("response is not JSON: {e}"))?;
    let choice = &value["choices"][0];
    if choice.is_null() {
        return Err("response has no choices".into());
    }
    if let Some(refusal) = choice["message"]["refusal"].as_str() {
        return Err(format!(
            "the model refused: {}",
            refusal.chars().take(200).collect::<String>()
        ));
    }
    // Cut off at the token limit: whatever JSON is there is incomplete.
    if choice["finish_reason"].as_str() == Some("length") {
        return Err("the answer was cut off at the token limit".into());
    }
    let content = choice["message"]["content"]
        .as_str()
        .ok_or("the answer has no text content")?;
    Ok(Answer {
        content: content.to_owned(),
        model: value["model"]
            .as_str()
            .map(str::to_owned)
            .filter(|m| !m.is_empty()),
    })
}

/// `{"score": 1..=10, "reason": "..."}` from the model's text, or why it is not.
fn parse_verdict(content: &str) -> Result<(Score, String), String> {
    let text = strip_fence(content.trim());
    let value: Value = serde_json::from_str(text).map_err(|_| {
        format!(
            "not a JSON object: {:?}",
            text.chars().take(80).collect::<String>()
        )
    })?;
    let raw = &value["score"];
    let number = raw
        .as_i64()
        // 7.0 is an integer written oddly; 7.5 is not.
        .or_else(|| {
            raw.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e6)
                .map(|f| f as i64)
        })
        .ok_or_else(|| format!("score is not an integer: {raw}"))?;
    let score = Score::new(number).map_err(|_| format!("score {number} is outside 1..10"))?;
    let reason = value["reason"]
        .as_str()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or("reason is missing or empty")?;
    Ok((score, reason.chars().take(MAX_REASON_CHARS).collect()))
}

/// Models without schema support like to wrap JSON in a Markdown code fence.
fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_asks_for_strict_schema_output_with_an_enum_score() {
        let mut config = OpenAiConfig::new("http://127.0.0.1:9/v1/", "m");
        config.max_tokens = 123;
        let scorer = OpenAiScorer::new(config.clone()).unwrap();
        assert_eq!(
            scorer.endpoint.as_str(),
            "http://127.0.0.1:9/v1/chat/completions"
        );
        let body = scorer.request_body(&[json!({"role": "user", "content": "x"})]);
        let format = &body["response_format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["json_schema"]["strict"], true);
        assert_eq!(format["json_schema"]["name"], SCHEMA_NAME);
        let schema = &format["json_schema"]["schema"];
        assert_eq!(
            schema["properties"]["score"]["enum"],
            json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        );
        assert_eq!(schema["properties"]["reason"]["minLength"], 1);
        assert_eq!(schema["properties"]["reason"]["maxLength"], 500);
        assert_eq!(schema["required"], json!(["score", "reason"]));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(body["temperature"], 0.0);
        assert_eq!(body["max_completion_tokens"], 123);
        assert!(body.get("max_tokens").is_none());

        config.token_limit_field = TokenLimitField::MaxTokens;
        config.reason_max_chars = None;
        let body = OpenAiScorer::new(config).unwrap().request_body(&[]);
        assert_eq!(body["max_tokens"], 123);
        assert!(body.get("max_completion_tokens").is_none());
        assert!(
            body["response_format"]["json_schema"]["schema"]["properties"]["reason"]
                .get("maxLength")
                .is_none()
        );
    }

    #[test]
    fn rejects_bad_settings() {
        let bad = |f: &dyn Fn(&mut OpenAiConfig)| {
            let mut config = OpenAiConfig::new("https://api.openai.com/v1", "gpt-4o-mini");
            f(&mut config);
            matches!(OpenAiScorer::new(config), Err(ScoreError::Config(_)))
        };
        assert!(!bad(&|_| {}));
        assert!(bad(&|c| c.base_url = "not a url".into()));
        assert!(bad(&|c| c.base_url = "ftp://host/v1".into()));
        assert!(bad(&|c| c.model = " ".into()));
        assert!(bad(&|c| c.temperature = 0.7));
        assert!(bad(&|c| c.temperature = -0.1));
        assert!(bad(&|c| c.max_tokens = 0));
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let mut config = OpenAiConfig::new("https://api.openai.com/v1", "m");
        config.api_key = Some("sk-secret-value".into());
        assert!(!format!("{config:?}").contains("sk-secret-value"));
    }

    #[test]
    fn parses_valid_verdicts() {
        let (score, reason) = parse_verdict(r#"{"score": 7, "reason": " Good match. "}"#).unwrap();
        assert_eq!(score.value(), 7);
        assert_eq!(reason, "Good match.");
        assert_eq!(
            parse_verdict(r#"{"score": 3.0, "reason": "x"}"#)
                .unwrap()
                .0
                .value(),
            3
        );
        let fenced = "```json\n{\"score\": 10, \"reason\": \"x\"}\n```";
        assert_eq!(parse_verdict(fenced).unwrap().0, Score::MAX);
        let long = format!(r#"{{"score": 5, "reason": "{}"}}"#, "r".repeat(5000));
        assert_eq!(parse_verdict(&long).unwrap().1.len(), MAX_REASON_CHARS);
    }

    #[test]
    fn rejects_invalid_verdicts() {
        for (content, why) in [
            ("not json", "not a JSON object"),
            (
                r#"{"score": 11, "reason": "x"}"#,
                "score 11 is outside 1..10",
            ),
            (r#"{"score": 0, "reason": "x"}"#, "score 0 is outside 1..10"),
            (
                r#"{"score": 7.5, "reason": "x"}"#,
                "score is not an integer",
            ),
            (
                r#"{"score": "7", "reason": "x"}"#,
                "score is not an integer",
            ),
            (r#"{"reason": "x"}"#, "score is not an integer"),
            (
                r#"{"score": 7, "reason": "  "}"#,
                "reason is missing or empty",
            ),
            (r#"{"score": 7}"#, "reason is missing or empty"),
        ] {
            let err = parse_verdict(content).unwrap_err();
            assert!(err.contains(why), "{content}: {err}");
        }
    }

    #[test]
    fn reads_the_first_choice_and_spots_unusable_completions() {
        let ok =
            br#"{"model":"gpt-x","choices":[{"message":{"content":"{}"},"finish_reason":"stop"}]}"#;
        let answer = parse_completion(ok).unwrap();
        assert_eq!(answer.content, "{}");
        assert_eq!(answer.model.as_deref(), Some("gpt-x"));
        for (body, why) in [
            (&b"<html>"[..], "not JSON"),
            (br#"{"choices":[]}"#, "no choices"),
            (
                br#"{"choices":[{"message":{"content":"{\"sc"},"finish_reason":"length"}]}"#,
                "cut off",
            ),
            (
                br#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#,
                "refused",
            ),
            (
                br#"{"choices":[{"message":{"content":null}}]}"#,
                "no text content",
            ),
        ] {
            let err = parse_completion(body).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }
}
