//! Authentication primitives: password hashing, access tokens, signing keys with ids,
//! opaque secrets.

pub mod keys;
pub mod password;
pub mod secret;
pub mod token;

pub use keys::{KeyRing, SigningKey, SigningSecrets};
pub use password::{PasswordError, PasswordHasher, validate_password};
pub use secret::{OpaqueSecret, hash_secret};
pub use token::{AccessClaims, NotAdmin, Principal, TokenError, TokenIssuer};
