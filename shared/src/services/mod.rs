//! Use cases, written against ports only.

pub mod accounts;
pub mod analytics;
pub mod invalid;
pub mod jobs;
pub mod live;
pub mod rate_limited;
pub mod tracking;
pub mod unverified;
pub mod views;

pub use accounts::{AccountError, AccountService, AuthLimits};
pub use invalid::Invalid;
pub use rate_limited::RateLimited;
pub use unverified::EmailUnverified;
