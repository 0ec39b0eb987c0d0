//! Reading a list plan: its ranges merged into one page, newest (or best) first, reading
//! each range only as far as the page needs. Docs: docs/data-model.md, "Job list".
//!
//! A range is read in small steps. An item is taken for the page only when no other range
//! can still hold a better one: every other range has a better-or-equal item waiting, is
//! exhausted, or has been read past it. So a page of `L` items from `k` ranges reads the
//! `L` items plus at most the last step of each range, each step at most `⌈L/2k⌉ + 1`
//! items: about `1.5 L + k`, and exactly `L` from one range.

use std::collections::VecDeque;

use aws_sdk_dynamodb::types::AttributeValue;

use super::list_plan::{ListPlan, Order, Range};
use super::{DynamoStore, Item, unavailable};
use crate::http::cursor::Position;
use crate::ports::{LIST_READ_BUDGET, StoreError};

/// Where a range resumes: from its start, after an index sort key, or not at all (read to
/// its end). A sort key is all a position needs: the rest of the key is the plan's.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resume {
    Start,
    After(String),
    Done,
}

/// One range while a page is read.
struct Lane<'a> {
    range: &'a Range,
    /// Read, matched, not yet on the page.
    buffer: VecDeque<Item>,
    /// The index sort key the next read starts after; every unread item of the range
    /// sorts below it (`None`: nothing read yet and no start key).
    next: Option<String>,
    done: bool,
    /// Where the next page resumes if this lane's buffer is not empty then: the last item
    /// it gave the page, or where this page began.
    resume: Option<String>,
}

