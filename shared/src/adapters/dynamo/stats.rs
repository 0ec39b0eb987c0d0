//! Daily analytics counters, kept with atomic `ADD`s by every write that changes what they
//! count — inside the same transaction where the write is transactional (scoring, status
//! changes), so they stay exact under any concurrency.
//!
//! `DAY#<date>` (per tenant), by the day a job was *created*: `created`, `st_<status>`
//! (the current status of those jobs), `sc_<n>` (their current scores), `sg_<stage>` (their
//! current application stage); and by the day a
//! scoring *happened*: `scored`. `SDAY#<date>#<source>`: `created` and `sc_<n>` of one
//! source's jobs.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};

use super::{DynamoStore, Item, keys, query_all, unavailable};
use crate::domain::{JobStatus, Score, SourceId, Stage, TenantId};
use crate::ports::{AnalyticsStore, DayCounters, SourceDayCounters, StoreError};

/// How one job change moves the counters of its creation day.
#[derive(Debug, Clone, Default)]
pub(super) struct JobDelta {
    pub created: i64,
    pub status: Vec<(JobStatus, i64)>,
    pub score: Vec<(Score, i64)>,
    /// Application stages (`sg_<stage>`): only the tenant's day counts them.
    pub stage: Vec<(Stage, i64)>,
}

impl JobDelta {
    pub fn created(status: JobStatus) -> Self {
        Self {
            created: 1,
            status: vec![(status, 1)],
            score: Vec::new(),
            stage: Vec::new(),
        }
    }

    /// A stage set (`from` absent the first time).
    pub fn staged(from: Option<Stage>, to: Stage) -> Self {
        let mut stage = vec![(to, 1)];
        stage.extend(from.map(|from| (from, -1)));
        Self {
            stage,
            ..Self::default()
        }
    }

    pub fn moved(from: JobStatus, to: JobStatus) -> Self {
        Self {
            status: if from == to {
                Vec::new()
            } else {
                vec![(from, -1), (to, 1)]
            },
            ..Self::default()
        }
    }

    pub fn rescored(mut self, old: Option<Score>, new: Score) -> Self {
        if old != Some(new) {
            self.score.push((new, 1));
            if let Some(old) = old {
                self.score.push((old, -1));
            }
        }
        self
    }

    /// Adds another job's delta (same day and source).
    pub fn merge(&mut self, other: &JobDelta) {
        self.created += other.created;
        self.status.extend(other.status.iter().copied());
        self.score.extend(other.score.iter().copied());
        self.stage.extend(other.stage.iter().copied());
    }

    fn day_adds(&self) -> BTreeMap<String, i64> {
        let mut adds = BTreeMap::new();
        if self.created != 0 {
            adds.insert("created".to_owned(), self.created);
        }
        for (status, n) in &self.status {
            *adds.entry(format!("st_{status}")).or_default() += n;
        }
        for (score, n) in &self.score {
            *adds.entry(format!("sc_{}", score.value())).or_default() += n;
        }
        for (stage, n) in &self.stage {
            *adds.entry(format!("sg_{stage}")).or_default() += n;
        }
        adds.retain(|_, n| *n != 0);
        adds
    }

    fn source_adds(&self) -> BTreeMap<String, i64> {
        let mut adds = self.day_adds();
        adds.retain(|k, _| !k.starts_with("st_") && !k.starts_with("sg_"));
        adds
    }
}

/// One counter item's `ADD`: key, expression, names and values.
pub(super) struct CounterAdd {
    pk: String,
    sk: String,
    expression: String,
    names: Vec<(String, String)>,
    values: Vec<(String, AttributeValue)>,
}

fn counter_add(pk: String, sk: String, entity: &str, adds: &BTreeMap<String, i64>) -> CounterAdd {
    let mut names = Vec::new();
    let mut values = vec![(":entity".to_owned(), AttributeValue::S(entity.to_owned()))];
    let mut parts = Vec::new();
    for (i, (attribute, n)) in adds.iter().enumerate() {
        names.push((format!("#c{i}"), attribute.clone()));
        values.push((format!(":c{i}"), AttributeValue::N(n.to_string())));
        parts.push(format!("#c{i} :c{i}"));
    }
    CounterAdd {
        pk,
        sk,
        expression: format!("ADD {} SET entity = :entity", parts.join(", ")),
        names,
        values,
    }
}

/// The counter updates one job change needs (none if it changes nothing counted).
pub(super) fn job_counter_adds(
    tenant: TenantId,
    created_at: DateTime<Utc>,
    source: SourceId,
    delta: &JobDelta,
) -> Vec<CounterAdd> {
    counter_adds(tenant, created_at, source, delta, None)
}

