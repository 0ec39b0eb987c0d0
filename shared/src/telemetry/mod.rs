//! Logs and metrics.

pub mod capture;
pub mod logs;
pub mod metrics;

pub use capture::capture;
pub use logs::{correlation_id, init_logging, record_tenant, request_span};
pub use metrics::{MetricSet, Unit, check_document};
