//! Fetch settings, read once at init (from the environment in a Lambda).

use std::time::Duration;

use url::Url;

use crate::ssrf::AddressPolicy;

/// A setting that could not be read; names the environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SettingsError {
    pub variable: String,
    pub message: String,
}

/// Where each provider's API lives. Overridable so the local stack and the tests can
/// point a kind at a fixture server; the path after the base stays as in the real API.
///
/// Recruitee and Personio serve each company on its own host. Their bases are templates
/// in which `{company}` is replaced (`https://{company}.recruitee.com`); an override may
/// use the placeholder too, and one without it gets the company as the first path segment
/// (`http://127.0.0.1:9000` → `http://127.0.0.1:9000/{company}/api/offers/`), which lets a
/// single fixture server stand in for every company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrls {
    pub greenhouse: Url,
    pub lever: Url,
    pub lever_eu: Url,
    pub ashby: Url,
    pub workable: Url,
    pub smartrecruiters: Url,
    pub recruitee: String,
    pub personio: String,
}

const COMPANY: &str = "{company}";

const VARIABLES: [(&str, &str); 8] = [
    (
        "JOBMON_GREENHOUSE_BASE_URL",
        "https://boards-api.greenhouse.io",
    ),
    ("JOBMON_LEVER_BASE_URL", "https://api.lever.co"),
    ("JOBMON_LEVER_EU_BASE_URL", "https://api.eu.lever.co"),
    ("JOBMON_ASHBY_BASE_URL", "https://api.ashbyhq.com"),
    ("JOBMON_WORKABLE_BASE_URL", "https://www.workable.com"),
    (
        "JOBMON_SMARTRECRUITERS_BASE_URL",
        "https://api.smartrecruiters.com",
    ),
    (
        "JOBMON_RECRUITEE_BASE_URL",
        "https://{company}.recruitee.com",
    ),
    (
        "JOBMON_PERSONIO_BASE_URL",
        "https://{company}.jobs.personio.de",
    ),
];

/// The public host of a Personio company, used for posting links whatever the base URL.
pub(crate) const PERSONIO_PUBLIC: &str = "https://{company}.jobs.personio.de";

impl Default for BaseUrls {
    fn default() -> Self {
        Self::from_vars(|_| None).expect("the built-in base URLs are valid")
    }
}

impl BaseUrls {
    /// From any variable lookup (a snapshot of the environment, a test map).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let [
            gh,
            lever,
            lever_eu,
            ashby,
            workable,
            sr,
            recruitee,
            personio,
        ] = VARIABLES.map(|(name, default)| {
            let value = lookup(name)
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned());
            (name, value)
        });
        Ok(Self {
            greenhouse: base(gh)?,
            lever: base(lever)?,
            lever_eu: base(lever_eu)?,
            ashby: base(ashby)?,
            workable: base(workable)?,
            smartrecruiters: base(sr)?,
            recruitee: template(recruitee)?,
            personio: template(personio)?,
        })
    }
}

fn invalid(name: &str, message: &str) -> SettingsError {
    SettingsError {
        variable: name.to_owned(),
        message: message.to_owned(),
    }
}

fn base((name, value): (&str, String)) -> Result<Url, SettingsError> {
    let url = Url::parse(&value).map_err(|_| invalid(name, "is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(name, "must be an absolute http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(name, "must not have a query or fragment"));
    }
    Ok(url)
}

fn template((name, value): (&str, String)) -> Result<String, SettingsError> {
    // Validate the shape with a stand-in company.
    base((name, value.replace(COMPANY, "company")))?;
    Ok(value)
}

/// Builds `{base}/{segments...}` with each segment percent-encoded as needed.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Expands a per-company template (see [`BaseUrls`]) and appends `segments`.
pub(crate) fn company_url(template: &str, company: &str, segments: &[&str]) -> Option<Url> {
    let (base, prefix) = if template.contains(COMPANY) {
        (template.replace(COMPANY, company), None)
    } else {
        (template.to_owned(), Some(company))
    };
    let base = Url::parse(&base).ok()?;
    let all: Vec<&str> = prefix.into_iter().chain(segments.iter().copied()).collect();
    Some(join(&base, &all))
}

