//! Narrow async traits the services are written against. Every method that touches tenant
//! data takes the tenant first; adapters scope every key by it.

pub mod queue;
pub mod store;

pub use queue::{QueueError, WorkQueue};
pub use store::{AccountStore, Conflict, JobQuery, JobStore, Page, PageRequest, StoreError};
