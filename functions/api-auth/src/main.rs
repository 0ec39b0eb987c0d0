//! `api-auth` wiring: configuration and the account service, built once at init; its AWS
//! clients are made by the first request that calls AWS.

use lambda_http::{Error, Request, run, service_fn};
use shared::adapters::Sdk;
use shared::wiring::KeyedCore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = KeyedCore::load(Sdk::from_environment()).await?;
    let app = core.account_service()?;
    // Deliberately at init: the first unknown-e-mail login must cost what a wrong password
    // costs, or its timing would tell that the address has no account.
    app.passwords.prepare_dummy();
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(api_auth::handle(app, request).await)
    }))
    .await
}
