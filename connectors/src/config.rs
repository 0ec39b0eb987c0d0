//! What a tenant configures for a source: `{kind, config}`, validated once at the edge.
//!
//! Board names end up in URL paths and, for Recruitee and Personio, in host names, so they
//! are restricted to the characters those providers use: nothing that could add a path
//! segment, a query or another host.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use shared::domain::SourceKind;
use url::Url;

/// A configuration problem, naming the field the tenant has to fix (`kind`,
/// `config.board`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A validated source. Serialises to `{"kind": "...", "config": {...}}`, the shape it is
/// stored in, and deserialises through [`SourceConfig::parse`], so a stored value that no
/// longer validates fails to load instead of reaching a connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "config",
    rename_all = "lowercase",
    try_from = "RawSource"
)]
pub enum SourceConfig {
    Greenhouse {
        board: Slug,
    },
    Lever {
        site: Slug,
        #[serde(skip_serializing_if = "LeverRegion::is_global")]
        region: LeverRegion,
    },
    Ashby {
        board: Slug,
    },
    Workable {
        account: Slug,
    },
    SmartRecruiters {
        company: Slug,
    },
    Recruitee {
        company: Slug,
    },
    Personio {
        company: Slug,
    },
    Rss {
        url: FeedUrl,
    },
    JsonFeed {
        url: FeedUrl,
    },
}

#[derive(Deserialize)]
struct RawSource {
    kind: String,
    #[serde(default)]
    config: Value,
}

impl TryFrom<RawSource> for SourceConfig {
    type Error = ConfigError;

    fn try_from(raw: RawSource) -> Result<Self, Self::Error> {
        Self::parse(&raw.kind, &raw.config)
    }
}

impl SourceConfig {
    /// Validates a tenant's `kind` and `config`. Unknown kinds, unknown fields, missing or
    /// malformed values are refused with the offending field named.
    pub fn parse(kind: &str, config: &Value) -> Result<Self, ConfigError> {
        let fields = match config {
            Value::Object(map) => map,
            Value::Null => &Map::new(),
            _ => return Err(ConfigError::new("config", "must be an object")),
        };
        let kind = match kind {
            "" => return Err(ConfigError::new("kind", "is required")),
            named => named
                .parse::<SourceKind>()
                .map_err(|e| ConfigError::new("kind", e.to_string()))?,
        };
        Self::of_kind(kind, fields)
    }

    /// The configuration of a known kind: the match is exhaustive, so a kind added to
    /// [`SourceKind`] does not build until it has a parser here.
    fn of_kind(kind: SourceKind, fields: &Map<String, Value>) -> Result<Self, ConfigError> {
        Ok(match kind {
            SourceKind::Greenhouse => Self::Greenhouse {
                board: sole(fields, "board", Slug::parse)?,
            },
            SourceKind::Lever => lever(fields)?,
            SourceKind::Ashby => Self::Ashby {
                board: sole(fields, "board", Slug::parse)?,
            },
            SourceKind::Workable => Self::Workable {
                account: sole(fields, "account", Slug::parse)?,
            },
            SourceKind::SmartRecruiters => Self::SmartRecruiters {
                company: sole(fields, "company", Slug::parse)?,
            },
            SourceKind::Recruitee => Self::Recruitee {
                company: sole(fields, "company", Slug::parse_host_label)?,
            },
            SourceKind::Personio => Self::Personio {
                company: sole(fields, "company", Slug::parse_host_label)?,
            },
            SourceKind::Rss => Self::Rss {
                url: sole(fields, "url", FeedUrl::parse)?,
            },
            SourceKind::JsonFeed => Self::JsonFeed {
                url: sole(fields, "url", FeedUrl::parse)?,
            },
        })
    }

    pub fn kind(&self) -> SourceKind {
        match self {
            Self::Greenhouse { .. } => SourceKind::Greenhouse,
            Self::Lever { .. } => SourceKind::Lever,
            Self::Ashby { .. } => SourceKind::Ashby,
            Self::Workable { .. } => SourceKind::Workable,
            Self::SmartRecruiters { .. } => SourceKind::SmartRecruiters,
            Self::Recruitee { .. } => SourceKind::Recruitee,
            Self::Personio { .. } => SourceKind::Personio,
            Self::Rss { .. } => SourceKind::Rss,
            Self::JsonFeed { .. } => SourceKind::JsonFeed,
        }
    }
}

