//! SQS event source mappings: long polling, batch size and batching window from the
//! template, delete what succeeded, `ReportBatchItemFailures`, and leave failures for
//! redelivery (and, after `maxReceiveCount`, the queue's own redrive to its DLQ).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use axum::body::Bytes;
use base64::Engine;
use jobmon_template::SqsEvent;
use serde_json::{Value as Json, json};

use crate::functions::{Function, log};

pub struct Mapping {
    pub function: Arc<Function>,
    pub event_name: String,
    pub spec: SqsEvent,
    pub queue_url: String,
    pub queue_arn: String,
    pub region: String,
}

/// Runs one poller until the task is aborted.
pub async fn poll(client: aws_sdk_sqs::Client, m: Arc<Mapping>) {
    let label = format!("{} ({})", m.function.cfg.logical_id, m.event_name);
    let mut backoff = Duration::from_millis(200);
    loop {
        let batch = match collect_batch(&client, &m).await {
            Ok(b) => {
                backoff = Duration::from_millis(200);
                b
            }
            Err(e) => {
                log(&format!("SQS poller {label}: {e}; retrying"));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        let ids: Vec<String> = batch
            .iter()
            .map(|msg| msg.message_id().unwrap_or_default().to_owned())
            .collect();
        let event = json!({"Records": batch.iter().map(|msg| record(msg, &m)).collect::<Vec<_>>()});
        let succeeded: Vec<&Message> = match m.function.invoke(Bytes::from(event.to_string())).await
        {
            Ok(out) if m.spec.report_batch_item_failures => match failed_ids(&out, &ids) {
                Ok(failed) => batch
                    .iter()
                    .filter(|msg| !failed.contains(msg.message_id().unwrap_or_default()))
                    .collect(),
                Err(why) => {
                    log(&format!(
                        "SQS {label}: {why}; the whole batch of {} is retried",
                        batch.len()
                    ));
                    Vec::new()
                }
            },
            Ok(_) => batch.iter().collect(),
            Err(e) => {
                log(&format!(
                    "SQS {label}: batch of {} failed ({e}); it returns after the visibility timeout",
                    batch.len()
                ));
                Vec::new()
            }
        };
        if let Err(e) = delete(&client, &m.queue_url, &succeeded).await {
            log(&format!("SQS {label}: DeleteMessageBatch failed: {e}"));
        }
    }
}

/// Receives until the batch is full or the batching window has passed. Without a window,
/// one long poll's worth (Lambda's behaviour too).
async fn collect_batch(client: &aws_sdk_sqs::Client, m: &Mapping) -> Result<Vec<Message>, String> {
    let want = m.spec.batch_size as usize;
    let window_end = tokio::time::Instant::now() + m.spec.maximum_batching_window;
    let mut out: Vec<Message> = Vec::new();
    loop {
        let left = window_end.saturating_duration_since(tokio::time::Instant::now());
        // Long-poll while the batch is empty; inside a window, wait at most what is left of it.
        let wait = if out.is_empty() {
            20
        } else {
            left.as_secs().min(20) as i32
        };
        let resp = client
            .receive_message()
            .queue_url(&m.queue_url)
            .max_number_of_messages((want - out.len()).clamp(1, 10) as i32)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        let got = resp.messages().len();
        out.extend(resp.messages().iter().cloned());
        if out.len() >= want
            || (m.spec.maximum_batching_window.is_zero() && !out.is_empty())
            || (!out.is_empty() && tokio::time::Instant::now() >= window_end)
        {
            return Ok(out);
        }
        if got == 0 && out.is_empty() {
            // Nothing arrived during a full long poll: start a fresh window with the next one.
            return Ok(out);
        }
        if got == 0 && wait == 0 {
            // Less than a second of window left: short polls, not a busy loop.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn record(msg: &Message, m: &Mapping) -> Json {
    let attributes: serde_json::Map<String, Json> = msg
        .attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_owned(), Json::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD;
    let message_attributes: serde_json::Map<String, Json> = msg
        .message_attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        json!({
                            "stringValue": v.string_value(),
                            "binaryValue": v.binary_value().map(|b| b64.encode(b.as_ref())),
                            "stringListValues": v.string_list_values(),
                            "binaryListValues": v.binary_list_values().iter().map(|b| b64.encode(b.as_ref())).collect::<Vec<_>>(),
                            "dataType": v.data_type(),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "messageId": msg.message_id(),
        "receiptHandle": msg.receipt_handle(),
        "body": msg.body().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": msg.md5_of_body(),
        "md5OfMessageAttributes": msg.md5_of_message_attributes(),
        "eventSource": "aws:sqs",
        "eventSourceARN": m.queue_arn,
        "awsRegion": m.region,
    })
}

/// The ids a `ReportBatchItemFailures` answer names. Like Lambda, an empty or null answer
/// means all succeeded, and an answer naming an unknown or empty id fails the whole batch.
fn failed_ids(out: &[u8], batch: &[String]) -> Result<HashSet<String>, String> {
    let v: Json = serde_json::from_slice(out).unwrap_or(Json::Null);
    let items = match &v {
        Json::Null => return Ok(HashSet::new()),
        Json::Object(o) => match o.get("batchItemFailures") {
            None | Some(Json::Null) => return Ok(HashSet::new()),
            Some(Json::Array(items)) => items,
            Some(_) => return Err("batchItemFailures is not a list".into()),
        },
        _ => return Ok(HashSet::new()),
    };
    let mut failed = HashSet::new();
    for item in items {
        match item.get("itemIdentifier").and_then(Json::as_str) {
            Some(id) if batch.iter().any(|b| b == id) => {
                failed.insert(id.to_owned());
            }
            other => return Err(format!("invalid itemIdentifier {other:?}")),
        }
    }
    Ok(failed)
}

async fn delete(client: &aws_sdk_sqs::Client, url: &str, msgs: &[&Message]) -> Result<(), String> {
    for chunk in msgs.chunks(10) {
        let mut req = client.delete_message_batch().queue_url(url);
        for (i, msg) in chunk.iter().enumerate() {
            let entry = DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(msg.receipt_handle().unwrap_or_default())
                .build()
                .map_err(|e| e.to_string())?;
            req = req.entries(entry);
        }
        let out = req
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        if !out.failed().is_empty() {
            return Err(format!("{} deletions failed", out.failed().len()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::failed_ids;

    #[test]
    fn batch_item_failures() {
        let batch = vec!["a".to_owned(), "b".to_owned()];
        assert!(failed_ids(b"null", &batch).unwrap().is_empty());
        assert!(
            failed_ids(br#"{"batchItemFailures":[]}"#, &batch)
                .unwrap()
                .is_empty()
        );
        let f = failed_ids(br#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#, &batch).unwrap();
        assert!(f.contains("b") && !f.contains("a"));
        assert!(
            failed_ids(
                br#"{"batchItemFailures":[{"itemIdentifier":"zz"}]}"#,
                &batch
            )
            .is_err()
        );
        assert!(failed_ids(br#"{"batchItemFailures":[{"itemIdentifier":""}]}"#, &batch).is_err());
    }
}
