//! Narrow async traits the services are written against. Every method that touches tenant
//! data takes the tenant first; adapters scope every key by it.

pub mod admission;
pub mod analytics;
pub mod auth;
pub mod billing;
pub mod clock;
pub mod live;
pub mod privacy;
pub mod queue;
pub mod store;
pub mod tracking;

pub use admission::{Admission, AdmissionStore};
pub use analytics::{AnalyticsStore, DayCounters, SourceDayCounters};
pub use auth::{
    FailureCounter, Failures, Invitation, InvitationStore, Mail, MailError, Mailer, OneTimeToken,
    OneTimeTokenStore, RateLimiter, RateWindow, Rotation, SessionGrant, SessionStore, TokenPurpose,
};
pub use billing::{
    Applied, BillingChange, BillingState, BillingStore, EventRef, PendingMarker, PendingPage,
    PendingUpgrades,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use live::{
    Connection, ConnectionStore, EventPublisher, Followup, LiveMessage, LiveNotifier, NoEvents,
    NoLiveUpdates, SocketCloser,
};
pub use privacy::{
    ErasedPage, ErasureTarget, RawItem, RawPage, SubscriptionCanceller, TenantArchive, TenantEraser,
};
pub use queue::{MAX_SEND_DELAY, MAX_VISIBILITY_DELAY, QueueError, WorkQueue};
pub use store::{
    AccountStore, Conflict, IngestStore, InsertReport, JobQuery, JobSort, JobStore, KnownCheck,
    KnownPostings, LIST_READ_BUDGET, Page, PageRequest, PostingKeys, QuotaStore, Recorded,
    ReplayMarker, ScoringStore, SourceStore, StoreError, TenantReader, UsageReader,
    VersionedProfile,
};
pub use tracking::{MAX_NOTES, MAX_TRACKING_ENTRIES, NoteAdded, TrackingStore};
