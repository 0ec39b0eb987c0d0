//! How long a job waits out its scorer's provider limits (HTTP 429 and 402).
//!
//! A deferral is a fresh, delayed copy of the scoring message, so it never walks the job
//! to the dead-letter queue. Two rules keep that bounded:
//! - **a cap:** once `limit` has passed since the attempt's quota was reserved, the job
//!   ends `failed` with the reason and its unit goes back; the user can rescore it later.
//!   24 h by default: a daily provider quota has reset by then, and a billing problem
//!   that lasts longer needs a person, not more retries.
//! - **jitter:** the delay is spread over its upper half, so the jobs deferred together
//!   when a provider limit starts do not all come back in the same second and hit it again.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::*;
use shared::config::{ConfigError, Env};

/// `JOBMON_SCORING_DEFER_LIMIT_HOURS`.
pub const DEFER_LIMIT_VAR: &str = "JOBMON_SCORING_DEFER_LIMIT_HOURS";
pub const DEFAULT_DEFER_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);
/// A week: SQS keeps a deferred copy for its retention period, and a job queued longer
/// than this is better failed and rescored by its owner.
const MAX_DEFER_LIMIT_HOURS: u64 = 7 * 24;

/// Reads [`DEFER_LIMIT_VAR`] (whole hours, 1 to 168); unset means [`DEFAULT_DEFER_LIMIT`].
pub fn defer_limit(env: &Env) -> Result<Duration, ConfigError> {
    let default_hours = DEFAULT_DEFER_LIMIT.as_secs() / 3600;
    let hours = env.number_in(DEFER_LIMIT_VAR, default_hours, 1..=MAX_DEFER_LIMIT_HOURS)?;
    Ok(Duration::from_secs(hours * 60 * 60))
}

/// What to do with a job whose scorer asked to wait `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deferral {
    /// Send a copy after `delay` that remembers when the attempt's quota was reserved.
    Wait { delay: Duration, task: ScoreTask },
    /// The cap is reached: fail the job with this reason.
    GiveUp { reason: String },
}

impl Deferral {
    pub fn decide(
        task: &ScoreTask,
        error: &str,
        delay: Duration,
        limit: Duration,
        now: DateTime<Utc>,
    ) -> Self {
        // A message from before `reserved_at` existed starts counting at its first deferral.
        let since = task.reserved_at.unwrap_or(now);
        let waited = (now - since).to_std().unwrap_or_default();
        if waited >= limit {
            return Self::GiveUp {
                reason: format!(
                    "{error}; gave up after {} h of waiting for the scoring provider",
                    waited.as_secs() / 3600
                ),
            };
        }
        Self::Wait {
            delay: jittered(delay.min(MAX_SEND_DELAY), task.job_id, now),
            task: ScoreTask {
                reserved_at: Some(since),
                ..task.clone()
            },
        }
    }
}

/// `delay` spread over `[delay / 2, delay]` ("equal jitter"): never longer than asked, so
/// SQS's send-delay limit holds, and never shorter than half, so a provider's
/// `Retry-After` is still mostly respected. Seeded by the job and the instant, so jobs
/// deferred together get different delays and a test can reproduce them.
fn jittered(delay: Duration, job: JobId, now: DateTime<Utc>) -> Duration {
    let mut hasher = DefaultHasher::new();
    job.hash(&mut hasher);
    now.timestamp_nanos_opt().hash(&mut hasher);
    let half = delay / 2;
    let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    let extra = hasher.finish().checked_rem(spread + 1).unwrap_or(0);
    // Whole seconds, rounded up: SQS delays are whole seconds.
    let jittered = half + Duration::from_millis(extra);
    Duration::from_secs(jittered.as_secs() + u64::from(jittered.subsec_nanos() > 0)).min(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn task(reserved_at: Option<DateTime<Utc>>) -> ScoreTask {
        ScoreTask {
            tenant_id: TenantId::new(),
            job_id: JobId::new(),
            attempt: 1,
            reserved_at,
        }
    }

    #[test]
    fn delays_are_spread_over_their_upper_half_and_differ_between_jobs() {
        let now = Utc::now();
        let asked = Duration::from_secs(60);
        let delays: Vec<Duration> = (0..200)
            .map(|_| {
                match Deferral::decide(&task(Some(now)), "429", asked, DEFAULT_DEFER_LIMIT, now) {
                    Deferral::Wait { delay, .. } => delay,
                    other => panic!("expected a wait, got {other:?}"),
                }
            })
            .collect();
        assert!(
            delays.iter().all(|d| (asked / 2..=asked).contains(d)),
            "{delays:?}"
        );
        let distinct: HashSet<_> = delays.iter().collect();
        assert!(
            distinct.len() >= 20,
            "only {} distinct delays",
            distinct.len()
        );
    }

    #[test]
    fn a_delay_past_the_queues_limit_is_cut_to_it_before_the_jitter() {
        let now = Utc::now();
        let Deferral::Wait { delay, .. } = Deferral::decide(
            &task(Some(now)),
            "402",
            Duration::from_secs(3600),
            DEFAULT_DEFER_LIMIT,
            now,
        ) else {
            panic!("expected a wait")
        };
        assert!(
            (MAX_SEND_DELAY / 2..=MAX_SEND_DELAY).contains(&delay),
            "{delay:?}"
        );
    }

    #[test]
    fn the_cap_counts_from_the_reservation_and_a_message_without_one_starts_counting() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        let limit = Duration::from_secs(24 * 3600);
        let young = task(Some(now - hour * 23));
        assert!(matches!(
            Deferral::decide(&young, "429", Duration::from_secs(60), limit, now),
            Deferral::Wait { task, .. } if task.reserved_at == young.reserved_at
        ));
        let old = task(Some(now - hour * 24));
        assert_eq!(
            Deferral::decide(&old, "scorer rate limit reached", Duration::from_secs(60), limit, now),
            Deferral::GiveUp {
                reason: "scorer rate limit reached; gave up after 24 h of waiting for the scoring provider".into()
            }
        );
        let legacy = task(None);
        assert!(matches!(
            Deferral::decide(&legacy, "429", Duration::from_secs(60), limit, now),
            Deferral::Wait { task, .. } if task.reserved_at == Some(now)
        ));
    }

    #[test]
    fn the_limit_is_whole_hours_within_a_week() {
        let set = |value| Env::from_pairs([(DEFER_LIMIT_VAR, value)]);
        assert_eq!(defer_limit(&Env::default()).unwrap(), DEFAULT_DEFER_LIMIT);
        assert_eq!(
            defer_limit(&set("6")).unwrap(),
            Duration::from_secs(6 * 3600)
        );
        for bad in ["0", "169", "-1", "1.5", "a day"] {
            let err = defer_limit(&set(bad)).unwrap_err().to_string();
            assert!(err.contains(DEFER_LIMIT_VAR), "{bad}: {err}");
        }
    }
}
