//! `api-notifications` wiring: configuration and the notifications service, built once at
//! init; its AWS and HTTP clients are made by the first request that needs them.

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::KeyedCore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = KeyedCore::load(Sdk::from_environment()).await?;
    let (notifications, unsubscribe) = jobmon_notify::wiring::api(&core).await?;
    let app = api_notifications::App {
        notifications,
        unsubscribe,
        tokens: core.token_issuer(),
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_notifications::handle(app, request).await)
    }))
    .await
}
