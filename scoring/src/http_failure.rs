//! How a scorer endpoint's HTTP failure maps to [`ScoreError`]: one table for the OpenAI
//! scorer and the webhook dispatch, so both treat a 429 or a 502 alike.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::ScoreError;

/// Responses are read up to this size; scoring answers are tiny, and a runaway body must
/// not fill a Lambda's memory.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The error for a non-success response.
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> ScoreError {
    let (code, message) = provider_error(body);
    let detail = match &message {
        Some(m) => format!("HTTP {}: {m}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    // OpenAI answers an exhausted prepaid balance with 429 + `insufficient_quota`: no
    // amount of waiting fixes it, so it is billing, not a rate limit.
    if status == StatusCode::PAYMENT_REQUIRED
        || matches!(
            code.as_deref(),
            Some("insufficient_quota" | "billing_hard_limit_reached")
        )
    {
        return ScoreError::Billing(detail);
    }
    match status.as_u16() {
        429 => ScoreError::QuotaExceeded {
            retry_after: retry_after(headers, now),
        },
        401 | 403 => ScoreError::Config(format!("credentials refused ({detail})")),
        408 | 425 => ScoreError::Transient(detail),
        500..=599 => ScoreError::Transient(detail),
        // 400, 404, 413, 422...: the request, model name or URL is wrong; sending it again
        // gives the same answer.
        _ => ScoreError::Config(detail),
    }
}

/// The `error.code` (or `error.type`) and `error.message` of an OpenAI-style error body.
fn provider_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, None);
    };
    let error = &value["error"];
    let code = error["code"]
        .as_str()
        .or_else(|| error["type"].as_str())
        .map(str::to_owned);
    let message = error["message"]
        .as_str()
        .or_else(|| error.as_str())
        .map(|m| m.chars().take(300).collect());
    (code, message)
}

/// `Retry-After` as seconds or an HTTP date; OpenAI-style `retry-after-ms` first, as it is
/// the more precise of the two when a provider sends both.
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_millis(ms.ceil() as u64));
    }
    let value = header(RETRY_AFTER.as_str())?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&Utc).signed_duration_since(now);
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A transport failure (no HTTP answer).
pub(crate) fn transport(error: &reqwest::Error, timeout: Duration) -> ScoreError {
    if error.is_timeout() {
        ScoreError::Transient(format!("no answer within {} ms", timeout.as_millis()))
    } else if error.is_connect() {
        ScoreError::Transient("could not connect".into())
    } else if error.is_builder() {
        ScoreError::Config(format!("could not build the request: {error}"))
    } else {
        ScoreError::Transient(format!("request failed: {error}"))
    }
}

/// Reads at most [`MAX_RESPONSE_BYTES`]; a longer body is an error of the given kind.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    timeout: Duration,
) -> Result<Vec<u8>, ScoreError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e, timeout))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ScoreError::InvalidOutput(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn maps_each_status_class() {
        let none = HeaderMap::new();
        assert_eq!(
            classify(status(429), &headers(&[("retry-after", "12")]), b"", now()),
            ScoreError::QuotaExceeded {
                retry_after: Some(Duration::from_secs(12))
            }
        );
        assert!(matches!(
            classify(status(402), &none, b"", now()),
            ScoreError::Billing(_)
        ));
        for code in [500, 502, 503, 504, 408] {
            assert!(
                matches!(
                    classify(status(code), &none, b"", now()),
                    ScoreError::Transient(_)
                ),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 422] {
            assert!(
                matches!(
                    classify(status(code), &none, b"", now()),
                    ScoreError::Config(_)
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn insufficient_quota_is_billing_even_on_429() {
        let body = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        assert_eq!(
            classify(status(429), &HeaderMap::new(), body, now()),
            ScoreError::Billing("HTTP 429: You exceeded your current quota".into())
        );
    }

    #[test]
    fn provider_messages_are_kept_short() {
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "m".repeat(1000));
        let ScoreError::Config(detail) =
            classify(status(400), &HeaderMap::new(), long.as_bytes(), now())
        else {
            panic!("expected a configuration error");
        };
        assert_eq!(detail.len(), "HTTP 400: ".len() + 300);
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_milliseconds() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "30")]), now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Thu, 01 Jan 2026 00:01:30 GMT")]),
                now()
            ),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 31 Dec 2025 23:00:00 GMT")]),
                now()
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "30"), ("retry-after-ms", "1500.2")]),
                now()
            ),
            Some(Duration::from_millis(1501))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "soon")]), now()),
            None
        );
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }
}