fn lever(fields: &Map<String, Value>) -> Result<SourceConfig, ConfigError> {
    only(fields, &["site", "region"])?;
    let region = match optional_str(fields, "region")? {
        None | Some("global") => LeverRegion::Global,
        Some("eu") => LeverRegion::Eu,
        Some(_) => {
            return Err(ConfigError::new(
                "config.region",
                "must be \"global\" or \"eu\"",
            ));
        }
    };
    Ok(SourceConfig::Lever {
        site: field(fields, "site", Slug::parse)?,
        region,
    })
}

/// The one field a kind's configuration has, parsed; any other field is refused.
fn sole<T>(
    fields: &Map<String, Value>,
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    only(fields, &[name])?;
    field(fields, name, parse)
}

/// A required string field, parsed, its error naming `config.<name>`.
fn field<T>(
    fields: &Map<String, Value>,
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(required_str(fields, name)?).map_err(|m| ConfigError::new(format!("config.{name}"), m))
}

fn only(fields: &Map<String, Value>, allowed: &[&str]) -> Result<(), ConfigError> {
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(ConfigError::new(
            format!("config.{unknown}"),
            "unknown field",
        )),
        None => Ok(()),
    }
}

fn optional_str<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ConfigError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ConfigError::new(
            format!("config.{name}"),
            "must be a string",
        )),
    }
}

fn required_str<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, ConfigError> {
    match optional_str(fields, name)?.map(str::trim) {
        None | Some("") => Err(ConfigError::new(format!("config.{name}"), "is required")),
        Some(s) => Ok(s),
    }
}

