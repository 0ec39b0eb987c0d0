//! A rate limit a use case hit (`RateLimiter::hit` answered a wait): every enum whose use
//! case is limited carries it, and it is answered 429 with `Retry-After` in one place.

use crate::http::ApiError;

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
