//! Test function: an HTTP API handler built with `lambda_http` (see `common/echo.rs`).

#[path = "common/echo.rs"]
mod echo;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    println!("echo instance {} starting", echo::instance());
    lambda_http::run(lambda_http::service_fn(echo::handle)).await
}
