//! A function's `Events`: HTTP API routes, SQS event sources and schedules.

use std::collections::BTreeMap;
use std::time::Duration;

use super::props::Props;
use super::queue::referenced_id;
use super::{HTTP_API, QUEUE, Resource};
use crate::error::TemplateError;
use crate::expr::Expr;
use crate::schedule::ScheduleExpression;

#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub name: String,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    HttpApi(HttpApiEvent),
    Sqs(SqsEvent),
    Schedule(ScheduleEvent),
    /// Event types the local stack does not drive (S3, EventBridgeRule, ...).
    Other {
        event_type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApiEvent {
    /// `None` with `method` `None`: the catch-all `$default` route.
    pub path: Option<String>,
    /// Upper case; `ANY` matches every method.
    pub method: Option<String>,
    /// Logical id of the API (`ApiId: !Ref X`); `None` is SAM's implicit `ServerlessHttpApi`.
    pub api: Option<String>,
    pub payload_format_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsEvent {
    /// Logical id of the queue (`Queue: !GetAtt X.Arn`).
    pub queue: String,
    pub batch_size: u32,
    pub maximum_batching_window: Duration,
    pub report_batch_item_failures: bool,
    pub enabled: bool,
    pub maximum_concurrency: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEvent {
    pub expression: ScheduleExpression,
    /// The raw expression text, for logs.
    pub expression_text: String,
    pub enabled: bool,
    /// `Input`: the JSON document delivered instead of the scheduled-event envelope.
    pub input: Option<String>,
    /// `true` for `ScheduleV2` (EventBridge Scheduler), `false` for `Schedule` (a rule).
    pub scheduler: bool,
    pub timezone: Option<String>,
}

const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

pub(super) fn parse_http_event(
    p: &Props<'_>,
    resources: &BTreeMap<String, Resource>,
) -> Result<HttpApiEvent, TemplateError> {
    let path = p.string("Path")?;
    let method = p.string("Method")?.map(|m| m.to_ascii_uppercase());
    let method = match method.as_deref() {
        Some("*") => Some("ANY".to_owned()),
        _ => method,
    };
    if let Some(m) = &method
        && !HTTP_METHODS.contains(&m.as_str())
    {
        return Err(p.invalid("Method", format!("{m:?} is not an HTTP method")));
    }
    if let Some(path) = &path {
        if !path.starts_with('/') {
            return Err(p.invalid("Path", format!("{path:?} must start with /")));
        }
        check_route_path(path).map_err(|why| p.invalid("Path", why))?;
    }
    if path.is_some() != method.is_some() {
        return Err(p.invalid(
            if path.is_some() { "Method" } else { "Path" },
            "Path and Method go together (omit both for the $default route)",
        ));
    }
    let api = match p.get("ApiId") {
        None => None,
        Some(e) => match referenced_id(e) {
            Some(api)
                if resources
                    .get(api)
                    .is_some_and(|r| r.resource_type == HTTP_API) =>
            {
                Some(api.to_owned())
            }
            _ => {
                return Err(p.invalid(
                    "ApiId",
                    "must be !Ref of an AWS::Serverless::HttpApi in this template",
                ));
            }
        },
    };
    let payload_format_version = p
        .string("PayloadFormatVersion")?
        .unwrap_or_else(|| "2.0".into());
    if !matches!(payload_format_version.as_str(), "1.0" | "2.0") {
        return Err(p.invalid("PayloadFormatVersion", "must be 1.0 or 2.0"));
    }
    Ok(HttpApiEvent {
        path,
        method,
        api,
        payload_format_version,
    })
}

/// `{name}` segments must be whole segments; `{name+}` only last.
pub(super) fn check_route_path(path: &str) -> Result<(), String> {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, s) in segments.iter().enumerate() {
        let opens = s.matches('{').count();
        let closes = s.matches('}').count();
        if opens == 0 && closes == 0 {
            continue;
        }
        if opens != 1 || closes != 1 || !s.starts_with('{') || !s.ends_with('}') || s.len() < 3 {
            return Err(format!(
                "segment {s:?} of {path:?} is not a whole {{parameter}}"
            ));
        }
        if s.ends_with("+}") && i + 1 != segments.len() {
            return Err(format!("greedy {s} must be the last segment of {path:?}"));
        }
    }
    Ok(())
}

pub(super) fn parse_sqs_event(
    p: &Props<'_>,
    resources: &BTreeMap<String, Resource>,
) -> Result<SqsEvent, TemplateError> {
    let queue = match p.required("Queue")? {
        Expr::GetAtt {
            resource,
            attribute,
        } if attribute == "Arn" => resource.clone(),
        _ => {
            return Err(p.invalid(
                "Queue",
                "must be !GetAtt <Queue>.Arn of a queue in this template",
            ));
        }
    };
    let fifo = match resources.get(&queue) {
        Some(q) if q.resource_type == QUEUE => q
            .properties
            .get("FifoQueue")
            .and_then(Expr::as_bool)
            .unwrap_or(false),
        _ => {
            return Err(p.invalid(
                "Queue",
                format!("{queue} is not an AWS::SQS::Queue of this template"),
            ));
        }
    };
    let batch_size = p.int("BatchSize", 1, 10_000)?.unwrap_or(10) as u32;
    let window = p
        .int("MaximumBatchingWindowInSeconds", 0, 300)?
        .unwrap_or(0) as u64;
    // Lambda's own limits: above 10 messages a batching window is required; FIFO caps at 10.
    if batch_size > 10 && (window == 0 || fifo) {
        return Err(p.invalid(
            "BatchSize",
            format!(
                "{batch_size} needs MaximumBatchingWindowInSeconds > 0 on a standard queue (max 10 otherwise, and always 10 on FIFO)"
            ),
        ));
    }
    let mut report_batch_item_failures = false;
    for t in p.list("FunctionResponseTypes")? {
        match t.as_str() {
            Some("ReportBatchItemFailures") => report_batch_item_failures = true,
            other => {
                return Err(p.invalid(
                    "FunctionResponseTypes",
                    format!("{other:?} is not ReportBatchItemFailures"),
                ));
            }
        }
    }
    let maximum_concurrency = match p.get("ScalingConfig") {
        None => None,
        Some(s) => p
            .nested("ScalingConfig", s)?
            .int("MaximumConcurrency", 2, 1000)?
            .map(|v| v as u32),
    };
    Ok(SqsEvent {
        queue,
        batch_size,
        maximum_batching_window: Duration::from_secs(window),
        report_batch_item_failures,
        enabled: p.bool("Enabled")?.unwrap_or(true),
        maximum_concurrency,
    })
}

pub(super) fn parse_schedule_event(
    p: &Props<'_>,
    scheduler: bool,
) -> Result<ScheduleEvent, TemplateError> {
    let key = if scheduler {
        "ScheduleExpression"
    } else {
        "Schedule"
    };
    let expression_text = p.required_string(key)?;
    let expression = ScheduleExpression::parse(&expression_text).map_err(|e| p.invalid(key, e))?;
    if !scheduler && matches!(expression, ScheduleExpression::At(_)) {
        return Err(p.invalid(key, "at(...) is only valid for ScheduleV2"));
    }
    let state = match p.string("State")?.as_deref() {
        None => None,
        Some("ENABLED") => Some(true),
        Some("DISABLED") => Some(false),
        Some(other) => {
            return Err(p.invalid("State", format!("{other:?} is not ENABLED or DISABLED")));
        }
    };
    let enabled = match (p.bool("Enabled")?, state) {
        (Some(e), _) => e,
        (None, Some(s)) => s,
        (None, None) => true,
    };
    let input = p.string("Input")?;
    if let Some(i) = &input
        && serde_json::from_str::<serde_json::Value>(i).is_err()
    {
        return Err(p.invalid("Input", "must be a JSON document"));
    }
    Ok(ScheduleEvent {
        expression,
        expression_text,
        enabled,
        input,
        scheduler,
        timezone: p.string("ScheduleExpressionTimezone")?,
    })
}

/// A function's `Events`, each by its `Type`.
pub(super) fn parse_events(
    p: &Props<'_>,
    resources: &BTreeMap<String, Resource>,
) -> Result<Vec<EventSpec>, TemplateError> {
    let mut events = Vec::new();
    if let Some(ev) = p.get("Events") {
        let evp = p.nested("Events", ev)?;
        for (name, e) in evp.map {
            let one = evp.nested(name, e)?;
            let event_type = one.required_string("Type")?;
            let empty = Expr::Map(BTreeMap::new());
            let props = one.get("Properties").unwrap_or(&empty);
            let pp = one.nested("Properties", props)?;
            let kind = match event_type.as_str() {
                "HttpApi" => EventKind::HttpApi(parse_http_event(&pp, resources)?),
                "SQS" => EventKind::Sqs(parse_sqs_event(&pp, resources)?),
                "Schedule" | "ScheduleV2" => {
                    EventKind::Schedule(parse_schedule_event(&pp, event_type == "ScheduleV2")?)
                }
                "Api" | "S3" | "SNS" | "Kinesis" | "DynamoDB" | "EventBridgeRule"
                | "CloudWatchEvent" | "CloudWatchLogs" | "IoTRule" | "AlexaSkill" | "Cognito"
                | "MSK" | "MQ" | "SelfManagedKafka" | "DocumentDB" => EventKind::Other {
                    event_type: event_type.clone(),
                },
                other => {
                    return Err(one.invalid("Type", format!("{other:?} is not a SAM event type")));
                }
            };
            events.push(EventSpec {
                name: name.clone(),
                kind,
            });
        }
    }
    Ok(events)
}
