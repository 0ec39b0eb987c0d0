//! How one job-list query is served: the key ranges it reads (one per index partition
//! the filters name), the order they are merged in, and what is left to a filter.
//! Docs: docs/data-model.md, "Job list".
//!
//! Status, score range and source are answered by keys, never by a filter: a list reads
//! the items it returns plus what merging its ranges needs to look ahead.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Item, keys};
use crate::domain::{JobStatus, Score, SourceId, TenantId};
use crate::ports::{JobQuery, JobSort};

/// The order items are merged in; every range of a plan is read in it, descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// By job id (a ULID: creation time).
    Newest,
    /// By score, then job id (the index sort key `<score>#JOB#<id>`).
    Score,
}

/// One key range of one index partition, read newest (or best) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Range {
    pub index: &'static str,
    pub pk_name: &'static str,
    pub pk: String,
    pub sk_name: &'static str,
    /// Inclusive bounds of the sort key.
    pub sk: Option<(String, String)>,
}

impl Range {
    /// Whether `sk` is a job's sort key inside this range (a cursor's position must be).
    pub fn holds(&self, sk: &str) -> bool {
        sk.contains(keys::JOB_SK_PREFIX)
            && self
                .sk
                .as_ref()
                .is_none_or(|(lo, hi)| lo.as_str() <= sk && sk <= hi.as_str())
    }
}

pub(super) struct ListPlan {
    /// The tenant's table partition, where every job card is.
    pub table_pk: String,
    pub order: Order,
    /// Empty when no job can match (e.g. a score range on `status=new`).
    pub ranges: Vec<Range>,
    /// What the keys do not answer: words, stage, and dates in score order.
    pub filters: Vec<String>,
    pub names: Vec<(String, String)>,
    pub values: Vec<(String, AttributeValue)>,
}

/// `JOB#<ulid>` bounds of jobs created in `from..=to`, as sort-key suffixes.
fn created_ids(query: &JobQuery) -> Option<(String, String)> {
    if query.from.is_none() && query.to.is_none() {
        return None;
    }
    let ms = |t: chrono::DateTime<chrono::Utc>| u64::try_from(t.timestamp_millis()).unwrap_or(0);
    let lo = ulid::Ulid::from_parts(query.from.map_or(0, ms), 0);
    let hi = ulid::Ulid::from_parts(query.to.map_or((1u64 << 48) - 1, ms), u128::MAX);
    Some((lo.to_string(), hi.to_string()))
}

/// The sort-key range of jobs under `prefix` (`""` or `<score>#`), dated or not.
fn dated(prefix: &str, ids: &Option<(String, String)>) -> (String, String) {
    let job = keys::JOB_SK_PREFIX;
    match ids {
        Some((lo, hi)) => (format!("{prefix}{job}{lo}"), format!("{prefix}{job}{hi}")),
        None => (format!("{prefix}{job}"), format!("{prefix}{job}~")),
    }
}

fn active() -> impl Iterator<Item = JobStatus> {
    JobStatus::ALL
        .into_iter()
        .filter(|s| *s != JobStatus::Archived)
}

