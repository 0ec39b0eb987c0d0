//! Announcing a scored job on the tenant's channels, at most once per job and channel.
//!
//! Before a send, a marker for (job, channel) is claimed with a conditional write: absent,
//! or left `failed` by a send that certainly did not arrive. The send's outcome then
//! settles it: `sent`, or `failed` (a refusal, a 5xx, a 429, a connection that never
//! opened — safe to try again, and the queue message is retried with back-off), or it is
//! left `attempted` when the outcome is unknown (a timeout, a worker that died mid-send):
//! that one is never retried, because a second send could be a duplicate. So a duplicate
//! event, a redelivered message or a rescore finds the marker and sends nothing; a rescore
//! that lifts a job over a channel's threshold for the first time finds none and sends.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use serde::Deserialize;
use shared::domain::{JobId, Score, TenantId};
use shared::ports::{Clock, StoreError};

use crate::messages::{self, Match};
use crate::settings::{Channel, ChannelKind};
use crate::store::NotificationStore;

/// Consecutive refusals (4xx other than 429) after which a channel is switched off.
pub const DISABLE_AFTER_REFUSALS: u32 = 5;

/// The `detail` of a `JobScored` event (`shared::adapters::eventbridge`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobScored {
    pub tenant_id: TenantId,
    pub job: ScoredJob,
}

/// The parts of the event's job card a notification shows (the card is the API's
/// `JobCard`; unknown fields are ignored so the event may grow).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoredJob {
    pub id: JobId,
    pub title: String,
    pub company: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub remote: bool,
    pub url: String,
    pub score: Option<Score>,
}

/// An EventBridge event as an SQS target receives it.
#[derive(Debug, Deserialize)]
pub struct EventEnvelope {
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub detail: serde_json::Value,
}

/// How one send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Certainly not delivered. `retry`: worth another try later (5xx, 429, no
    /// connection); otherwise the receiver refused it (4xx) or the guard did.
    NotDelivered {
        reason: String,
        retry: bool,
    },
    /// Maybe delivered (timeout, broken answer): never sent again.
    Unknown {
        reason: String,
    },
}

/// What a marker records once the send is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Sent,
    Failed,
}

/// A channel's delivery result, for its `lastError` and failure streak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelResult {
    Ok,
    /// `refusal`: a 4xx other than 429 — these, and only these, count towards switching
    /// the channel off.
    Failed {
        reason: String,
        refusal: bool,
    },
}

/// The markers and channel bookkeeping the deliverer needs.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Takes the right to send `job` to `target`: `false` when it was sent, or attempted
    /// with an unknown outcome, before.
    async fn claim(&self, tenant: TenantId, job: JobId, target: &str) -> Result<bool, StoreError>;
    async fn settle(
        &self,
        tenant: TenantId,
        job: JobId,
        target: &str,
        settled: Settled,
    ) -> Result<(), StoreError>;
    /// Records the result on the channel; switches it off after
    /// [`DISABLE_AFTER_REFUSALS`] consecutive refusals. A deleted channel is left deleted.
    async fn record(
        &self,
        tenant: TenantId,
        channel: &str,
        result: &ChannelResult,
    ) -> Result<(), StoreError>;
}

/// Posts a JSON body to a channel.
#[async_trait]
pub trait ChannelPoster: Send + Sync {
    async fn post(
        &self,
        channel: &Channel,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> SendOutcome;
}

/// What handling one event asks of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Done,
    /// Some channel failed in a way worth retrying: the message comes back later.
    Retry,
}

pub struct Deliverer {
    pub channels: Arc<dyn NotificationStore>,
    pub log: Arc<dyn DeliveryLog>,
    pub poster: Arc<dyn ChannelPoster>,
    pub clock: Arc<dyn Clock>,
    pub app_url: String,
}

fn marker_target(channel: &Channel) -> String {
    format!("CH#{}", channel.id)
}

impl Deliverer {
    /// Handles one queue message body (an EventBridge envelope). A body that is not a
    /// `JobScored` event is dropped with a log line: retrying it would never help.
    pub async fn handle(&self, body: &str) -> Result<Disposition, StoreError> {
        let event = serde_json::from_str::<EventEnvelope>(body)
            .ok()
            .filter(|e| e.detail_type == "JobScored")
            .and_then(|e| serde_json::from_value::<JobScored>(e.detail).ok());
        match event {
            Some(event) => self.job_scored(&event).await,
            None => {
                tracing::warn!("notification queue message is not a JobScored event; dropped");
                Ok(Disposition::Done)
            }
        }
    }

