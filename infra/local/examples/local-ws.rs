//! Test function: every route of the WebSocket API, built with `lambda_runtime`. Replies go
//! through the API Gateway management API (the gateway's `@connections` endpoint), exactly as
//! a deployed function's would.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use lambda_runtime::{Error, LambdaEvent, service_fn};

fn status(code: i64) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = code;
    r
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let endpoint = std::env::var("WS_ENDPOINT").expect("WS_ENDPOINT from the template");
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = aws_sdk_apigatewaymanagement::config::Builder::from(&shared)
        .endpoint_url(endpoint)
        .build();
    let client = aws_sdk_apigatewaymanagement::Client::from_conf(config);
    let client = &client;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            let ctx = &event.payload.request_context;
            let id = ctx.connection_id.clone().unwrap_or_default();
            match ctx.route_key.as_deref().unwrap_or("") {
                "$connect" => {
                    let q = &event.payload.query_string_parameters;
                    if q.first("deny").is_some() {
                        println!("refusing {id}");
                        return Ok::<_, Error>(status(403));
                    }
                    println!("connected {id} ticket={}", q.first("ticket").unwrap_or(""));
                    Ok(status(200))
                }
                "$disconnect" => {
                    println!("disconnected {id} code={:?}", ctx.disconnect_status_code);
                    Ok(status(200))
                }
                _ => {
                    let body = event.payload.body.clone().unwrap_or_default();
                    let reply = if body == "whoami" {
                        // Reads the connection back through GetConnection, which the real
                        // service (and this gateway, unlike moto) answers in a parseable shape.
                        let info = client.get_connection().connection_id(&id).send().await?;
                        format!(
                            "me:{id}:{}",
                            info.identity().and_then(|i| i.source_ip()).unwrap_or("")
                        )
                    } else {
                        format!("echo:{body}")
                    };
                    client
                        .post_to_connection()
                        .connection_id(&id)
                        .data(Blob::new(reply))
                        .send()
                        .await?;
                    Ok(status(200))
                }
            }
        },
    ))
    .await
}
