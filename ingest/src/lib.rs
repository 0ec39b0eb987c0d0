//! Sources and ingestion, on top of the `shared` ports and the job-board connectors.
//!
//! - [`sources::SourcesService`]: the Sources API and `POST /v1/jobs/fetch`; `detect`
//!   recognises a pasted careers URL.
//! - [`dispatch::Dispatcher`]: the scheduled dispatcher (due sources → fetch queue).
//! - [`fetch::FetchService`]: one fetch task: fetch, dedup, store, quota, scoring queue.
//! - [`closing`]: closing postings a board stopped listing, reopening returning ones.
//! - [`abandoned::AbandonedFetches`]: the fetch dead-letter consumer (failure on the source).
//! - [`connector::SourceConnector`]: the job boards as the use cases see them.

pub mod abandoned;
mod admission;
pub mod closing;
pub mod connector;
pub mod detect;
pub mod dispatch;
pub mod fetch;
pub mod sources;

/// Next fetch after `failures` consecutive failures: the plan interval, doubled per
/// failure, at most a day; so a broken board is not hammered.
pub fn next_fetch_after(
    now: chrono::DateTime<chrono::Utc>,
    interval_minutes: u32,
    failures: u32,
) -> chrono::DateTime<chrono::Utc> {
    let base = i64::from(interval_minutes.max(1));
    let factor = 1i64 << failures.min(10);
    now + chrono::Duration::minutes((base * factor).min(24 * 60).max(base.min(24 * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_per_failure_up_to_a_day() {
        let now = chrono::Utc::now();
        assert_eq!(
            next_fetch_after(now, 60, 0) - now,
            chrono::Duration::minutes(60)
        );
        assert_eq!(
            next_fetch_after(now, 60, 2) - now,
            chrono::Duration::minutes(240)
        );
        assert_eq!(
            next_fetch_after(now, 60, 9) - now,
            chrono::Duration::minutes(1440)
        );
        assert_eq!(
            next_fetch_after(now, 1440, 3) - now,
            chrono::Duration::minutes(1440)
        );
    }
}

pub mod wiring {
    //! Building the ingestion services from configuration at init.

    use std::sync::Arc;

    use jobmon_connectors::{FetchSettings, Fetcher};
    use shared::adapters::{SdkClient, SqsQueue};
    use shared::config::ConfigError;
    use shared::ports::SystemClock;
    use shared::wiring::Core;

    use crate::abandoned::AbandonedFetches;
    use crate::closing;
    use crate::dispatch::Dispatcher;
    use crate::fetch::FetchService;
    use crate::sources::SourcesService;

    fn queue(core: &Core, name: &str) -> Result<Arc<SqsQueue>, ConfigError> {
        let url = core.env.require(name)?.to_owned();
        Ok(Arc::new(SqsQueue::new(
            SdkClient::lazy(&core.sdk, shared::adapters::sqs::Client::new),
            url,
        )))
    }

    /// The connectors read their base URLs and address policy from the function's
    /// environment as `Core` holds it (so tests can point them at a local board).
    fn fetcher(core: &Core) -> Result<Arc<Fetcher>, ConfigError> {
        FetchSettings::from_vars(|name| core.env.get(name).map(str::to_owned))
            .map(|settings| Arc::new(Fetcher::new(settings)))
            .map_err(|e| ConfigError::Invalid {
                name: "JOBMON_*_BASE_URL / fetch settings".into(),
                reason: e.to_string(),
            })
    }

    pub fn sources_service(core: &Core) -> Result<SourcesService, ConfigError> {
        let store = Arc::new(core.store.clone());
        Ok(SourcesService {
            sources: store.clone(),
            accounts: store.clone(),
            tenants: store.clone(),
            limiter: store,
            fetch_queue: queue(core, "JOBMON_FETCH_QUEUE_URL")?,
            fetcher: fetcher(core)?,
            plans: core.plans.clone(),
            clock: SystemClock::shared(),
        })
    }

    pub fn fetch_service(core: &Core) -> Result<FetchService, ConfigError> {
        let store = Arc::new(core.store.clone());
        let close_after_absences = closing::close_after_absences(&core.env)?;
        Ok(FetchService {
            sources: store.clone(),
            ingest: store.clone(),
            tenants: store.clone(),
            quota: store.clone(),
            admissions: store,
            scoring_queue: queue(core, "JOBMON_SCORING_QUEUE_URL")?,
            events: core.event_publisher(),
            live: core.live_notifier(),
            fetcher: fetcher(core)?,
            plans: core.plans.clone(),
            clock: SystemClock::shared(),
            close_after_absences,
        })
    }

    /// Reads sources and tenants and writes sources only: no queue, no board.
    pub fn abandoned_fetches(core: &Core) -> AbandonedFetches {
        let store = Arc::new(core.store.clone());
        AbandonedFetches {
            sources: store.clone(),
            tenants: store,
            plans: core.plans.clone(),
            clock: SystemClock::shared(),
        }
    }

    pub fn dispatcher(core: &Core) -> Result<Dispatcher, ConfigError> {
        let store = Arc::new(core.store.clone());
        Ok(Dispatcher {
            sources: store.clone(),
            tenants: store,
            fetch_queue: queue(core, "JOBMON_FETCH_QUEUE_URL")?,
            plans: core.plans.clone(),
        })
    }
}
