//! A function's answer mapped back to an HTTP response, as API Gateway does.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use serde_json::Value as Json;

use super::{B64, error_response};

/// Maps a function's answer back. A JSON object with `statusCode` is a structured response;
/// anything else is, as with API Gateway's payload 2.0, a 200 with that JSON as the body.
pub fn map_response(out: &[u8]) -> Response {
    let v: Json = match serde_json::from_slice(out) {
        Ok(v) => v,
        Err(_) => {
            return error_response(
                StatusCode::BAD_GATEWAY,
                "internal",
                "the function returned a response that is not JSON",
            );
        }
    };
    let Some(status) = v.get("statusCode") else {
        let mut resp = Response::new(Body::from(v.to_string()));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return resp;
    };
    let Some(status) = status
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return error_response(
            StatusCode::BAD_GATEWAY,
            "internal",
            "the function returned an invalid statusCode",
        );
    };
    let Some(body) = body(&v) else {
        return error_response(
            StatusCode::BAD_GATEWAY,
            "internal",
            "the function returned isBase64Encoded with a body that is not base64",
        );
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    copy_headers(&v, resp.headers_mut());
    resp
}

/// The body, base64-decoded when `isBase64Encoded`; `None` when that is not base64.
fn body(v: &Json) -> Option<Vec<u8>> {
    Some(match v.get("body") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(s)) if v["isBase64Encoded"].as_bool() == Some(true) => {
            B64.decode(s).ok()?
        }
        Some(Json::String(s)) => s.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    })
}

/// `headers`, `multiValueHeaders` and `cookies` (as `Set-Cookie`); invalid ones are dropped.
fn copy_headers(v: &Json, h: &mut HeaderMap) {
    let mut add = |k: &str, v: &str, append: bool| {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            if append {
                h.append(k, v);
            } else {
                h.insert(k, v);
            }
        }
    };
    if let Some(Json::Object(headers)) = v.get("headers") {
        for (k, val) in headers {
            let s = match val {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            add(k, &s, false);
        }
    }
    if let Some(Json::Object(multi)) = v.get("multiValueHeaders") {
        for (k, vals) in multi {
            for val in vals.as_array().into_iter().flatten() {
                if let Some(s) = val.as_str() {
                    add(k, s, true);
                }
            }
        }
    }
    for c in v["cookies"].as_array().into_iter().flatten() {
        if let Some(c) = c.as_str() {
            add("set-cookie", c, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_and_bare_responses() {
        let r = map_response(br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["a=1","b=2"],"body":"aGk=","isBase64Encoded":true}"#);
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["x-a"], "1");
        assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
        let r = map_response(br#"{"hello":"world"}"#);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(map_response(b"not json").status(), 502);
    }
}
