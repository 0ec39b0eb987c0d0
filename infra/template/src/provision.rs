//! Creates the template's tables and queues in an AWS endpoint (moto locally).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types as ddb;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::error::ProvisionError;
use crate::model::{BillingMode, KeyType, QueueSpec, TableSpec, Template, Throughput, TtlSpec};

/// Physical names/URLs of what `provision` created, keyed by logical id.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    pub tables: BTreeMap<String, String>,
    pub queues: BTreeMap<String, ProvisionedQueue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedQueue {
    pub name: String,
    pub url: String,
    pub arn: String,
}

/// How long to wait for a new table to become ACTIVE (instant in moto, seconds in AWS).
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

fn aws_err<E: std::error::Error>(
    operation: &'static str,
    logical_id: &str,
    name: &str,
    e: E,
) -> ProvisionError {
    ProvisionError::Aws {
        operation,
        logical_id: logical_id.to_owned(),
        name: name.to_owned(),
        message: DisplayErrorContext(e).to_string(),
    }
}

/// Table and queue names allow `[A-Za-z0-9_.-]`; queue names at most 80 characters with
/// `.fifo`. Checked once up front so a bad prefix is one clear error.
fn check_prefix(t: &Template, prefix: &str) -> Result<(), ProvisionError> {
    let bad = |reason: String| ProvisionError::InvalidPrefix {
        prefix: prefix.to_owned(),
        reason,
    };
    if prefix.is_empty() {
        return Err(bad("must not be empty".into()));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(bad(format!("{c:?} is not allowed (use A-Z a-z 0-9 - _)")));
    }
    for q in t.queues() {
        let name = queue_name(prefix, q);
        if name.len() > 80 {
            return Err(bad(format!(
                "queue name {name} is longer than SQS's 80 characters"
            )));
        }
    }
    Ok(())
}

pub fn table_name(prefix: &str, logical_id: &str) -> String {
    format!("{prefix}-{logical_id}")
}

pub fn queue_name(prefix: &str, q: &QueueSpec) -> String {
    if q.fifo {
        format!("{prefix}-{}.fifo", q.logical_id)
    } else {
        format!("{prefix}-{}", q.logical_id)
    }
}

/// Creates every table (keys, indexes, billing mode, then TTL) and every queue (dead-letter
/// queues first, so redrive policies can name their ARNs), named `{prefix}-{LogicalId}`.
/// Idempotent: what already exists is reused (and a queue's attributes are set again).
pub async fn provision(
    t: &Template,
    dynamo: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
) -> Result<Provisioned, ProvisionError> {
    check_prefix(t, prefix)?;
    let mut out = Provisioned::default();
    for table in t.tables() {
        let name = table_name(prefix, &table.logical_id);
        create_table(dynamo, table, &name).await?;
        out.tables.insert(table.logical_id.clone(), name);
    }
    for q in t.queues() {
        let created = create_queue(sqs, q, prefix, &out.queues).await?;
        out.queues.insert(q.logical_id.clone(), created);
    }
    Ok(out)
}

