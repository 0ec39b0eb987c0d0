//! Domain types and rules. Nothing in here knows about AWS.

pub mod account;
pub mod email;
pub mod fingerprint;
pub mod ids;
pub mod job;
pub mod job_status;
pub mod period;
pub mod plan;
pub mod profile;
pub mod score;
pub mod search;
pub mod source;
pub mod stage;
pub mod url;

pub use account::{Role, SubscriptionStatus, Tenant, TenantName, User};
pub use email::Email;
pub use ids::{JobId, SourceId, TenantId, UserId};
pub use job::{Job, JobCard, Salary, ScoringEntry, WorkMode};
pub use job_status::{JobStatus, TransitionError};
pub use period::Period;
pub use plan::{Plan, PlanCatalog, PlanError, PlanId};
pub use profile::{FieldError, Profile, ProfileError, RemotePreference, Seniority};
pub use score::Score;
pub use source::{
    Source, SourceKind, SourceName, SourceValidators, SourceView, StoredKind, UnknownKind,
};
pub use stage::{NoteError, NoteText, Stage, TrackingEntry, UnknownStage};
pub use url::CanonicalUrl;
