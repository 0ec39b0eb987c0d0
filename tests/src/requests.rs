//! Counts the requests an SDK client sends, so a test can bound what a use case costs in
//! round trips (not in time, which this shared machine cannot promise).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use shared::adapters::DynamoStore;

use crate::{TestStack, seed};

#[derive(Debug, Default, Clone)]
pub struct RequestCount(Arc<AtomicU64>);

impl RequestCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for RequestCount {
    fn name(&self) -> &'static str {
        "RequestCount"
    }

    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// The stack's store (as [`seed::store`]) whose every DynamoDB request is counted.
pub fn counted_store(stack: &TestStack) -> (DynamoStore, RequestCount) {
    let count = RequestCount::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.config)
            .interceptor(count.clone())
            .build(),
    );
    let store = DynamoStore::new(client, stack.table(), seed::secret().cursor_codec());
    (store, count)
}
