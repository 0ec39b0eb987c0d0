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

use std::collections::{BTreeMap, HashSet};
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
    /// Why the job got its score. Events published before the reason was added lack it.
    #[serde(default)]
    pub reason: String,
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
    /// When the score was given; events from before the card carried it lack it.
    #[serde(default)]
    pub scored_at: Option<chrono::DateTime<chrono::Utc>>,
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

impl SendOutcome {
    /// What the send leaves on the markers it was claimed under, and whether its message
    /// should come back: `Sent`; `Failed` (claimable again), retried when the failure may
    /// heal; or nothing: an unknown outcome stays `attempted` and is never sent again.
    pub fn settles(&self) -> (Option<Settled>, bool) {
        match self {
            SendOutcome::Sent => (Some(Settled::Sent), false),
            SendOutcome::NotDelivered { retry, .. } => (Some(Settled::Failed), *retry),
            SendOutcome::Unknown { .. } => (None, false),
        }
    }
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
    /// Members' instant e-mail; `None` where no sender is configured (no mail is sent).
    pub mail: Option<Arc<crate::email::InstantMailer>>,
}

fn marker_target(channel: &Channel) -> String {
    format!("CH#{}", channel.id)
}

/// What a send's outcome does to its markers, its channel and the queue message.
fn judge(outcome: SendOutcome) -> (Option<Settled>, ChannelResult, Disposition) {
    let (settled, retry) = outcome.settles();
    let result = match outcome {
        SendOutcome::Sent => ChannelResult::Ok,
        SendOutcome::NotDelivered { reason, retry } => ChannelResult::Failed {
            refusal: !retry,
            reason,
        },
        SendOutcome::Unknown { reason } => ChannelResult::Failed {
            reason,
            refusal: false,
        },
    };
    let disposition = if retry {
        Disposition::Retry
    } else {
        Disposition::Done
    };
    (settled, result, disposition)
}

/// The `JobScored` event in a queue message body (an EventBridge envelope), if it is one.
fn parse(body: &str) -> Option<JobScored> {
    serde_json::from_str::<EventEnvelope>(body)
        .ok()
        .filter(|e| e.detail_type == "JobScored")
        .and_then(|e| serde_json::from_value::<JobScored>(e.detail).ok())
}

/// The jobs of a batch whose messages must come back.
pub type Retry = HashSet<JobId>;

impl Deliverer {
    /// Handles one invocation's messages (`(message id, body)`) and answers the ids of
    /// those that must come back. The events of one tenant are announced together: a member
    /// gets one e-mail and a Slack or Discord channel one message for all of their matches
    /// in the batch ("3 new matches"), which the queue's batching window gathers. A body
    /// that is not a `JobScored` event is dropped with a log line: retrying it would never
    /// help. A store failure brings back every message of that tenant.
    pub async fn handle_batch(&self, messages: &[(String, String)]) -> Vec<String> {
        let mut by_tenant: BTreeMap<TenantId, Vec<(&str, JobScored)>> = BTreeMap::new();
        for (id, body) in messages {
            match parse(body) {
                Some(event) => by_tenant
                    .entry(event.tenant_id)
                    .or_default()
                    .push((id, event)),
                None => {
                    tracing::warn!(message_id = %id, "notification queue message is not a JobScored event; dropped");
                }
            }
        }
        let outcomes = join_all(by_tenant.iter().map(|(tenant, events)| async move {
            let jobs: Vec<&JobScored> = events.iter().map(|(_, e)| e).collect();
            (tenant, events, self.tenant_batch(*tenant, &jobs).await)
        }))
        .await;
        let mut retry = Vec::new();
        for (tenant, events, outcome) in outcomes {
            let back = |e: &JobScored| match &outcome {
                Ok(jobs) => jobs.contains(&e.job.id),
                Err(_) => true,
            };
            if let Err(e) = &outcome {
                tracing::warn!(%tenant, messages = events.len(), error = %e, "notification store unavailable");
            }
            retry.extend(
                events
                    .iter()
                    .filter(|(_, e)| back(e))
                    .map(|(id, _)| id.to_string()),
            );
        }
        retry
    }

    /// One message on its own: a batch of one.
    pub async fn handle(&self, body: &str) -> Result<Disposition, StoreError> {
        let Some(event) = parse(body) else {
            tracing::warn!("notification queue message is not a JobScored event; dropped");
            return Ok(Disposition::Done);
        };
        let retry = self.tenant_batch(event.tenant_id, &[&event]).await?;
        Ok(if retry.is_empty() {
            Disposition::Done
        } else {
            Disposition::Retry
        })
    }

