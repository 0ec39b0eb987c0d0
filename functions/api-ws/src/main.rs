//! `api-ws` wiring, built once at init.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::Sdk;
use shared::services::live::LiveConnections;
use shared::wiring::Core;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let core = Core::load(Sdk::from_environment()).await?;
    let store = Arc::new(core.store.clone());
    let app = LiveConnections {
        tokens: store.clone(),
        connections: store.clone(),
        accounts: store,
        // The template's MaxSocketsPerTenant (at least 1).
        max_per_tenant: core.env.number_in(
            "JOBMON_MAX_SOCKETS_PER_TENANT",
            shared::services::live::DEFAULT_MAX_SOCKETS_PER_TENANT,
            1..=usize::MAX,
        )?,
    };
    let app = &app;
    run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            Ok::<_, Error>(api_ws::handle(app, event.payload, chrono::Utc::now()).await)
        },
    ))
    .await
}