/// Everything a [`crate::Fetcher`] needs, with production defaults.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub base_urls: BaseUrls,
    /// `JOBMON_ALLOW_PRIVATE_SOURCES=1` lets sources reach loopback and private networks.
    pub address_policy: AddressPolicy,
    /// Time to establish a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Time for one whole request, body included.
    pub request_timeout: Duration,
    /// Largest body read from one response (after decompression).
    pub max_body_bytes: u64,
    /// Extra attempts after a 429 or 5xx.
    pub max_retries: u32,
    /// First back-off delay; doubles with each retry.
    pub retry_base_delay: Duration,
    /// Longest wait between attempts. A `Retry-After` longer than this is not waited for:
    /// the fetch fails as rate limited and the caller reschedules it.
    pub max_retry_delay: Duration,
    pub max_redirects: usize,
    /// The whole fetch of one source: every page, retry, back-off and redirect together.
    /// Well under the fetch function's timeout (120 s), so a slow source ends as its own
    /// recorded error instead of timing out the invocation and being retried.
    pub fetch_deadline: Duration,
    /// Pages followed for paged sources (JSON Feed `next_url`, SmartRecruiters offsets).
    pub max_pages: usize,
    /// SmartRecruiters lists postings without descriptions; this many get a detail call.
    pub max_detail_requests: usize,
    pub detail_concurrency: usize,
    pub user_agent: String,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            base_urls: BaseUrls::default(),
            address_policy: AddressPolicy::PublicOnly,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            max_body_bytes: 5 * 1024 * 1024,
            max_retries: 2,
            retry_base_delay: Duration::from_millis(500),
            max_retry_delay: Duration::from_secs(10),
            max_redirects: 5,
            fetch_deadline: DEFAULT_FETCH_DEADLINE,
            max_pages: 10,
            max_detail_requests: 50,
            detail_concurrency: 4,
            user_agent: concat!("jobmon/", env!("CARGO_PKG_VERSION"), " (job monitoring)")
                .to_owned(),
        }
    }
}

/// 30 s leaves the fetch function (120 s) room to store what a slow-but-legal board sent.
pub const DEFAULT_FETCH_DEADLINE: Duration = Duration::from_secs(30);
/// The largest `JOBMON_FETCH_DEADLINE_SECS`: past it the function's own timeout could cut a
/// fetch off before its error is recorded.
pub const MAX_FETCH_DEADLINE: Duration = Duration::from_secs(90);

fn fetch_deadline(raw: Option<String>) -> Result<Duration, SettingsError> {
    const NAME: &str = "JOBMON_FETCH_DEADLINE_SECS";
    let Some(raw) = raw.filter(|v| !v.trim().is_empty()) else {
        return Ok(DEFAULT_FETCH_DEADLINE);
    };
    match raw.trim().parse::<u64>() {
        Ok(secs) if (1..=MAX_FETCH_DEADLINE.as_secs()).contains(&secs) => {
            Ok(Duration::from_secs(secs))
        }
        _ => Err(invalid(
            NAME,
            &format!(
                "must be a whole number of seconds from 1 to {}",
                MAX_FETCH_DEADLINE.as_secs()
            ),
        )),
    }
}

