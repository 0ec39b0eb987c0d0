//! Settling admissions (shared/src/ports/admission.rs has the protocol and
//! docs/data-model.md its cost): every quota unit an admission reserved ends in a job that
//! has its scoring message, or back in the counter of the month it was taken from.

use std::collections::HashSet;

use shared::domain::{JobId, JobStatus};
use shared::messages::{ScoreTask, to_bodies};
use shared::ports::Admission;

use crate::fetch::{FetchService, FetchTaskError};

impl FetchService {
    /// The normal end of an admission: `inserted` are the jobs this fetch wrote. Sends
    /// their scoring messages, gives back the units of jobs that turned out to be
    /// duplicates, then closes the marker. Returns how many jobs were queued.
    pub(crate) async fn settle(
        &self,
        admission: &Admission,
        inserted: &[JobId],
    ) -> Result<usize, FetchTaskError> {
        let inserted: HashSet<&JobId> = inserted.iter().collect();
        let (queued, missing): (Vec<JobId>, Vec<JobId>) =
            admission.jobs.iter().partition(|id| inserted.contains(id));
        self.finish(admission, &queued, missing.len()).await?;
        Ok(queued.len())
    }

    /// Settles an admission a crashed fetch left open: its jobs still `queued` get their
    /// message (again, if it was sent: scoring takes one per job and attempt), jobs never
    /// written give their unit back, jobs already scored or failed are done.
    pub(crate) async fn recover(&self, admission: &Admission) -> Result<(), FetchTaskError> {
        let statuses = self
            .admissions
            .job_statuses(admission.tenant, &admission.jobs)
            .await?;
        let queued: Vec<JobId> = admission
            .jobs
            .iter()
            .zip(&statuses)
            .filter(|(_, s)| **s == Some(JobStatus::Queued))
            .map(|(id, _)| *id)
            .collect();
        let missing = statuses.iter().filter(|s| s.is_none()).count();
        tracing::warn!(tenant_id = %admission.tenant, admission = %admission.id, queued = queued.len(), returned = missing, "settling an admission left open by a crashed fetch");
        self.finish(admission, &queued, missing).await
    }

    /// Messages first, then the quota, then the marker: dying anywhere in between leaves
    /// the marker, and settling it again repeats only idempotent steps — except the
    /// release, which is why a unit is given back only for a job that does not exist and
    /// so can never be written later (the lease is held).
    async fn finish(
        &self,
        admission: &Admission,
        queued: &[JobId],
        missing: usize,
    ) -> Result<(), FetchTaskError> {
        let tasks: Vec<ScoreTask> = queued
            .iter()
            .map(|id| ScoreTask {
                tenant_id: admission.tenant,
                job_id: *id,
                attempt: 1,
                reserved_at: Some(admission.reserved_at),
            })
            .collect();
        self.scoring_queue.send_all(&to_bodies(&tasks)).await?;
        if missing > 0 {
            self.quota
                .release_quota(
                    admission.tenant,
                    &admission.period(),
                    u32::try_from(missing).unwrap_or(u32::MAX),
                )
                .await?;
        }
        self.admissions
            .close_admission(admission.tenant, &admission.id)
            .await?;
        Ok(())
    }
}
