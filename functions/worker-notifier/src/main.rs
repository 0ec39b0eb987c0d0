//! `worker-notifier` wiring: the deliverer and the digest run, built at init; the table's
//! client and the guarded HTTP client are made by the first message that needs them. No `Core`: this function needs neither the secret key nor
//! the plans, so its role has no right to read them.
//!
//! One function, two triggers: the notification queue's batches, and the hourly schedule
//! of the daily digest. Both need the same table items, SES sender and unsubscribe key, so
//! a second function would only repeat this role.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::Sdk;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let sdk = Sdk::from_environment();
    let (deliverer, digest) =
        jobmon_notify::wiring::notifier(&sdk, &shared::config::Env::from_process()).await?;
    let (deliverer, digest) = (&deliverer, &digest);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        worker_notifier::dispatch(deliverer, digest.as_ref(), event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
