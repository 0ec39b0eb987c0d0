//! Narrow async traits the services are written against. Every method that touches tenant
//! data takes the tenant first; adapters scope every key by it.

pub mod auth;
pub mod queue;
pub mod store;

pub use auth::{
    Mail, MailError, Mailer, OneTimeToken, OneTimeTokenStore, RateLimiter, Rotation, SessionGrant,
    SessionStore, TokenPurpose,
};
pub use queue::{QueueError, WorkQueue};
pub use store::{
    AccountStore, Conflict, IngestStore, InsertReport, JobQuery, JobStore, Page, PageRequest,
    PostingKeys, SourceStore, StoreError,
};
