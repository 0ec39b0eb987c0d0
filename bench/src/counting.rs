//! An SDK interceptor that counts requests per operation, the items each write carries and
//! the write capacity those items consume by DynamoDB's rules (1 WCU per started KiB per
//! item, doubled inside transactions), so a benchmark can show what a code path costs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use jobmon_tests::requests::operation_name;

#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub requests: BTreeMap<String, u64>,
    pub items_written: u64,
    pub write_units: f64,
    pub messages_sent: u64,
    /// Items a `Query` evaluated (`ScannedCount`: read and charged, matched or not).
    pub items_read: u64,
    /// Items a `Query` returned, and their size by DynamoDB's item-size rules.
    pub items_returned: u64,
    pub bytes_returned: u64,
}

impl Tally {
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    pub fn writes(&self) -> u64 {
        self.of(&DYNAMO_WRITES)
    }

    pub fn dynamo_requests(&self) -> u64 {
        self.of(&DYNAMO_WRITES) + self.of(&DYNAMO_READS)
    }

    fn of(&self, ops: &[&str]) -> u64 {
        ops.iter()
            .map(|op| self.requests.get(*op).copied().unwrap_or(0))
            .sum()
    }
}

const DYNAMO_WRITES: [&str; 5] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];
const DYNAMO_READS: [&str; 4] = ["GetItem", "Query", "Scan", "BatchGetItem"];

#[derive(Debug, Default, Clone)]
pub struct Counter(pub Arc<Mutex<Tally>>);

impl Counter {
    pub fn take(&self) -> Tally {
        std::mem::take(&mut *self.0.lock().expect("tally lock"))
    }
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| k.len() + value_size(v) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
        _ => 8,
    }
}

fn item_bytes(item: &std::collections::HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn item_units(item: &std::collections::HashMap<String, AttributeValue>) -> f64 {
    item_bytes(item).div_ceil(1024).max(1) as f64
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_after_deserialization(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef<'_>,
        _runtime: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(output) = context.output_or_error()
            && let Some(q) =
                output.downcast_ref::<aws_sdk_dynamodb::operation::query::QueryOutput>()
        {
            let mut tally = self.0.lock().expect("tally lock");
            tally.items_read += u64::try_from(q.scanned_count()).unwrap_or(0);
            tally.items_returned += q.items().len() as u64;
            tally.bytes_returned += q.items().iter().map(|i| item_bytes(i) as u64).sum::<u64>();
        }
        Ok(())
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let op = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_else(|| operation_name(input).to_owned());
        let mut tally = self.0.lock().expect("tally lock");
        *tally.requests.entry(op).or_default() += 1;
        if let Some(t) = input.downcast_ref::<TransactWriteItemsInput>() {
            for action in t.transact_items() {
                if let Some(put) = action.put() {
                    tally.items_written += 1;
                    tally.write_units += 2.0 * item_units(put.item());
                } else if action.update().is_some() || action.delete().is_some() {
                    tally.items_written += 1;
                    tally.write_units += 2.0;
                } else {
                    // ConditionCheck: charged like a write of a 1 KiB item, not written.
                    tally.write_units += 2.0;
                }
            }
        } else if let Some(p) = input.downcast_ref::<PutItemInput>() {
            tally.items_written += 1;
            tally.write_units += p.item().map_or(1.0, item_units);
        } else if input.downcast_ref::<UpdateItemInput>().is_some()
            || input
                .downcast_ref::<aws_sdk_dynamodb::operation::delete_item::DeleteItemInput>()
                .is_some()
        {
            tally.items_written += 1;
            tally.write_units += 1.0;
        } else if let Some(b) = input.downcast_ref::<SendMessageBatchInput>() {
            tally.messages_sent += b.entries().len() as u64;
        } else if let Some(b) = input.downcast_ref::<BatchWriteItemInput>() {
            for requests in b.request_items().into_iter().flat_map(|m| m.values()) {
                for r in requests {
                    tally.items_written += 1;
                    tally.write_units += r.put_request().map_or(1.0, |p| item_units(p.item()));
                }
            }
        }
        Ok(())
    }
}