    async fn tenant_batch(
        &self,
        tenant: TenantId,
        events: &[&JobScored],
    ) -> Result<Retry, StoreError> {
        // One match per job, its latest scoring: an event delivered twice is one
        // announcement, and of a job scored and rescored within the window (the queue keeps
        // no order) the rescore's score is the one judged against the thresholds.
        let mut latest: BTreeMap<JobId, &JobScored> = BTreeMap::new();
        for e in events {
            let newer = latest
                .get(&e.job.id)
                .is_none_or(|kept| e.job.scored_at > kept.job.scored_at);
            if newer {
                latest.insert(e.job.id, e);
            }
        }
        let matches: Vec<Match> = latest
            .values()
            .filter_map(|e| {
                let score = e.job.score?;
                Some(Match::new(tenant, &e.job, score, &e.reason, &self.app_url))
            })
            .collect();
        if matches.is_empty() {
            return Ok(Retry::new());
        }
        let channels: Vec<Channel> = self
            .channels
            .channels(tenant)
            .await?
            .into_iter()
            .filter(|c| c.enabled)
            .collect();
        // Each channel on its own: a receiver that hangs costs its channel a failure
        // (bounded by the poster's timeout), never the others.
        let mail = async {
            match &self.mail {
                Some(mailer) => mailer.jobs_scored(&matches, self.clock.now()).await,
                None => Ok(Retry::new()),
            }
        };
        let (results, mailed) = futures_util::join!(
            join_all(channels.iter().map(|c| self.channel(c, &matches))),
            mail
        );
        let mut retry = mailed?;
        for result in results {
            retry.extend(result?);
        }
        Ok(retry)
    }

