//! "Paste a careers URL": which source a URL is.
//!
//! First the URL itself: the career pages of the boards jobmon reads have well-known
//! shapes (`boards.greenhouse.io/acme`, `jobs.lever.co/acme`, `acme.recruitee.com`, …),
//! so most pastes are recognised without a request. Otherwise the page is fetched (through
//! the same client as every source: SSRF guard, size cap, timeouts) and read for what it
//! points to: a board's embed script or link, or a feed announced by
//! `<link rel="alternate">` (RSS/Atom/JSON Feed autodiscovery). A page that is itself a
//! feed is that feed.

use shared::domain::SourceValidators;
use url::Url;

use crate::config::{FeedUrl, LeverRegion, Slug, SourceConfig};
use crate::error::SourceError;
use crate::fetcher::Fetcher;
use crate::http::Got;

/// A careers page: HTML first, feeds (a pasted feed URL) also welcome.
const ACCEPT_PAGE: &str = "text/html, application/xhtml+xml;q=0.9, application/rss+xml;q=0.8, application/atom+xml;q=0.8, application/feed+json;q=0.8, */*;q=0.1";

/// Why a URL could not be turned into a source, in words for the tenant.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{0}")]
    InvalidUrl(String),
    #[error(
        "no job board or feed was found at this page; add the source with its board name instead"
    )]
    NothingFound,
    #[error("{0}")]
    Source(#[from] SourceError),
}

impl Fetcher {
    /// Recognises the source behind a pasted URL: from the URL alone when it is a board's,
    /// else from the page it serves (one guarded GET, no redirects outside the guard).
    pub async fn detect(&self, raw: &str) -> Result<Detected, DetectError> {
        let url = FeedUrl::parse(raw).map_err(DetectError::InvalidUrl)?;
        let url = url.as_url();
        if let Some(board) = from_url(url) {
            return Ok(board);
        }
        let page = match self
            .http
            .get(url, ACCEPT_PAGE, &SourceValidators::default())
            .await?
        {
            Got::Page(page) => page,
            Got::NotModified => return Err(DetectError::NothingFound),
        };
        if let Some(feed) = feed_itself(url, &page.body) {
            return Ok(feed);
        }
        from_page(url, &String::from_utf8_lossy(&page.body)).ok_or(DetectError::NothingFound)
    }
}

/// What a URL was recognised as, with a name the tenant can keep or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub config: SourceConfig,
    pub name: String,
}

impl Detected {
    /// Named after the board or the feed's host, and the provider: `Acme Labs (Greenhouse)`,
    /// `example.com (feed)`.
    fn named(config: SourceConfig) -> Self {
        let slug = |slug: &Slug| slug.title_case();
        let what = match &config {
            SourceConfig::Greenhouse { board } | SourceConfig::Ashby { board } => slug(board),
            SourceConfig::Lever { site, .. } => slug(site),
            SourceConfig::Workable { account } => slug(account),
            SourceConfig::SmartRecruiters { company }
            | SourceConfig::Recruitee { company }
            | SourceConfig::Personio { company } => slug(company),
            SourceConfig::Rss { url } | SourceConfig::JsonFeed { url } => {
                url.as_url().host_str().unwrap_or("feed").to_owned()
            }
        };
        Self {
            name: format!("{what} ({})", config.kind().label()),
            config,
        }
    }
}

/// The path's segments, without empty ones.
fn segments(url: &Url) -> Vec<&str> {
    url.path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default()
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The first label of `host` when it ends with `suffix` (`acme` of `acme.recruitee.com`).
fn subdomain<'a>(host: &'a str, suffix: &str) -> Option<&'a str> {
    host.strip_suffix(suffix)
        .filter(|label| !label.is_empty() && !label.contains('.'))
}

