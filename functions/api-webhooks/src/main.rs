//! `api-webhooks` wiring: the webhook secret (variable or SSM parameter) and the recorder.

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let app = api_webhooks::App {
        callback: jobmon_scoring::wiring::webhook_callback(&core).await?,
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_webhooks::handle(app, request).await)
    }))
    .await
}
