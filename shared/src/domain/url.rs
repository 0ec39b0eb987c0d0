//! Canonical job URLs: one posting, one string, whatever tracking junk a link carried.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a valid URL")]
    Invalid,
    #[error("only http and https URLs are accepted")]
    Scheme,
    #[error("URL has no host")]
    NoHost,
    #[error("URL is longer than 2048 characters")]
    TooLong,
}

/// Query parameters that identify a campaign or a referrer, never the posting.
const TRACKING_EXACT: &[&str] = &[
    "gclid",
    "gclsrc",
    "dclid",
    "fbclid",
    "msclkid",
    "yclid",
    "igshid",
    "twclid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "ref",
    "ref_src",
    "referrer",
    "source",
    "src",
    "trk",
    "trkinfo",
    "gh_src",
    "lever-source",
    "lever-origin",
    "lever-source[]",
    "ashby_jid_src",
];
const TRACKING_PREFIXES: &[&str] = &["utm_", "pk_", "mtm_", "hsa_"];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_EXACT.contains(&name.as_str()) || TRACKING_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// An http(s) URL in canonical form: lower-case scheme and host, no default port, no
/// fragment, no tracking parameters, remaining parameters sorted, no trailing slash on a
/// non-root path. Two links to the same posting produce the same string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CanonicalUrl(String);

impl CanonicalUrl {
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        if raw.len() > 2048 {
            return Err(UrlError::TooLong);
        }
        // The url crate lower-cases scheme and host of special schemes and drops their
        // default ports while parsing.
        let mut url = Url::parse(raw).map_err(|_| UrlError::Invalid)?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(UrlError::Scheme);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::NoHost);
        }
        url.set_fragment(None);
        // Credentials never identify a posting and must not be stored.
        let _ = url.set_username("");
        let _ = url.set_password(None);

        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        params.sort();
        if params.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(params);
        }

        let path = url.path().to_owned();
        if path.len() > 1 && path.ends_with('/') {
            url.set_path(path.trim_end_matches('/'));
        }
        Ok(Self(url.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn host(&self) -> &str {
        // Invariant: parse() only admits URLs with a host.
        let after_scheme = self.0.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme
            .split(['/', '?', ':'])
            .next()
            .unwrap_or_default()
    }
}

impl fmt::Display for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CanonicalUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CanonicalUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        CanonicalUrl::parse(s).unwrap().to_string()
    }

    #[test]
    fn lower_cases_scheme_and_host_but_not_path() {
        assert_eq!(
            canon("HTTPS://Boards.Greenhouse.IO/Acme/Jobs/123"),
            "https://boards.greenhouse.io/Acme/Jobs/123"
        );
    }

    #[test]
    fn drops_default_ports_only() {
        assert_eq!(canon("https://example.com:443/a"), "https://example.com/a");
        assert_eq!(canon("http://example.com:80/a"), "http://example.com/a");
        assert_eq!(
            canon("https://example.com:8443/a"),
            "https://example.com:8443/a"
        );
    }

    #[test]
    fn drops_fragment_tracking_and_sorts_the_rest() {
        assert_eq!(
            canon(
                "https://jobs.example.com/p?utm_source=li&b=2&gclid=x&a=1&fbclid=y&ref=hn&source=tw&UTM_Medium=m#apply"
            ),
            "https://jobs.example.com/p?a=1&b=2"
        );
        assert_eq!(canon("https://x.io/p?utm_campaign=a"), "https://x.io/p");
        assert_eq!(
            canon("https://x.io/p?gh_jid=42&gh_src=abc"),
            "https://x.io/p?gh_jid=42"
        );
    }

    #[test]
    fn same_posting_different_links_are_equal() {
        let a = CanonicalUrl::parse("https://Example.com:443/jobs/9/?b=1&a=2&utm_x=1#top").unwrap();
        let b = CanonicalUrl::parse("https://example.com/jobs/9?a=2&b=1").unwrap();
        assert_eq!(a, b);
        assert_ne!(
            a,
            CanonicalUrl::parse("https://example.com/jobs/10?a=2&b=1").unwrap()
        );
    }

    #[test]
    fn keeps_root_slash_and_strips_credentials() {
        assert_eq!(canon("https://u:p@example.com"), "https://example.com/");
        assert_eq!(
            CanonicalUrl::parse("https://example.com:8080/x")
                .unwrap()
                .host(),
            "example.com"
        );
    }

    #[test]
    fn rejects_non_http_and_garbage() {
        assert_eq!(
            CanonicalUrl::parse("ftp://example.com/x"),
            Err(UrlError::Scheme)
        );
        assert_eq!(
            CanonicalUrl::parse("javascript:alert(1)"),
            Err(UrlError::Scheme)
        );
        assert_eq!(CanonicalUrl::parse("not a url"), Err(UrlError::Invalid));
        assert_eq!(CanonicalUrl::parse(""), Err(UrlError::Invalid));
        let long = format!("https://example.com/{}", "a".repeat(2100));
        assert_eq!(CanonicalUrl::parse(&long), Err(UrlError::TooLong));
    }
}