impl ListPlan {
    pub fn new(tenant: TenantId, query: &JobQuery) -> ListPlan {
        let statuses: Vec<JobStatus> = match query.status {
            Some(s) => vec![s],
            None => active().collect(),
        };
        let scored: Vec<JobStatus> = statuses
            .iter()
            .copied()
            .filter(|s| s.carries_score())
            .collect();
        let score_range = query.min_score.is_some() || query.max_score.is_some();
        // `sort=score` on a status that never has a score lists it newest first, as before.
        let by_score = query.sort == JobSort::Score && !scored.is_empty();
        let ids = created_ids(query);
        let mut plan = ListPlan {
            table_pk: keys::tenant_pk(tenant),
            order: Order::Newest,
            ranges: Vec::new(),
            filters: Vec::new(),
            names: Vec::new(),
            values: Vec::new(),
        };
        if by_score || score_range {
            let (lo, hi) = (
                query.min_score.map_or(1, Score::value),
                query.max_score.map_or(10, Score::value),
            );
            let partition = |s: JobStatus| scored_partition(tenant, query.source, s);
            if by_score {
                plan.order = Order::Score;
                for s in &scored {
                    plan.ranges
                        .push(partition(*s).range(format!("{lo:02}#"), format!("{hi:02}#~")));
                }
                if let Some((from, to)) = ids {
                    plan.filter("id BETWEEN :from_id AND :to_id");
                    plan.value(":from_id", AttributeValue::S(from));
                    plan.value(":to_id", AttributeValue::S(to));
                }
            } else {
                for s in &scored {
                    for score in lo..=hi {
                        let (a, b) = dated(&format!("{score:02}#"), &ids);
                        plan.ranges.push(partition(*s).range(a, b));
                    }
                }
            }
        } else if let Some(source) = query.source {
            for s in statuses {
                let pk = keys::source_gsi_pk(tenant, source, s);
                plan.ranges.push(Partition::on("GSI5", pk).dated(&ids));
            }
        } else if let Some(status) = query.status {
            let pk = keys::status_gsi_pk(tenant, status);
            plan.ranges.push(Partition::on("GSI1", pk).dated(&ids));
        } else {
            let pk = keys::active_gsi_pk(tenant);
            plan.ranges.push(Partition::on("GSI3", pk).dated(&ids));
        }
        if let Some(stage) = query.stage {
            plan.filter("stage = :stage");
            plan.value(":stage", AttributeValue::S(stage.as_str().into()));
        }
        for (i, word) in query.words.iter().enumerate() {
            plan.filter(&format!("contains(words, :w{i})"));
            plan.value(&format!(":w{i}"), AttributeValue::S(word.clone()));
        }
        plan
    }

    /// The whole key of the card at index sort key `sk` of `range`, as a Query's exclusive
    /// start: the card's own key is `JOB#<id>`, the tail of every list index's sort key.
    pub fn start_key(&self, range: &Range, sk: String) -> Item {
        let card_sk = sk
            .rfind(keys::JOB_SK_PREFIX)
            .map_or(sk.as_str(), |at| &sk[at..])
            .to_owned();
        Item::from([
            (
                keys::PK.to_owned(),
                AttributeValue::S(self.table_pk.clone()),
            ),
            (keys::SK.to_owned(), AttributeValue::S(card_sk)),
            (
                range.pk_name.to_owned(),
                AttributeValue::S(range.pk.clone()),
            ),
            (range.sk_name.to_owned(), AttributeValue::S(sk)),
        ])
    }

    fn filter(&mut self, expression: &str) {
        self.filters.push(expression.to_owned());
    }

    fn value(&mut self, name: &str, value: AttributeValue) {
        self.values.push((name.to_owned(), value));
    }
}

/// The score partition of one status: tenant-wide (GSI4) or of one source (GSI6).
fn scored_partition(tenant: TenantId, source: Option<SourceId>, status: JobStatus) -> Partition {
    match source {
        Some(source) => Partition::on("GSI6", keys::source_scored_gsi_pk(tenant, source, status)),
        None => Partition::on("GSI4", keys::scored_gsi_pk(tenant, status)),
    }
}

/// An index partition, before its sort-key range is chosen.
struct Partition {
    index: &'static str,
    pk: String,
}

impl Partition {
    fn on(index: &'static str, pk: String) -> Self {
        Self { index, pk }
    }

    fn range(self, lo: String, hi: String) -> Range {
        let (pk_name, sk_name) = match self.index {
            "GSI1" => ("GSI1PK", "GSI1SK"),
            "GSI3" => ("GSI3PK", "GSI3SK"),
            "GSI4" => ("GSI4PK", "GSI4SK"),
            "GSI5" => ("GSI5PK", "GSI5SK"),
            _ => ("GSI6PK", "GSI6SK"),
        };
        Range {
            index: self.index,
            pk_name,
            pk: self.pk,
            sk_name,
            sk: Some((lo, hi)),
        }
    }