/// A provider's board, site, account or company name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    const MAX_LEN: usize = 100;

    /// A name that goes into a URL path: ASCII letters, digits, `.`, `_`, `-`, starting
    /// with a letter or digit (so never `.` or `..`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !rest_ok {
            return Err(
                "may only contain letters, digits, '.', '_' and '-', starting with a letter or digit"
                    .into(),
            );
        }
        Ok(Self(s.to_owned()))
    }

    /// A name that becomes a DNS label (`{company}.recruitee.com`): letters, digits and
    /// inner hyphens, at most 63 characters, stored lower-case.
    pub fn parse_host_label(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > 63 {
            return Err("must be at most 63 characters".into());
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || s.starts_with('-')
            || s.ends_with('-')
        {
            return Err(
                "may only contain letters, digits and '-' (not at the start or end)".into(),
            );
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A display name for providers whose payload carries no company name:
    /// `acme-labs` → `Acme Labs`.
    pub fn title_case(&self) -> String {
        self.0
            .split(['-', '_', '.'])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect::<String>()
                })
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Slug {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Lever runs two instances with separate hosts; a site exists on only one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeverRegion {
    #[default]
    Global,
    Eu,
}

impl LeverRegion {
    fn is_global(&self) -> bool {
        *self == Self::Global
    }
}

/// A tenant-supplied feed URL: absolute http(s) with a host and no credentials. Whether
/// its host may be reached is decided at connect time on the resolved address (see the
/// `ssrf` module), never here on the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedUrl(Url);

impl FeedUrl {
    const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let url = Url::parse(raw).map_err(|_| "is not a valid URL".to_owned())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must have a host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain a user name or password".into());
        }
        Ok(Self(url))
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for FeedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl Serialize for FeedUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn err(kind: &str, config: Value) -> ConfigError {
        SourceConfig::parse(kind, &config).unwrap_err()
    }

    #[test]
    fn parses_every_kind() {
        let cases = [
            ("greenhouse", json!({"board": "acme"})),
            ("lever", json!({"site": "acme", "region": "eu"})),
            ("ashby", json!({"board": "Acme"})),
            ("workable", json!({"account": "acme"})),
            ("smartrecruiters", json!({"company": "Acme1"})),
            ("recruitee", json!({"company": "acme"})),
            ("personio", json!({"company": "acme-gmbh"})),
            ("rss", json!({"url": "https://example.com/jobs.rss"})),
            ("jsonfeed", json!({"url": "http://example.com/feed.json"})),
        ];
        for (kind, config) in &cases {
            let source = SourceConfig::parse(kind, config).unwrap();
            assert_eq!(source.kind().as_str(), *kind);
        }
        assert_eq!(SourceKind::ALL.len(), cases.len());
    }

    #[test]
    fn unknown_kind_names_the_kind_field() {
        let unknown = err("workday", json!({"board": "x"}));
        assert_eq!(unknown.field, "kind");
        assert_eq!(
            unknown.message,
            "unknown kind; expected one of greenhouse, lever, ashby, workable, \
             smartrecruiters, recruitee, personio, rss, jsonfeed"
        );
        assert_eq!(err("", json!({})), ConfigError::new("kind", "is required"));
    }

    #[test]
    fn missing_or_empty_board_names_the_field() {
        assert_eq!(err("greenhouse", json!({})).field, "config.board");
        assert_eq!(
            err("greenhouse", json!({"board": "  "})).field,
            "config.board"
        );
        assert_eq!(err("greenhouse", json!({"board": 7})).field, "config.board");
        assert_eq!(err("lever", json!({"region": "eu"})).field, "config.site");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = err("greenhouse", json!({"board": "acme", "token": "x"}));
        assert_eq!(e.field, "config.token");
        assert_eq!(e.message, "unknown field");
    }

    #[test]
    fn config_must_be_an_object() {
        assert_eq!(err("greenhouse", json!("acme")).field, "config");
    }

    #[test]
    fn slugs_cannot_smuggle_paths_queries_or_hosts() {
        for bad in ["../admin", "a/b", "a?x=1", "a#b", ".", "..", "a b", "ä"] {
            assert_eq!(
                err("greenhouse", json!({"board": bad})).field,
                "config.board",
                "{bad}"
            );
        }
        for bad in ["evil.com", "a_b", "-a", "a-", "a.b"] {
            assert_eq!(
                err("recruitee", json!({"company": bad})).field,
                "config.company",
                "{bad}"
            );
        }
    }

    #[test]
    fn host_label_slugs_are_lower_cased() {
        let SourceConfig::Personio { company } =
            SourceConfig::parse("personio", &json!({"company": "AcmeGmbH"})).unwrap()
        else {
            panic!("wrong kind")
        };
        assert_eq!(company.as_str(), "acmegmbh");
    }

    #[test]
    fn lever_region_is_global_or_eu() {
        assert_eq!(
            err("lever", json!({"site": "a", "region": "us"})).field,
            "config.region"
        );
        let source =
            SourceConfig::parse("lever", &json!({"site": "a", "region": "global"})).unwrap();
        assert_eq!(
            source,
            SourceConfig::Lever {
                site: Slug::parse("a").unwrap(),
                region: LeverRegion::Global
            }
        );
    }

    #[test]
    fn feed_urls_must_be_http_or_https() {
        for bad in [
            "ftp://example.com/feed",
            "javascript:alert(1)",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert_eq!(err("rss", json!({"url": bad})).field, "config.url", "{bad}");
        }
        assert_eq!(err("jsonfeed", json!({})).field, "config.url");
        assert_eq!(
            err("rss", json!({"url": "https://user:pw@example.com/feed"})).field,
            "config.url"
        );
    }

    #[test]
    fn serialises_to_kind_and_config_and_back() {
        let cases = [
            json!({"kind": "greenhouse", "config": {"board": "acme"}}),
            json!({"kind": "lever", "config": {"site": "acme"}}),
            json!({"kind": "lever", "config": {"site": "acme", "region": "eu"}}),
            json!({"kind": "smartrecruiters", "config": {"company": "Acme"}}),
            json!({"kind": "jsonfeed", "config": {"url": "https://example.com/feed.json"}}),
        ];
        for stored in cases {
            let source: SourceConfig = serde_json::from_value(stored.clone()).unwrap();
            assert_eq!(serde_json::to_value(&source).unwrap(), stored);
        }
    }

    #[test]
    fn deserialising_validates() {
        let bad = json!({"kind": "greenhouse", "config": {"board": "../x"}});
        assert!(serde_json::from_value::<SourceConfig>(bad).is_err());
    }

    #[test]
    fn title_cases_slugs_for_display() {
        assert_eq!(Slug::parse("acme-labs").unwrap().title_case(), "Acme Labs");
        assert_eq!(Slug::parse("ACME").unwrap().title_case(), "ACME");
    }
}
