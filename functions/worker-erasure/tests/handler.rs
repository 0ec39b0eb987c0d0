//! worker-erasure's handler against moto with an SQS event shaped as Lambda delivers it:
//! a message whose step fails (Stripe down) is reported alone as a batch item failure and
//! deletes nothing, a message that is not an erasure task is dropped, and the others are
//! erased in the same batch.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use jobmon_tests::{TestStack, seed};
use serde_json::{Value, json};
use shared::adapters::memory::MemoryQueue;
use shared::domain::TenantId;
use shared::messages::EraseTenantTask;
use shared::ports::SubscriptionCanceller;
use shared::services::privacy::ErasureWorker;

const STRIPE_DOWN: &str = "sub_stripe_down";

/// Stripe refusing one subscription's cancellation, as when it is down for that call.
struct Stripe;

#[async_trait]
impl SubscriptionCanceller for Stripe {
    async fn cancel_subscription(&self, subscription: &str) -> Result<(), String> {
        if subscription == STRIPE_DOWN {
            Err("503 Service Unavailable".into())
        } else {
            Ok(())
        }
    }
}

/// One record as the SQS event source mapping delivers it.
fn record(message_id: &str, body: &str) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("handle-{message_id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1764500000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1764500000001"
        },
        "messageAttributes": {},
        "md5OfBody": "0",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-central-1:000000000000:ErasureQueue",
        "awsRegion": "eu-central-1"
    })
}

fn task(tenant: TenantId, subscription: Option<&str>) -> String {
    serde_json::to_string(&EraseTenantTask {
        tenant_id: tenant,
        emails: vec![],
        subscription_id: subscription.map(str::to_owned),
        requested_at: Utc::now(),
        pass: 1,
        position: None,
    })
    .unwrap()
}

/// Items of the table that belong to `tenant` (its partitions or naming it).
async fn items_of(stack: &TestStack, tenant: TenantId) -> usize {
    let needle = tenant.to_string();
    stack
        .all_items()
        .await
        .iter()
        .filter(|item| format!("{item:?}").contains(&needle))
        .count()
}

#[tokio::test]
async fn a_failing_step_is_reported_alone_and_a_foreign_body_is_dropped() {
    let stack = TestStack::new().await;
    let store = seed::store(&stack);
    let erased = seed::tenant(&store, "pro").await.id;
    let paying = seed::tenant(&store, "pro").await.id;
    seed::queued_jobs(&store, erased, &[("Rust Engineer", "Rust")]).await;
    seed::queued_jobs(&store, paying, &[("Go Engineer", "Go")]).await;
    let paying_items = items_of(&stack, paying).await;
    assert!(items_of(&stack, erased).await > 0 && paying_items > 0);

    let queue = Arc::new(MemoryQueue::default());
    let worker = ErasureWorker {
        eraser: Arc::new(seed::store(&stack)),
        queue: queue.clone(),
        canceller: Some(Arc::new(Stripe)),
        page_size: 100,
        budget: Duration::from_secs(60),
    };
    let event: SqsEvent = serde_json::from_value(json!({"Records": [
        record("m-erase", &task(erased, Some("sub_fine"))),
        record("m-stripe-down", &task(paying, Some(STRIPE_DOWN))),
        record("m-foreign", r#"{"kind": "not an erasure task"}"#),
    ]}))
    .expect("an SQS event");

    let response = worker_erasure::handle(&worker, event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m-stripe-down"], "only the failed step comes back");
    assert_eq!(
        items_of(&stack, erased).await,
        0,
        "erased in the same batch"
    );
    assert_eq!(
        items_of(&stack, paying).await,
        paying_items,
        "nothing deleted before the subscription has ended"
    );
    assert_eq!(
        queue.take_delayed().len(),
        1,
        "the erased tenant's second pass, only"
    );
    assert!(queue.take_sent().is_empty());
}
