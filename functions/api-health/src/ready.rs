//! `GET /v1/health/ready`: can this deployment serve? One cheap call per dependency — the
//! table's `DescribeTable` (no read capacity spent) and each queue's `GetQueueAttributes` —
//! run concurrently, each bounded by [`PROBE_TIMEOUT`] so a hanging dependency answers
//! "timeout" inside the function's 3 s rather than the function timing out.
//!
//! The answer is cached per instance for [`Readiness::ttl`] (a few seconds): a load
//! balancer or uptime checker polling every second costs one round of calls per instance
//! and interval, not one per request. The response names failing dependencies but never
//! the SDK's error text (it would show queue URLs and account ids to anyone): that goes
//! to the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use shared::adapters::{Sdk, SdkClient};
use tokio::sync::Mutex;

pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

/// One dependency and its cheapest call.
#[async_trait]
pub trait Probe: Send + Sync {
    /// The name the answer uses (`table`, `fetchQueue`…).
    fn name(&self) -> &str;
    /// `Err` carries the detail for the log.
    async fn check(&self) -> Result<(), String>;
}

/// The state of each dependency, in probe order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<(String, Status)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
    Timeout,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Timeout => "timeout",
        }
    }
}

impl Report {
    pub fn failing(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|(_, status)| *status != Status::Ok)
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

pub struct Readiness {
    probes: Vec<Arc<dyn Probe>>,
    ttl: Duration,
    cached: Mutex<Option<(Instant, Report)>>,
}

impl Readiness {
    pub fn new(probes: Vec<Arc<dyn Probe>>, ttl: Duration) -> Self {
        Self {
            probes,
            ttl,
            cached: Mutex::new(None),
        }
    }

    /// The cached report while fresh, else a new round of probes. Concurrent requests of
    /// one instance wait for the same round (the lock is held across it).
    pub async fn report(&self) -> Report {
        let mut cached = self.cached.lock().await;
        if let Some((at, report)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return report.clone();
        }
        let report = self.probe_all().await;
        *cached = Some((Instant::now(), report.clone()));
        report
    }

    async fn probe_all(&self) -> Report {
        let rounds = self.probes.iter().map(|probe| async move {
            let status = match tokio::time::timeout(PROBE_TIMEOUT, probe.check()).await {
                Ok(Ok(())) => Status::Ok,
                Ok(Err(detail)) => {
                    tracing::warn!(dependency = probe.name(), %detail, "readiness check failed");
                    Status::Failed
                }
                Err(_) => {
                    tracing::warn!(dependency = probe.name(), "readiness check timed out");
                    Status::Timeout
                }
            };
            (probe.name().to_owned(), status)
        });
        Report {
            checks: futures_util::future::join_all(rounds).await,
        }
    }
}

/// The table: `DescribeTable`, which must say `ACTIVE` (or `UPDATING`: still serving).
pub struct TableProbe {
    pub client: SdkClient<aws_sdk_dynamodb::Client>,
    pub table: String,
}

#[async_trait]
impl Probe for TableProbe {
    fn name(&self) -> &str {
        "table"
    }

    async fn check(&self) -> Result<(), String> {
        use aws_sdk_dynamodb::types::TableStatus;
        let out = self
            .client
            .get()
            .await
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| shared::adapters::aws::describe(&e))?;
        match out.table().and_then(|t| t.table_status()) {
            Some(TableStatus::Active | TableStatus::Updating) => Ok(()),
            other => Err(format!("table status {other:?}")),
        }
    }
}

/// A queue: `GetQueueAttributes` for one attribute.
pub struct QueueProbe {
    pub name: String,
    pub client: SdkClient<aws_sdk_sqs::Client>,
    pub url: String,
}

#[async_trait]
impl Probe for QueueProbe {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> Result<(), String> {
        self.client
            .get()
            .await
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| shared::adapters::aws::describe(&e))
    }
}

/// The probes for the table and queues named by the function's environment. Their
/// clients are built by the first readiness check: liveness and the OpenAPI document
/// need none.
pub fn probes(sdk: impl Into<Sdk>, table: &str, queues: &[(&str, &str)]) -> Vec<Arc<dyn Probe>> {
    let sdk = sdk.into();
    // No SDK retries: the next poll is the retry, and a refused connection should answer
    // "failed" now rather than after the backoff.
    let retry = aws_config::retry::RetryConfig::disabled;
    let sqs = SdkClient::lazy(&sdk, move |sdk| {
        aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(sdk)
                .retry_config(retry())
                .build(),
        )
    });
    let dynamo = SdkClient::lazy(&sdk, move |sdk| {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .retry_config(retry())
                .build(),
        )
    });
    let mut probes: Vec<Arc<dyn Probe>> = vec![Arc::new(TableProbe {
        client: dynamo,
        table: table.to_owned(),
    })];
    for (name, url) in queues {
        probes.push(Arc::new(QueueProbe {
            name: (*name).to_owned(),
            client: sqs.clone(),
            url: (*url).to_owned(),
        }));
    }
    probes
}
