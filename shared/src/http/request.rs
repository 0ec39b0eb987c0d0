//! Reading requests: JSON bodies (size-capped, unknown fields refused, the offending field
//! named), bearer tokens, query parameters, the caller's IP.

use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::ApiError;
use crate::auth::{Principal, TokenIssuer};
use crate::services::Invalid;

/// docs/api.md: bodies over 64 KiB are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body exactly as sent (a signature covers these bytes); empty when there is none.
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        // lambda_http's Body is non-exhaustive in spirit; treat anything else as empty.
        #[allow(unreachable_patterns)]
        _ => b"",
    }
}

/// Parses the JSON body into `T` (which should `deny_unknown_fields`). Errors name the
/// field: `details: {"<path>": "<problem>"}`.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes = body_bytes(request);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    // A JSON array would otherwise deserialise into a struct field by field.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::Validation {
            message: "request body must be a JSON object".into(),
            details: Some(json!({ "body": "must be a JSON object" })),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = parsed.map_err(|e| {
        let inner = e.inner();
        let path = e.path().to_string();
        // serde_json reports a wrongly typed enum value (`"remote": 3`) as a syntax error;
        // only a body that is not JSON at all is called that.
        let not_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err();
        if (inner.is_syntax() || inner.is_eof()) && not_json {
            return ApiError::Validation {
                message: "request body is not valid JSON".into(),
                details: Some(json!({ "body": inner.to_string() })),
            };
        }
        let message = inner.to_string();
        // A missing field is reported at its parent's path; name the field itself.
        let field = match missing_field(&message) {
            Some(name) if path == "." => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let problem = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        ApiError::Validation {
            message: format!("{field}: {problem}"),
            details: Some(json!({ field: problem })),
        }
    })?;
    de.end().map_err(|_| ApiError::Validation {
        message: "request body has trailing characters after the JSON value".into(),
        details: Some(json!({ "body": "trailing characters" })),
    })?;
    Ok(value)
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// [`authenticate`], with the caller's tenant recorded on the request span: what every route
/// that needs a token starts with.
pub fn signed_in(
    request: &Request,
    tokens: &TokenIssuer,
    span: &tracing::Span,
) -> Result<Principal, ApiError> {
    let principal = authenticate(request, tokens)?;
    crate::telemetry::record_tenant(span, principal.tenant);
    Ok(principal)
}

/// The principal from `Authorization: Bearer <token>`; 401 for anything else.
pub fn authenticate(request: &Request, tokens: &TokenIssuer) -> Result<Principal, ApiError> {
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(ApiError::Unauthorized)?;
    tokens
        .verify(token.trim())
        .map_err(|_| ApiError::Unauthorized)
}

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`).
pub fn source_ip(request: &Request) -> String {
    use lambda_http::request::RequestContext;
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .http
            .source_ip
            .clone()
            .unwrap_or_else(|| "unknown".into()),
        _ => "unknown".into(),
    }
}

/// A path parameter such as `{userId}` of the route API Gateway matched; present whenever
/// the route has it.
pub fn path_param(request: &Request, name: &str) -> Result<String, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
        .ok_or(ApiError::NotFound)
}

/// Every query parameter, repeats included, in order.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .query_string_parameters_ref()
        .map(|q| {
            q.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// `limit` (1..=100, default 25) and `cursor` of a list request (docs/api.md, "Lists and
/// pagination").
pub fn page_request(request: &Request) -> Result<crate::ports::PageRequest, ApiError> {
    use crate::ports::PageRequest;
    let query = request.query_string_parameters_ref();
    let limit = match query.and_then(|q| q.first("limit")) {
        None => PageRequest::DEFAULT_LIMIT,
        Some(raw) => page_limit(raw)?,
    };
    let cursor = query
        .and_then(|q| q.first("cursor"))
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Ok(PageRequest { limit, cursor })
}

/// A list's `limit` query parameter: a whole number from 1 to `PageRequest::MAX_LIMIT`.
pub fn page_limit(raw: &str) -> Result<u16, Invalid> {
    use crate::ports::PageRequest;
    raw.parse::<u16>()
        .ok()
        .filter(|l| (1..=PageRequest::MAX_LIMIT).contains(l))
        .ok_or_else(|| {
            Invalid::new(
                "limit",
                format!(
                    "must be a whole number from 1 to {}",
                    PageRequest::MAX_LIMIT
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
        tenant_name: Option<String>,
    }

    fn request(body: &str) -> Request {
        let mut r = Request::new(Body::Text(body.to_owned()));
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        r
    }

    fn details(e: ApiError) -> serde_json::Value {
        match e {
            ApiError::Validation { details, .. } => details.unwrap(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_valid_body() {
        let login: Login = json_body(&request(r#"{"email":"a@b.co","password":"x"}"#)).unwrap();
        assert_eq!(login.email, "a@b.co");
    }

    #[test]
    fn names_the_offending_field() {
        let e = json_body::<Login>(&request(
            r#"{"email":"a@b.co","password":"x","admin":true}"#,
        ))
        .unwrap_err();
        assert!(
            details(e)["admin"]
                .as_str()
                .unwrap()
                .contains("unknown field")
        );
        let e = json_body::<Login>(&request(r#"{"email":5,"password":"x"}"#)).unwrap_err();
        assert!(
            details(e)["email"]
                .as_str()
                .unwrap()
                .contains("invalid type")
        );
        let e = json_body::<Login>(&request(r#"{"email":"a@b.co"}"#)).unwrap_err();
        assert!(
            details(e)["password"]
                .as_str()
                .unwrap()
                .contains("missing field")
        );
    }

    #[test]
    fn malformed_empty_and_oversized_bodies() {
        assert!(details(json_body::<Login>(&request("{")).unwrap_err())["body"].is_string());
        assert!(details(json_body::<Login>(&request("")).unwrap_err())["body"].is_string());
        assert!(details(json_body::<Login>(&request("[1,2]")).unwrap_err())["body"].is_string());
        let big = format!(
            r#"{{"email":"{}","password":"x"}}"#,
            "a".repeat(MAX_BODY_BYTES)
        );
        assert!(matches!(
            json_body::<Login>(&request(&big)),
            Err(ApiError::PayloadTooLarge)
        ));
    }

    #[test]
    fn bearer_tokens_are_required_and_verified() {
        let tokens = TokenIssuer::new(&[3u8; 32]).unwrap();
        let mut r = request("");
        assert!(matches!(
            authenticate(&r, &tokens),
            Err(ApiError::Unauthorized)
        ));
        r.headers_mut()
            .insert("authorization", "Bearer nope".parse().unwrap());
        assert!(matches!(
            authenticate(&r, &tokens),
            Err(ApiError::Unauthorized)
        ));
        let principal = Principal {
            tenant: crate::domain::TenantId::new(),
            user: crate::domain::UserId::new(),
            role: crate::domain::Role::Admin,
        };
        let token = tokens
            .issue(principal, chrono::Utc::now().timestamp())
            .unwrap();
        r.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        assert_eq!(authenticate(&r, &tokens).unwrap(), principal);
    }
}
