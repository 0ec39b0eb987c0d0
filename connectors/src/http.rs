//! The one HTTP client every connector uses: conditional GET, bounded retries with
//! back-off, a body size cap enforced while reading, timeouts, and the SSRF guard on the
//! first request and on every redirect.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, CONTENT_LENGTH, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::{StatusCode, redirect};
use url::Url;

use crate::error::SourceError;
use crate::lazy_client::LazyClient;
use crate::settings::FetchSettings;
use crate::ssrf::{self, AddressPolicy, GuardError, GuardedResolver};
use shared::domain::SourceValidators;

pub(crate) const ACCEPT_JSON: &str = "application/json";
pub(crate) const ACCEPT_XML: &str = "application/xml, text/xml;q=0.9, */*;q=0.1";
pub(crate) const ACCEPT_FEED: &str =
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1";
pub(crate) const ACCEPT_JSON_FEED: &str =
    "application/feed+json, application/json;q=0.9, */*;q=0.1";

/// A successful response, read in full (within the cap).
#[derive(Debug)]
pub(crate) struct Page {
    pub body: Vec<u8>,
    pub validators: SourceValidators,
}

#[derive(Debug)]
pub(crate) enum Got {
    NotModified,
    Page(Page),
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    max_body_bytes: u64,
    max_retries: u32,
    retry_base_delay: Duration,
    max_retry_delay: Duration,
}

#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: LazyClient,
    policy: AddressPolicy,
    limits: Limits,
}

impl HttpClient {
    /// The `reqwest` client is built by the first fetch ([`LazyClient`]).
    pub(crate) fn new(settings: &FetchSettings) -> Self {
        let for_client = settings.clone();
        Self {
            client: LazyClient::new(move || Self::build(&for_client)),
            policy: settings.address_policy,
            limits: Limits {
                max_body_bytes: settings.max_body_bytes,
                max_retries: settings.max_retries,
                retry_base_delay: settings.retry_base_delay,
                max_retry_delay: settings.max_retry_delay,
            },
        }
    }

    fn build(settings: &FetchSettings) -> reqwest::Result<reqwest::Client> {
        let (policy, max_redirects) = (settings.address_policy, settings.max_redirects);
        // Each hop is checked before it is followed: IP literals here, hostnames again by
        // the resolver when the hop connects.
        let redirects = redirect::Policy::custom(move |attempt| {
            match check_redirect(
                attempt.url(),
                attempt.previous().len(),
                max_redirects,
                policy,
            ) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        });
        reqwest::Client::builder()
            .dns_resolver(GuardedResolver { policy })
            .redirect(redirects)
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(&settings.user_agent)
            .build()
    }

    /// GETs `url`, conditionally when `validators` hold something. Retries 429 and 5xx
    /// answers up to the configured count; every other outcome is final.
    pub(crate) async fn get(
        &self,
        url: &Url,
        accept: &str,
        validators: &SourceValidators,
    ) -> Result<Got, SourceError> {
        let host = url.host_str().unwrap_or_default().to_owned();
        ssrf::check_url(url, self.policy).map_err(|e| guard_to_source(e, &host))?;
        let client = self.client.get().await.map_err(SourceError::ClientSetup)?;
        let mut attempt = 0;
        loop {
            let mut request = client.get(url.clone()).header(ACCEPT, accept);
            if let Some(etag) = &validators.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, modified);
            }
            let response = request.send().await.map_err(|e| client_error(&e, &host))?;
            let status = response.status();
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Got::NotModified);
            }
            if status.is_success() {
                let validators = validators_of(response.headers());
                let body = read_capped(response, self.limits.max_body_bytes, &host).await?;
                return Ok(Got::Page(Page { body, validators }));
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                let advised = retry_after(response.headers());
                let final_error = if status == StatusCode::TOO_MANY_REQUESTS {
                    SourceError::RateLimited {
                        retry_after: advised,
                    }
                } else {
                    SourceError::Upstream {
                        status: status.as_u16(),
                    }
                };
                match retry_delay(attempt, advised, &self.limits) {
                    Some(delay) => {
                        tracing::debug!(%host, status = status.as_u16(), attempt, ?delay, "retrying source");
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    None => return Err(final_error),
                }
            }
            return Err(match status {
                StatusCode::NOT_FOUND | StatusCode::GONE => SourceError::NotFound {
                    status: status.as_u16(),
                },
                _ => SourceError::Rejected {
                    status: status.as_u16(),
                },
            });
        }
    }
}

/// Whether a redirect to `next` may be followed, `visited` URLs into the chain (the
/// original request included).
fn check_redirect(
    next: &Url,
    visited: usize,
    max_redirects: usize,
    policy: AddressPolicy,
) -> Result<(), GuardError> {
    if visited > max_redirects {
        return Err(GuardError::TooManyRedirects);
    }
    ssrf::check_url(next, policy)
}

