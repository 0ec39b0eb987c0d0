//! `api-sources` wiring: configuration and the sources service, built once at init; its AWS
//! clients and the connectors' HTTP client are made by the first request that needs them.

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::KeyedCore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = KeyedCore::load(Sdk::from_environment()).await?;
    let app = api_sources::App {
        sources: jobmon_ingest::wiring::sources_service(&core)?,
        tokens: core.token_issuer(),
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_sources::handle(app, request).await)
    }))
    .await
}
