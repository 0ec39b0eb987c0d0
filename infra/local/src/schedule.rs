//! Schedules from `Schedule` (EventBridge rule) and `ScheduleV2` (EventBridge Scheduler)
//! events. A speed-up factor runs a virtual clock faster than real time, so that
//! `rate(1 hour)` can fire every few seconds in a demo or a test; cron expressions are
//! evaluated against that virtual clock.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use jobmon_template::ScheduleEvent;
use serde_json::json;

use crate::functions::{Function, log};
use crate::ids;

pub struct Schedule {
    pub function: Arc<Function>,
    pub event_name: String,
    pub spec: ScheduleEvent,
    pub speedup: f64,
    pub region: String,
    pub account_id: String,
}

/// Virtual time: `origin + (now - origin) * speedup`.
fn virtual_now(origin: DateTime<Utc>, speedup: f64) -> DateTime<Utc> {
    let real = (Utc::now() - origin).num_milliseconds() as f64;
    origin + chrono::Duration::milliseconds((real * speedup) as i64)
}

/// Fires until the task is aborted. Invocations are asynchronous, as EventBridge's are:
/// a slow function does not delay the next firing.
pub async fn run(s: Arc<Schedule>) {
    let origin = Utc::now();
    let label = format!("{} ({})", s.function.cfg.logical_id, s.event_name);
    let mut last_fired = origin;
    loop {
        let now_v = virtual_now(origin, s.speedup);
        // Strictly after the last firing too: rounding of the sleep must not fire one twice.
        let Some(next) = s.spec.expression.next_after(origin, now_v.max(last_fired)) else {
            log(&format!(
                "schedule {label}: {} has no further firing",
                s.spec.expression_text
            ));
            return;
        };
        let wait_ms = ((next - now_v).num_milliseconds().max(0) as f64 / s.speedup) as u64;
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        last_fired = next;
        let payload = match &s.spec.input {
            Some(input) => input.clone(),
            None => scheduled_event(&s, next).to_string(),
        };
        let f = s.function.clone();
        let label = label.clone();
        tokio::spawn(async move {
            if let Err(e) = f.invoke(Bytes::from(payload)).await {
                log(&format!("schedule {label}: {e}"));
            }
        });
    }
}

/// The envelope EventBridge delivers for a scheduled rule (and, locally, for a ScheduleV2
/// without `Input`).
fn scheduled_event(s: &Schedule, at: DateTime<Utc>) -> serde_json::Value {
    let rule = format!(
        "jobmon-local-{}-{}",
        s.function.cfg.logical_id, s.event_name
    );
    json!({
        "version": "0",
        "id": ids::request_id(),
        "detail-type": "Scheduled Event",
        "source": if s.spec.scheduler { "aws.scheduler" } else { "aws.events" },
        "account": s.account_id,
        "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": s.region,
        "resources": [format!("arn:aws:events:{}:{}:rule/{rule}", s.region, s.account_id)],
        "detail": {},
    })
}
