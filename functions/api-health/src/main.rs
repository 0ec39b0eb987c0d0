//! `api-health`: GET /v1/health, GET /v1/health/ready and GET /v1/openapi.json. Wiring
//! only; behaviour lives in `handler`.

use api_health::ready::{DEFAULT_TTL, Readiness, probes};
use api_health::{App, handle};
use lambda_http::{Error, Request, run, service_fn};
use shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_logging();
    let env = Env::from_process();
    let probes = probes(
        shared::adapters::Sdk::from_environment(),
        env.require("JOBMON_TABLE")?,
        &[
            ("fetchQueue", env.require("JOBMON_FETCH_QUEUE_URL")?),
            ("scoringQueue", env.require("JOBMON_SCORING_QUEUE_URL")?),
        ],
    );
    let app = App {
        readiness: Readiness::new(probes, DEFAULT_TTL),
    };
    let app = &app;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(handle(app, request).await)
    }))
    .await
}
