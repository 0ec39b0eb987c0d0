//! Use cases, written against ports only.

pub mod accounts;
pub mod analytics;
pub mod caller;
pub mod invalid;
pub mod jobs;
pub mod live;
pub mod privacy;
pub mod rate_limited;
pub mod tracking;
pub mod unverified;
pub mod views;

pub use accounts::{AccountError, AccountService, AuthLimits};
pub use caller::WrongPassword;
pub use invalid::Invalid;
pub use privacy::{PrivacyError, PrivacyService};
pub use rate_limited::RateLimited;
pub use unverified::EmailUnverified;
