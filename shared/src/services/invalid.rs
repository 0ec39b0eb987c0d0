//! A request field a use case refuses, by name. Every use-case error enum carries it as
//! one variant, so "which field, what is wrong" is decided once and answered the same way
//! everywhere: 400 `validation_failed`, the field named in the message and in `details`.

use crate::http::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, problem: impl std::fmt::Display) -> Self {
        Self {
            field: field.into(),
            problem: problem.to_string(),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::validation(&e.field, e.problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_400_naming_the_field() {
        let e = ApiError::from(Invalid::new("q", "must be at most 200 characters"));
        assert_eq!(e.status().as_u16(), 400);
        assert_eq!(e.code(), "validation_failed");
        assert_eq!(e.to_string(), "q: must be at most 200 characters");
        let ApiError::Validation { details, .. } = e else {
            panic!("a validation error");
        };
        assert_eq!(
            details,
            Some(serde_json::json!({ "q": "must be at most 200 characters" }))
        );
    }
}
