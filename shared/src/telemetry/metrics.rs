//! CloudWatch Embedded Metric Format: a metric is a structured log line that CloudWatch
//! Logs turns into a metric, with no API call on the request path.
//!
//! Every document has two dimension sets: `[function]` (what the alarms and the dashboard
//! read) and `[function, <the set's own dimensions>]` (the breakdown by source kind, scorer,
//! outcome, reason). Dimension values must stay few; the tenant id is a property, searchable
//! in Logs Insights but never a dimension (a metric per tenant would cost per tenant).
//!
//! CloudWatch rejects a whole document that breaks its limits, so [`MetricSet::documents`]
//! repairs instead: more than [`MAX_METRICS`] metrics are split over several documents,
//! dimensions beyond [`MAX_DIMENSIONS`] stay properties only, and a non-finite value, an
//! empty or duplicate name is dropped — each with a warning. Emitting never fails a request.

use std::io::{self, Write};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::capture;
use crate::domain::TenantId;

pub const NAMESPACE: &str = "jobmon";
/// Metrics per document (CloudWatch's limit per metric directive).
pub const MAX_METRICS: usize = 100;
/// Dimensions per dimension set (CloudWatch's limit).
pub const MAX_DIMENSIONS: usize = 30;
/// The dimension every document carries.
pub const FUNCTION: &str = "function";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Bytes,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
        }
    }
}

/// The `function` dimension: the Lambda function's name (unique per stack, so two stacks in
/// one account do not mix), else the executable's name.
pub fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::env::var("AWS_LAMBDA_FUNCTION_NAME")
            .ok()
            .filter(|n| !n.is_empty())
            .or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            })
            .unwrap_or_else(|| "unknown".to_owned())
    })
}

/// A dimension's name and value.
type Dimension = (String, String);

/// A set of metrics sharing dimensions, written as one EMF line (or more, past the limits).
#[derive(Debug, Clone)]
pub struct MetricSet {
    namespace: String,
    dimensions: Vec<Dimension>,
    metrics: Vec<(String, f64, Unit)>,
    properties: Vec<(String, Value)>,
}

impl Default for MetricSet {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricSet {
    /// A set for this process's function.
    pub fn new() -> Self {
        Self::for_function(function_name())
    }

    pub fn for_function(function: &str) -> Self {
        Self {
            namespace: NAMESPACE.to_owned(),
            dimensions: vec![(FUNCTION.to_owned(), function.to_owned())],
            metrics: Vec::new(),
            properties: Vec::new(),
        }
    }

    /// A low-cardinality breakdown (source kind, scorer, outcome, reason): never an id.
    pub fn dimension(mut self, name: &str, value: &str) -> Self {
        self.dimensions.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn metric(mut self, name: &str, value: f64, unit: Unit) -> Self {
        self.metrics.push((name.to_owned(), value, unit));
        self
    }

    pub fn count(self, name: &str, value: usize) -> Self {
        self.metric(name, value as f64, Unit::Count)
    }

    pub fn millis(self, name: &str, elapsed: Duration) -> Self {
        self.metric(name, elapsed.as_secs_f64() * 1000.0, Unit::Milliseconds)
    }

    /// A searchable property that is not a dimension.
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.push((name.to_owned(), value.into()));
        self
    }

    pub fn tenant(self, tenant: TenantId) -> Self {
        self.property("tenant_id", tenant.to_string())
    }

    /// The EMF documents for this set, repaired to CloudWatch's limits (module docs).
    pub fn documents(&self, timestamp_ms: i64) -> Vec<Value> {
        let (dimensions, overflow) = self.dimension_split();
        let metrics = self.valid_metrics(&dimensions);
        if metrics.len() > MAX_METRICS {
            tracing::warn!(
                metrics = metrics.len(),
                limit = MAX_METRICS,
                "EMF metric set split over several documents"
            );
        }
        metrics
            .chunks(MAX_METRICS)
            .map(|chunk| self.document(timestamp_ms, &dimensions, &overflow, chunk))
            .collect()
    }

    /// The dimensions written as such (the first [`MAX_DIMENSIONS`], duplicates dropped)
    /// and those past the limit, kept as properties only.
    fn dimension_split(&self) -> (Vec<&Dimension>, Vec<&Dimension>) {
        let mut seen = std::collections::BTreeSet::new();
        let mut unique: Vec<&Dimension> = self
            .dimensions
            .iter()
            .filter(|(name, _)| !name.is_empty() && seen.insert(name.as_str()))
            .collect();
        if unique.len() > MAX_DIMENSIONS {
            tracing::warn!(
                dimensions = unique.len(),
                limit = MAX_DIMENSIONS,
                "EMF dimensions beyond the limit kept as properties only"
            );
        }
        let overflow = unique.split_off(unique.len().min(MAX_DIMENSIONS));
        (unique, overflow)
    }

