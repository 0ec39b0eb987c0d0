//! The SQS adapter and the template's queues against moto.

use std::collections::HashSet;

use aws_sdk_sqs::types::QueueAttributeName;
use jobmon_tests::TestStack;
use shared::adapters::SqsQueue;
use shared::ports::WorkQueue;

#[tokio::test]
async fn sends_every_message_in_batches_of_ten() {
    let stack = TestStack::new().await;
    let url = stack.queue_url("ScoringQueue").to_owned();
    let queue = SqsQueue::new(stack.sqs.clone(), &url);
    let bodies: Vec<String> = (0..23).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    queue.send_all(&bodies).await.unwrap();

    let mut received = HashSet::new();
    for _ in 0..10 {
        let out = stack
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        received.extend(messages.into_iter().filter_map(|m| m.body));
    }
    assert_eq!(received, bodies.into_iter().collect::<HashSet<_>>());
}

#[tokio::test]
async fn work_queues_have_dead_letter_queues_from_the_template() {
    let stack = TestStack::new().await;
    for (queue, dlq, max_receive) in [
        ("ScoringQueue", "ScoringDeadLetterQueue", 5),
        ("FetchQueue", "FetchDeadLetterQueue", 3),
    ] {
        let attrs = stack
            .sqs
            .get_queue_attributes()
            .queue_url(stack.queue_url(queue))
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let redrive: serde_json::Value =
            serde_json::from_str(&attrs[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert_eq!(
            redrive["deadLetterTargetArn"],
            stack.resources.queues[dlq].arn.as_str()
        );
        assert_eq!(
            redrive["maxReceiveCount"].to_string().trim_matches('"'),
            max_receive.to_string()
        );
    }
}

#[tokio::test]
async fn an_empty_send_is_a_no_op() {
    let stack = TestStack::new().await;
    let queue = SqsQueue::new(stack.sqs.clone(), stack.queue_url("FetchQueue"));
    queue.send_all(&[]).await.unwrap();
}
