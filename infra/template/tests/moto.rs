//! `provision` against a real moto server: tables with indexes and TTL, queues with their
//! redrive policies, and idempotence. Needs `.venv/bin/moto_server` at the workspace root
//! (`make dev` or the Makefile's venv target installs it); without it the test fails, by design.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use jobmon_template::{Template, provision};

/// Kills moto when the test ends, however it ends.
struct Moto(Child);
impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn real_template() -> Template {
    Template::from_file(Template::locate().unwrap()).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The SDK's settings for a local endpoint, with moto's dummy credentials.
async fn local_aws(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await
}

/// A moto of this test's own, and the SDK's settings for it.
async fn start_moto() -> (Moto, SdkConfig) {
    let root = Template::locate().unwrap().parent().unwrap().to_owned();
    let bin = root.join(".venv/bin/moto_server");
    assert!(
        bin.is_file(),
        "{} is missing: create the venv first",
        bin.display()
    );
    let port = free_port();
    let mut command = Command::new(bin);
    command
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut moto = Moto(jobmon_child::spawn_blocking(command).unwrap());
    let listening = jobmon_child::wait_for_port_blocking(port, Duration::from_secs(30), || {
        moto.0.try_wait().ok().flatten()
    });
    assert!(listening.is_ok(), "moto did not start: {listening:?}");
    (moto, local_aws(&format!("http://127.0.0.1:{port}")).await)
}

#[tokio::test]
async fn provisions_the_real_template_idempotently() {
    let (_moto, config) = start_moto().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let t = real_template();

    let first = provision(&t, &dynamo, &sqs, "it").await.unwrap();
    let again = provision(&t, &dynamo, &sqs, "it").await.unwrap();
    assert_eq!(first.tables, again.tables);
    assert_eq!(first.queues, again.queues);

    assert_eq!(first.tables["Table"], "it-Table");
    let d = dynamo
        .describe_table()
        .table_name("it-Table")
        .send()
        .await
        .unwrap();
    let table = d.table().unwrap();
    let mut gsis: Vec<&str> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    gsis.sort();
    assert_eq!(gsis, ["GSI1", "GSI2", "GSI3", "GSI4", "GSI5", "GSI6"]);
    let ttl = dynamo
        .describe_time_to_live()
        .table_name("it-Table")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expiresAt")
    );

    let fetch = &first.queues["FetchQueue"];
    let dlq = &first.queues["FetchDeadLetterQueue"];
    assert_eq!(fetch.name, "it-FetchQueue");
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&fetch.url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    let redrive: serde_json::Value =
        serde_json::from_str(&attrs[&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy])
            .unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], dlq.arn.as_str());
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "3"
    );
    assert_eq!(
        attrs[&aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout],
        "180"
    );

    // The template's SES identity, resolved from its parameter's default.
    let ses = aws_sdk_sesv2::Client::new(&config);
    let b = jobmon_template::Bindings::new("us-east-1");
    let ids = jobmon_template::provision_email_identities(&t, &ses, &b)
        .await
        .unwrap();
    assert!(!ids.is_empty(), "the template declares an SES identity");
    let again = jobmon_template::provision_email_identities(&t, &ses, &b)
        .await
        .unwrap();
    assert_eq!(ids, again);
    for id in &ids {
        ses.get_email_identity()
            .email_identity(id)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn unreachable_endpoint_is_a_typed_aws_error() {
    // Nothing listens on a port just freed.
    let config = local_aws(&format!("http://127.0.0.1:{}", free_port())).await;
    let t = real_template();
    let e = provision(
        &t,
        &aws_sdk_dynamodb::Client::new(&config),
        &aws_sdk_sqs::Client::new(&config),
        "x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            jobmon_template::ProvisionError::Aws {
                operation: "CreateTable",
                ..
            }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn job_scored_events_reach_the_notification_queue_through_the_rule() {
    let (_moto, config) = start_moto().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let t = real_template();
    let provisioned = provision(&t, &aws_sdk_dynamodb::Client::new(&config), &sqs, "rules")
        .await
        .unwrap();
    let rules = jobmon_template::provision_event_rules(&t, &events, &provisioned.queues, "rules")
        .await
        .unwrap();
    assert!(
        rules.contains(&"rules-JobScoredRule".to_owned()),
        "{rules:?}"
    );
    let entry = |detail_type: &str| {
        aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name("default")
            .source("jobmon")
            .detail_type(detail_type)
            .detail(r#"{"tenantId":"t"}"#)
            .build()
    };
    events
        .put_events()
        .entries(entry("JobScored"))
        .entries(entry("JobsCreated"))
        .send()
        .await
        .unwrap();
    let queue = &provisioned.queues["NotificationQueue"];
    let got = sqs
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let bodies: Vec<serde_json::Value> = got
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(bodies.len(), 1, "only JobScored matches: {bodies:?}");
    assert_eq!(bodies[0]["detail-type"], "JobScored");
    assert_eq!(bodies[0]["detail"]["tenantId"], "t");
}
