//! Why a scoring call failed, and what the worker should do about it.

use std::time::Duration;

/// A failed scoring call. The variants are told apart by what the worker must do with the
/// message, not by where the failure came from: see [`ScoreError::disposition`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    /// Timeouts, connection failures, 5xx: likely to work later.
    #[error("scorer temporarily unavailable: {0}")]
    Transient(String),
    /// The provider's rate or quota limit (HTTP 429). Says nothing about the job.
    #[error("scorer rate limit reached{}", retry_after_text(*.retry_after))]
    QuotaExceeded { retry_after: Option<Duration> },
    /// The provider account cannot pay (HTTP 402, OpenAI's `insufficient_quota`). Needs an
    /// operator; says nothing about the job.
    #[error("scorer account has a billing problem: {0}")]
    Billing(String),
    /// The scorer answered, twice, with something that is not a valid score and reason.
    #[error("scorer returned invalid output: {0}")]
    InvalidOutput(String),
    /// Wrong URL, key, model or settings (HTTP 401/403/404, other 4xx): needs an operator.
    #[error("scorer is misconfigured: {0}")]
    Config(String),
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(" (retry after {} s)", d.as_secs()))
}

/// What the scoring worker does with an SQS message whose scoring failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Let the message come back after `delay`; this counts as one of its attempts.
    Retry { delay: Duration },
    /// Put the message back after `delay` (change its visibility) without counting it as
    /// an attempt: the failure is the provider's, every message would fail alike, and
    /// burning the receive count would send healthy jobs to the DLQ.
    Defer { delay: Duration },
    /// Retrying will not help: mark the job `failed` (the user can rescore it).
    Fail,
}

/// First retry delay of a transient failure; doubled each attempt.
const TRANSIENT_BASE_DELAY: Duration = Duration::from_secs(10);
/// SQS visibility can be pushed out up to 12 h; 15 min keeps a job from vanishing for long.
const TRANSIENT_MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A 429 without `Retry-After`.
const QUOTA_DEFAULT_DELAY: Duration = Duration::from_secs(60);
/// A `Retry-After` longer than this is clamped: the message must stay within SQS's 12 h
/// visibility limit, and a provider asking for more is asking for an operator anyway.
const QUOTA_MAX_DELAY: Duration = Duration::from_secs(60 * 60);
/// Billing needs a person; check back hourly rather than hammering the provider.
const BILLING_DELAY: Duration = Duration::from_secs(60 * 60);

impl ScoreError {
    /// A short, fixed name for the kind of failure: a metric dimension, so never the text.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Transient(_) => "transient",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Billing(_) => "billing",
            Self::InvalidOutput(_) => "invalid_output",
            Self::Config(_) => "config",
        }
    }

    /// `attempt` is the message's receive count, starting at 1.
    pub fn disposition(&self, attempt: u32) -> Disposition {
        match self {
            Self::Transient(_) => Disposition::Retry {
                delay: backoff(attempt),
            },
            Self::QuotaExceeded { retry_after } => Disposition::Defer {
                delay: retry_after
                    .unwrap_or(QUOTA_DEFAULT_DELAY)
                    .min(QUOTA_MAX_DELAY),
            },
            Self::Billing(_) => Disposition::Defer {
                delay: BILLING_DELAY,
            },
            Self::InvalidOutput(_) | Self::Config(_) => Disposition::Fail,
        }
    }

    /// Whether the message should be tried again at all (retried or deferred).
    pub fn is_retryable(&self) -> bool {
        !matches!(self.disposition(1), Disposition::Fail)
    }

    /// Whether a retry should count against the message's receive count.
    pub fn burns_attempt(&self) -> bool {
        matches!(self.disposition(1), Disposition::Retry { .. })
    }
}

fn backoff(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    TRANSIENT_BASE_DELAY
        .saturating_mul(1 << doublings)
        .min(TRANSIENT_MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_retry_with_growing_delay_up_to_a_cap() {
        let err = ScoreError::Transient("timeout".into());
        let delays: Vec<Duration> = (1..=9)
            .map(|attempt| match err.disposition(attempt) {
                Disposition::Retry { delay } => delay,
                other => panic!("expected a retry, got {other:?}"),
            })
            .collect();
        assert_eq!(delays[0], Duration::from_secs(10));
        assert_eq!(delays[1], Duration::from_secs(20));
        assert_eq!(delays[2], Duration::from_secs(40));
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*delays.last().unwrap(), TRANSIENT_MAX_DELAY);
        assert_eq!(
            err.disposition(u32::MAX),
            Disposition::Retry {
                delay: TRANSIENT_MAX_DELAY
            }
        );
        assert!(err.is_retryable());
        assert!(err.burns_attempt());
    }

    #[test]
    fn quota_and_billing_defer_without_burning_attempts() {
        let quota = ScoreError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            quota.disposition(3),
            Disposition::Defer {
                delay: Duration::from_secs(7)
            }
        );
        let unknown = ScoreError::QuotaExceeded { retry_after: None };
        assert_eq!(
            unknown.disposition(1),
            Disposition::Defer {
                delay: QUOTA_DEFAULT_DELAY
            }
        );
        let huge = ScoreError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(86_400)),
        };
        assert_eq!(
            huge.disposition(1),
            Disposition::Defer {
                delay: QUOTA_MAX_DELAY
            }
        );
        let billing = ScoreError::Billing("insufficient_quota".into());
        assert!(matches!(billing.disposition(1), Disposition::Defer { .. }));
        for err in [quota, unknown, billing] {
            assert!(err.is_retryable(), "{err}");
            assert!(!err.burns_attempt(), "{err}");
        }
    }

    #[test]
    fn bad_output_and_configuration_fail_the_job() {
        for err in [
            ScoreError::InvalidOutput("score 11".into()),
            ScoreError::Config("401".into()),
        ] {
            assert_eq!(err.disposition(1), Disposition::Fail);
            assert!(!err.is_retryable());
        }
    }

    #[test]
    fn messages_name_the_retry_delay() {
        let err = ScoreError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(
            err.to_string(),
            "scorer rate limit reached (retry after 30 s)"
        );
        let err = ScoreError::QuotaExceeded { retry_after: None };
        assert_eq!(err.to_string(), "scorer rate limit reached");
    }
}
