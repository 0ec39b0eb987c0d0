//! `worker-scoring-dlq` wiring: the scoring dead-letter queue's consumer marks jobs
//! `failed`. It never calls a scorer.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let recorder = jobmon_scoring::wiring::recorder(&core);
    let rescorer = jobmon_scoring::wiring::rescorer(&core, recorder)?;
    let rescorer = &rescorer;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker_scorer::handle_dead_letters(rescorer, event.payload).await)
    }))
    .await
}
