//! The project's moto launcher (infra/moto_serialized.py) picks a queue's visible messages
//! with one clock reading and reads the retention period from the queue, where moto
//! computed every queue attribute per message received. These tests hold it to what SQS
//! promises the workers: each message delivered once while in flight, delays and
//! visibility timeouts kept, redrive to the dead-letter queue after `maxReceiveCount`.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_sqs::types::{Message, SendMessageBatchRequestEntry};
use jobmon_tests::TestStack;

async fn receive(stack: &TestStack, queue: &str, visibility: i32) -> Vec<Message> {
    stack
        .sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

fn bodies(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.body().unwrap_or_default().to_owned())
        .collect()
}

async fn send(stack: &TestStack, queue: &str, body: &str, delay: i32) {
    stack
        .sqs
        .send_message()
        .queue_url(queue)
        .message_body(body)
        .delay_seconds(delay)
        .send()
        .await
        .expect("send");
}

#[tokio::test]
async fn a_deep_queue_delivers_each_message_once_while_it_is_in_flight() {
    let stack = TestStack::new().await;
    let queue = stack.queue_url("ScoringQueue").to_owned();
    let sent: HashSet<String> = (0..300).map(|i| format!("message {i}")).collect();
    let all: Vec<&String> = sent.iter().collect();
    for chunk in all.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body.as_str())
                    .build()
                    .expect("id and body set")
            })
            .collect();
        stack
            .sqs
            .send_message_batch()
            .queue_url(&queue)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("send batch");
    }

    let mut received = Vec::new();
    loop {
        let batch = receive(&stack, &queue, 300).await;
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 10);
        received.extend(bodies(&batch));
    }
    let distinct: HashSet<String> = received.iter().cloned().collect();
    assert_eq!(received.len(), 300, "each message once");
    assert_eq!(distinct, sent);
    assert!(
        receive(&stack, &queue, 300).await.is_empty(),
        "every message is in flight"
    );
}

#[tokio::test]
async fn delayed_messages_wait_and_an_expired_visibility_timeout_delivers_again() {
    let stack = TestStack::new().await;
    let queue = stack.queue_url("ScoringQueue").to_owned();
    send(&stack, &queue, "delayed", 2).await;
    send(&stack, &queue, "now", 0).await;

    assert_eq!(bodies(&receive(&stack, &queue, 1).await), ["now"]);
    assert!(
        receive(&stack, &queue, 1).await.is_empty(),
        "one message delayed, the other in flight"
    );

    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let mut again = bodies(&receive(&stack, &queue, 30).await);
    again.sort();
    assert_eq!(again, ["delayed", "now"]);
}

#[tokio::test]
async fn a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue() {
    let stack = TestStack::new().await;
    let queue = stack.queue_url("FetchQueue").to_owned();
    let dead = stack.queue_url("FetchDeadLetterQueue").to_owned();
    send(&stack, &queue, "poison", 0).await;

    // template.yaml's maxReceiveCount for the fetch queue is 3.
    for attempt in 1..=3 {
        let got = receive(&stack, &queue, 1).await;
        assert_eq!(bodies(&got), ["poison"], "receive {attempt}");
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    assert!(receive(&stack, &queue, 1).await.is_empty());
    assert_eq!(bodies(&receive(&stack, &dead, 30).await), ["poison"]);
}
