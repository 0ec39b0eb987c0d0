//! `api-tenant` wiring: configuration, the account service (tenant and members) and the
//! privacy service (export, erasure), built once at init; AWS clients on first use.

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::KeyedCore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = KeyedCore::load(Sdk::from_environment()).await?;
    let app = api_tenant::App {
        accounts: core.account_service()?,
        privacy: core.privacy_service()?,
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_tenant::handle(app, request).await)
    }))
    .await
}
