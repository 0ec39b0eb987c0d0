//! Where a job card appears in the list indexes, as a function of its status and score.
//! Every write of a card's status or score sets these together, so the indexes never
//! disagree with the card (docs/data-model.md, "Job list").

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys;
use crate::domain::{JobId, JobStatus, Score, SourceId, TenantId};

/// The index key attributes of one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKeys {
    /// GSI1: by status.
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// GSI3: not archived (absent when archived).
    pub gsi3: Option<(String, String)>,
    /// GSI4: scored and not archived, by score (absent otherwise).
    pub gsi4: Option<(String, String)>,
    /// GSI5: by source.
    pub gsi5pk: String,
    pub gsi5sk: String,
}

pub fn index_keys(
    tenant: TenantId,
    job: JobId,
    source: SourceId,
    status: JobStatus,
    score: Option<Score>,
) -> IndexKeys {
    let active = status != JobStatus::Archived;
    IndexKeys {
        gsi1pk: keys::status_gsi_pk(tenant, status),
        gsi1sk: keys::job_sk(job),
        gsi3: active.then(|| (keys::active_gsi_pk(tenant), keys::job_sk(job))),
        gsi4: score
            .filter(|_| active)
            .map(|s| (keys::scored_gsi_pk(tenant), keys::score_gsi_sk(s, job))),
        gsi5pk: keys::source_gsi_pk(tenant, source),
        gsi5sk: keys::job_sk(job),
    }
}

/// The `SET …` and `REMOVE …` parts of an update expression that move a card's index
/// keys (GSI1, GSI3, GSI4; GSI5 never changes), with their values (`:ix_*`).
pub struct IndexUpdate {
    pub set: Vec<&'static str>,
    pub remove: Vec<&'static str>,
    pub values: Vec<(&'static str, AttributeValue)>,
}

impl IndexUpdate {
    pub fn of(k: &IndexKeys) -> Self {
        let mut u = IndexUpdate {
            set: vec!["GSI1PK = :ix_gsi1pk"],
            remove: Vec::new(),
            values: vec![(":ix_gsi1pk", AttributeValue::S(k.gsi1pk.clone()))],
        };
        match &k.gsi3 {
            Some((pk, sk)) => {
                u.set.push("GSI3PK = :ix_gsi3pk");
                u.set.push("GSI3SK = :ix_gsi3sk");
                u.values.push((":ix_gsi3pk", AttributeValue::S(pk.clone())));
                u.values.push((":ix_gsi3sk", AttributeValue::S(sk.clone())));
            }
            None => u.remove.extend(["GSI3PK", "GSI3SK"]),
        }
        match &k.gsi4 {
            Some((pk, sk)) => {
                u.set.push("GSI4PK = :ix_gsi4pk");
                u.set.push("GSI4SK = :ix_gsi4sk");
                u.values.push((":ix_gsi4pk", AttributeValue::S(pk.clone())));
                u.values.push((":ix_gsi4sk", AttributeValue::S(sk.clone())));
            }
            None => u.remove.extend(["GSI4PK", "GSI4SK"]),
        }
        u
    }

    /// `SET <extra>, <index sets> [REMOVE <extra removes>, <index removes>]`.
    pub fn expression(&self, extra_set: &[&str], extra_remove: &[&str]) -> String {
        let set: Vec<&str> = extra_set
            .iter()
            .copied()
            .chain(self.set.iter().copied())
            .collect();
        let remove: Vec<&str> = extra_remove
            .iter()
            .copied()
            .chain(self.remove.iter().copied())
            .collect();
        let mut e = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            e.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archived_and_unscored_jobs_leave_the_sparse_indexes() {
        let (t, j, s) = (TenantId::new(), JobId::new(), SourceId::new());
        let score = Score::new(7).ok();
        let scored = index_keys(t, j, s, JobStatus::Scored, score);
        assert!(scored.gsi3.is_some());
        assert_eq!(scored.gsi4.as_ref().unwrap().1, format!("07#JOB#{j}"));
        let archived = index_keys(t, j, s, JobStatus::Archived, score);
        assert!(archived.gsi3.is_none() && archived.gsi4.is_none());
        let new = index_keys(t, j, s, JobStatus::New, None);
        assert!(new.gsi3.is_some() && new.gsi4.is_none());
        let u = IndexUpdate::of(&archived);
        assert_eq!(
            u.expression(&["#status = :s"], &["lastError"]),
            "SET #status = :s, GSI1PK = :ix_gsi1pk REMOVE lastError, GSI3PK, GSI3SK, GSI4PK, GSI4SK"
        );
    }
}
