//! Why a fetch failed, in words a tenant can act on (shown as the source's `lastError`).

use std::time::Duration;

/// A failed fetch. `Display` is the tenant-facing message: it names what happened and,
/// where it helps, what to check, but never internal addresses or stack details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("the source does not exist (HTTP {status}); check the board name or URL")]
    NotFound { status: u16 },
    #[error("the source sent a response that could not be read: {0}")]
    Malformed(String),
    #[error("the source's response is larger than the {limit_bytes}-byte limit")]
    TooLarge { limit_bytes: u64 },
    #[error("the source did not answer in time")]
    Timeout,
    /// The whole fetch (pages, retries, redirects) outlasted the per-source deadline.
    #[error("timed out after {secs} s: the source answered too slowly to be fetched in time")]
    DeadlineExceeded { secs: u64 },
    #[error("the source is rate limiting requests; it will be retried later")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the source had a server error (HTTP {status}); it will be retried later")]
    Upstream { status: u16 },
    #[error("the source refused the request (HTTP {status})")]
    Rejected { status: u16 },
    #[error(
        "{host} points to a private, internal or reserved network address, which sources may not use"
    )]
    Blocked { host: String },
    #[error("the source redirected too many times")]
    TooManyRedirects,
    #[error("could not connect to {host}")]
    Network { host: String },
    #[error("this source cannot be fetched: {0}")]
    Unsupported(String),
    /// jobmon's own HTTP client could not be built (e.g. no root certificates): nothing
    /// the tenant can fix, and retried, as a redeployment may mend it.
    #[error("jobmon could not set up its HTTP client: {0}")]
    ClientSetup(String),
}

impl SourceError {
    /// A short, fixed name for the kind of failure: a metric dimension, so never the text.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Malformed(_) => "malformed",
            Self::TooLarge { .. } => "too_large",
            Self::Timeout => "timeout",
            Self::DeadlineExceeded { .. } => "deadline",
            Self::RateLimited { .. } => "rate_limited",
            Self::Upstream { .. } => "upstream",
            Self::Rejected { .. } => "rejected",
            Self::Blocked { .. } => "blocked",
            Self::TooManyRedirects => "too_many_redirects",
            Self::Network { .. } => "network",
            Self::Unsupported(_) => "unsupported",
            Self::ClientSetup(_) => "client_setup",
        }
    }

    /// Whether the same fetch may succeed later without the tenant changing anything.
    /// A queue consumer retries these; the others are reported and wait for a fix.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::DeadlineExceeded { .. }
                | Self::RateLimited { .. }
                | Self::Upstream { .. }
                | Self::Network { .. }
                | Self::ClientSetup(_)
        )
    }

    /// How long the source asked us to wait, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_the_ones_that_heal_by_themselves() {
        assert!(SourceError::Timeout.is_transient());
        assert!(SourceError::DeadlineExceeded { secs: 30 }.is_transient());
        assert!(SourceError::Upstream { status: 503 }.is_transient());
        assert!(SourceError::RateLimited { retry_after: None }.is_transient());
        assert!(SourceError::Network { host: "x".into() }.is_transient());
        // A client that could not be built (first fetch of a container) is tried again.
        assert!(SourceError::ClientSetup("no roots".into()).is_transient());
        assert!(!SourceError::NotFound { status: 404 }.is_transient());
        assert!(!SourceError::Malformed("x".into()).is_transient());
        assert!(!SourceError::TooLarge { limit_bytes: 1 }.is_transient());
        assert!(!SourceError::Blocked { host: "x".into() }.is_transient());
        assert!(!SourceError::Rejected { status: 403 }.is_transient());
        assert!(!SourceError::TooManyRedirects.is_transient());
        assert!(!SourceError::Unsupported("x".into()).is_transient());
    }

    #[test]
    fn messages_are_readable() {
        assert!(
            SourceError::DeadlineExceeded { secs: 30 }
                .to_string()
                .starts_with("timed out after 30 s")
        );
        assert_eq!(
            SourceError::NotFound { status: 404 }.to_string(),
            "the source does not exist (HTTP 404); check the board name or URL"
        );
    }
}
