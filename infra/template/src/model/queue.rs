//! `AWS::SQS::Queue`: attributes, redrive policies and the order queues are created in.

use std::collections::BTreeMap;

use super::props::Props;
use super::{QUEUE, Resource};
use crate::error::TemplateError;
use crate::expr::Expr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub fifo: bool,
    pub content_based_deduplication: Option<bool>,
    pub visibility_timeout: Option<i64>,
    pub message_retention_period: Option<i64>,
    pub delay_seconds: Option<i64>,
    pub receive_message_wait_time_seconds: Option<i64>,
    pub maximum_message_size: Option<i64>,
    pub redrive: Option<Redrive>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    /// Logical id of the dead-letter queue (from `!GetAtt X.Arn`).
    pub dead_letter_queue: String,
    pub max_receive_count: i64,
}

/// The logical id a `!GetAtt X.Arn` (or `!Ref X` where a reference is expected) names.
pub(super) fn referenced_id(e: &Expr) -> Option<&str> {
    match e {
        Expr::GetAtt { resource, .. } | Expr::Ref(resource) => Some(resource),
        _ => None,
    }
}

pub(super) fn parse_queue(
    r: &Resource,
    resources: &BTreeMap<String, Resource>,
) -> Result<QueueSpec, TemplateError> {
    let p = Props::of(&r.logical_id, &r.properties, "")?;
    let fifo = p.bool("FifoQueue")?.unwrap_or(false);
    let redrive = match p.get("RedrivePolicy") {
        None => None,
        Some(e) => {
            let rp = p.nested("RedrivePolicy", e)?;
            let target = rp.required("deadLetterTargetArn")?;
            let dead_letter_queue = match target {
                Expr::GetAtt {
                    resource,
                    attribute,
                } if attribute == "Arn" => resource.clone(),
                _ => {
                    return Err(rp.invalid(
                        "deadLetterTargetArn",
                        "must be !GetAtt <Queue>.Arn of a queue in this template",
                    ));
                }
            };
            match resources.get(&dead_letter_queue) {
                Some(q) if q.resource_type == QUEUE => {}
                _ => {
                    return Err(rp.invalid(
                        "deadLetterTargetArn",
                        format!("{dead_letter_queue} is not an AWS::SQS::Queue of this template"),
                    ));
                }
            }
            let max_receive_count = rp.int("maxReceiveCount", 1, 1000)?.ok_or_else(|| {
                TemplateError::missing(&r.logical_id, "RedrivePolicy.maxReceiveCount")
            })?;
            Some(Redrive {
                dead_letter_queue,
                max_receive_count,
            })
        }
    };
    Ok(QueueSpec {
        logical_id: r.logical_id.clone(),
        fifo,
        content_based_deduplication: p.bool("ContentBasedDeduplication")?,
        visibility_timeout: p.int("VisibilityTimeout", 0, 43_200)?,
        message_retention_period: p.int("MessageRetentionPeriod", 60, 1_209_600)?,
        delay_seconds: p.int("DelaySeconds", 0, 900)?,
        receive_message_wait_time_seconds: p.int("ReceiveMessageWaitTimeSeconds", 0, 20)?,
        maximum_message_size: p.int("MaximumMessageSize", 1024, 1_048_576)?,
        redrive,
    })
}

/// Dead-letter queues first; a redrive cycle is an error.
pub(super) fn order_queues(queues: Vec<QueueSpec>) -> Result<Vec<QueueSpec>, TemplateError> {
    let mut pending: BTreeMap<String, QueueSpec> = queues
        .into_iter()
        .map(|q| (q.logical_id.clone(), q))
        .collect();
    let mut out: Vec<QueueSpec> = Vec::new();
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|q| match &q.redrive {
                None => true,
                Some(r) => out.iter().any(|d| d.logical_id == r.dead_letter_queue),
            })
            .map(|q| q.logical_id.clone())
            .collect();
        if ready.is_empty() {
            let ids: Vec<&String> = pending.keys().collect();
            return Err(TemplateError::Structure(format!(
                "the redrive policies of queues {ids:?} form a cycle"
            )));
        }
        for id in ready {
            if let Some(q) = pending.remove(&id) {
                out.push(q);
            }
        }
    }
    Ok(out)
}
