//! The echo handler, shared by the `local-echo` test function and the in-process side of
//! `gateway-bench`. It answers with what it received, and has paths that misbehave on purpose.

use lambda_http::{Body, Error, Request, RequestExt, Response};

/// Identifies the process, so that tests can see a cold start (a new instance).
pub fn instance() -> u32 {
    std::process::id()
}

pub async fn handle(req: Request) -> Result<Response<Body>, Error> {
    let path = req.uri().path().to_owned();
    let query = req.query_string_parameters();
    match path.as_str() {
        "/slow" => {
            let ms: u64 = query
                .first("ms")
                .and_then(|m| m.parse().ok())
                .unwrap_or(5000);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        // Dies mid-invocation, the way a segfault or an abort would.
        "/crash" => std::process::exit(3),
        "/fail" => return Err("deliberate failure".into()),
        "/env" => return env(query.first("names").unwrap_or_default()),
        _ => {}
    }
    if path.starts_with("/bin") {
        // Binary in, binary out: the bytes come back reversed.
        let mut bytes = req.body().to_vec();
        bytes.reverse();
        return Ok(Response::builder()
            .header("content-type", "application/octet-stream")
            .body(Body::Binary(bytes))?);
    }
    let ctx = req.request_context();
    let (request_id, source_ip, time_epoch) = match &ctx {
        lambda_http::request::RequestContext::ApiGatewayV2(c) => {
            (c.request_id.clone(), c.http.source_ip.clone(), c.time_epoch)
        }
        _ => (None, None, 0),
    };
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").into()))
        .collect();
    let params: serde_json::Map<String, serde_json::Value> = req
        .path_parameters()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    let query: serde_json::Map<String, serde_json::Value> = query
        .iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    let body = match req.body() {
        Body::Empty => serde_json::Value::Null,
        Body::Text(t) => t.clone().into(),
        Body::Binary(b) => format!("{} bytes", b.len()).into(),
        _ => serde_json::Value::Null,
    };
    let answer = serde_json::json!({
        "method": req.method().as_str(),
        "path": path,
        "pathParameters": params,
        "query": query,
        "headers": headers,
        "body": body,
        "requestId": request_id,
        "sourceIp": source_ip,
        "timeEpoch": time_epoch,
        "lambdaRequestId": req.lambda_context_ref().map(|c| c.request_id.clone()),
        "deadlineMs": req.lambda_context_ref().map(|c| c.deadline),
        "functionArn": req.lambda_context_ref().map(|c| c.invoked_function_arn.clone()),
        "instance": instance(),
    });
    let status: u16 = req
        .query_string_parameters_ref()
        .and_then(|q| q.first("status"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-echo", "yes")
        .header("set-cookie", "echo=1; Path=/")
        .header("set-cookie", "second=2; Path=/")
        .body(Body::Text(answer.to_string()))?)
}

/// `/env?names=A,B`: the values of those environment variables (null when unset).
fn env(names: &str) -> Result<Response<Body>, Error> {
    let vars: serde_json::Map<String, serde_json::Value> = names
        .split(',')
        .map(|n| {
            (
                n.to_owned(),
                std::env::var(n)
                    .map(serde_json::Value::String)
                    .unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Body::Text(serde_json::Value::Object(vars).to_string()))?)
}
