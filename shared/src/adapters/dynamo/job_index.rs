//! Where a job card appears in the list indexes, as a function of its status, score and
//! source.
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
    /// GSI4: by status, then score (absent without a score).
    pub gsi4: Option<(String, String)>,
    /// GSI5: by source and status.
    pub gsi5pk: String,
    pub gsi5sk: String,
    /// GSI6: by source and status, then score (absent without a score).
    pub gsi6: Option<(String, String)>,
}

pub fn index_keys(
    tenant: TenantId,
    job: JobId,
    source: SourceId,
    status: JobStatus,
    score: Option<Score>,
) -> IndexKeys {
    let active = status != JobStatus::Archived;
    let score = score.filter(|_| status.carries_score());
    IndexKeys {
        gsi1pk: keys::status_gsi_pk(tenant, status),
        gsi1sk: keys::job_sk(job),
        gsi3: active.then(|| (keys::active_gsi_pk(tenant), keys::job_sk(job))),
        gsi4: score.map(|s| {
            (
                keys::scored_gsi_pk(tenant, status),
                keys::score_gsi_sk(s, job),
            )
        }),
        gsi5pk: keys::source_gsi_pk(tenant, source, status),
        gsi5sk: keys::job_sk(job),
        gsi6: score.map(|s| {
            (
                keys::source_scored_gsi_pk(tenant, source, status),
                keys::score_gsi_sk(s, job),
            )
        }),
    }
}

impl IndexKeys {
    /// Every index attribute a write of the card's status or score sets, with its value
    /// (`None`: the card is out of that sparse index, so the attribute is removed).
    /// `GSI1SK` is the job's own key, written once with the card; `GSI5SK` is the job's key
    /// too but is set with `GSI5PK`, so a card item without it (the item type allows one)
    /// joins GSI5 at its next move or `jobmon-reindex`.
    pub fn moving(&self) -> [(&'static str, Option<&String>); 9] {
        fn pk(p: &Option<(String, String)>) -> Option<&String> {
            p.as_ref().map(|(pk, _)| pk)
        }
        fn sk(p: &Option<(String, String)>) -> Option<&String> {
            p.as_ref().map(|(_, sk)| sk)
        }
        [
            ("GSI1PK", Some(&self.gsi1pk)),
            ("GSI5PK", Some(&self.gsi5pk)),
            ("GSI5SK", Some(&self.gsi5sk)),
            ("GSI3PK", pk(&self.gsi3)),
            ("GSI3SK", sk(&self.gsi3)),
            ("GSI4PK", pk(&self.gsi4)),
            ("GSI4SK", sk(&self.gsi4)),
            ("GSI6PK", pk(&self.gsi6)),
            ("GSI6SK", sk(&self.gsi6)),
        ]
    }
}

/// The `SET …` and `REMOVE …` parts of an update expression that move a card's index
/// keys ([`IndexKeys::moving`]), with their values (`:ix_<attribute>`).
pub struct IndexUpdate {
    pub set: Vec<String>,
    pub remove: Vec<&'static str>,
    pub values: Vec<(String, AttributeValue)>,
}

impl IndexUpdate {
    pub fn of(k: &IndexKeys) -> Self {
        let mut u = IndexUpdate {
            set: Vec::new(),
            remove: Vec::new(),
            values: Vec::new(),
        };
        for (name, value) in k.moving() {
            match value {
                Some(v) => {
                    let placeholder = format!(":ix_{}", name.to_ascii_lowercase());
                    u.set.push(format!("{name} = {placeholder}"));
                    u.values.push((placeholder, AttributeValue::S(v.clone())));
                }
                None => u.remove.push(name),
            }
        }
        u
    }

    /// `SET <extra>, <index sets> [REMOVE <extra removes>, <index removes>]`.
    pub fn expression(&self, extra_set: &[&str], extra_remove: &[&str]) -> String {
        let set: Vec<&str> = extra_set
            .iter()
            .copied()
            .chain(self.set.iter().map(String::as_str))
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
    fn the_sparse_indexes_hold_what_their_lists_need() {
        let (t, j, s) = (TenantId::new(), JobId::new(), SourceId::new());
        let score = Score::new(7).ok();
        let scored = index_keys(t, j, s, JobStatus::Scored, score);
        assert!(scored.gsi3.is_some());
        assert_eq!(
            scored.gsi4,
            Some((format!("T#{t}#SC#scored"), format!("07#JOB#{j}")))
        );
        assert_eq!(scored.gsi5pk, format!("T#{t}#SRC#{s}#ST#scored"));
        assert_eq!(
            scored.gsi6,
            Some((format!("T#{t}#SRC#{s}#SC#scored"), format!("07#JOB#{j}")))
        );
        // Archived: out of the active list, but still found by `status=archived&minScore=`.
        let archived = index_keys(t, j, s, JobStatus::Archived, score);
        assert!(archived.gsi3.is_none());
        assert_eq!(archived.gsi4.unwrap().0, format!("T#{t}#SC#archived"));
        let new = index_keys(t, j, s, JobStatus::New, None);
        assert!(new.gsi3.is_some() && new.gsi4.is_none() && new.gsi6.is_none());
        // A status that never carries a score keeps the card out of the score indexes
        // even if a stale score were passed in.
        let pending = index_keys(t, j, s, JobStatus::PendingUpgrade, score);
        assert!(pending.gsi4.is_none() && pending.gsi6.is_none());
        let u = IndexUpdate::of(&index_keys(t, j, s, JobStatus::Archived, None));
        assert_eq!(
            u.expression(&["#status = :s"], &["lastError"]),
            "SET #status = :s, GSI1PK = :ix_gsi1pk, GSI5PK = :ix_gsi5pk, GSI5SK = :ix_gsi5sk \
             REMOVE lastError, GSI3PK, GSI3SK, GSI4PK, GSI4SK, GSI6PK, GSI6SK"
        );
    }
}