    /// Every job of the partition, or those created in the query's dates.
    fn dated(self, ids: &Option<(String, String)>) -> Range {
        match ids {
            Some(_) => {
                let (lo, hi) = dated("", ids);
                self.range(lo, hi)
            }
            None => Range {
                sk: None,
                ..self.range(String::new(), String::new())
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(query: JobQuery) -> (TenantId, ListPlan) {
        let t = TenantId::new();
        (t, ListPlan::new(t, &query))
    }

    fn score(v: u8) -> Option<Score> {
        Score::new(i64::from(v)).ok()
    }

    #[test]
    fn status_score_and_source_are_key_ranges_never_filters() {
        let source = SourceId::new();
        let shapes = [
            JobQuery::default(),
            JobQuery {
                status: Some(JobStatus::Scored),
                min_score: score(7),
                ..JobQuery::default()
            },
            JobQuery {
                source: Some(source),
                max_score: score(4),
                sort: JobSort::Score,
                ..JobQuery::default()
            },
            JobQuery {
                source: Some(source),
                status: Some(JobStatus::New),
                ..JobQuery::default()
            },
        ];
        for q in shapes {
            let (_, p) = plan(q.clone());
            assert!(p.filters.is_empty(), "{q:?} filtered: {:?}", p.filters);
            assert!(!p.ranges.is_empty());
        }
    }

    #[test]
    fn a_score_range_reads_one_range_per_status_and_score_newest_first() {
        let (t, p) = plan(JobQuery {
            status: Some(JobStatus::Scored),
            min_score: score(7),
            ..JobQuery::default()
        });
        assert_eq!(p.order, Order::Newest);
        let sks: Vec<_> = p.ranges.iter().map(|r| r.sk.clone().unwrap().0).collect();
        assert_eq!(sks, ["07#JOB#", "08#JOB#", "09#JOB#", "10#JOB#"]);
        assert!(p.ranges.iter().all(|r| r.pk == format!("T#{t}#SC#scored")));
        // Without a status: every active status that can carry a score.
        let (_, p) = plan(JobQuery {
            min_score: score(9),
            ..JobQuery::default()
        });
        assert_eq!(p.ranges.len(), 3 * 2);
    }

    #[test]
    fn sort_by_score_reads_one_range_per_status() {
        let (t, p) = plan(JobQuery {
            source: Some(SourceId::new()),
            sort: JobSort::Score,
            min_score: score(5),
            ..JobQuery::default()
        });
        assert_eq!(p.order, Order::Score);
        assert_eq!(p.ranges.len(), 3);
        let r = &p.ranges[0];
        assert_eq!(
            (r.index, r.sk.clone().unwrap()),
            ("GSI6", ("05#".into(), "10#~".into()))
        );
        assert!(r.pk.starts_with(&format!("T#{t}#SRC#")));
    }

    #[test]
    fn a_score_range_on_a_status_without_scores_reads_nothing() {
        let (_, p) = plan(JobQuery {
            status: Some(JobStatus::New),
            min_score: score(3),
            ..JobQuery::default()
        });
        assert!(p.ranges.is_empty());
        // `sort=score` on such a status is the newest-first list of that status.
        let (_, p) = plan(JobQuery {
            status: Some(JobStatus::PendingUpgrade),
            sort: JobSort::Score,
            ..JobQuery::default()
        });
        assert_eq!(
            (p.order, p.ranges.len(), p.ranges[0].index),
            (Order::Newest, 1, "GSI1")
        );
    }

    #[test]
    fn a_source_without_a_status_merges_its_active_statuses() {
        let (_, p) = plan(JobQuery {
            source: Some(SourceId::new()),
            ..JobQuery::default()
        });
        assert_eq!(p.ranges.len(), 5);
        assert!(p.ranges.iter().all(|r| r.index == "GSI5" && r.sk.is_none()));
        assert!(!p.ranges.iter().any(|r| r.pk.ends_with("#ST#archived")));
    }
}
