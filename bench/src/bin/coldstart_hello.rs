//! Hello world on `lambda_runtime`: the floor a Rust function's cold start cannot go below
//! (process start, tokio, the runtime client), built with the workspace's release profile.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