/// Like [`job_counter_adds`], plus one scoring counted on the day `scored_at` (one update
/// per item: a transaction may touch an item only once).
pub(super) fn counter_adds(
    tenant: TenantId,
    created_at: DateTime<Utc>,
    source: SourceId,
    delta: &JobDelta,
    scored_at: Option<DateTime<Utc>>,
) -> Vec<CounterAdd> {
    let created_day = created_at.date_naive();
    let mut days: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    let adds = delta.day_adds();
    if !adds.is_empty() {
        days.insert(created_day, adds);
    }
    if let Some(at) = scored_at {
        *days
            .entry(at.date_naive())
            .or_default()
            .entry("scored".to_owned())
            .or_default() += 1;
    }
    let mut out: Vec<CounterAdd> = days
        .into_iter()
        .map(|(day, adds)| {
            counter_add(
                keys::tenant_pk(tenant),
                keys::day_sk(day),
                "day_stats",
                &adds,
            )
        })
        .collect();
    let adds = delta.source_adds();
    if !adds.is_empty() {
        out.push(counter_add(
            keys::tenant_pk(tenant),
            keys::source_day_sk(created_day, source),
            "source_day_stats",
            &adds,
        ));
    }
    out
}

/// The counter updates that creating `jobs` (creation time, source, status) needs: one
/// `DAY#` update per creation day and one `SDAY#` per (day, source), each item once, so
/// they fit one transaction.
pub(super) fn created_counter_adds(
    tenant: TenantId,
    jobs: impl IntoIterator<Item = (DateTime<Utc>, SourceId, JobStatus)>,
) -> Vec<CounterAdd> {
    let mut days: BTreeMap<NaiveDate, JobDelta> = BTreeMap::new();
    let mut sources: BTreeMap<(NaiveDate, SourceId), JobDelta> = BTreeMap::new();
    for (created_at, source, status) in jobs {
        let day = created_at.date_naive();
        let delta = JobDelta::created(status);
        days.entry(day).or_default().merge(&delta);
        sources.entry((day, source)).or_default().merge(&delta);
    }
    let pk = keys::tenant_pk(tenant);
    let day_adds = days.into_iter().map(|(day, delta)| {
        counter_add(
            pk.clone(),
            keys::day_sk(day),
            "day_stats",
            &delta.day_adds(),
        )
    });
    let source_adds = sources.into_iter().map(|((day, source), delta)| {
        counter_add(
            pk.clone(),
            keys::source_day_sk(day, source),
            "source_day_stats",
            &delta.source_adds(),
        )
    });
    day_adds.chain(source_adds).collect()
}

impl CounterAdd {
    pub fn transact(&self, table: &str) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(table)
            .key(keys::PK, AttributeValue::S(self.pk.clone()))
            .key(keys::SK, AttributeValue::S(self.sk.clone()))
            .update_expression(&self.expression);
        for (k, v) in &self.names {
            update = update.expression_attribute_names(k, v);
        }
        for (k, v) in &self.values {
            update = update.expression_attribute_values(k, v.clone());
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build())
    }
}

impl DynamoStore {
    async fn query_between(
        &self,
        tenant: TenantId,
        from: String,
        to: String,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client()
            .await
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(keys::tenant_pk(tenant)))
            .expression_attribute_values(":from", AttributeValue::S(from))
            .expression_attribute_values(":to", AttributeValue::S(to));
        query_all(query).await
    }
}

fn number(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn scores(item: &Item) -> [i64; 10] {
    std::array::from_fn(|i| number(item, &format!("sc_{}", i + 1)))
}

fn sk_of(item: &Item) -> &str {
    item.get(keys::SK)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

#[async_trait]
impl AnalyticsStore for DynamoStore {
    async fn day_counters(
        &self,
        tenant: TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayCounters>, StoreError> {
        let items = self
            .query_between(tenant, keys::day_sk(from), keys::day_sk(to))
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let day = parse_day(sk_of(item).strip_prefix(keys::DAY_SK_PREFIX)?)?;
                Some(DayCounters {
                    day,
                    created: number(item, "created"),
                    by_status: JobStatus::ALL
                        .iter()
                        .map(|s| (*s, number(item, &format!("st_{s}"))))
                        .collect(),
                    scores: scores(item),
                    by_stage: Stage::ALL
                        .iter()
                        .map(|s| (*s, number(item, &format!("sg_{s}"))))
                        .collect(),
                    scored: number(item, "scored"),
                })
            })
            .collect())
    }

    async fn source_day_counters(
        &self,
        tenant: TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SourceDayCounters>, StoreError> {
        let to = format!(
            "{}#~",
            keys::source_day_sk(to, SourceId::new())
                .rsplit_once('#')
                .map_or("", |(a, _)| a)
        );
        let from = format!(
            "{}#",
            keys::source_day_sk(from, SourceId::new())
                .rsplit_once('#')
                .map_or("", |(a, _)| a)
        );
        let items = self.query_between(tenant, from, to).await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let rest = sk_of(item).strip_prefix(keys::SOURCE_DAY_SK_PREFIX)?;
                let (day, source) = rest.split_once('#')?;
                Some(SourceDayCounters {
                    day: parse_day(day)?,
                    source: SourceId::parse(source).ok()?,
                    created: number(item, "created"),
                    scores: scores(item),
                })
            })
            .collect())
    }
}
