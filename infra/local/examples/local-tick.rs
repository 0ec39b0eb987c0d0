//! Test function: a scheduled job that logs what fired it.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

async fn handle(event: LambdaEvent<Value>) -> Result<(), Error> {
    let p = &event.payload;
    match p.get("detail-type") {
        Some(kind) => println!(
            "tick {} {}",
            kind.as_str().unwrap_or(""),
            p["source"].as_str().unwrap_or("")
        ),
        None => println!("tick input {p}"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
