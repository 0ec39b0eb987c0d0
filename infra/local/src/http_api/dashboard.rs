//! The static dashboard (`web/dist`), served beside the API.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value as Json;

use super::error_response;
use jobmon_template::percent_decode;

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The dashboard: an existing file is served; an extension-less path that is not a file
/// gets `index.html` (client-side routes); a missing file with an extension is a 404, so a
/// broken asset reference fails loudly instead of returning HTML.
pub(super) async fn serve_static(web_dir: Option<&Path>, path: &str) -> Option<Response> {
    let dir = web_dir?;
    let rel = percent_decode(path.trim_start_matches('/'));
    if rel
        .split('/')
        .any(|s| s == ".." || s.starts_with('.') && s.len() > 1 && s != ".well-known")
        || rel.contains('\\')
    {
        return Some(error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no file {path}"),
        ));
    }
    let candidate = if rel.is_empty() {
        dir.join("index.html")
    } else {
        dir.join(&rel)
    };
    let file = if candidate.is_file() {
        candidate
    } else if candidate.is_dir() && candidate.join("index.html").is_file() {
        candidate.join("index.html")
    } else {
        let last = rel.rsplit('/').next().unwrap_or("");
        if last.contains('.') {
            return Some(error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no file {path} in the dashboard build"),
            ));
        }
        dir.join("index.html")
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&file)),
            );
            // index.html must be re-fetched after a rebuild; hashed assets may be cached.
            let cache = if file.file_name().is_some_and(|n| n == "index.html") {
                "no-cache"
            } else {
                "public, max-age=3600"
            };
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            Some(resp)
        }
        Err(_) => Some(error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!(
                "{path}: the dashboard is not built (no {})",
                dir.join("index.html").display()
            ),
        )),
    }
}

/// The headers the template's CloudFront response headers policy adds to the dashboard
/// (`SecurityHeadersConfig` and `CustomHeadersConfig`), resolved like the functions'
/// variables, so the browser tests run the dashboard under the policy that is deployed.
pub fn policy_headers(
    t: &jobmon_template::Template,
    b: &jobmon_template::Bindings,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let Some(policy) = t
        .resources()
        .values()
        .find(|r| r.resource_type == "AWS::CloudFront::ResponseHeadersPolicy")
    else {
        return Ok(Vec::new());
    };
    let config = t
        .resolve(&policy.properties, b)
        .map_err(|e| format!("{}: {e}", policy.logical_id))?
        .unwrap_or_default();
    let config = &config["ResponseHeadersPolicyConfig"];
    let security = &config["SecurityHeadersConfig"];
    let text = |v: &Json| v.as_str().map(str::to_owned);
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(csp) = text(&security["ContentSecurityPolicy"]["ContentSecurityPolicy"]) {
        out.push(("content-security-policy".into(), csp));
    }
    let hsts = &security["StrictTransportSecurity"];
    if let Some(age) = hsts["AccessControlMaxAgeSec"].as_u64().or_else(|| {
        hsts["AccessControlMaxAgeSec"]
            .as_str()
            .and_then(|s| s.parse().ok())
    }) {
        let mut value = format!("max-age={age}");
        if hsts["IncludeSubdomains"] == Json::Bool(true) {
            value.push_str("; includeSubDomains");
        }
        if hsts["Preload"] == Json::Bool(true) {
            value.push_str("; preload");
        }
        out.push(("strict-transport-security".into(), value));
    }
    if security.get("ContentTypeOptions").is_some() {
        out.push(("x-content-type-options".into(), "nosniff".into()));
    }
    if let Some(frame) = text(&security["FrameOptions"]["FrameOption"]) {
        out.push(("x-frame-options".into(), frame));
    }
    if let Some(referrer) = text(&security["ReferrerPolicy"]["ReferrerPolicy"]) {
        out.push(("referrer-policy".into(), referrer));
    }
    let custom = config["CustomHeadersConfig"]["Items"].as_array();
    for item in custom.into_iter().flatten() {
        if let (Some(name), Some(value)) = (text(&item["Header"]), text(&item["Value"])) {
            out.push((name.to_ascii_lowercase(), value));
        }
    }
    out.into_iter()
        .map(|(name, value)| {
            let name =
                HeaderName::try_from(name.as_str()).map_err(|e| format!("header {name}: {e}"))?;
            let value = HeaderValue::try_from(value).map_err(|e| format!("header {name}: {e}"))?;
            Ok((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobmons_dashboard_policy_is_a_strict_csp_with_the_other_headers() {
        let t = jobmon_template::Template::from_file(jobmon_template::Template::locate().unwrap())
            .unwrap();
        let mut b = jobmon_template::Bindings::new("us-east-1");
        b.refs
            .insert("WebSocketApi".into(), Json::String("wsapi".into()));
        let headers = policy_headers(&t, &b).unwrap();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{name} is missing"))
        };
        let csp = get("content-security-policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} in {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' wss://wsapi.execute-api.us-east-1."),
            "{csp}"
        );
        assert!(get("strict-transport-security").starts_with("max-age=63072000"));
        assert_eq!(get("x-content-type-options"), "nosniff");
        assert_eq!(get("x-frame-options"), "DENY");
        assert_eq!(get("referrer-policy"), "strict-origin-when-cross-origin");
        assert!(get("permissions-policy").contains("camera=()"));
    }
}
