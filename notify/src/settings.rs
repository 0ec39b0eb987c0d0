//! What a member wants to be told and where a tenant's channels point: the types a
//! stored or accepted value must be, and the parsing that gets a request body there.
//! Every parse error names the field as the API documents it (`email.digest.timeZone`).

use chrono::{DateTime, Utc};
use jobmon_connectors::{AddressPolicy, check_destination};
use serde::{Deserialize, Serialize};
use shared::domain::{Score, TenantId};
use url::Url;

use crate::zone::Zone;

/// A bad field: its API name and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

fn field_error(field: &'static str, problem: impl Into<String>) -> FieldError {
    FieldError {
        field,
        problem: problem.into(),
    }
}

fn score(field: &'static str, raw: i64) -> Result<Score, FieldError> {
    Score::new(raw).map_err(|_| field_error(field, "must be an integer from 1 to 10"))
}

/// A member's e-mail notification settings, as `GET`/`PUT /v1/notifications` carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberSettings {
    pub email: EmailSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettings {
    pub instant: InstantEmail,
    pub digest: DigestEmail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstantEmail {
    pub enabled: bool,
    pub min_score: Score,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestEmail {
    pub enabled: bool,
    /// 0..=23, in `time_zone`.
    pub hour: u8,
    /// An IANA zone name, validated on the way in.
    pub time_zone: String,
}

impl Default for MemberSettings {
    /// Nothing is sent until a member asks for it: mail nobody asked for is spam.
    fn default() -> Self {
        Self {
            email: EmailSettings {
                instant: InstantEmail {
                    enabled: false,
                    min_score: Score::new(8).expect("8 is a score"),
                },
                digest: DigestEmail {
                    enabled: false,
                    hour: 8,
                    time_zone: "UTC".into(),
                },
            },
        }
    }
}

/// The `PUT /v1/notifications` body: every field required, numbers still unchecked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsInput {
    pub email: EmailInput,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmailInput {
    pub instant: InstantInput,
    pub digest: DigestInput,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstantInput {
    pub enabled: bool,
    pub min_score: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DigestInput {
    pub enabled: bool,
    pub hour: i64,
    pub time_zone: String,
}

impl SettingsInput {
    pub fn parse(self) -> Result<MemberSettings, FieldError> {
        let EmailInput { instant, digest } = self.email;
        let hour = u8::try_from(digest.hour)
            .ok()
            .filter(|h| *h < 24)
            .ok_or_else(|| field_error("email.digest.hour", "must be an integer from 0 to 23"))?;
        let zone = Zone::named(digest.time_zone.trim()).ok_or_else(|| {
            field_error(
                "email.digest.timeZone",
                "must be an IANA time zone such as Europe/Berlin",
            )
        })?;
        Ok(MemberSettings {
            email: EmailSettings {
                instant: InstantEmail {
                    enabled: instant.enabled,
                    min_score: score("email.instant.minScore", instant.min_score)?,
                },
                digest: DigestEmail {
                    enabled: digest.enabled,
                    hour,
                    time_zone: zone.name().to_owned(),
                },
            },
        })
    }
}

/// Where a tenant-wide channel delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Slack,
    Discord,
    Webhook,
}

impl ChannelKind {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "slack" => Ok(Self::Slack),
            "discord" => Ok(Self::Discord),
            "webhook" => Ok(Self::Webhook),
            _ => Err(field_error(
                "kind",
                "must be one of \"slack\", \"discord\", \"webhook\"",
            )),
        }
    }
}

/// Longest channel URL accepted; webhook URLs are far shorter.
const MAX_URL_LEN: usize = 2048;

/// A channel URL the notifier may post to: absolute, HTTPS (plain HTTP only when private
/// destinations are allowed, i.e. the local stack), no credentials in it, and no IP literal
/// the connectors' SSRF guard refuses. A hostname is judged again on the address it
/// resolves to, at send time, by the guarded client — checking DNS here would prove
/// nothing about the moment of sending (rebinding).
pub fn parse_channel_url(raw: &str, policy: AddressPolicy) -> Result<Url, FieldError> {
    let problem = |p: &str| field_error("url", p);
    if raw.len() > MAX_URL_LEN {
        return Err(problem("must be at most 2048 characters"));
    }
    let url = Url::parse(raw.trim()).map_err(|_| problem("must be an absolute URL"))?;
    match (url.scheme(), policy) {
        ("https", _) | ("http", AddressPolicy::AllowPrivate) => {}
        _ => return Err(problem("must use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(problem("must not contain credentials"));
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    // RFC 6761: `localhost` names are loopback whatever DNS says.
    let loopback_name = host == "localhost" || host.ends_with(".localhost");
    if loopback_name && policy == AddressPolicy::PublicOnly {
        return Err(problem("must not point to a private or loopback address"));
    }
    check_destination(&url, policy)
        .map_err(|_| problem("must not point to a private, loopback or metadata address"))?;
    Ok(url)
}

/// A tenant-wide notification channel as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: String,
    pub tenant_id: TenantId,
    pub kind: ChannelKind,
    pub url: String,
    pub min_score: Score,
    pub enabled: bool,
    /// Hex HMAC key for `webhook` channels (`X-Jobmon-Signature`); shown once, on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    /// Why the latest delivery failed, for the API and the dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default)]
    pub consecutive_failures: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A channel as the API shows it: never the signing secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelView {
    pub id: String,
    pub kind: ChannelKind,
    pub url: String,
    pub min_score: Score,
    pub enabled: bool,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> Self {
        Self {
            id: c.id.clone(),
            kind: c.kind,
            url: c.url.clone(),
            min_score: c.min_score,
            enabled: c.enabled,
            last_error: c.last_error.clone(),
            consecutive_failures: c.consecutive_failures,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The `POST /v1/notifications/channels` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateChannel {
    pub kind: String,
    pub url: String,
    pub min_score: i64,
    pub enabled: Option<bool>,
}

/// The `PATCH /v1/notifications/channels/{id}` body; the kind is fixed at creation
/// (a webhook's signing secret belongs to it).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateChannel {
    pub url: Option<String>,
    pub min_score: Option<i64>,
    pub enabled: Option<bool>,
}

/// A create request, validated.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub url: Url,
    pub min_score: Score,
    pub enabled: bool,
}

impl CreateChannel {
    pub fn parse(self, policy: AddressPolicy) -> Result<NewChannel, FieldError> {
        Ok(NewChannel {
            kind: ChannelKind::parse(&self.kind)?,
            url: parse_channel_url(&self.url, policy)?,
            min_score: score("minScore", self.min_score)?,
            enabled: self.enabled.unwrap_or(true),
        })
    }
}

impl UpdateChannel {
    /// Applies the change to `channel` only when every field is valid. Re-enabling a
    /// channel, or pointing it elsewhere, clears its failure streak.
    pub fn apply(
        self,
        channel: &mut Channel,
        policy: AddressPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), FieldError> {
        let url = self
            .url
            .map(|u| parse_channel_url(&u, policy))
            .transpose()?;
        let min_score = self.min_score.map(|s| score("minScore", s)).transpose()?;
        let fresh_start = url.is_some() || self.enabled == Some(true);
        if let Some(url) = url {
            channel.url = url.to_string();
        }
        if let Some(min_score) = min_score {
            channel.min_score = min_score;
        }
        if let Some(enabled) = self.enabled {
            channel.enabled = enabled;
        }
        if fresh_start {
            channel.consecutive_failures = 0;
            channel.last_error = None;
        }
        channel.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
