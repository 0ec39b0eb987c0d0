//! `worker-notifier` wiring: the table, the guarded HTTP client and the deliverer, built
//! at init. No `Core`: this function needs neither the secret key nor the plans, so its
//! role has no right to read them.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::aws::sdk_config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let sdk = sdk_config().await;
    let deliverer =
        jobmon_notify::wiring::deliverer(&sdk, &shared::config::Env::from_process()).await?;
    let deliverer = &deliverer;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker_notifier::handle(deliverer, event.payload).await)
    }))
    .await
}
