//! Dispatch on API Gateway's route key. `template.yaml` is the only route table: API
//! Gateway matched the request against the function's `HttpApi` events, put the path's
//! `{name}` segments in `pathParameters` ([`super::request::path_param`]) and named the
//! route it took in `routeKey` (`GET /v1/jobs/{id}`). A function only looks that key up in
//! its table of handlers, and each function's tests check its table against the template.

use std::future::Future;
use std::pin::Pin;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use super::ApiError;

/// What a route handler's `async fn` returns, boxed so that every handler fits one table.
pub type RouteFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;

/// A route handler: the function's app (its services), what the function hands every
/// route (`C`: the verified principal, or the request span for routes without a token),
/// and the request.
pub type Handler<A, C> = for<'a> fn(&'a A, C, Request) -> RouteFuture<'a>;

/// A function's routes: `(route key, handler)`, one row per `HttpApi` event of the
/// function in `template.yaml`.
pub type Routes<A, C> = [(&'static str, Handler<A, C>)];

/// A row of a function's [`Routes`]: `route!("GET /v1/jobs/{id}", get)`, where `get` is an
/// `async fn(&App, C, Request) -> Result<Response<Body>, ApiError>`.
#[macro_export]
macro_rules! route {
    ($key:literal, $handler:path) => {
        ($key, |app, context, request| {
            ::std::boxed::Box::pin($handler(app, context, request))
        })
    };
}
pub use crate::route;

/// The route API Gateway matched (`requestContext.routeKey`); empty without one.
pub fn route_key(request: &Request) -> &str {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.as_deref().unwrap_or_default(),
        _ => "",
    }
}

/// Runs the handler of the request's route; the JSON 404 for a route key the function does
/// not serve.
pub async fn dispatch<A: Sync, C>(
    routes: &Routes<A, C>,
    app: &A,
    context: C,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let key = route_key(&request);
    let Some((_, handler)) = routes.iter().find(|(route, _)| *route == key) else {
        return Err(ApiError::NotFound);
    };
    handler(app, context, request).await
}

/// The route keys of `routes`, for the tests that hold them against the template.
pub fn keys<A, C>(routes: &Routes<A, C>) -> Vec<&'static str> {
    routes.iter().map(|(key, _)| *key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::json;
    use lambda_http::http::StatusCode;

    async fn hello(
        app: &&str,
        suffix: char,
        _request: Request,
    ) -> Result<Response<Body>, ApiError> {
        Ok(json(StatusCode::OK, &format!("{app}{suffix}")))
    }

    const ROUTES: &Routes<&str, char> = &[route!("GET /hello/{name}", hello)];

    fn request(route_key: &str) -> Request {
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": "/hello/x",
            "rawQueryString": "",
            "headers": {},
            "requestContext": {
                "accountId": "123456789012", "apiId": "a", "domainName": "a", "domainPrefix": "a",
                "http": {"method": "GET", "path": "/hello/x", "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "t"},
                "requestId": "r", "routeKey": route_key, "stage": "$default",
                "time": "28/Nov/2026:10:00:00 +0000", "timeEpoch": 0
            },
            "pathParameters": {"name": "x"},
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    #[tokio::test]
    async fn dispatches_on_the_route_key_and_refuses_unknown_keys() {
        let r = request("GET /hello/{name}");
        assert_eq!(route_key(&r), "GET /hello/{name}");
        let response = dispatch(ROUTES, &"hi", '!', r).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body(), &Body::Text("\"hi!\"".into()));
        for other in ["GET /hello/x", "$default", "POST /hello/{name}"] {
            let e = dispatch(ROUTES, &"hi", '!', request(other))
                .await
                .unwrap_err();
            assert!(matches!(e, ApiError::NotFound), "{other}");
        }
        assert!(matches!(
            dispatch(ROUTES, &"hi", '!', Request::default()).await,
            Err(ApiError::NotFound)
        ));
        assert_eq!(keys(ROUTES), ["GET /hello/{name}"]);
    }
}
