//! jobmon's library crate, linked by every function.
//!
//! - [`domain`]: plain types and rules, no AWS types.
//! - [`ports`]: narrow async traits the services are written against.
//! - [`adapters`]: DynamoDB, SQS, SSM implementations of the ports.
//! - [`http`]: the one API error type, JSON responses, pagination cursors.
//! - [`telemetry`]: JSON logs with request, tenant and correlation ids; CloudWatch EMF metrics.
//! - [`config`]: configuration read once at init.

pub mod adapters;
pub mod auth;
pub mod config;
pub mod domain;
pub mod http;
pub mod messages;
pub mod ports;
pub mod services;
pub mod sqs_batch;
pub mod telemetry;
pub mod wiring;
