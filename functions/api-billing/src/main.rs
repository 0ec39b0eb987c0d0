//! `api-billing` wiring, built once at init.

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::KeyedCore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = KeyedCore::load(Sdk::from_environment()).await?;
    let app = api_billing::App {
        billing: jobmon_billing::wiring::service(&core).await?,
        tokens: core.token_issuer(),
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_billing::handle(app, request).await)
    }))
    .await
}
