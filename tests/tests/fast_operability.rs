//! template.yaml's operability promises (docs/operations.md), checked on the template
//! itself: cfn-lint and `sam validate` check the shapes, not that every function got its
//! log group and alarms, nor that the dashboard body is JSON naming real resources.

use std::collections::BTreeSet;

use serde_yaml::Value;
use serde_yaml::value::TaggedValue;

fn template() -> Value {
    let path = jobmon_tests::workspace_root().join("template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resources(t: &Value) -> Vec<(String, &Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect()
}

fn of_type<'a>(t: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// The text of a `!Sub` or `!Ref` tag, or a plain string.
fn tagged_text(v: &Value) -> String {
    match v {
        Value::Tagged(t) => {
            let TaggedValue { value, .. } = t.as_ref();
            value.as_str().unwrap_or_default().to_owned()
        }
        other => other.as_str().unwrap_or_default().to_owned(),
    }
}

#[test]
fn every_function_has_a_retained_log_group_and_error_and_throttle_alarms() {
    let t = template();
    let groups: BTreeSet<String> = of_type(&t, "AWS::Logs::LogGroup")
        .iter()
        .filter(|(_, g)| tagged_text(&g["Properties"]["RetentionInDays"]) == "LogRetentionDays")
        .map(|(_, g)| tagged_text(&g["Properties"]["LogGroupName"]))
        .collect();
    let alarmed: Vec<(String, String)> = of_type(&t, "AWS::CloudWatch::Alarm")
        .iter()
        .filter(|(_, a)| a["Properties"]["Namespace"] == "AWS/Lambda")
        .map(|(_, a)| {
            (
                a["Properties"]["MetricName"].as_str().unwrap().to_owned(),
                tagged_text(&a["Properties"]["Dimensions"][0]["Value"]),
            )
        })
        .collect();
    let functions = of_type(&t, "AWS::Serverless::Function");
    assert!(functions.len() >= 10);
    for (name, _) in &functions {
        assert!(
            groups.contains(&format!("/aws/lambda/${{{name}}}")),
            "{name} has no log group with LogRetentionDays"
        );
        for metric in ["Errors", "Throttles"] {
            assert!(
                alarmed.contains(&(metric.to_owned(), name.clone())),
                "{name} has no {metric} alarm"
            );
        }
    }
    assert_eq!(t["Globals"]["Function"]["Tracing"], "Active");
}

#[test]
fn every_alarm_notifies_the_topic_and_every_dead_letter_queue_is_watched() {
    let t = template();
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    for (name, alarm) in &alarms {
        let actions = alarm["Properties"]["AlarmActions"].as_sequence().unwrap();
        assert_eq!(tagged_text(&actions[0]), "AlarmTopic", "{name}");
    }
    let watched: BTreeSet<String> = alarms
        .iter()
        .filter_map(|(_, a)| a["Properties"]["Dimensions"].as_sequence())
        .filter_map(|d| d.first())
        .map(|d| tagged_text(&d["Value"]))
        .collect();
    for (queue, _) in of_type(&t, "AWS::SQS::Queue") {
        assert!(
            watched.contains(&format!("{queue}.QueueName")),
            "no alarm watches {queue}"
        );
    }
}

#[test]
fn the_dashboard_body_is_json_naming_only_real_resources() {
    let t = template();
    let dashboards = of_type(&t, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1);
    let body = tagged_text(&dashboards[0].1["Properties"]["DashboardBody"]);
    let json: serde_json::Value = serde_json::from_str(&body).expect("the body is JSON");
    assert!(json["widgets"].as_array().unwrap().len() >= 10);
    let names: BTreeSet<String> = resources(&t).into_iter().map(|(n, _)| n).collect();
    for reference in body.split("${").skip(1) {
        let name = reference.split('}').next().unwrap();
        let resource = name.split('.').next().unwrap();
        assert!(
            resource.starts_with("AWS::") || names.contains(resource),
            "the dashboard names ${{{name}}}, which the template does not declare"
        );
    }
    for metric in [
        "PostingsNew",
        "ScoringLatency",
        "ScorerCallsAvoided",
        "FetchFailures",
    ] {
        assert!(
            body.contains(metric),
            "the dashboard does not show {metric}"
        );
    }
}