impl FetchSettings {
    /// Defaults plus the base URLs, `JOBMON_ALLOW_PRIVATE_SOURCES` and
    /// `JOBMON_FETCH_DEADLINE_SECS` from `lookup` (the function's environment as `Core`
    /// holds it, a test map).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let address_policy = match lookup("JOBMON_ALLOW_PRIVATE_SOURCES")
            .as_deref()
            .map(str::trim)
        {
            None | Some("" | "0" | "false") => AddressPolicy::PublicOnly,
            Some("1" | "true") => AddressPolicy::AllowPrivate,
            Some(_) => {
                return Err(invalid("JOBMON_ALLOW_PRIVATE_SOURCES", "must be 1 or 0"));
            }
        };
        Ok(Self {
            base_urls: BaseUrls::from_vars(&lookup)?,
            address_policy,
            fetch_deadline: fetch_deadline(lookup("JOBMON_FETCH_DEADLINE_SECS"))?,
            ..Self::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_are_the_real_hosts() {
        let b = BaseUrls::default();
        assert_eq!(b.greenhouse.as_str(), "https://boards-api.greenhouse.io/");
        assert_eq!(b.lever_eu.as_str(), "https://api.eu.lever.co/");
        assert_eq!(
            company_url(&b.recruitee, "acme", &["api", "offers", ""])
                .unwrap()
                .as_str(),
            "https://acme.recruitee.com/api/offers/"
        );
        assert_eq!(
            company_url(&b.personio, "acme", &["xml"]).unwrap().as_str(),
            "https://acme.jobs.personio.de/xml"
        );
    }

    #[test]
    fn overrides_replace_the_base_and_keep_the_path() {
        let b = BaseUrls::from_vars(vars(&[
            ("JOBMON_GREENHOUSE_BASE_URL", "http://127.0.0.1:9000/gh/"),
            ("JOBMON_RECRUITEE_BASE_URL", "http://127.0.0.1:9000"),
            (
                "JOBMON_PERSONIO_BASE_URL",
                "http://{company}.localhost:9000",
            ),
        ]))
        .unwrap();
        assert_eq!(
            join(&b.greenhouse, &["v1", "boards", "acme", "jobs"]).as_str(),
            "http://127.0.0.1:9000/gh/v1/boards/acme/jobs"
        );
        assert_eq!(
            company_url(&b.recruitee, "acme", &["api", "offers", ""])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9000/acme/api/offers/"
        );
        assert_eq!(
            company_url(&b.personio, "acme", &["xml"]).unwrap().as_str(),
            "http://acme.localhost:9000/xml"
        );
    }

    #[test]
    fn bad_overrides_name_the_variable() {
        let e = BaseUrls::from_vars(vars(&[("JOBMON_ASHBY_BASE_URL", "ftp://x")])).unwrap_err();
        assert_eq!(e.variable, "JOBMON_ASHBY_BASE_URL");
        let e = BaseUrls::from_vars(vars(&[("JOBMON_LEVER_BASE_URL", "not a url")])).unwrap_err();
        assert_eq!(e.variable, "JOBMON_LEVER_BASE_URL");
    }

    #[test]
    fn allow_private_comes_from_the_environment() {
        let s = FetchSettings::from_vars(vars(&[])).unwrap();
        assert_eq!(s.address_policy, AddressPolicy::PublicOnly);
        let s = FetchSettings::from_vars(vars(&[("JOBMON_ALLOW_PRIVATE_SOURCES", "1")])).unwrap();
        assert_eq!(s.address_policy, AddressPolicy::AllowPrivate);
        assert!(
            FetchSettings::from_vars(vars(&[("JOBMON_ALLOW_PRIVATE_SOURCES", "yes")])).is_err()
        );
    }

    #[test]
    fn the_fetch_deadline_is_configurable_within_the_function_timeout() {
        let s = FetchSettings::from_vars(vars(&[])).unwrap();
        assert_eq!(s.fetch_deadline, DEFAULT_FETCH_DEADLINE);
        let s = FetchSettings::from_vars(vars(&[("JOBMON_FETCH_DEADLINE_SECS", "7")])).unwrap();
        assert_eq!(s.fetch_deadline, Duration::from_secs(7));
        for bad in ["0", "91", "-1", "ten", "1.5"] {
            let e =
                FetchSettings::from_vars(vars(&[("JOBMON_FETCH_DEADLINE_SECS", bad)])).unwrap_err();
            assert_eq!(e.variable, "JOBMON_FETCH_DEADLINE_SECS", "{bad}");
        }
    }

    #[test]
    fn segments_are_encoded() {
        let base = Url::parse("https://api.example.com").unwrap();
        assert_eq!(
            join(&base, &["a b", "c?d"]).as_str(),
            "https://api.example.com/a%20b/c%3Fd"
        );
    }
}
