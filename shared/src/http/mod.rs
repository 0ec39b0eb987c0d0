//! The API boundary: one error type, JSON responses, pagination cursors.

pub mod cursor;
pub mod error;
pub mod response;

pub use cursor::{CursorCodec, CursorError};
pub use error::ApiError;
pub use response::json;
