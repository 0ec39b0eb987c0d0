//! `worker-scorer` wiring: the configured scorer and the scoring pipeline, built at init.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let worker = jobmon_scoring::wiring::worker(&core).await?;
    let worker = &worker;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker_scorer::handle(worker, event.payload).await)
    }))
    .await
}