/// A board recognised from the URL alone, or `None`.
pub fn from_url(url: &Url) -> Option<Detected> {
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let path = segments(url);
    // API hosts carry the board third (`/v1/boards/acme`), career pages first.
    let slug_at = |i: usize| path.get(i).and_then(|r| Slug::parse(r).ok());
    let first_or_api = || slug_at(if host.starts_with("api.") { 2 } else { 0 });
    let config = match host {
        "boards.greenhouse.io" | "job-boards.greenhouse.io" | "job-boards.eu.greenhouse.io" => {
            // Embeds: /embed/job_board?for=acme and /embed/job_board/js?for=acme.
            let board = if path.first() == Some(&"embed") {
                query(url, "for").and_then(|r| Slug::parse(&r).ok())
            } else {
                slug_at(0)
            };
            SourceConfig::Greenhouse { board: board? }
        }
        "boards-api.greenhouse.io" => SourceConfig::Greenhouse { board: slug_at(2)? },
        "jobs.lever.co" | "jobs.eu.lever.co" | "api.lever.co" | "api.eu.lever.co" => {
            SourceConfig::Lever {
                site: first_or_api()?,
                region: if host.contains(".eu.") {
                    LeverRegion::Eu
                } else {
                    LeverRegion::Global
                },
            }
        }
        "jobs.ashbyhq.com" | "api.ashbyhq.com" => SourceConfig::Ashby {
            board: first_or_api()?,
        },
        "apply.workable.com" => SourceConfig::Workable {
            account: slug_at(0).filter(|s| s.as_str() != "api")?,
        },
        "jobs.smartrecruiters.com" | "careers.smartrecruiters.com" | "api.smartrecruiters.com" => {
            SourceConfig::SmartRecruiters {
                company: first_or_api()?,
            }
        }
        _ => from_host(host)?,
    };
    Some(Detected::named(config))
}

/// Boards that live on a tenant's own subdomain of the provider.
fn from_host(host: &str) -> Option<SourceConfig> {
    let label = |suffix: &str| subdomain(host, suffix).and_then(|l| Slug::parse_host_label(l).ok());
    if let Some(company) = label(".recruitee.com") {
        return Some(SourceConfig::Recruitee { company });
    }
    if let Some(company) = label(".jobs.personio.de").or_else(|| label(".jobs.personio.com")) {
        return Some(SourceConfig::Personio { company });
    }
    let account = subdomain(host, ".workable.com")
        .filter(|l| !matches!(*l, "apply" | "www" | "jobs"))
        .and_then(|l| Slug::parse(l).ok())?;
    Some(SourceConfig::Workable { account })
}

/// The feed a fetched body *is*, judged by its first bytes: RSS, Atom or JSON Feed.
pub fn feed_itself(url: &Url, body: &[u8]) -> Option<Detected> {
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let feed = FeedUrl::parse(url.as_str()).ok()?;
    let xml = head.starts_with("<?xml") || head.starts_with("<rss") || head.starts_with("<feed");
    let config = if head.starts_with('{') && head.contains("jsonfeed.org/version") {
        SourceConfig::JsonFeed { url: feed }
    } else if xml && (head.contains("<rss") || head.contains("<feed") || head.contains("<rdf")) {
        SourceConfig::Rss { url: feed }
    } else {
        return None;
    };
    Some(Detected::named(config))
}

/// One tag's name and attributes, lower-cased names, raw values.
struct Tag<'a> {
    name: String,
    attributes: Vec<(String, &'a str)>,
}

impl Tag<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// The start tags of an HTML page, read leniently (no DOM: only names and attributes).
fn tags(html: &str) -> impl Iterator<Item = Tag<'_>> {
    html.split('<').skip(1).filter_map(|chunk| {
        let end = chunk.find('>').unwrap_or(chunk.len());
        let inner = &chunk[..end];
        let name_end = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        Some(Tag {
            name,
            attributes: attributes(&inner[name_end..]),
        })
    })
}

fn attributes(mut rest: &str) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            // A bare attribute before this one (`async src=…`): skip the word.
            let skip = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if skip == 0 || skip >= rest.len() {
                break;
            }
            rest = &rest[skip..];
            continue;
        }
        let after = rest[eq + 1..].trim_start();
        let (value, remainder) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                let close = body.find(q).unwrap_or(body.len());
                (&body[..close], body.get(close + 1..).unwrap_or(""))
            }
            _ => {
                let close = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..close], &after[close..])
            }
        };
        out.push((name.to_ascii_lowercase(), value));
        rest = remainder;
    }
    out
}

