//! Use cases, written against ports only.

pub mod accounts;
pub mod analytics;
pub mod jobs;
pub mod live;
pub mod views;

pub use accounts::{AccountService, AuthLimits};
