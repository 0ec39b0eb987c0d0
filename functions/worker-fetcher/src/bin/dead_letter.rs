//! `worker-fetch-dlq` wiring: the fetch dead-letter queue's consumer records the failure on
//! the source. It never fetches a board.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let service = jobmon_ingest::wiring::abandoned_fetches(&core);
    let service = &service;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker_fetcher::handle_dead_letters(service, event.payload).await)
    }))
    .await
}
