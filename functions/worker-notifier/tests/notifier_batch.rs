//! worker-notifier's handler with a real-shaped SQS batch of EventBridge envelopes, against
//! moto and local receivers: a duplicate inside one batch sends once, a message for a
//! failing channel alone comes back, and a message that is not an event is dropped.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use jobmon_connectors::AddressPolicy;
use jobmon_notify::deliver::{Deliverer, HttpPoster};
use jobmon_notify::settings::{Channel, ChannelKind};
use jobmon_notify::{DynamoNotifications, NotificationStore};
use jobmon_tests::TestStack;
use jobmon_tests::scripted::{FakeServer, Reply};
use serde_json::json;
use shared::domain::{JobId, Score, TenantId};

async fn add_channel(store: &DynamoNotifications, tenant: TenantId, url: String) {
    let now = Utc::now();
    store
        .create_channel(&Channel {
            id: ulid::Ulid::new().to_string(),
            tenant_id: tenant,
            kind: ChannelKind::Slack,
            url,
            min_score: Score::new(7).unwrap(),
            enabled: true,
            signing_secret: None,
            last_error: None,
            consecutive_failures: 0,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
}

fn envelope(tenant: TenantId, job: JobId) -> String {
    json!({
        "version": "0", "id": ulid::Ulid::new().to_string(), "source": "jobmon",
        "detail-type": "JobScored", "time": Utc::now(), "resources": [],
        "detail": {"tenantId": tenant, "scorer": "profile", "model": null, "job": {
            "id": job, "title": "Platform Engineer", "company": "Acme", "location": "Remote",
            "remote": true, "url": "https://jobs.example.com/2", "status": "scored", "score": 9,
            "createdAt": Utc::now()}}
    })
    .to_string()
}

fn batch(bodies: &[(&str, String)]) -> SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .map(|(id, body)| {
            json!({"messageId": id, "receiptHandle": "r", "body": body,
                   "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                   "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:NotificationQueue"})
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn a_batch_reports_only_the_message_that_must_come_back() {
    let stack = TestStack::new().await;
    let store = Arc::new(DynamoNotifications::new(
        stack.dynamo.clone(),
        stack.table(),
    ));
    let (happy, busy) = (TenantId::new(), TenantId::new());
    let good = FakeServer::start(vec![Reply::json(200, "ok"), Reply::json(200, "ok")]).await;
    let failing = FakeServer::start(vec![Reply::json(502, "bad gateway")]).await;
    add_channel(&store, happy, format!("{}/ok", good.base_url)).await;
    add_channel(&store, busy, format!("{}/busy", failing.base_url)).await;
    let deliverer = Deliverer {
        channels: store.clone(),
        log: store,
        poster: Arc::new(HttpPoster::new(
            AddressPolicy::AllowPrivate,
            Duration::from_secs(5),
        )),
        clock: shared::ports::SystemClock::shared(),
        app_url: "http://127.0.0.1:3000".into(),
        mail: None,
    };
    let job = envelope(happy, JobId::new());
    let event = batch(&[
        ("m1", job.clone()),
        ("m2", job),
        ("m3", envelope(busy, JobId::new())),
        ("m4", "not an event".into()),
    ]);
    let response = worker_notifier::handle(&deliverer, event).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, vec!["m3".to_owned()]);
    assert_eq!(
        good.requests().len(),
        1,
        "the duplicate in the batch sent nothing"
    );
    assert_eq!(failing.requests().len(), 1);
}