fn key_schema(keys: &[crate::model::KeyElement]) -> Result<Vec<ddb::KeySchemaElement>, String> {
    keys.iter()
        .map(|k| {
            ddb::KeySchemaElement::builder()
                .attribute_name(&k.name)
                .key_type(match k.key_type {
                    KeyType::Hash => ddb::KeyType::Hash,
                    KeyType::Range => ddb::KeyType::Range,
                })
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn throughput(t: Throughput) -> Result<ddb::ProvisionedThroughput, String> {
    ddb::ProvisionedThroughput::builder()
        .read_capacity_units(t.read)
        .write_capacity_units(t.write)
        .build()
        .map_err(|e| e.to_string())
}

fn projection(p: &crate::model::Projection) -> ddb::Projection {
    let mut b = ddb::Projection::builder()
        .projection_type(ddb::ProjectionType::from(p.projection_type.as_str()));
    for a in &p.non_key_attributes {
        b = b.non_key_attributes(a);
    }
    b.build()
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    spec: &TableSpec,
    name: &str,
) -> Result<(), ProvisionError> {
    let id = spec.logical_id.as_str();
    // The builders only fail on a missing required field, which the parser already rules out;
    // mapping instead of unwrapping keeps that invariant out of the panic path.
    let build = |e: String| ProvisionError::Aws {
        operation: "CreateTable",
        logical_id: id.to_owned(),
        name: name.to_owned(),
        message: format!("invalid request: {e}"),
    };
    let mut req = client
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(&spec.key_schema).map_err(build)?));
    for a in &spec.attributes {
        req = req.attribute_definitions(
            ddb::AttributeDefinition::builder()
                .attribute_name(&a.name)
                .attribute_type(ddb::ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(|e| build(e.to_string()))?,
        );
    }
    req = match spec.billing_mode {
        BillingMode::PayPerRequest => req.billing_mode(ddb::BillingMode::PayPerRequest),
        BillingMode::Provisioned => req.billing_mode(ddb::BillingMode::Provisioned),
    };
    if let Some(tp) = spec.throughput
        && spec.billing_mode == BillingMode::Provisioned
    {
        req = req.provisioned_throughput(throughput(tp).map_err(build)?);
    }
    for g in &spec.global_indexes {
        let mut gb = ddb::GlobalSecondaryIndex::builder()
            .index_name(&g.name)
            .set_key_schema(Some(key_schema(&g.key_schema).map_err(build)?))
            .projection(projection(&g.projection));
        if let (Some(tp), BillingMode::Provisioned) = (g.throughput, spec.billing_mode) {
            gb = gb.provisioned_throughput(throughput(tp).map_err(build)?);
        }
        req = req.global_secondary_indexes(gb.build().map_err(|e| build(e.to_string()))?);
    }
    for l in &spec.local_indexes {
        req = req.local_secondary_indexes(
            ddb::LocalSecondaryIndex::builder()
                .index_name(&l.name)
                .set_key_schema(Some(key_schema(&l.key_schema).map_err(build)?))
                .projection(projection(&l.projection))
                .build()
                .map_err(|e| build(e.to_string()))?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        // Reuse: the table exists from an earlier run (moto kept running, or a real account).
        Err(e) if e.code() == Some("ResourceInUseException") => {}
        Err(e) => return Err(aws_err("CreateTable", id, name, e)),
    }
    wait_active(client, id, name).await?;

    if let Some(ttl) = &spec.ttl {
        apply_ttl(client, ttl, id, name).await?;
    }
    Ok(())
}

/// Sets the table's TTL when it differs from the template's.
async fn apply_ttl(
    client: &aws_sdk_dynamodb::Client,
    ttl: &TtlSpec,
    id: &str,
    name: &str,
) -> Result<(), ProvisionError> {
    // As in create_table: the builder only fails on a field the parser already requires.
    let build = |e: String| ProvisionError::Aws {
        operation: "CreateTable",
        logical_id: id.to_owned(),
        name: name.to_owned(),
        message: format!("invalid request: {e}"),
    };
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| aws_err("DescribeTimeToLive", id, name, e))?;
    let desc = current.time_to_live_description();
    let enabled_now = matches!(
        desc.and_then(|d| d.time_to_live_status()),
        Some(ddb::TimeToLiveStatus::Enabled | ddb::TimeToLiveStatus::Enabling)
    );
    let same_attr = desc.and_then(|d| d.attribute_name()) == Some(ttl.attribute.as_str());
    // DynamoDB rejects re-enabling an enabled TTL, so only call it when it changes.
    if enabled_now != ttl.enabled || (ttl.enabled && !same_attr) {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                ddb::TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute)
                    .enabled(ttl.enabled)
                    .build()
                    .map_err(|e| build(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| aws_err("UpdateTimeToLive", id, name, e))?;
    }
    Ok(())
}

async fn wait_active(
    client: &aws_sdk_dynamodb::Client,
    id: &str,
    name: &str,
) -> Result<(), ProvisionError> {
    let started = std::time::Instant::now();
    loop {
        let d = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| aws_err("DescribeTable", id, name, e))?;
        let status = d.table().and_then(|t| t.table_status());
        if matches!(status, Some(ddb::TableStatus::Active) | None) {
            return Ok(());
        }
        if started.elapsed() > TABLE_ACTIVE_TIMEOUT {
            return Err(ProvisionError::TableNotActive {
                logical_id: id.to_owned(),
                seconds: TABLE_ACTIVE_TIMEOUT.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn queue_attributes(
    q: &QueueSpec,
    created: &BTreeMap<String, ProvisionedQueue>,
) -> Result<Vec<(QueueAttributeName, String)>, ProvisionError> {
    let mut attrs = Vec::new();
    let mut num = |name: QueueAttributeName, v: Option<i64>| {
        if let Some(v) = v {
            attrs.push((name, v.to_string()));
        }
    };
    num(QueueAttributeName::VisibilityTimeout, q.visibility_timeout);
    num(
        QueueAttributeName::MessageRetentionPeriod,
        q.message_retention_period,
    );
    num(QueueAttributeName::DelaySeconds, q.delay_seconds);
    num(
        QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        q.receive_message_wait_time_seconds,
    );
    num(
        QueueAttributeName::MaximumMessageSize,
        q.maximum_message_size,
    );
    if let Some(c) = q.content_based_deduplication {
        attrs.push((QueueAttributeName::ContentBasedDeduplication, c.to_string()));
    }
    if let Some(r) = &q.redrive {
        // Template order guarantees the dead-letter queue was created first.
        let dlq =
            created
                .get(&r.dead_letter_queue)
                .ok_or_else(|| ProvisionError::MissingField {
                    operation: "CreateQueue",
                    logical_id: q.logical_id.clone(),
                    field: "dead-letter queue ARN",
                })?;
        let policy = serde_json::json!({
            "deadLetterTargetArn": dlq.arn,
            "maxReceiveCount": r.max_receive_count.to_string(),
        });
        attrs.push((QueueAttributeName::RedrivePolicy, policy.to_string()));
    }
    Ok(attrs)
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    q: &QueueSpec,
    prefix: &str,
    created: &BTreeMap<String, ProvisionedQueue>,
) -> Result<ProvisionedQueue, ProvisionError> {
    let id = q.logical_id.as_str();
    let name = queue_name(prefix, q);
    let attrs = queue_attributes(q, created)?;
    let mut req = client.create_queue().queue_name(&name);
    if q.fifo {
        // FifoQueue may only be given at creation time.
        req = req.attributes(QueueAttributeName::FifoQueue, "true");
    }
    for (k, v) in &attrs {
        req = req.attributes(k.clone(), v);
    }
    let url = match req.send().await {
        Ok(out) => out.queue_url().map(str::to_owned),
        // An existing queue with other attributes: reuse it and bring its attributes in line.
        Err(e)
            if matches!(
                e.code(),
                Some(
                    "QueueAlreadyExists"
                        | "QueueNameExists"
                        | "AWS.SimpleQueueService.QueueNameExists"
                )
            ) =>
        {
            let url = client
                .get_queue_url()
                .queue_name(&name)
                .send()
                .await
                .map_err(|e| aws_err("GetQueueUrl", id, &name, e))?
                .queue_url()
                .map(str::to_owned);
            if let (Some(url), false) = (&url, attrs.is_empty()) {
                let mut set = client.set_queue_attributes().queue_url(url);
                for (k, v) in &attrs {
                    set = set.attributes(k.clone(), v);
                }
                set.send()
                    .await
                    .map_err(|e| aws_err("SetQueueAttributes", id, &name, e))?;
            }
            url
        }
        Err(e) => return Err(aws_err("CreateQueue", id, &name, e)),
    };
    let url = url.ok_or_else(|| ProvisionError::MissingField {
        operation: "CreateQueue",
        logical_id: id.to_owned(),
        field: "QueueUrl",
    })?;
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| aws_err("GetQueueAttributes", id, &name, e))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| ProvisionError::MissingField {
            operation: "GetQueueAttributes",
            logical_id: id.to_owned(),
            field: "QueueArn",
        })?;
    Ok(ProvisionedQueue { name, url, arn })
}

/// Creates the SES v2 identity of every `AWS::SES::EmailIdentity` (moto only delivers mail
/// from a known identity). `EmailIdentity` is resolved with `bindings` (usually a `!Ref` of a
/// parameter). Idempotent; returns the identities.
pub async fn provision_email_identities(
    t: &Template,
    ses: &aws_sdk_sesv2::Client,
    bindings: &crate::resolve::Bindings,
) -> Result<Vec<String>, ProvisionError> {
    let mut out = Vec::new();
    for r in t
        .resources()
        .values()
        .filter(|r| r.resource_type == "AWS::SES::EmailIdentity")
    {
        let id = r.logical_id.as_str();
        let identity = r
            .properties
            .get("EmailIdentity")
            .map(|e| t.resolve_string(e, bindings))
            .transpose()
            .map_err(|e| ProvisionError::Aws {
                operation: "CreateEmailIdentity",
                logical_id: id.to_owned(),
                name: String::new(),
                message: format!("EmailIdentity cannot be resolved: {e}"),
            })?
            .flatten()
            .ok_or_else(|| ProvisionError::MissingField {
                operation: "CreateEmailIdentity",
                logical_id: id.to_owned(),
                field: "EmailIdentity",
            })?;
        match ses
            .create_email_identity()
            .email_identity(&identity)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("AlreadyExistsException") => {}
            Err(e) => return Err(aws_err("CreateEmailIdentity", id, &identity, e)),
        }
        out.push(identity);
    }
    Ok(out)
}
