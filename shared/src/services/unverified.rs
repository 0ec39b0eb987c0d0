//! What only a proven address may do (invite someone, start checkout): a 403 with its own
//! code, `email_unverified`, so the dashboard can offer to resend the link.

use crate::http::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("confirm your e-mail address first: open the link we mailed you, or ask for a new one")]
pub struct EmailUnverified;

impl From<EmailUnverified> for ApiError {
    fn from(e: EmailUnverified) -> Self {
        ApiError::Refused {
            code: "email_unverified",
            message: e.to_string(),
        }
    }
}
