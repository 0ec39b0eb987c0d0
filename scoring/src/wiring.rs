//! Building the scoring services from configuration, once per container.

use std::sync::Arc;

use shared::adapters::{SdkClient, SqsQueue, sqs};
use shared::config::{ConfigError, ParameterSource};
use shared::domain::PlanCatalog;
use shared::ports::{
    Clock, EventPublisher, JobStore, LiveNotifier, QuotaStore, ScoringStore, SystemClock,
    TenantReader, UsageReader, WorkQueue,
};
use shared::wiring::Core;

use crate::config::{self as scorer_config, ScorerConfig, SecretSource};
use crate::pipeline::{
    ProfilePreviewer, Recorder, Rescorer, ScoringWorker, WebhookCallback, deferral,
};
use crate::profile_scorer::ProfileScorer;
use crate::webhook::WebhookVerifier;

pub const SCORING_QUEUE_URL: &str = "JOBMON_SCORING_QUEUE_URL";

fn invalid(name: &str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        reason: reason.to_string(),
    }
}

/// The store ports the recorder and the rescorer use, all served by one store: DynamoDB
/// in a function, the in-memory store in the fast tests.
pub trait ScoringPorts:
    ScoringStore + TenantReader + UsageReader + JobStore + QuotaStore + 'static
{
}

impl<T> ScoringPorts for T where
    T: ScoringStore + TenantReader + UsageReader + JobStore + QuotaStore + 'static
{
}

/// Who hears about a stored score.
pub struct Listeners {
    pub live: Arc<dyn LiveNotifier>,
    pub events: Arc<dyn EventPublisher>,
}

/// The recorder over `store`; every function and test builds it here.
pub fn recorder_over<S: ScoringPorts>(
    store: Arc<S>,
    listeners: Listeners,
    plans: PlanCatalog,
    clock: Arc<dyn Clock>,
) -> Arc<Recorder> {
    Arc::new(Recorder {
        store: store.clone(),
        tenants: store.clone(),
        usage: store,
        live: listeners.live,
        events: listeners.events,
        plans,
        clock,
        profiles: Default::default(),
    })
}

/// The rescorer over `store`, queueing on `queue`.
pub fn rescorer_over<S: ScoringPorts>(
    store: Arc<S>,
    recorder: Arc<Recorder>,
    queue: Arc<dyn WorkQueue>,
) -> Arc<Rescorer> {
    Arc::new(Rescorer {
        recorder,
        jobs: store.clone(),
        quota: store,
        queue,
    })
}

pub fn recorder(core: &Core) -> Arc<Recorder> {
    recorder_over(
        Arc::new(core.store.clone()),
        Listeners {
            live: core.live_notifier(),
            events: core.event_publisher(),
        },
        core.plans.clone(),
        SystemClock::shared(),
    )
}

pub fn rescorer(core: &Core, recorder: Arc<Recorder>) -> Result<Arc<Rescorer>, ConfigError> {
    let url = core.env.require(SCORING_QUEUE_URL)?.to_owned();
    Ok(rescorer_over(
        Arc::new(core.store.clone()),
        recorder,
        Arc::new(SqsQueue::new(
            SdkClient::lazy(&core.sdk, sqs::Client::new),
            url,
        )),
    ))
}

/// The profile preview over the function's store, scoring with the worker's currency table.
pub fn profile_previewer(core: &Core) -> Result<ProfilePreviewer, ConfigError> {
    let rates = ScorerConfig::rates_from_vars(|name| core.env.get(name).map(str::to_owned))
        .map_err(|e| invalid(scorer_config::CURRENCY_RATES, e))?;
    let store = Arc::new(core.store.clone());
    Ok(ProfilePreviewer {
        jobs: store.clone(),
        limiter: store,
        clock: SystemClock::shared(),
        scorer: ProfileScorer::with_rates(rates),
    })
}

/// Reads a secret from its variable or from the SSM parameter `<VARIABLE>_PARAMETER` names.
async fn resolve(core: &Core, source: &SecretSource) -> Result<String, ConfigError> {
    match source {
        SecretSource::Value(value) => Ok(value.clone()),
        SecretSource::Parameter { parameter, .. } => core.parameters.get(parameter).await,
    }
}

/// The worker with the scorer the operator configured (`JOBMON_SCORER`, see README).
pub async fn worker(core: &Core) -> Result<ScoringWorker, ConfigError> {
    let config = ScorerConfig::from_vars(|name| core.env.get(name).map(str::to_owned))
        .map_err(|e| invalid(scorer_config::SCORER, e))?;
    let secret = match config.secret() {
        Some(source @ SecretSource::Parameter { .. }) => Some(resolve(core, source).await?),
        _ => None,
    };
    let scorer = config
        .build(secret.as_deref())
        .map_err(|e| invalid(scorer_config::SCORER, e))?;
    let defer_limit = deferral::defer_limit(&core.env)?;
    let recorder = recorder(core);
    let rescorer = rescorer(core, recorder.clone())?;
    Ok(ScoringWorker {
        jobs: Arc::new(core.store.clone()),
        queue: rescorer.queue.clone(),
        recorder,
        rescorer,
        scorer,
        defer_limit,
    })
}

/// The callback's verifier, when a webhook secret is configured (`None`: every call is
/// refused, as no external scorer can sign).
pub async fn webhook_callback(core: &Core) -> Result<Option<WebhookCallback>, ConfigError> {
    let name = scorer_config::WEBHOOK_SECRET;
    let source = match (
        core.env.get(name).filter(|v| !v.is_empty()),
        core.env
            .get(&format!("{name}_PARAMETER"))
            .filter(|v| !v.is_empty()),
    ) {
        (Some(value), _) => SecretSource::Value(value.to_owned()),
        (None, Some(parameter)) => SecretSource::Parameter {
            variable: name,
            parameter: parameter.to_owned(),
        },
        (None, None) => return Ok(None),
    };
    let secret = resolve(core, &source).await?;
    let verifier = WebhookVerifier::new(secret.as_bytes()).map_err(|e| invalid(name, e))?;
    Ok(Some(WebhookCallback {
        recorder: recorder(core),
        verifier,
    }))
}