/// An item's sort key in `range`'s index.
fn sort_key(range: &Range, item: &Item) -> Option<String> {
    match item.get(range.sk_name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The key that orders a sort key across ranges: itself by score, its job id by date.
fn merge_key(order: Order, sk: &str) -> String {
    match order {
        Order::Score => sk.to_owned(),
        Order::Newest => sk
            .rsplit_once(super::keys::JOB_SK_PREFIX)
            .map_or(sk, |(_, id)| id)
            .to_owned(),
    }
}

impl<'a> Lane<'a> {
    fn new(range: &'a Range, resume: Resume) -> Self {
        let (next, done) = match resume {
            Resume::Start => (None, false),
            Resume::After(sk) => (Some(sk), false),
            Resume::Done => (None, true),
        };
        Lane {
            range,
            buffer: VecDeque::new(),
            resume: next.clone(),
            next,
            done,
        }
    }

    fn head(&self, order: Order) -> Option<String> {
        self.buffer
            .front()
            .and_then(|i| sort_key(self.range, i))
            .map(|sk| merge_key(order, &sk))
    }

    /// Whether the range may still hold an item that sorts above `best`.
    fn may_beat(&self, order: Order, best: Option<&String>) -> bool {
        if self.done || !self.buffer.is_empty() {
            return false;
        }
        match (&self.next, best) {
            (Some(next), Some(best)) => merge_key(order, next) > *best,
            _ => true,
        }
    }

    fn position(&self) -> Resume {
        if !self.buffer.is_empty() {
            return self.resume.clone().map_or(Resume::Start, Resume::After);
        }
        match (&self.next, self.done) {
            (_, true) => Resume::Done,
            (Some(sk), false) => Resume::After(sk.clone()),
            (None, false) => Resume::Start,
        }
    }
}

/// A page's items and where the next page resumes (`None`: every range is read out).
pub(super) type ListPage = (Vec<Item>, Option<Vec<Resume>>);

impl DynamoStore {
    /// Up to `limit` items of `plan`, merged, from `from` (one resume per range).
    pub(super) async fn read_list(
        &self,
        plan: &ListPlan,
        limit: usize,
        from: Vec<Resume>,
    ) -> Result<ListPage, StoreError> {
        let mut lanes: Vec<Lane> = plan
            .ranges
            .iter()
            .zip(from)
            .map(|(range, resume)| Lane::new(range, resume))
            .collect();
        let mut page = Vec::new();
        let mut read = 0usize;
        while page.len() < limit {
            let best = lanes
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.head(plan.order).map(|k| (k, i)))
                .max();
            let blocking = lanes
                .iter()
                .position(|l| l.may_beat(plan.order, best.as_ref().map(|(k, _)| k)));
            if let Some(i) = blocking {
                if read >= LIST_READ_BUDGET {
                    break;
                }
                let step = step(plan, &lanes, limit - page.len(), read);
                read += self.read_lane(plan, &mut lanes[i], step).await?;
                continue;
            }
            let Some((_, i)) = best else {
                break;
            };
            let lane = &mut lanes[i];
            if let Some(item) = lane.buffer.pop_front() {
                lane.resume = sort_key(lane.range, &item);
                page.push(item);
            }
        }
        let positions: Vec<Resume> = lanes.iter().map(Lane::position).collect();
        let next = (!positions.iter().all(|p| *p == Resume::Done)).then_some(positions);
        Ok((page, next))
    }

    /// One Query of a lane; returns the items it read (before the filter).
    async fn read_lane(
        &self,
        plan: &ListPlan,
        lane: &mut Lane<'_>,
        step: usize,
    ) -> Result<usize, StoreError> {
        let range = lane.range;
        let mut request = self
            .client()
            .await
            .query()
            .table_name(&self.table)
            .index_name(range.index)
            .scan_index_forward(false)
            .limit(i32::try_from(step).unwrap_or(200))
            .set_exclusive_start_key(lane.next.take().map(|sk| plan.start_key(range, sk)))
            .expression_attribute_names("#pk", range.pk_name)
            .expression_attribute_values(":pk", AttributeValue::S(range.pk.clone()));
        request = match &range.sk {
            Some((lo, hi)) => request
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#sk", range.sk_name)
                .expression_attribute_values(":lo", AttributeValue::S(lo.clone()))
                .expression_attribute_values(":hi", AttributeValue::S(hi.clone())),
            None => request.key_condition_expression("#pk = :pk"),
        };
        if !plan.filters.is_empty() {
            request = request.filter_expression(plan.filters.join(" AND "));
        }
        for (k, v) in &plan.names {
            request = request.expression_attribute_names(k, v);
        }
        for (k, v) in &plan.values {
            request = request.expression_attribute_values(k, v.clone());
        }
        let out = request.send().await.map_err(unavailable)?;
        let read = usize::try_from(out.scanned_count).unwrap_or(step);
        lane.buffer.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key.and_then(|key| sort_key(range, &key)) {
            Some(sk) => lane.next = Some(sk),
            None => lane.done = true,
        }
        Ok(read)
    }
}

/// How many items the next read of a lane asks for.
fn step(plan: &ListPlan, lanes: &[Lane], wanted: usize, read: usize) -> usize {
    let live = lanes.iter().filter(|l| !l.done).count().max(1);
    if !plan.filters.is_empty() {
        // A filter's matches are unknown: read on in large steps, within the budget.
        return ((LIST_READ_BUDGET - read) / live).clamp(1, 200);
    }
    if live == 1 {
        wanted
    } else {
        wanted.div_ceil(2 * live) + 1
    }
}

/// A cursor's position: for range `i`, `<i>` = the index sort key it resumes after, or
/// `<i>:done`. About 40 characters per range, so a cursor stays small with every range of
/// a wide score filter open.
pub(super) fn encode(positions: &[Resume]) -> Position {
    let mut out = Position::new();
    for (i, p) in positions.iter().enumerate() {
        match p {
            Resume::Start => {}
            Resume::Done => {
                out.insert(format!("{i}:done"), "1".into());
            }
            Resume::After(sk) => {
                out.insert(i.to_string(), sk.clone());
            }
        }
    }
    out
}

/// The inverse of [`encode`] for `plan`; a position naming a range the plan does not
/// have, or a sort key outside its range, is refused.
pub(super) fn decode(plan: &ListPlan, position: Position) -> Result<Vec<Resume>, StoreError> {
    let mut out = vec![Resume::Start; plan.ranges.len()];
    for (name, value) in position {
        let (i, done) = match name.split_once(':') {
            Some((i, "done")) => (i, true),
            Some(_) => return Err(StoreError::InvalidCursor),
            None => (name.as_str(), false),
        };
        let i: usize = i.parse().map_err(|_| StoreError::InvalidCursor)?;
        let range = plan.ranges.get(i).ok_or(StoreError::InvalidCursor)?;
        if out[i] != Resume::Start {
            return Err(StoreError::InvalidCursor);
        }
        out[i] = if done {
            Resume::Done
        } else if range.holds(&value) {
            Resume::After(value)
        } else {
            return Err(StoreError::InvalidCursor);
        };
    }
    Ok(out)
}
