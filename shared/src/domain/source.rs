//! A job source a tenant connected: a career board or a feed. The `kind` and `config` are
//! validated by the connectors at the edge; here they are carried as stored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{SourceId, TenantId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source name must be 1-100 characters")]
pub struct SourceNameError;

pub fn parse_source_name(raw: &str) -> Result<String, SourceNameError> {
    let name = raw.trim();
    let len = name.chars().count();
    if (1..=100).contains(&len) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(SourceNameError)
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
    pub name: String,
    pub kind: String,
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
    pub name: String,
    pub kind: String,
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
