//! EventBridge rules whose targets are the template's queues, created in moto so that an
//! event a function publishes reaches its queue locally as it would in AWS (moto matches
//! the pattern and forwards to SQS targets; it only never fires scheduled rules).

use std::collections::BTreeMap;

use aws_sdk_eventbridge::error::ProvideErrorMetadata;
use aws_sdk_eventbridge::types::Target;

use crate::error::ProvisionError;
use crate::expr::Expr;
use crate::model::Template;
use crate::provision::ProvisionedQueue;

pub const EVENT_RULE: &str = "AWS::Events::Rule";

/// A rule's pattern or a target's fixed fields: literals only.
fn literal_json(e: &Expr) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match e {
        Expr::Null => Value::Null,
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Number(n) => serde_json::to_value(n).ok()?,
        Expr::String(s) => Value::String(s.clone()),
        Expr::List(items) => Value::Array(items.iter().map(literal_json).collect::<Option<_>>()?),
        Expr::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Some((k.clone(), literal_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

fn invalid(logical_id: &str, message: String) -> ProvisionError {
    ProvisionError::Aws {
        operation: "PutRule",
        logical_id: logical_id.to_owned(),
        name: String::new(),
        message,
    }
}

/// The queue a target's `Arn: !GetAtt <Queue>.Arn` names, if it is one of ours.
fn target_queue<'a>(
    target: &Expr,
    queues: &'a BTreeMap<String, ProvisionedQueue>,
) -> Option<&'a ProvisionedQueue> {
    match target.get("Arn")? {
        Expr::GetAtt {
            resource,
            attribute,
        } if attribute == "Arn" => queues.get(resource),
        _ => None,
    }
}

/// Creates every `AWS::Events::Rule` with an `EventPattern` as `{prefix}-{LogicalId}` on
/// its bus (literal `EventBusName`, else `default`), with its queue targets. Targets that
/// are not a queue of this template are left out: locally nothing else could receive them.
/// Idempotent (PutRule and PutTargets replace). Returns the rule names.
pub async fn provision_event_rules(
    t: &Template,
    events: &aws_sdk_eventbridge::Client,
    queues: &BTreeMap<String, ProvisionedQueue>,
    prefix: &str,
) -> Result<Vec<String>, ProvisionError> {
    let mut names = Vec::new();
    for r in t
        .resources()
        .values()
        .filter(|r| r.resource_type == EVENT_RULE)
    {
        let id = r.logical_id.as_str();
        let Some(pattern) = r.properties.get("EventPattern") else {
            continue; // a scheduled rule: the local stack fires schedules itself
        };
        let pattern = literal_json(pattern)
            .ok_or_else(|| invalid(id, "EventPattern must be a literal".into()))?;
        let bus = r
            .properties
            .get("EventBusName")
            .and_then(Expr::as_str)
            .unwrap_or("default")
            .to_owned();
        let name = format!("{prefix}-{id}");
        let aws = |op: &'static str, e: &dyn ProvideErrorMetadata| ProvisionError::Aws {
            operation: op,
            logical_id: id.to_owned(),
            name: name.clone(),
            message: e.message().unwrap_or("unknown error").to_owned(),
        };
        events
            .put_rule()
            .name(&name)
            .event_bus_name(&bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .map_err(|e| aws("PutRule", &e))?;
        let targets: Vec<Target> = r
            .properties
            .get("Targets")
            .and_then(Expr::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|target| {
                let queue = target_queue(target, queues)?;
                let target_id = target.get("Id").and_then(Expr::as_str)?;
                Target::builder().id(target_id).arn(&queue.arn).build().ok()
            })
            .collect();
        if !targets.is_empty() {
            events
                .put_targets()
                .rule(&name)
                .event_bus_name(&bus)
                .set_targets(Some(targets))
                .send()
                .await
                .map_err(|e| aws("PutTargets", &e))?;
        }
        names.push(name);
    }
    Ok(names)
}
