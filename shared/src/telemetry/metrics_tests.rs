use tracing_subscriber::EnvFilter;

use super::super::logs::tests::Capture as Logs;
use super::*;

/// The documents `set` produces, and the warnings logged while producing them.
fn documents_and_warnings(set: &MetricSet) -> (Vec<Value>, Vec<String>) {
    let logs = Logs::default();
    let subscriber = super::super::logs::json_subscriber(logs.clone(), EnvFilter::new("warn"));
    let documents = tracing::subscriber::with_default(subscriber, || set.documents(1));
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warnings = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["message"].to_string())
        .collect();
    (documents, warnings)
}

#[test]
fn writes_one_emf_line_with_definitions_values_and_a_function_rollup() {
    let set = MetricSet::for_function("worker-scorer")
        .dimension("scorer", "profile")
        .metric("JobsScored", 3.0, Unit::Count)
        .millis("ScoringLatency", Duration::from_micros(12_500))
        .property("tenant_id", "01J0000000000000000000000");
    let mut out = Vec::new();
    set.write_to(&mut out, 1_700_000_000_000).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    check_document(&v).unwrap();
    let cw = &v["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
    assert_eq!(cw["Namespace"], "jobmon");
    assert_eq!(
        cw["Dimensions"],
        json!([["function"], ["function", "scorer"]])
    );
    assert_eq!(
        cw["Metrics"][1],
        json!({"Name": "ScoringLatency", "Unit": "Milliseconds"})
    );
    assert_eq!(v["function"], "worker-scorer");
    assert_eq!(v["scorer"], "profile");
    assert_eq!(v["JobsScored"], 3.0);
    assert_eq!(v["ScoringLatency"], 12.5);
    assert_eq!(v["tenant_id"], "01J0000000000000000000000");
}

#[test]
fn a_set_without_own_dimensions_has_the_function_set_only() {
    let docs = MetricSet::for_function("f").count("X", 1).documents(1);
    assert_eq!(
        docs[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["function"]])
    );
}

#[test]
fn more_than_100_metrics_are_split_over_valid_documents_with_a_warning() {
    let mut set = MetricSet::for_function("f").property("tenant_id", "t");
    for i in 0..250 {
        set = set.count(&format!("M{i}"), i);
    }
    let (docs, warnings) = documents_and_warnings(&set);
    assert_eq!(docs.len(), 3);
    let per_doc: Vec<usize> = docs
        .iter()
        .map(|d| {
            check_document(d).unwrap();
            assert_eq!(d["tenant_id"], "t");
            d["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(per_doc, [100, 100, 50]);
    assert_eq!(docs[2]["M249"], 249.0);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("split"), "{warnings:?}");
}

#[test]
fn dimensions_past_30_stay_properties_with_a_warning() {
    let mut set = MetricSet::for_function("f").count("X", 1);
    for i in 0..40 {
        set = set.dimension(&format!("d{i}"), "v");
    }
    let (docs, warnings) = documents_and_warnings(&set);
    assert_eq!(docs.len(), 1);
    check_document(&docs[0]).unwrap();
    let sets = docs[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
        .as_array()
        .unwrap();
    assert_eq!(sets[1].as_array().unwrap().len(), MAX_DIMENSIONS);
    assert_eq!(docs[0]["d39"], "v", "the overflow is still searchable");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("dimensions"), "{warnings:?}");
}

#[test]
fn invalid_metrics_are_dropped_with_a_warning_and_the_rest_written() {
    let set = MetricSet::for_function("f")
        .dimension("outcome", "ok")
        .metric("Nan", f64::NAN, Unit::Count)
        .metric("Inf", f64::INFINITY, Unit::Milliseconds)
        .count("outcome", 1)
        .count("", 1)
        .count("Good", 2)
        .count("Good", 3);
    let (docs, warnings) = documents_and_warnings(&set);
    check_document(&docs[0]).unwrap();
    assert_eq!(
        docs[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"],
        json!([{"Name": "Good", "Unit": "Count"}])
    );
    assert_eq!(docs[0]["Good"], 2.0);
    assert_eq!(docs[0]["outcome"], "ok");
    assert_eq!(warnings.len(), 5);
}

#[test]
fn the_checker_refuses_what_cloudwatch_would_refuse() {
    let good = MetricSet::for_function("f")
        .dimension("k", "v")
        .count("X", 1)
        .documents(1)
        .remove(0);
    check_document(&good).unwrap();
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut d = good.clone();
        edit(&mut d);
        check_document(&d).unwrap_err()
    };
    assert!(broken(&|d| d["_aws"]["Timestamp"] = json!("now")).contains("Timestamp"));
    assert!(broken(&|d| d["X"] = json!("1")).contains("metric X"));
    assert!(broken(&|d| d["k"] = json!(3)).contains("dimension k"));
    assert!(
        broken(&|d| d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Parsecs"))
            .contains("unit")
    );
    assert!(broken(&|d| d["_aws"]["CloudWatchMetrics"] = json!([])).contains("CloudWatchMetrics"));
    assert!(broken(&|d| *d = json!({"message": "plain log"})).contains("_aws"));
}

#[test]
fn emitted_documents_are_captured_on_this_thread_only() {
    let capture = crate::telemetry::capture();
    MetricSet::for_function("f").count("Seen", 4).emit();
    let other = std::thread::spawn(|| {
        let capture = crate::telemetry::capture();
        MetricSet::for_function("f").count("Elsewhere", 1).emit();
        capture.documents().len()
    })
    .join()
    .unwrap();
    assert_eq!(other, 1);
    let docs = capture.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["Seen"], 4.0);
    drop(capture);
    assert!(crate::telemetry::capture().documents().is_empty());
}
