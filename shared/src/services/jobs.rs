//! Reading one job with its scoring history (`GET /v1/jobs/{id}`, `.../history`).

use std::sync::Arc;

use serde::Serialize;

use crate::domain::{JobCard, JobId, Salary, ScoringEntry, TenantId};
use crate::http::ApiError;
use crate::ports::{JobStore, Page, PageRequest, ScoringStore};

/// `Job` of API.md: the card plus its long text, latest reason and history.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    #[serde(flatten)]
    pub card: JobCard,
    pub description: String,
    /// The latest scoring's reason; absent until the job is scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the latest attempt failed, on `failed` (and retrying `queued`) jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salary: Option<Salary>,
    /// The newest scorings (the first page of `.../history`).
    pub history: Vec<ScoringEntry>,
}

/// A list page as API.md shapes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for ListView<T> {
    fn from(page: Page<T>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

pub struct JobsService {
    pub jobs: Arc<dyn JobStore>,
    pub scoring: Arc<dyn ScoringStore>,
}

/// Ids that do not parse name no job of this tenant: 404, like any other.
pub fn job_id(raw: &str) -> Result<JobId, ApiError> {
    JobId::parse(raw).map_err(|_| ApiError::NotFound)
}

impl JobsService {
    /// How many history entries the job view carries.
    pub const HISTORY_IN_VIEW: u16 = 10;

    pub async fn get(&self, tenant: TenantId, id: JobId) -> Result<JobView, ApiError> {
        let job = self
            .jobs
            .get_job(tenant, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let history = self
            .scoring
            .history(tenant, id, &PageRequest::first(Self::HISTORY_IN_VIEW))
            .await?
            .items;
        Ok(JobView {
            reason: history.first().map(|e| e.reason.clone()),
            error: job.last_error,
            salary: job.salary,
            description: job.description,
            card: job.card,
            history,
        })
    }

    /// Newest first. A job of another tenant is a 404, not an empty list.
    pub async fn history(
        &self,
        tenant: TenantId,
        id: JobId,
        page: &PageRequest,
    ) -> Result<ListView<ScoringEntry>, ApiError> {
        if self.jobs.get_job(tenant, id).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        Ok(self.scoring.history(tenant, id, page).await?.into())
    }
}
