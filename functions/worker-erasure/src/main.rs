//! `worker-erasure` wiring.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let canceller = jobmon_billing::wiring::subscription_canceller(&core).await?;
    let worker = core.erasure_worker(canceller)?;
    let worker = &worker;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker_erasure::handle(worker, event.payload).await)
    }))
    .await
}
