//! `api-health`: GET /v1/health and GET /v1/openapi.json. Wiring only; behaviour lives in `handler`.

use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    run(service_fn(|request: Request| async {
        Ok::<_, Error>(api_health::handle(request).await)
    }))
    .await
}
