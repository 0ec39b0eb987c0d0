//! Authentication primitives: password hashing, access tokens, opaque secrets.

pub mod password;
pub mod secret;
pub mod token;

pub use password::{PasswordError, PasswordHasher, validate_password};
pub use secret::{OpaqueSecret, hash_secret};
pub use token::{AccessClaims, NotAdmin, Principal, TokenError, TokenIssuer};