    fn valid_metrics(&self, dimensions: &[&Dimension]) -> Vec<&(String, f64, Unit)> {
        let mut seen = std::collections::BTreeSet::new();
        let taken = |name: &str| {
            dimensions.iter().any(|(d, _)| d == name)
                || self.properties.iter().any(|(p, _)| p == name)
                || name == "_aws"
        };
        self.metrics
            .iter()
            .filter(|(name, value, _)| {
                let ok = !name.is_empty()
                    && value.is_finite()
                    && !taken(name)
                    && seen.insert(name.as_str());
                if !ok {
                    tracing::warn!(metric = %name, value, "EMF metric dropped: empty, duplicate, clashing name or non-finite value");
                }
                ok
            })
            .collect()
    }

    fn document(
        &self,
        timestamp_ms: i64,
        dimensions: &[&Dimension],
        overflow: &[&Dimension],
        metrics: &[&(String, f64, Unit)],
    ) -> Value {
        let names: Vec<&str> = dimensions.iter().map(|(n, _)| n.as_str()).collect();
        let sets = if names.len() > 1 {
            json!([[FUNCTION], names])
        } else {
            json!([names])
        };
        let definitions: Vec<Value> = metrics
            .iter()
            .map(|(name, _, unit)| json!({ "Name": name, "Unit": unit.as_str() }))
            .collect();
        let mut root = Map::new();
        for (name, value) in dimensions.iter().chain(overflow) {
            root.insert(name.clone(), Value::from(value.clone()));
        }
        for (name, value) in &self.properties {
            root.insert(name.clone(), value.clone());
        }
        for (name, value, _) in metrics {
            root.insert(name.clone(), json!(value));
        }
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": sets,
                    "Metrics": definitions,
                }]
            }),
        );
        Value::Object(root)
    }

    pub fn write_to(&self, out: &mut impl Write, timestamp_ms: i64) -> io::Result<()> {
        for document in self.documents(timestamp_ms) {
            writeln!(out, "{document}")?;
        }
        Ok(())
    }

    /// Prints the documents to stdout, where the Lambda log agent picks them up (or to the
    /// test's capture, see [`capture`]). Carries the X-Ray trace id of the invocation.
    pub fn emit(self) {
        let set = match std::env::var(crate::adapters::xray::TRACE_ID_ENV) {
            Ok(trace) if !trace.is_empty() => self.property("xray_trace_id", trace),
            _ => self,
        };
        let now = chrono::Utc::now().timestamp_millis();
        if capture::take(&set.documents(now)) {
            return;
        }
        // A metric that cannot be written must never fail the request.
        let _ = set.write_to(&mut io::stdout().lock(), now);
    }
}

/// Why `document` is not an EMF document CloudWatch would accept, if it is not.
/// The local stack checks every line it sees with it; tests check captured lines.
pub fn check_document(document: &Value) -> Result<(), String> {
    let aws = document.get("_aws").ok_or("no _aws block")?;
    aws.get("Timestamp")
        .and_then(Value::as_i64)
        .ok_or("_aws.Timestamp is not an integer")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or("_aws.CloudWatchMetrics is not a non-empty array")?;
    for directive in directives {
        check_directive(document, directive)?;
    }
    Ok(())
}

fn check_directive(document: &Value, directive: &Value) -> Result<(), String> {
    directive
        .get("Namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("Namespace missing")?;
    let sets = directive
        .get("Dimensions")
        .and_then(Value::as_array)
        .ok_or("Dimensions is not an array")?;
    for set in sets {
        let names = set.as_array().ok_or("a dimension set is not an array")?;
        if names.len() > MAX_DIMENSIONS {
            return Err(format!("{} dimensions in one set", names.len()));
        }
        for name in names {
            let name = name.as_str().ok_or("a dimension name is not a string")?;
            if !document.get(name).is_some_and(Value::is_string) {
                return Err(format!("dimension {name} has no string value"));
            }
        }
    }
    let metrics = directive
        .get("Metrics")
        .and_then(Value::as_array)
        .ok_or("Metrics is not an array")?;
    if metrics.len() > MAX_METRICS {
        return Err(format!("{} metrics in one directive", metrics.len()));
    }
    for metric in metrics {
        let name = metric
            .get("Name")
            .and_then(Value::as_str)
            .ok_or("a metric has no Name")?;
        let unit = metric.get("Unit").and_then(Value::as_str).unwrap_or("None");
        if !["Count", "Milliseconds", "Bytes", "None"].contains(&unit) {
            return Err(format!("metric {name} has unknown unit {unit}"));
        }
        if !document
            .get(name)
            .and_then(Value::as_f64)
            .is_some_and(f64::is_finite)
        {
            return Err(format!("metric {name} has no finite numeric value"));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