/// How long to wait before the next attempt, or `None` to give up: when the attempts are
/// spent, or when the source asks for a longer pause than we are willing to hold a worker
/// for (the caller reschedules instead, with the advised delay).
fn retry_delay(attempt: u32, advised: Option<Duration>, limits: &Limits) -> Option<Duration> {
    if attempt >= limits.max_retries {
        return None;
    }
    match advised {
        Some(wait) if wait > limits.max_retry_delay => None,
        Some(wait) => Some(wait),
        None => {
            let factor = 2u32.saturating_pow(attempt);
            Some(
                limits
                    .retry_base_delay
                    .saturating_mul(factor)
                    .min(limits.max_retry_delay),
            )
        }
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = raw.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn validators_of(headers: &HeaderMap) -> SourceValidators {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    SourceValidators {
        etag: text(ETAG),
        last_modified: text(LAST_MODIFIED),
    }
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit`, so an endless or
/// huge response never costs more than `limit` bytes of memory.
async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    host: &str,
) -> Result<Vec<u8>, SourceError> {
    let too_large = SourceError::TooLarge { limit_bytes: limit };
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large);
    }
    let capacity = declared.unwrap_or(64 * 1024).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(|e| client_error(&e, host))? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn guard_to_source(error: GuardError, host: &str) -> SourceError {
    match error {
        GuardError::Blocked { host } => SourceError::Blocked { host },
        GuardError::Scheme { .. } => SourceError::Blocked {
            host: host.to_owned(),
        },
        GuardError::TooManyRedirects => SourceError::TooManyRedirects,
    }
}

/// Maps a client error; a refusal by the guard travels inside it as a source error.
fn client_error(error: &reqwest::Error, host: &str) -> SourceError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(inner) = cause {
        if let Some(guard) = inner.downcast_ref::<GuardError>() {
            return guard_to_source(guard.clone(), host);
        }
        cause = inner.source();
    }
    if error.is_timeout() {
        return SourceError::Timeout;
    }
    if error.is_redirect() {
        return SourceError::TooManyRedirects;
    }
    if error.is_decode() {
        return SourceError::Malformed("the response could not be decoded".into());
    }
    tracing::info!(%host, error = %error, "source request failed");
    SourceError::Network {
        host: host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn limits() -> Limits {
        Limits {
            max_body_bytes: 10,
            max_retries: 2,
            retry_base_delay: Duration::from_millis(100),
            max_retry_delay: Duration::from_secs(5),
        }
    }

    #[test]
    fn redirects_into_internal_networks_are_refused() {
        let hop = |u: &str| Url::parse(u).unwrap();
        let public = AddressPolicy::PublicOnly;
        for internal in [
            "http://10.0.0.1/feed",
            "http://192.168.1.1/",
            "http://[::1]/",
            "http://169.254.169.254/",
        ] {
            assert!(
                check_redirect(&hop(internal), 1, 5, public).is_err(),
                "{internal}"
            );
        }
        assert!(
            check_redirect(&hop("http://10.0.0.1/"), 1, 5, AddressPolicy::AllowPrivate).is_ok()
        );
        assert!(
            check_redirect(
                &hop("http://169.254.169.254/"),
                1,
                5,
                AddressPolicy::AllowPrivate
            )
            .is_err()
        );
        assert!(check_redirect(&hop("https://93.184.216.34/"), 5, 5, public).is_ok());
        assert_eq!(
            check_redirect(&hop("https://93.184.216.34/"), 6, 5, public),
            Err(GuardError::TooManyRedirects)
        );
        assert!(
            check_redirect(
                &hop("file:///etc/passwd"),
                1,
                5,
                AddressPolicy::AllowPrivate
            )
            .is_err()
        );
    }

    #[test]
    fn backs_off_exponentially_then_gives_up() {
        let l = limits();
        assert_eq!(retry_delay(0, None, &l), Some(Duration::from_millis(100)));
        assert_eq!(retry_delay(1, None, &l), Some(Duration::from_millis(200)));
        assert_eq!(retry_delay(2, None, &l), None);
    }

    #[test]
    fn honours_retry_after_up_to_the_cap() {
        let l = limits();
        assert_eq!(
            retry_delay(0, Some(Duration::from_secs(3)), &l),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_delay(0, Some(Duration::from_secs(60)), &l), None);
    }

    #[test]
    fn backoff_never_exceeds_the_cap() {
        let l = Limits {
            max_retries: 40,
            ..limits()
        };
        assert_eq!(retry_delay(35, None, &l), Some(Duration::from_secs(5)));
    }

    #[test]
    fn reads_retry_after_in_both_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
