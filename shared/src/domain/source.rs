//! A job source a tenant connected: a career board or a feed. The `config` is validated by
//! the connectors at the edge; here it is carried as stored. The `kind` and `name` are
//! typed: the kinds are listed once, below, and a name is checked once, where it is parsed.

use std::fmt;
use std::str::FromStr;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::{SourceId, TenantId};

/// Declares [`SourceKind`] from one list: variant, stored name, provider's name for people.
macro_rules! source_kinds {
    ($($variant:ident => $name:literal, $label:literal;)+) => {
        /// Every kind of source jobmon reads. The stored and wire name is [`SourceKind::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SourceKind {
            $($variant),+
        }

        impl SourceKind {
            pub const ALL: &[SourceKind] = &[$(Self::$variant),+];

            /// The name stored in the table and sent on the API (`"smartrecruiters"`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            /// The provider's name as people write it (`"SmartRecruiters"`); for feeds, what
            /// they are (`"feed"`, `"JSON Feed"`).
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),+
                }
            }
        }
    };
}

source_kinds! {
    Greenhouse => "greenhouse", "Greenhouse";
    Lever => "lever", "Lever";
    Ashby => "ashby", "Ashby";
    Workable => "workable", "Workable";
    SmartRecruiters => "smartrecruiters", "SmartRecruiters";
    Recruitee => "recruitee", "Recruitee";
    Personio => "personio", "Personio";
    Rss => "rss", "feed";
    JsonFeed => "jsonfeed", "JSON Feed";
}

impl SourceKind {
    /// Boards list what is open; feeds drop old entries as a matter of course, so a
    /// posting missing from a feed says nothing about whether it closed.
    pub fn lists_every_open_posting(self) -> bool {
        !matches!(self, Self::Rss | Self::JsonFeed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind; expected one of {}", SourceKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnknownKind;

impl FromStr for SourceKind {
    type Err = UnknownKind;

    fn from_str(raw: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == raw)
            .ok_or(UnknownKind)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SourceKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A source's kind as read from the table. A row written by another version of jobmon
/// (a rollback after a kind was added) may name a kind this build does not know: it still
/// lists, shows and keeps its name, and its fetches fail with the reason on the source,
/// rather than the whole tenant's sources failing to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredKind {
    Known(SourceKind),
    Unknown(String),
}

impl StoredKind {
    pub fn from_stored(raw: String) -> Self {
        raw.parse().map_or(Self::Unknown(raw), Self::Known)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(kind) => kind.as_str(),
            Self::Unknown(raw) => raw,
        }
    }

    pub fn known(&self) -> Option<SourceKind> {
        match self {
            Self::Known(kind) => Some(*kind),
            Self::Unknown(_) => None,
        }
    }
}

impl From<SourceKind> for StoredKind {
    fn from(kind: SourceKind) -> Self {
        Self::Known(kind)
    }
}

impl PartialEq<SourceKind> for StoredKind {
    fn eq(&self, other: &SourceKind) -> bool {
        self.known() == Some(*other)
    }
}

impl Serialize for StoredKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source name must be 1-100 characters")]
pub struct SourceNameError;

/// A source's name as the tenant gave it: trimmed, 1-100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SourceName(String);

impl SourceName {
    pub fn parse(raw: &str) -> Result<Self, SourceNameError> {
        super::account::display_name(raw)
            .map(Self)
            .ok_or(SourceNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// HTTP cache validators of a source's last successful fetch, stored with the source and
/// sent back as `If-None-Match` / `If-Modified-Since` (the connectors use this type too).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceValidators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: SourceId,
    pub tenant_id: TenantId,
    pub name: SourceName,
    pub kind: StoredKind,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub last_fetched_at: Option<DateTime<Utc>>,
    /// Shown to the tenant as is: connector errors are written for people.
    pub last_error: Option<String>,
    /// When the scheduler fetches it next; `None` while disabled.
    pub next_fetch_at: Option<DateTime<Utc>>,
    pub jobs_found: u64,
    pub consecutive_failures: u32,
    pub validators: SourceValidators,
    /// Native ids the source listed at its last successful fetch (ATS kinds), to notice
    /// postings that vanish.
    pub open_ids: Vec<String>,
    /// Native ids listed before and missing from the latest successful fetches, with how
    /// many such fetches in a row; a posting closes only when its count reaches the
    /// configured number, and listing it again clears its entry. Bounded by `open_ids`.
    pub absences: BTreeMap<String, u32>,
    pub created_at: DateTime<Utc>,
}

/// `Source` in docs/openapi.json.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub id: SourceId,
    pub name: SourceName,
    pub kind: StoredKind,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub last_fetched_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub next_fetch_at: Option<DateTime<Utc>>,
    pub jobs_found: u64,
}

impl From<&Source> for SourceView {
    fn from(s: &Source) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            kind: s.kind.clone(),
            config: s.config.clone(),
            enabled: s.enabled,
            last_fetched_at: s.last_fetched_at,
            last_error: s.last_error.clone(),
            next_fetch_at: s.next_fetch_at,
            jobs_found: s.jobs_found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in SourceKind::ALL {
            assert_eq!(kind.as_str().parse::<SourceKind>(), Ok(*kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(StoredKind::from_stored(kind.as_str().into()), *kind);
        }
        assert_eq!(SourceKind::ALL.len(), 9);
    }

    #[test]
    fn the_contract_lists_the_same_kinds() {
        let spec: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
        let listed = &spec["components"]["schemas"]["SourceKind"]["enum"];
        let ours: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(listed, &serde_json::json!(ours));
    }

    #[test]
    fn an_unknown_stored_kind_keeps_its_name() {
        let kind = StoredKind::from_stored("workday".into());
        assert_eq!(kind, StoredKind::Unknown("workday".into()));
        assert_eq!(kind.as_str(), "workday");
        assert_eq!(kind.known(), None);
        assert_eq!(serde_json::to_value(&kind).unwrap(), "workday");
        assert_eq!(
            "workday".parse::<SourceKind>().unwrap_err().to_string(),
            "unknown kind; expected one of greenhouse, lever, ashby, workable, \
             smartrecruiters, recruitee, personio, rss, jsonfeed"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(SourceName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert_eq!(
            serde_json::to_value(SourceName::parse("Acme").unwrap()).unwrap(),
            "Acme"
        );
        assert!(SourceName::parse("é".repeat(100).as_str()).is_ok());
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert_eq!(SourceName::parse(bad), Err(SourceNameError), "{bad:?}");
        }
    }
}
