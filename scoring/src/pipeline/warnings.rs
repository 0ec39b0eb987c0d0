//! What `PUT /v1/profile` answers besides the saved profile: warnings from the tenant's
//! newest jobs (see [`crate::profile_warnings`]).

use serde::Serialize;
use shared::ports::{JobQuery, PageRequest};

use super::*;
use crate::profile_scorer::{ProfileWarning, profile_warnings};

/// How many of the tenant's newest jobs a saved profile is checked against: enough to say
/// "in none of your 50 recent jobs", few enough for the request to stay quick (one query
/// and at most 50 reads).
pub const RECENT_JOBS: u16 = 50;

/// The saved profile and the warnings about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedProfile {
    #[serde(flatten)]
    pub profile: Profile,
    pub warnings: Vec<ProfileWarning>,
}

/// Warnings for `profile` from the tenant's newest jobs. Advisory: a store that cannot be
/// read gives no warnings (logged), never a failed save.
pub(super) async fn recent_warnings(
    jobs: &dyn JobStore,
    tenant: TenantId,
    profile: &Profile,
) -> Vec<ProfileWarning> {
    match recent_jobs(jobs, tenant).await {
        Ok(recent) => {
            let postings: Vec<JobForScoring> = recent.iter().map(JobForScoring::from_job).collect();
            profile_warnings(profile, &postings)
        }
        Err(e) => {
            tracing::warn!(error = %e, "recent jobs unreadable; profile saved without warnings");
            Vec::new()
        }
    }
}

/// The tenant's [`RECENT_JOBS`] newest jobs, newest first.
pub(super) async fn recent_jobs(
    jobs: &dyn JobStore,
    tenant: TenantId,
) -> Result<Vec<Job>, StoreError> {
    let page = PageRequest {
        limit: RECENT_JOBS,
        cursor: None,
    };
    let cards = jobs.list_jobs(tenant, &JobQuery::default(), &page).await?;
    let mut recent = Vec::with_capacity(cards.items.len());
    for card in &cards.items {
        if let Some(job) = jobs.get_job(tenant, card.id).await? {
            recent.push(job);
        }
    }
    Ok(recent)
}
