use std::path::PathBuf;

/// Why a template could not be read or understood. Every variant names its cause; the
/// resource variants name the logical id and the property.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template not found: {}", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read template {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot locate template.yaml: no directory from {} upwards holds a template.yaml next to a Cargo.toml with [workspace]",
        start.display()
    )]
    NotLocated { start: PathBuf },
    /// `message` is serde_yaml's, which already says where (line and column).
    #[error("invalid YAML: {message}")]
    Yaml {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// The document is YAML but not a template (no `Resources`, a section of the wrong type...).
    #[error("invalid template: {0}")]
    Structure(String),
    #[error("resource {logical_id}: missing required property {property}")]
    MissingProperty {
        logical_id: String,
        property: String,
    },
    #[error("resource {logical_id}: invalid {property}: {reason}")]
    InvalidProperty {
        logical_id: String,
        property: String,
        reason: String,
    },
    /// A `!Ref`/`!GetAtt`/`${...}` naming nothing the template declares.
    #[error(
        "{location}: {reference} refers to {target}, which is neither a resource nor a parameter of the template"
    )]
    UnknownReference {
        location: String,
        reference: String,
        target: String,
    },
}

impl TemplateError {
    pub(crate) fn invalid(
        logical_id: &str,
        property: &str,
        reason: impl Into<String>,
    ) -> TemplateError {
        TemplateError::InvalidProperty {
            logical_id: logical_id.to_owned(),
            property: property.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn missing(logical_id: &str, property: &str) -> TemplateError {
        TemplateError::MissingProperty {
            logical_id: logical_id.to_owned(),
            property: property.to_owned(),
        }
    }
}

/// Why `provision` failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// An AWS call was refused or could not be made (endpoint down, bad credentials, ...).
    /// `message` carries the SDK's whole error chain, which names the actual cause.
    #[error("{operation} for {logical_id} ({name}) failed: {message}")]
    Aws {
        operation: &'static str,
        logical_id: String,
        name: String,
        message: String,
    },
    /// The endpoint answered without a field it must return (a queue URL, an ARN...).
    #[error("{operation} for {logical_id} returned no {field}")]
    MissingField {
        operation: &'static str,
        logical_id: String,
        field: &'static str,
    },
    #[error("table {logical_id} did not become ACTIVE within {seconds} s")]
    TableNotActive { logical_id: String, seconds: u64 },
    #[error("invalid prefix {prefix:?}: {reason}")]
    InvalidPrefix { prefix: String, reason: String },
}

/// Why a template value could not be turned into a concrete value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("!Ref {0}: nothing local is bound to it")]
    UnboundRef(String),
    #[error("!GetAtt {0}.{1}: nothing local is bound to it")]
    UnboundAttribute(String, String),
    #[error("!If/!Condition {0}: no such condition in Conditions")]
    UnknownCondition(String),
    #[error("{0} is not supported locally")]
    Unsupported(String),
    #[error("{function}: {reason}")]
    Invalid {
        function: &'static str,
        reason: String,
    },
}
