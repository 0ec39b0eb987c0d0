//! Jobs: a posting stored for a tenant, with its status and latest score.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CanonicalUrl, JobId, JobStatus, Score, SourceId, TenantId};

/// The lean part of a job shown in lists (`JobCard` in API.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCard {
    pub id: JobId,
    pub title: String,
    pub company: String,
    pub location: String,
    pub remote: bool,
    pub url: CanonicalUrl,
    pub source_id: SourceId,
    pub status: JobStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<DateTime<Utc>>,
    /// When the posting vanished from its source (an ATS board took it down). The job
    /// stays; this only says it is probably no longer open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

/// A whole job: the card plus its long text and identity used for de-duplication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub tenant_id: TenantId,
    pub card: JobCard,
    pub description: String,
    /// The source's own id of the posting (e.g. Greenhouse job id).
    pub native_id: Option<String>,
    /// See `fingerprint::posting_fingerprint`.
    pub fingerprint: String,
}
