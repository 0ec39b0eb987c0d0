//! Shared AWS SDK configuration.

/// Loads the SDK configuration once per container. `AWS_ENDPOINT_URL` (moto, LocalStack)
/// and `AWS_PROFILE` are honoured by the SDK's own provider chain.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
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