/// What a page points to: the first board among its links, scripts and frames; failing
/// that, the first feed it announces.
pub fn from_page(page: &Url, html: &str) -> Option<Detected> {
    let mut feed = None;
    for tag in tags(html) {
        let link = match tag.name.as_str() {
            "a" | "link" | "area" => tag.get("href"),
            "script" | "iframe" => tag.get("src"),
            _ => None,
        };
        let Some(target) = link.and_then(|l| page.join(&html_escape::decode_html_entities(l)).ok())
        else {
            continue;
        };
        if let Some(board) = from_url(&target) {
            return Some(board);
        }
        if feed.is_none() && tag.name == "link" && is_alternate_feed(&tag) {
            feed = announced_feed(&tag, &target);
        }
    }
    feed
}

fn is_alternate_feed(tag: &Tag<'_>) -> bool {
    tag.get("rel").is_some_and(|rel| {
        rel.split_whitespace()
            .any(|r| r.eq_ignore_ascii_case("alternate"))
    })
}

fn announced_feed(tag: &Tag<'_>, target: &Url) -> Option<Detected> {
    let kind = tag.get("type")?.to_ascii_lowercase();
    let url = FeedUrl::parse(target.as_str()).ok()?;
    let title = tag
        .get("title")
        .map(|t| html_escape::decode_html_entities(t).trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| target.host_str().unwrap_or("feed").to_owned());
    match kind.as_str() {
        "application/rss+xml" | "application/atom+xml" | "application/rdf+xml" => Some(Detected {
            config: SourceConfig::Rss { url },
            name: title,
        }),
        "application/feed+json" | "application/json" => Some(Detected {
            config: SourceConfig::JsonFeed { url },
            name: title,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn config(d: &Detected) -> serde_json::Value {
        serde_json::to_value(&d.config).unwrap()
    }

    #[test]
    fn board_urls_are_recognised_without_a_request() {
        let cases = [
            (
                "https://boards.greenhouse.io/acme",
                json!({"kind": "greenhouse", "config": {"board": "acme"}}),
            ),
            (
                "https://job-boards.greenhouse.io/acme/jobs/4012345",
                json!({"kind": "greenhouse", "config": {"board": "acme"}}),
            ),
            (
                "https://job-boards.eu.greenhouse.io/acme",
                json!({"kind": "greenhouse", "config": {"board": "acme"}}),
            ),
            (
                "https://boards.greenhouse.io/embed/job_board?for=acme&b=https://acme.com",
                json!({"kind": "greenhouse", "config": {"board": "acme"}}),
            ),
            (
                "https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true",
                json!({"kind": "greenhouse", "config": {"board": "acme"}}),
            ),
            (
                "https://jobs.lever.co/acme/1234-abcd",
                json!({"kind": "lever", "config": {"site": "acme"}}),
            ),
            (
                "https://jobs.eu.lever.co/acme",
                json!({"kind": "lever", "config": {"site": "acme", "region": "eu"}}),
            ),
            (
                "https://jobs.ashbyhq.com/Acme-Labs",
                json!({"kind": "ashby", "config": {"board": "Acme-Labs"}}),
            ),
            (
                "https://apply.workable.com/acme/",
                json!({"kind": "workable", "config": {"account": "acme"}}),
            ),
            (
                "https://acme.workable.com/",
                json!({"kind": "workable", "config": {"account": "acme"}}),
            ),
            (
                "https://jobs.smartrecruiters.com/AcmeInc",
                json!({"kind": "smartrecruiters", "config": {"company": "AcmeInc"}}),
            ),
            (
                "https://careers.smartrecruiters.com/AcmeInc/engineering",
                json!({"kind": "smartrecruiters", "config": {"company": "AcmeInc"}}),
            ),
            (
                "https://acme.recruitee.com/o/backend-dev",
                json!({"kind": "recruitee", "config": {"company": "acme"}}),
            ),
            (
                "https://acme.jobs.personio.de/",
                json!({"kind": "personio", "config": {"company": "acme"}}),
            ),
            (
                "https://acme.jobs.personio.com/job/123",
                json!({"kind": "personio", "config": {"company": "acme"}}),
            ),
        ];
        for (raw, expected) in cases {
            let detected = from_url(&url(raw)).unwrap_or_else(|| panic!("{raw} not recognised"));
            assert_eq!(config(&detected), expected, "{raw}");
        }
        assert_eq!(
            from_url(&url("https://boards.greenhouse.io/acme"))
                .unwrap()
                .name,
            "Acme (Greenhouse)"
        );
    }

    #[test]
    fn other_urls_are_not_boards() {
        for raw in [
            "https://acme.com/careers",
            "https://boards.greenhouse.io/",
            "https://boards.greenhouse.io/embed/job_board",
            "https://jobs.lever.co/",
            "https://a.b.recruitee.com/",
            "https://www.workable.com/",
            "https://evil.com/boards.greenhouse.io/acme",
            "https://boards.greenhouse.io.evil.com/acme",
        ] {
            assert_eq!(from_url(&url(raw)), None, "{raw}");
        }
    }

    #[test]
    fn a_careers_page_points_to_its_board() {
        let page = url("https://acme.com/careers");
        let embed = r#"<html><head><title>Careers</title></head><body>
            <div id="grnhse_app"></div>
            <script async src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script></body></html>"#;
        assert_eq!(
            config(&from_page(&page, embed).unwrap()),
            json!({"kind": "greenhouse", "config": {"board": "acme"}})
        );
        let link = "<p>See <a class=btn href='https://jobs.lever.co/acme'>open roles</a></p>";
        assert_eq!(config(&from_page(&page, link).unwrap())["kind"], "lever");
        // A board link wins over a feed announced before it.
        let both = r#"<link rel="alternate" type="application/rss+xml" href="/jobs.rss"><a href="https://jobs.ashbyhq.com/acme">Jobs</a>"#;
        assert_eq!(config(&from_page(&page, both).unwrap())["kind"], "ashby");
    }

    #[test]
    fn announced_feeds_are_found_and_resolved_against_the_page() {
        let page = url("https://blog.acme.com/careers/");
        let html = r#"<head><link rel="stylesheet" href="/a.css"><LINK REL="Alternate" TYPE="application/atom+xml" TITLE="Acme jobs &amp; news" HREF="feed.xml"></head>"#;
        let d = from_page(&page, html).unwrap();
        assert_eq!(
            config(&d),
            json!({"kind": "rss", "config": {"url": "https://blog.acme.com/careers/feed.xml"}})
        );
        assert_eq!(d.name, "Acme jobs & news");
        let json_feed = r#"<link rel="alternate" type="application/feed+json" href="https://acme.com/jobs.json">"#;
        assert_eq!(
            config(&from_page(&page, json_feed).unwrap())["kind"],
            "jsonfeed"
        );
        assert_eq!(
            from_page(
                &page,
                "<html><body><a href='/about'>About</a></body></html>"
            ),
            None
        );
        assert_eq!(from_page(&page, "not html at all < > <<"), None);
    }

    #[test]
    fn a_feed_is_its_own_source() {
        let u = url("https://acme.com/jobs.xml");
        assert_eq!(
            config(&feed_itself(&u, b"<?xml version=\"1.0\"?><rss version=\"2.0\">").unwrap())["kind"],
            "rss"
        );
        assert_eq!(
            config(
                &feed_itself(
                    &u,
                    b"\xef\xbb\xbf<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                )
                .unwrap()
            )["kind"],
            "rss"
        );
        let j = br#"{"version": "https://jsonfeed.org/version/1.1", "items": []}"#;
        assert_eq!(config(&feed_itself(&u, j).unwrap())["kind"], "jsonfeed");
        assert_eq!(feed_itself(&u, b"<!doctype html><html>"), None);
    }
}
