//! `worker-dispatcher` wiring.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let dispatcher = jobmon_ingest::wiring::dispatcher(&core)?;
    let dispatcher = &dispatcher;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        worker_dispatcher::handle(dispatcher, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
