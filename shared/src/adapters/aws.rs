//! Shared AWS SDK configuration.

use super::xray::{Daemon, TraceHeader, TracedHttpClient, default_https_client};

/// Loads the SDK configuration once per container. `AWS_ENDPOINT_URL` (moto, LocalStack)
/// and `AWS_PROFILE` are honoured by the SDK's own provider chain. Where an X-Ray daemon
/// listens (a function with `Tracing: Active`), every SDK call of a sampled invocation is
/// also sent to it as a subsegment (`xray`).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    match Daemon::from_env() {
        Some(daemon) => {
            let client =
                TracedHttpClient::new(default_https_client(), daemon, TraceHeader::from_env);
            loader.http_client(client).load().await
        }
        None => loader.load().await,
    }
}

/// Renders an SDK error with its full cause chain for logs.
pub fn describe<E: std::error::Error>(e: &E) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
