//! `api-ws` wiring, built once at init.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::aws::sdk_config;
use shared::services::live::LiveConnections;
use shared::wiring::Core;

/// `JOBMON_MAX_SOCKETS_PER_TENANT` (the template's `MaxSocketsPerTenant`).
fn max_sockets_per_tenant() -> Result<usize, Error> {
    match std::env::var("JOBMON_MAX_SOCKETS_PER_TENANT") {
        Ok(raw) => match raw.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "JOBMON_MAX_SOCKETS_PER_TENANT must be a positive integer, not {raw:?}"
            )
            .into()),
        },
        Err(_) => Ok(shared::services::live::DEFAULT_MAX_SOCKETS_PER_TENANT),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let sdk = sdk_config().await;
    let core = Core::load(&sdk).await?;
    let store = Arc::new(core.store.clone());
    let app = LiveConnections {
        tokens: store.clone(),
        connections: store.clone(),
        accounts: store,
        max_per_tenant: max_sockets_per_tenant()?,
    };
    let app = &app;
    run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            Ok::<_, Error>(api_ws::handle(app, event.payload, chrono::Utc::now()).await)
        },
    ))
    .await
}
