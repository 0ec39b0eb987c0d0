//! The SQS consumers' batch loop with partial batch failures (`ReportBatchItemFailures`
//! in template.yaml): each message of an event is handled in its own span, and only the
//! ones that must come back are reported, so one bad message never redelivers the others.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tracing::Instrument;

/// What a consumer tells the queue about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delete it: handled, dropped on purpose, or handed on.
    Done,
    /// Report it as a batch item failure: SQS delivers it again (after its visibility
    /// timeout), and after `maxReceiveCount` moves it to the dead-letter queue.
    Retry,
}

/// The message's id, as logged and as reported in a batch item failure.
fn message_id(record: &SqsMessage) -> &str {
    record.message_id.as_deref().unwrap_or_default()
}

/// Handles the event's messages, up to `concurrency` at once (at least one), each with its
/// body; a message without a body is retried. The span of each message carries
/// `message_id` and an empty `tenant_id` a handler may record.
pub async fn each(
    event: SqsEvent,
    concurrency: usize,
    handle: impl AsyncFn(&SqsMessage, &str) -> Outcome,
) -> SqsBatchResponse {
    let handle = &handle;
    each_message(
        event,
        concurrency,
        async |record: &SqsMessage| match record.body.as_deref() {
            Some(body) => handle(record, body).await,
            None => {
                tracing::error!(message_id = %message_id(record), "message without a body");
                Outcome::Retry
            }
        },
    )
    .await
}

/// [`each`] for messages whose body is a JSON `T`. A message without one can never
/// succeed however often it comes back: it is logged and gets `unparseable` (`Done` drops
/// it; `Retry` lets it reach the dead-letter queue, where an operator sees it).
pub async fn each_task<T: DeserializeOwned>(
    event: SqsEvent,
    concurrency: usize,
    unparseable: Outcome,
    handle: impl AsyncFn(&SqsMessage, T) -> Outcome,
) -> SqsBatchResponse {
    let handle = &handle;
    each_message(event, concurrency, async |record: &SqsMessage| {
        let parsed = record
            .body
            .as_deref()
            .map(serde_json::from_str::<T>)
            .unwrap_or_else(|| Err(serde::de::Error::custom("no body")));
        match parsed {
            Ok(task) => handle(record, task).await,
            Err(e) => {
                tracing::error!(
                    message_id = %message_id(record),
                    error = %e,
                    task = std::any::type_name::<T>(),
                    ?unparseable,
                    "message body is not the expected task"
                );
                unparseable
            }
        }
    })
    .await
}

async fn each_message(
    event: SqsEvent,
    concurrency: usize,
    handle: impl AsyncFn(&SqsMessage) -> Outcome,
) -> SqsBatchResponse {
    let handle = &handle;
    let outcomes: Vec<(String, Outcome)> = futures_util::stream::iter(&event.records)
        .map(|record| async move {
            let id = message_id(record);
            let span =
                tracing::info_span!("message", message_id = %id, tenant_id = tracing::field::Empty);
            (id.to_owned(), handle(record).instrument(span).await)
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for (id, outcome) in outcomes {
        if outcome == Outcome::Retry {
            response.add_failure(id);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bodies: &[Option<&str>]) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let mut record = SqsMessage::default();
                record.message_id = Some(format!("m{i}"));
                record.body = body.map(str::to_owned);
                record
            })
            .collect();
        event
    }

    fn failed(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[derive(serde::Deserialize)]
    struct Task {
        n: u32,
    }

    #[tokio::test]
    async fn only_the_messages_to_retry_and_those_without_a_body_are_reported() {
        let event = event(&[Some("ok"), Some("again"), None, Some("ok")]);
        let response = each(event, 10, async |_: &SqsMessage, body: &str| {
            if body == "again" {
                Outcome::Retry
            } else {
                Outcome::Done
            }
        })
        .await;
        assert_eq!(failed(&response), ["m1", "m2"]);
    }

    #[tokio::test]
    async fn an_unparseable_body_gets_the_outcome_asked_for_and_is_not_handled() {
        let bodies = [
            Some(r#"{"n": 1}"#),
            Some("not json"),
            Some(r#"{"n": 2}"#),
            None,
        ];
        for (unparseable, reported) in [(Outcome::Done, vec![]), (Outcome::Retry, vec!["m1", "m3"])]
        {
            let seen = std::sync::Mutex::new(Vec::new());
            let response = each_task(
                event(&bodies),
                1,
                unparseable,
                async |_: &SqsMessage, task: Task| {
                    seen.lock().unwrap().push(task.n);
                    Outcome::Done
                },
            )
            .await;
            assert_eq!(failed(&response), reported);
            assert_eq!(
                *seen.lock().unwrap(),
                [1, 2],
                "in order, the bad one skipped"
            );
        }
    }
}
