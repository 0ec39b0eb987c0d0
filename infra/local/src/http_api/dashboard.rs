//! The static dashboard (`web/dist`), served beside the API.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

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
