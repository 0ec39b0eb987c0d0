//! `worker-billing-monthly` wiring.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let admitter = jobmon_billing::wiring::admitter(&core)?;
    let admitter = &*admitter;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        worker_billing_monthly::handle(admitter, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
