//! CloudWatch Embedded Metric Format: a metric is a structured log line that CloudWatch
//! Logs turns into a metric, with no API call on the request path.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "jobmon";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Bytes,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
        }
    }
}

/// A set of metrics sharing dimensions, written as one EMF line.
#[derive(Debug, Clone)]
pub struct MetricSet {
    namespace: String,
    dimensions: Vec<(String, String)>,
    metrics: Vec<(String, f64, Unit)>,
    properties: Vec<(String, Value)>,
}

impl MetricSet {
    pub fn new(function: &str) -> Self {
        Self {
            namespace: NAMESPACE.to_owned(),
            dimensions: vec![("function".to_owned(), function.to_owned())],
            metrics: Vec::new(),
            properties: Vec::new(),
        }
    }

    pub fn dimension(mut self, name: &str, value: &str) -> Self {
        self.dimensions.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn metric(mut self, name: &str, value: f64, unit: Unit) -> Self {
        self.metrics.push((name.to_owned(), value, unit));
        self
    }

    /// A searchable property that is not a dimension (e.g. `tenant_id`: a dimension per
    /// tenant would create a metric per tenant and cost accordingly).
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.push((name.to_owned(), value.into()));
        self
    }

    pub fn to_json(&self, timestamp_ms: i64) -> Value {
        let mut root = Map::new();
        let dimension_names: Vec<&str> = self.dimensions.iter().map(|(n, _)| n.as_str()).collect();
        let definitions: Vec<Value> = self
            .metrics
            .iter()
            .map(|(name, _, unit)| json!({ "Name": name, "Unit": unit.as_str() }))
            .collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [dimension_names],
                    "Metrics": definitions,
                }]
            }),
        );
        for (name, value) in &self.dimensions {
            root.insert(name.clone(), Value::from(value.clone()));
        }
        for (name, value) in &self.properties {
            root.insert(name.clone(), value.clone());
        }
        for (name, value, _) in &self.metrics {
            root.insert(name.clone(), json!(value));
        }
        Value::Object(root)
    }

    pub fn write_to(&self, out: &mut impl Write, timestamp_ms: i64) -> io::Result<()> {
        writeln!(out, "{}", self.to_json(timestamp_ms))
    }

    /// Prints the line to stdout, where the Lambda log agent picks it up.
    pub fn emit(&self) {
        let now = chrono::Utc::now().timestamp_millis();
        // A metric that cannot be written must never fail the request.
        let _ = self.write_to(&mut io::stdout().lock(), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_emf_line_with_definitions_and_values() {
        let set = MetricSet::new("worker-scoring")
            .dimension("scorer", "profile")
            .metric("JobsScored", 3.0, Unit::Count)
            .metric("ScoringLatency", 12.5, Unit::Milliseconds)
            .property("tenant_id", "01J0000000000000000000000");
        let mut out = Vec::new();
        set.write_to(&mut out, 1_700_000_000_000).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let v: Value = serde_json::from_str(&text).unwrap();
        let cw = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(cw["Namespace"], "jobmon");
        assert_eq!(cw["Dimensions"], json!([["function", "scorer"]]));
        assert_eq!(
            cw["Metrics"][1],
            json!({"Name": "ScoringLatency", "Unit": "Milliseconds"})
        );
        assert_eq!(v["function"], "worker-scoring");
        assert_eq!(v["scorer"], "profile");
        assert_eq!(v["JobsScored"], 3.0);
        assert_eq!(v["ScoringLatency"], 12.5);
        assert_eq!(v["tenant_id"], "01J0000000000000000000000");
    }
}