    /// Announces the matches at or above the channel's minimum score in one message, best
    /// first: each is claimed for the channel, the ones won are sent, and their markers
    /// settled by the outcome.
    async fn channel(&self, channel: &Channel, matches: &[Match<'_>]) -> Result<Retry, StoreError> {
        let due: Vec<&Match> = messages::best_first(matches)
            .into_iter()
            .filter(|m| m.score >= channel.min_score)
            .collect();
        let target = marker_target(channel);
        let claimed = claim_all(self.log.as_ref(), &due, &target).await?;
        let Some(first) = claimed.first() else {
            return Ok(Retry::new());
        };
        let now = self.clock.now();
        let body = messages::batch_body(channel.kind, &claimed, now)
            .to_string()
            .into_bytes();
        let signature = signature(channel, &body, now);
        let (settled, result, disposition) =
            judge(self.poster.post(channel, body, signature).await);
        if let Some(settled) = settled {
            settle_all(self.log.as_ref(), &claimed, &target, settled).await?;
        }
        self.log.record(first.tenant, &channel.id, &result).await?;
        Ok(match disposition {
            Disposition::Retry => claimed.iter().map(|m| m.job.id).collect(),
            Disposition::Done => Retry::new(),
        })
    }
}

/// Claims `due` for `target`, one marker per job: the matches this send may announce. If
/// the store fails part-way, the markers already taken are settled `failed` (claimable
/// again) before the error is returned, so the retry announces them instead of skipping.
pub(crate) async fn claim_all<'m, 'a>(
    log: &dyn DeliveryLog,
    due: &[&'m Match<'a>],
    target: &str,
) -> Result<Vec<&'m Match<'a>>, StoreError> {
    let mut claimed = Vec::new();
    for m in due {
        match log.claim(m.tenant, m.job.id, target).await {
            Ok(true) => claimed.push(*m),
            Ok(false) => {}
            Err(e) => {
                settle_all(log, &claimed, target, Settled::Failed).await?;
                return Err(e);
            }
        }
    }
    Ok(claimed)
}

pub(crate) async fn settle_all(
    log: &dyn DeliveryLog,
    claimed: &[&Match<'_>],
    target: &str,
    settled: Settled,
) -> Result<(), StoreError> {
    for m in claimed {
        log.settle(m.tenant, m.job.id, target, settled).await?;
    }
    Ok(())
}

fn signature(channel: &Channel, body: &[u8], now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    match (channel.kind, &channel.signing_secret) {
        (ChannelKind::Webhook, Some(secret)) => Some(jobmon_scoring::sign(
            secret.as_bytes(),
            now.timestamp(),
            body,
        )),
        _ => None,
    }
}

/// The body `channel` receives for `m`, and for a webhook channel its signature.
pub fn signed_body(
    channel: &Channel,
    m: &Match<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<u8>, Option<String>) {
    let body = messages::body(channel.kind, m, now)
        .to_string()
        .into_bytes();
    let signature = signature(channel, &body, now);
    (body, signature)
}

/// The poster on the network: the connectors' SSRF guard on every connection, a bounded
/// wait, and the answer's status turned into an outcome.
pub struct HttpPoster {
    /// Built by the first send ([`jobmon_connectors::LazyClient`]): most containers of
    /// `api-notifications` never send.
    client: jobmon_connectors::LazyClient,
    policy: jobmon_connectors::AddressPolicy,
    /// The longest `Retry-After` waited out before one more try.
    max_retry_wait: Duration,
}

impl HttpPoster {
    pub fn new(policy: jobmon_connectors::AddressPolicy, timeout: Duration) -> Self {
        let client = jobmon_connectors::LazyClient::new(move || {
            jobmon_connectors::guarded_client(policy)
                .connect_timeout(timeout.min(Duration::from_secs(3)))
                .timeout(timeout)
                .user_agent(concat!(
                    "jobmon/",
                    env!("CARGO_PKG_VERSION"),
                    " (notifications)"
                ))
                .build()
        });
        Self {
            client,
            policy,
            max_retry_wait: RETRY_AFTER_WAIT_MAX,
        }
    }

    /// Waits out a `Retry-After` only up to `max` (zero: never waits).
    pub fn with_max_retry_wait(mut self, max: Duration) -> Self {
        self.max_retry_wait = max;
        self
    }
}

/// The longest `Retry-After` the worker waits out before trying once more. Channels are
/// served concurrently and the function has 60 s, of which each POST may take 5: a longer
/// wait is left to the queue, whose visibility timeout (120 s) brings the message back.
pub const RETRY_AFTER_WAIT_MAX: Duration = Duration::from_secs(8);

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
        if let Err(reason) = jobmon_connectors::check_destination(&url, self.policy) {
            return SendOutcome::NotDelivered {
                reason,
                retry: false,
            };
        }
        let client = match self.client.get().await {
            Ok(client) => client,
            Err(reason) => {
                return SendOutcome::NotDelivered {
                    reason: format!("could not set up the HTTP client: {reason}"),
                    retry: true,
                };
            }
        };
        let mut waited = false;
        loop {
            let sent = send_once(client, &url, &body, signature.as_deref()).await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => return outcome_of_error(&e),
            };
            let status = response.status().as_u16();
            let wait = (status == 429)
                .then(|| retry_after(response.headers(), chrono::Utc::now()))
                .flatten();
            match wait {
                // A 429 certainly delivered nothing, so sending again cannot duplicate.
                Some(wait) if !waited && wait <= self.max_retry_wait => {
                    tokio::time::sleep(wait).await;
                    waited = true;
                }
                Some(wait) => {
                    return SendOutcome::NotDelivered {
                        reason: format!(
                            "HTTP 429 (rate limited; Retry-After {} s)",
                            wait.as_secs()
                        ),
                        retry: true,
                    };
                }
                None => return outcome_of(status),
            }
        }
    }
}

async fn send_once(
    client: &reqwest::Client,
    url: &url::Url,
    body: &[u8],
    signature: Option<&str>,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut request = client
        .post(url.clone())
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header(jobmon_scoring::SIGNATURE_HEADER, signature);
    }
    request.send().await
}

fn outcome_of_error(e: &reqwest::Error) -> SendOutcome {
    if e.is_connect() || e.is_builder() {
        // Refused by the guard, or no connection at all: nothing was sent.
        SendOutcome::NotDelivered {
            reason: format!("could not connect: {}", root_cause(e)),
            retry: !jobmon_connectors::is_guard_refusal(e),
        }
    } else if e.is_timeout() {
        SendOutcome::Unknown {
            reason: "the receiver did not answer in time".into(),
        }
    } else {
        SendOutcome::Unknown {
            reason: format!("broken answer: {}", root_cause(e)),
        }
    }
}

/// A 429's `Retry-After` (RFC 9110 §10.2.3): seconds, or an HTTP date (a date already
/// past means now). `None` when absent or unreadable.
pub fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
            .unwrap();
        assert_eq!(retry_after(&with("3"), now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after(&with("Mon, 30 Nov 2026 10:01:30 GMT"), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(&with("Mon, 30 Nov 2026 09:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&with("soon"), now), None);
        assert_eq!(retry_after(&with("-5"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
