//! The functions' EMF metrics, as an operator would see them in CloudWatch: every line a
//! function prints that is an EMF document is checked ([`shared::telemetry::check_document`],
//! a broken one is reported on the console) and added up per function, metric and
//! dimension values. `GET /_local/metrics` serves the totals as JSON, and the console gets
//! a compact table every minute (`JOBMON_METRICS_INTERVAL` seconds; 0 turns it off)
//! when something changed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// One metric's running totals, like CloudWatch's statistics over the whole session.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Totals {
    pub unit: String,
    pub samples: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

/// `(function, metric, "dim=value,…")` → totals.
type Key = (String, String, String);

#[derive(Default)]
struct State {
    totals: BTreeMap<Key, Totals>,
    invalid: u64,
    changed: bool,
}

#[derive(Clone, Default)]
pub struct Metrics {
    state: Arc<Mutex<State>>,
}

impl Metrics {
    /// Looks at one console line of a function; `false` if it is not an EMF document.
    pub fn observe(&self, label: &str, line: &str) -> bool {
        if !line.starts_with('{') || !line.contains("\"_aws\"") {
            return false;
        }
        let Ok(document) = serde_json::from_str::<Value>(line) else {
            return false;
        };
        let Ok(mut state) = self.state.lock() else {
            return true;
        };
        if let Err(reason) = shared::telemetry::check_document(&document) {
            state.invalid += 1;
            crate::functions::log(&format!(
                "[{label}] invalid EMF document ({reason}): CloudWatch would drop it"
            ));
            return true;
        }
        for (key, value, unit) in entries(&document) {
            let totals = state.totals.entry(key).or_insert_with(|| Totals {
                unit,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                ..Totals::default()
            });
            totals.samples += 1;
            totals.sum += value;
            totals.min = totals.min.min(value);
            totals.max = totals.max.max(value);
        }
        state.changed = true;
        true
    }

    /// The totals as `GET /_local/metrics` serves them.
    pub fn snapshot(&self) -> Value {
        let Ok(state) = self.state.lock() else {
            return Value::Null;
        };
        let metrics: Vec<Value> = state
            .totals
            .iter()
            .map(|((function, metric, dimensions), t)| {
                serde_json::json!({
                    "function": function,
                    "metric": metric,
                    "dimensions": dimensions,
                    "unit": t.unit,
                    "samples": t.samples,
                    "sum": t.sum,
                    "min": t.min,
                    "max": t.max,
                })
            })
            .collect();
        serde_json::json!({ "metrics": metrics, "invalidDocuments": state.invalid })
    }

    /// A compact table of the totals, or `None` when nothing changed since the last one.
    pub fn summary_if_changed(&self) -> Option<String> {
        let mut state = self.state.lock().ok()?;
        if !std::mem::take(&mut state.changed) {
            return None;
        }
        let mut out = String::from("metrics so far (sum / samples; ms: mean, max)");
        for ((function, metric, dimensions), t) in &state.totals {
            let figure = if t.unit == "Milliseconds" {
                format!("{:.1} ms mean, {:.1} max", t.sum / t.samples as f64, t.max)
            } else {
                format!("{} / {}", t.sum, t.samples)
            };
            let _ = write!(
                out,
                "\n  {function:<24} {metric:<22} {figure:<26} {dimensions}"
            );
        }
        Some(out)
    }

    /// Prints [`Metrics::summary_if_changed`] every `interval`.
    pub fn print_every(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let metrics = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Some(summary) = metrics.summary_if_changed() {
                    crate::functions::log(&summary);
                }
            }
        })
    }
}

/// Every metric of a valid document with its key: the function, the metric's name and the
/// values of the directive's widest dimension set (the function itself left out).
fn entries(document: &Value) -> Vec<(Key, f64, String)> {
    let function = document["function"].as_str().unwrap_or("?").to_owned();
    let mut out = Vec::new();
    for directive in document["_aws"]["CloudWatchMetrics"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let widest = directive["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .max_by_key(|set| set.len());
        let dimensions: Vec<String> = widest
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|name| *name != "function")
            .map(|name| format!("{name}={}", document[name].as_str().unwrap_or("")))
            .collect();
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let name = metric["Name"].as_str().unwrap_or_default();
            let unit = metric["Unit"].as_str().unwrap_or("None").to_owned();
            if let Some(value) = document[name].as_f64() {
                let key = (function.clone(), name.to_owned(), dimensions.join(","));
                out.push((key, value, unit));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::telemetry::MetricSet;

    fn line(set: MetricSet) -> String {
        let mut out = Vec::new();
        set.write_to(&mut out, 1).unwrap();
        String::from_utf8(out).unwrap().trim_end().to_owned()
    }

    #[test]
    fn adds_up_emf_lines_per_function_metric_and_dimensions() {
        let metrics = Metrics::default();
        for (kind, new) in [("greenhouse", 3), ("greenhouse", 2), ("rss", 7)] {
            let set = MetricSet::for_function("fetcher")
                .dimension("source_kind", kind)
                .count("PostingsNew", new)
                .metric(
                    "FetchDuration",
                    10.0 * new as f64,
                    shared::telemetry::Unit::Milliseconds,
                );
            assert!(metrics.observe("fetcher", &line(set)));
        }
        assert!(!metrics.observe("fetcher", r#"{"level":"INFO","message":"fetched"}"#));
        assert!(!metrics.observe("fetcher", "plain text"));
        let snapshot = metrics.snapshot();
        let rows = snapshot["metrics"].as_array().unwrap();
        let greenhouse = rows
            .iter()
            .find(|r| r["metric"] == "PostingsNew" && r["dimensions"] == "source_kind=greenhouse")
            .unwrap();
        assert_eq!(greenhouse["sum"], 5.0);
        assert_eq!(greenhouse["samples"], 2);
        assert_eq!(greenhouse["unit"], "Count");
        let summary = metrics.summary_if_changed().unwrap();
        assert!(summary.contains("PostingsNew") && summary.contains("source_kind=rss"));
        assert!(summary.contains("25.0 ms mean, 30.0 max"), "{summary}");
        assert_eq!(metrics.summary_if_changed(), None, "nothing new");
    }

    #[test]
    fn an_invalid_document_is_counted_not_added() {
        let metrics = Metrics::default();
        let broken = r#"{"_aws":{"Timestamp":"soon","CloudWatchMetrics":[]},"X":1}"#;
        assert!(metrics.observe("f", broken));
        assert_eq!(metrics.snapshot()["invalidDocuments"], 1);
        assert!(metrics.snapshot()["metrics"].as_array().unwrap().is_empty());
    }
}
