//! The template's non-HTTP triggers: SQS event source mappings and schedules, each a task.

use std::collections::BTreeMap;
use std::sync::Arc;

use jobmon_template::{EventKind, Provisioned, Template};

use crate::config::Config;
use crate::functions::Function;
use crate::{schedule, sqs};

/// SQS event source mappings and schedules.
pub fn start(
    template: &Template,
    by_id: &BTreeMap<String, Arc<Function>>,
    provisioned: &Provisioned,
    sqs_client: &aws_sdk_sqs::Client,
    cfg: &Config,
    account_id: &str,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for f in template.functions() {
        let func = &by_id[&f.logical_id];
        for e in &f.events {
            match &e.kind {
                EventKind::Sqs(s) if s.enabled => {
                    let q = &provisioned.queues[&s.queue];
                    let mapping = Arc::new(sqs::Mapping {
                        function: func.clone(),
                        event_name: e.name.clone(),
                        spec: s.clone(),
                        queue_url: q.url.clone(),
                        queue_arn: q.arn.clone(),
                        region: cfg.region.clone(),
                    });
                    // Lambda scales pollers with the backlog; a fixed number up to the
                    // function's instance cap (or ScalingConfig) is close enough locally.
                    let pollers = s
                        .maximum_concurrency
                        .map(|m| m as usize)
                        .unwrap_or(2)
                        .min(func.cfg.max_instances)
                        .max(1);
                    for _ in 0..pollers {
                        tasks.push(tokio::spawn(sqs::poll(sqs_client.clone(), mapping.clone())));
                    }
                }
                EventKind::Schedule(s) if s.enabled => {
                    tasks.push(tokio::spawn(schedule::run(Arc::new(schedule::Schedule {
                        function: func.clone(),
                        event_name: e.name.clone(),
                        spec: s.clone(),
                        speedup: cfg.speedup,
                        region: cfg.region.clone(),
                        account_id: account_id.to_owned(),
                    }))));
                }
                _ => {}
            }
        }
    }
    tasks
}
