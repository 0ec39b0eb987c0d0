//! Counts the requests an SDK client sends, per operation, so a test can bound what a use
//! case costs in round trips (not in time, which this shared machine cannot promise). The
//! benchmarks' richer tally (`bench/src/counting.rs`) names operations with
//! [`operation_name`] too.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, Input,
};
use shared::adapters::DynamoStore;

use crate::{TestStack, seed};

/// Requests sent, by operation name (`GetItem`, `TransactWriteItems`, …).
#[derive(Debug, Default, Clone)]
pub struct Requests(Arc<Mutex<BTreeMap<&'static str, u64>>>);

impl Requests {
    /// Every request counted so far, whatever its operation.
    pub fn total(&self) -> u64 {
        self.0.lock().expect("request count lock").values().sum()
    }

    /// The counts so far by operation, starting the count afresh.
    pub fn take(&self) -> BTreeMap<&'static str, u64> {
        std::mem::take(&mut *self.0.lock().expect("request count lock"))
    }
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        // moto accepts bigger transactions than DynamoDB does: hold the code to the real cap.
        if let Some(t) = input.downcast_ref::<TransactWriteItemsInput>() {
            assert!(t.transact_items().len() <= 100, "DynamoDB's limit");
        }
        *self
            .0
            .lock()
            .expect("request count lock")
            .entry(operation_name(input))
            .or_default() += 1;
        Ok(())
    }
}

/// The operation of a request, by its input type (the config bag of this SDK version does
/// not carry the operation metadata before serialization); `"other"` for one not listed.
pub fn operation_name(input: &Input) -> &'static str {
    use aws_sdk_dynamodb::operation as d;
    use aws_sdk_sqs::operation as q;
    macro_rules! by_type {
        ($($ty:ty => $name:literal),* $(,)?) => {
            $(if input.downcast_ref::<$ty>().is_some() { return $name; })*
        };
    }
    by_type!(
        d::get_item::GetItemInput => "GetItem",
        d::put_item::PutItemInput => "PutItem",
        d::update_item::UpdateItemInput => "UpdateItem",
        d::delete_item::DeleteItemInput => "DeleteItem",
        d::query::QueryInput => "Query",
        d::scan::ScanInput => "Scan",
        d::batch_get_item::BatchGetItemInput => "BatchGetItem",
        d::batch_write_item::BatchWriteItemInput => "BatchWriteItem",
        d::transact_write_items::TransactWriteItemsInput => "TransactWriteItems",
        q::send_message_batch::SendMessageBatchInput => "SendMessageBatch",
        q::send_message::SendMessageInput => "SendMessage",
    );
    "other"
}

/// The stack's store (as [`seed::store`]) whose every DynamoDB request is counted.
pub fn counted_store(stack: &TestStack) -> (DynamoStore, Requests) {
    let requests = Requests::default();
    (store_with(stack, requests.clone()), requests)
}

/// The stack's store (as [`seed::store`]) with `interceptor` on its DynamoDB client.
fn store_with(stack: &TestStack, interceptor: impl Intercept + 'static) -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.config)
            .interceptor(interceptor)
            .build(),
    );
    DynamoStore::new(client, stack.table(), seed::secret().cursor_codec())
}

/// A process that dies after a set number of AWS requests: every later request fails
/// before it is sent, as nothing runs after a SIGKILL. Given to a use case (its DynamoDB
/// and SQS clients share one), it stops that use case at an exact point between two
/// requests; a fresh store then plays the process that takes over. [`Dying::fails_once`]
/// is the survivable kind: one request fails, the rest go through.
#[derive(Debug, Clone)]
pub struct Dying {
    left: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
    recovers: bool,
}

impl Dying {
    pub fn after(requests: u64) -> Self {
        Self {
            left: Arc::new(AtomicU64::new(requests)),
            refused: Arc::new(AtomicU64::new(0)),
            recovers: false,
        }
    }

    /// The request after the first `requests` fails; every other one goes through.
    pub fn fails_once(requests: u64) -> Self {
        Self {
            recovers: true,
            ..Self::after(requests)
        }
    }

    /// Whether the process reached its end (some request was refused).
    pub fn died(&self) -> bool {
        self.refused.load(Ordering::SeqCst) > 0
    }

    /// The stack's store (as [`seed::store`]) in this process.
    pub fn store(&self, stack: &TestStack) -> DynamoStore {
        store_with(stack, self.clone())
    }

    /// An SQS client in this process.
    pub fn sqs(&self, stack: &TestStack) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&stack.config)
                .interceptor(self.clone())
                .build(),
        )
    }
}

impl Intercept for Dying {
    fn name(&self) -> &'static str {
        "Dying"
    }

    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let alive = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if alive || (self.recovers && self.died()) {
            return Ok(());
        }
        self.refused.fetch_add(1, Ordering::SeqCst);
        Err("the process is dead".into())
    }
}
