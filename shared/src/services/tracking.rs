//! Application tracking of a job (`PATCH /v1/jobs/{id}` with `{stage}`, `POST
//! /v1/jobs/{id}/notes`): the rules the stores apply conditionally.

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::jobs::{JobsError, JobsService, StatusChange};
use crate::domain::{JobCard, JobId, JobStatus, NoteText, Stage, TenantId, TrackingEntry};
use crate::ports::NoteAdded;

/// `PATCH /v1/jobs/{id}` body: a status move or a stage, one of the two.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobChange {
    pub status: Option<JobStatus>,
    /// Parsed here, not by serde, so that an unknown stage is a 400 naming `stage`.
    pub stage: Option<String>,
}

/// `POST /v1/jobs/{id}/notes` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// What `POST /v1/jobs/{id}/notes` answers.
#[derive(Debug, Serialize)]
pub struct NoteCreated {
    #[serde(flatten)]
    pub entry: TrackingEntry,
}

impl JobsService {
    /// Applies a `PATCH /v1/jobs/{id}`: exactly one of `status` and `stage`.
    pub async fn change(
        &self,
        tenant: TenantId,
        id: JobId,
        change: JobChange,
    ) -> Result<JobCard, JobsError> {
        match (change.status, change.stage) {
            (Some(status), None) => {
                self.change_status(tenant, id, StatusChange { status })
                    .await
            }
            (None, Some(stage)) => {
                let stage = stage
                    .trim()
                    .parse::<Stage>()
                    .map_err(|e| Invalid::new("stage", e))?;
                self.change_stage(tenant, id, stage).await
            }
            (Some(_), Some(_)) => {
                Err(Invalid::new("stage", "give either status or stage, not both").into())
            }
            (None, None) => Err(Invalid::new("status", "give status or stage").into()),
        }
    }

    /// Sets the job's stage; the same stage again changes nothing and records nothing.
    /// 409 when another change of the stage came in between the read and the write.
    pub async fn change_stage(
        &self,
        tenant: TenantId,
        id: JobId,
        stage: Stage,
    ) -> Result<JobCard, JobsError> {
        let job = self
            .jobs
            .get_job(tenant, id)
            .await?
            .ok_or(JobsError::NotFound)?;
        if job.card.stage == Some(stage) {
            return Ok(job.card);
        }
        self.tracking
            .set_stage(tenant, &job.card, stage, self.clock.now())
            .await?
            .ok_or(JobsError::Changed)
    }

    /// Adds a note: 400 naming `text` for an empty or too long one, 409 past the limit.
    pub async fn add_note(
        &self,
        tenant: TenantId,
        id: JobId,
        note: NewNote,
    ) -> Result<NoteCreated, JobsError> {
        let text = NoteText::parse(&note.text).map_err(|e| Invalid::new("text", e))?;
        let at = self.clock.now();
        match self.tracking.add_note(tenant, id, &text, at).await? {
            NoteAdded::Added => Ok(NoteCreated {
                entry: TrackingEntry::Note {
                    text: text.as_str().to_owned(),
                    at,
                },
            }),
            NoteAdded::JobGone => Err(JobsError::NotFound),
            NoteAdded::Full => Err(JobsError::NotesFull),
        }
    }
}
