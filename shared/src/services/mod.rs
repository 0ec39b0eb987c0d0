//! Use cases, written against ports only.

pub mod accounts;
pub mod views;

pub use accounts::{AccountService, AuthLimits};
