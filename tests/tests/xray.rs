//! AWS SDK calls as X-Ray subsegments (`shared::adapters::xray`), against moto: a UDP socket
//! on loopback stands in for the X-Ray daemon, and the SDK's real HTTPS client is wrapped as
//! `sdk_config()` wraps it in a function with tracing on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use shared::adapters::xray::{Daemon, TraceHeader, TracedHttpClient, default_https_client};
use tokio::net::UdpSocket;

const ROOT: &str = "1-6b0d8145-99903adec787db1e27d5351d";
const PARENT: &str = "a6e46f3b14ead945";

/// The next datagram the daemon receives: its header line and its document.
async fn next_subsegment(daemon: &UdpSocket) -> Value {
    let mut buffer = vec![0u8; 64 * 1024];
    let len = tokio::time::timeout(Duration::from_secs(10), daemon.recv(&mut buffer))
        .await
        .expect("a subsegment arrives")
        .unwrap();
    let text = std::str::from_utf8(&buffer[..len]).unwrap();
    let (header, document) = text
        .split_once('\n')
        .expect("a header line, then the document");
    assert_eq!(
        serde_json::from_str::<Value>(header).unwrap(),
        serde_json::json!({"format": "json", "version": 1})
    );
    serde_json::from_str(document).unwrap()
}

#[tokio::test]
async fn each_sdk_call_of_a_sampled_invocation_reaches_the_daemon_as_a_subsegment_of_its_segment() {
    let endpoint = jobmon_tests::aws_endpoint();
    let daemon = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let invocation: Arc<Mutex<Option<TraceHeader>>> = Arc::default();
    let current = invocation.clone();
    let client = TracedHttpClient::new(
        default_https_client(),
        Daemon::at(daemon.local_addr().unwrap()).unwrap(),
        move || current.lock().unwrap().clone(),
    );
    let config = jobmon_tests::sdk_config(&endpoint)
        .to_builder()
        .http_client(client)
        .build();
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);

    // Outside an invocation, and in one X-Ray did not sample: nothing is sent.
    dynamo.list_tables().send().await.unwrap();
    *invocation.lock().unwrap() =
        TraceHeader::parse(&format!("Root={ROOT};Parent={PARENT};Sampled=0"));
    dynamo.list_tables().send().await.unwrap();

    // A sampled invocation: one subsegment per call, under the function's segment.
    *invocation.lock().unwrap() =
        TraceHeader::parse(&format!("Root={ROOT};Parent={PARENT};Sampled=1"));
    let missing = dynamo
        .describe_table()
        .table_name("no-such-table")
        .send()
        .await;
    assert!(missing.is_err(), "moto refuses an unknown table");
    sqs.list_queues().send().await.unwrap();

    // The first datagram is the refused DescribeTable: the two earlier calls sent nothing.
    let refused = next_subsegment(&daemon).await;
    assert_eq!(refused["name"], "DynamoDB");
    assert_eq!(refused["aws"]["operation"], "DescribeTable");
    assert_eq!(refused["http"]["response"]["status"], 400);
    assert_eq!(refused["error"], true);
    assert!(refused.get("fault").is_none());

    let listed = next_subsegment(&daemon).await;
    assert_eq!(listed["name"], "SQS");
    assert_eq!(listed["aws"]["operation"], "ListQueues");
    assert_eq!(listed["http"]["response"]["status"], 200);
    assert!(listed.get("error").is_none() && listed.get("fault").is_none());

    for doc in [&refused, &listed] {
        assert_eq!(doc["trace_id"], ROOT);
        assert_eq!(doc["parent_id"], PARENT);
        assert_eq!(doc["type"], "subsegment");
        assert_eq!(doc["namespace"], "aws");
        let (start, end) = (
            doc["start_time"].as_f64().unwrap(),
            doc["end_time"].as_f64().unwrap(),
        );
        assert!(start > 1.7e9 && start <= end, "{start} .. {end}");
    }
    assert_ne!(refused["id"], listed["id"]);
    assert!(
        refused["aws"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "moto's x-amzn-RequestId is recorded: {refused}"
    );
}

#[tokio::test]
async fn a_call_that_gets_no_answer_is_a_fault_and_still_fails_as_before() {
    let daemon = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = TracedHttpClient::new(
        default_https_client(),
        Daemon::at(daemon.local_addr().unwrap()).unwrap(),
        || TraceHeader::parse(&format!("Root={ROOT};Parent={PARENT};Sampled=1")),
    );
    let config = jobmon_tests::sdk_config(&endpoint)
        .to_builder()
        .http_client(client)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let error = aws_sdk_dynamodb::Client::new(&config)
        .list_tables()
        .send()
        .await
        .expect_err("nothing listens there");
    assert!(
        matches!(error, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)),
        "{error:?}"
    );

    let doc = next_subsegment(&daemon).await;
    assert_eq!(doc["aws"]["operation"], "ListTables");
    assert_eq!(doc["fault"], true);
    assert!(doc.get("http").is_none());
    assert!(
        doc["cause"]["exceptions"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}
