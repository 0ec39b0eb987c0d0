//! `api-analytics` wiring, built once at init.

use std::sync::Arc;

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::services::analytics::AnalyticsService;
use shared::wiring::KeyedCore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = KeyedCore::load(Sdk::from_environment()).await?;
    let store = Arc::new(core.store.clone());
    let app = api_analytics::App {
        analytics: AnalyticsService {
            counters: store.clone(),
            sources: store,
            clock: shared::ports::SystemClock::shared(),
        },
        tokens: core.token_issuer(),
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_analytics::handle(app, request).await)
    }))
    .await
}
