//! A rate limit a use case hit (`RateLimiter::hit` answered a wait): every enum whose use
//! case is limited carries it, and it is answered 429 with `Retry-After` in one place.
//! [`check`] is the one way a use case asks (and [`refused`] the one way a refusal is
//! made), so every refusal is counted alike.

use chrono::{DateTime, Utc};

use crate::http::ApiError;
use crate::ports::{RateLimiter, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests")]
pub struct RateLimited {
    pub retry_after_secs: u64,
}

impl From<RateLimited> for ApiError {
    fn from(e: RateLimited) -> Self {
        ApiError::RateLimited {
            retry_after_secs: e.retry_after_secs,
        }
    }
}

/// Counts one hit of `key` (at most `limit` in `window_secs`); over the limit it emits the
/// `RateLimitRefusals` metric and answers [`RateLimited`]. Generic over the use case's
/// error so a store failure stays a store failure.
pub async fn check<E>(
    limiter: &dyn RateLimiter,
    key: &str,
    limit: u32,
    window_secs: u64,
    now: DateTime<Utc>,
) -> Result<(), E>
where
    E: From<RateLimited> + From<StoreError>,
{
    match limiter.hit(key, limit, window_secs, now).await? {
        Some(retry_after_secs) => Err(refused(&limit_name(key), retry_after_secs).into()),
        None => Ok(()),
    }
}

/// A refusal by the limit `name` (`login:ip`, `fetch:tenant`, …): counted as
/// `RateLimitRefusals`, answered 429. For limits that are not a fixed window (the login
/// back-off) as for those [`check`] keeps.
pub fn refused(name: &str, retry_after_secs: u64) -> RateLimited {
    crate::telemetry::MetricSet::new()
        .dimension("limit", name)
        .count("RateLimitRefusals", 1)
        .emit();
    RateLimited { retry_after_secs }
}

/// The key's first two parts (`login:ip`) name the limit; the rest is an address, an
/// e-mail or an id, which must never become a metric dimension.
fn limit_name(key: &str) -> String {
    key.splitn(3, ':').take(2).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;
    use crate::services::PrivacyError;

    #[test]
    fn the_limit_is_named_without_the_subject() {
        assert_eq!(limit_name("login:ip:192.0.2.1"), "login:ip");
        assert_eq!(limit_name("export:tenant:T1:extra"), "export:tenant");
        assert_eq!(limit_name("single"), "single");
    }

    #[tokio::test]
    async fn the_hit_past_the_limit_is_refused_with_the_wait() {
        let store = MemoryStore::default();
        let now = Utc::now();
        for _ in 0..2 {
            check::<PrivacyError>(&store, "k:t:1", 2, 60, now)
                .await
                .unwrap();
        }
        match check::<PrivacyError>(&store, "k:t:1", 2, 60, now).await {
            Err(PrivacyError::RateLimited(e)) => assert!(e.retry_after_secs > 0),
            other => panic!("expected a refusal, got {other:?}"),
        }
        check::<PrivacyError>(&store, "k:t:2", 2, 60, now)
            .await
            .expect("another key has its own count");
    }
}
