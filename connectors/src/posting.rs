//! The one shape every connector normalises to.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::domain::CanonicalUrl;

/// A job posting as read from a source, before jobmon assigns it an id.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Posting {
    /// The source's own id for the posting (stable across fetches).
    pub native_id: String,
    pub title: String,
    pub company: String,
    /// Empty when the source gives none.
    pub location: String,
    pub remote: bool,
    pub url: CanonicalUrl,
    /// Plain text derived from the sanitised HTML.
    pub description_text: String,
    /// Sanitised HTML: no scripts, styles, frames, event handlers or `javascript:` URLs.
    pub description_html: String,
    pub posted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub salary: Option<Salary>,
    pub department: Option<String>,
}

pub use shared::domain::Salary;

/// Whether a location or workplace string says the job is remote.
pub(crate) fn mentions_remote(s: &str) -> bool {
    s.to_ascii_lowercase().contains("remote")
}

/// Trims and turns empty strings into `None`.
pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A posting as a connector reads it, before the checks every posting must pass.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub native_id: String,
    pub title: String,
    pub company: String,
    pub location: String,
    pub remote: bool,
    pub url: String,
    pub description: crate::html::Description,
    pub posted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub salary: Option<Salary>,
    pub department: Option<String>,
}

impl Draft {
    /// `None` for an entry without an id, a title or a usable URL: one broken entry is
    /// skipped rather than failing the whole board.
    pub(crate) fn finish(self) -> Option<Posting> {
        let native_id = self.native_id.trim().to_owned();
        let title = self.title.trim().to_owned();
        if native_id.is_empty() || title.is_empty() {
            tracing::debug!(native_id, "skipping a posting without id or title");
            return None;
        }
        let url = match CanonicalUrl::parse(&self.url) {
            Ok(url) => url,
            Err(error) => {
                tracing::debug!(native_id, %error, "skipping a posting without a usable URL");
                return None;
            }
        };
        Some(Posting {
            native_id,
            title,
            company: self.company.trim().to_owned(),
            location: self.location.trim().to_owned(),
            remote: self.remote,
            url,
            description_text: self.description.text,
            description_html: self.description.html,
            posted_at: self.posted_at,
            updated_at: self.updated_at,
            salary: self.salary,
            department: non_empty(self.department.as_deref()),
        })
    }
}

/// A JSON id that providers send as a number or a string.
pub(crate) fn id_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Decodes each list entry on its own so that one odd entry costs one posting, not the
/// fetch; a top-level shape that is wrong still fails as malformed.
pub(crate) fn each<T: serde::de::DeserializeOwned>(items: Vec<serde_json::Value>) -> Vec<T> {
    items
        .into_iter()
        .filter_map(|item| match serde_json::from_value(item) {
            Ok(entry) => Some(entry),
            Err(error) => {
                tracing::debug!(%error, "skipping an entry of unexpected shape");
                None
            }
        })
        .collect()
}

/// Parses a JSON body, mapping failure to `SourceError::Malformed`.
pub(crate) fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, crate::SourceError> {
    serde_json::from_slice(body)
        .map_err(|e| crate::SourceError::Malformed(format!("unexpected JSON ({e})")))
}