    pub async fn job_scored(&self, event: &JobScored) -> Result<Disposition, StoreError> {
        let Some(score) = event.job.score else {
            return Ok(Disposition::Done);
        };
        let tenant = event.tenant_id;
        let due: Vec<Channel> = self
            .channels
            .channels(tenant)
            .await?
            .into_iter()
            .filter(|c| c.enabled && score >= c.min_score)
            .collect();
        let matched = Match::new(tenant, &event.job, score, &self.app_url);
        // Each channel on its own: a receiver that hangs costs its channel a failure
        // (bounded by the poster's timeout), never the others.
        let results = join_all(due.iter().map(|c| self.one(c, &matched))).await;
        let mut disposition = Disposition::Done;
        for result in results {
            if result? == Disposition::Retry {
                disposition = Disposition::Retry;
            }
        }
        Ok(disposition)
    }

    async fn one(&self, channel: &Channel, m: &Match<'_>) -> Result<Disposition, StoreError> {
        let target = marker_target(channel);
        if !self.log.claim(m.tenant, m.job.id, &target).await? {
            return Ok(Disposition::Done);
        }
        let now = self.clock.now();
        let body = messages::body(channel.kind, m, now)
            .to_string()
            .into_bytes();
        let signature = match (channel.kind, &channel.signing_secret) {
            (ChannelKind::Webhook, Some(secret)) => Some(jobmon_scoring::sign(
                secret.as_bytes(),
                now.timestamp(),
                &body,
            )),
            _ => None,
        };
        let outcome = self.poster.post(channel, body, signature).await;
        let (settled, result, disposition) = match outcome {
            SendOutcome::Sent => (Some(Settled::Sent), ChannelResult::Ok, Disposition::Done),
            SendOutcome::NotDelivered { reason, retry } => (
                Some(Settled::Failed),
                ChannelResult::Failed {
                    refusal: !retry,
                    reason,
                },
                if retry {
                    Disposition::Retry
                } else {
                    Disposition::Done
                },
            ),
            SendOutcome::Unknown { reason } => (
                None,
                ChannelResult::Failed {
                    reason,
                    refusal: false,
                },
                Disposition::Done,
            ),
        };
        if let Some(settled) = settled {
            self.log
                .settle(m.tenant, m.job.id, &target, settled)
                .await?;
        }
        self.log.record(m.tenant, &channel.id, &result).await?;
        Ok(disposition)
    }
}

/// The poster on the network: the connectors' SSRF guard on every connection, a bounded
/// wait, and the answer's status turned into an outcome.
pub struct HttpPoster {
    client: reqwest::Client,
    policy: jobmon_connectors::AddressPolicy,
}

impl HttpPoster {
    pub fn new(
        policy: jobmon_connectors::AddressPolicy,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = jobmon_connectors::guarded_client(policy)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .timeout(timeout)
            .user_agent(concat!(
                "jobmon/",
                env!("CARGO_PKG_VERSION"),
                " (notifications)"
            ))
            .build()?;
        Ok(Self { client, policy })
    }
}

#[async_trait]
impl ChannelPoster for HttpPoster {
    async fn post(
        &self,
        channel: &Channel,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> SendOutcome {
        let Ok(url) = url::Url::parse(&channel.url) else {
            return SendOutcome::NotDelivered {
                reason: "the channel URL does not parse".into(),
                retry: false,
            };
        };
        let mut request = self
            .client
            .post(url.clone())
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header(jobmon_scoring::SIGNATURE_HEADER, signature);
        }
        if let Err(reason) = jobmon_connectors::check_destination(&url, self.policy) {
            return SendOutcome::NotDelivered {
                reason,
                retry: false,
            };
        }
        match request.send().await {
            Ok(response) => outcome_of(response.status().as_u16()),
            // Refused by the guard, or no connection at all: nothing was sent.
            Err(e) if e.is_connect() || e.is_builder() => SendOutcome::NotDelivered {
                reason: format!("could not connect: {}", root_cause(&e)),
                retry: !jobmon_connectors::is_guard_refusal(&e),
            },
            Err(e) if e.is_timeout() => SendOutcome::Unknown {
                reason: "the receiver did not answer in time".into(),
            },
            Err(e) => SendOutcome::Unknown {
                reason: format!("broken answer: {}", root_cause(&e)),
            },
        }
    }
}

fn outcome_of(status: u16) -> SendOutcome {
    match status {
        200..=299 => SendOutcome::Sent,
        429 => SendOutcome::NotDelivered {
            reason: "HTTP 429 (rate limited)".into(),
            retry: true,
        },
        400..=499 => SendOutcome::NotDelivered {
            reason: format!("HTTP {status}"),
            retry: false,
        },
        _ => SendOutcome::NotDelivered {
            reason: format!("HTTP {status}"),
            retry: true,
        },
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
