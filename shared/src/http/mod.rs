//! The API boundary: one error type, JSON responses, pagination cursors.

pub mod cursor;
pub mod error;
pub mod handler;
pub mod request;
pub mod response;
pub mod routes;

pub use cursor::{CursorCodec, CursorError};
pub use error::ApiError;
pub use response::{empty, json};
