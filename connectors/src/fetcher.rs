//! [`Fetcher`]: runs one source end to end and says whether anything changed.

use std::collections::HashSet;

use shared::domain::SourceValidators;
use url::Url;

use crate::config::SourceConfig;
use crate::error::SourceError;
use crate::http::{ACCEPT_FEED, ACCEPT_JSON, ACCEPT_JSON_FEED, ACCEPT_XML, Got, HttpClient};
use crate::posting::Posting;
use crate::settings::FetchSettings;
use crate::{
    ashby, feed, greenhouse, jsonfeed, lever, personio, recruitee, smartrecruiters, workable,
};

#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// The source answered 304: nothing to write.
    NotModified,
    Fetched {
        postings: Vec<Posting>,
        /// To store for the next fetch (empty when the source sent none).
        validators: SourceValidators,
    },
}

/// Fetches sources. Build one per container at init and share it: it owns the HTTP client
/// and its connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    pub(crate) http: HttpClient,
    settings: FetchSettings,
}

impl Fetcher {
    /// Builds nothing yet: the HTTP client is made by the first fetch (`LazyClient`), and
    /// a client that cannot be built fails that fetch with the reason.
    pub fn new(settings: FetchSettings) -> Self {
        Self {
            http: HttpClient::new(&settings),
            settings,
        }
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// Fetches `source`, conditionally when `validators` hold something. Postings repeated
    /// within one fetch (same native id) are returned once.
    ///
    /// The whole fetch — every page, retry, back-off and redirect — ends within
    /// `settings.fetch_deadline` or fails as [`SourceError::DeadlineExceeded`]: per-request
    /// timeouts alone let a paged feed that answers just in time chain up to
    /// pages × retries × request timeout.
    pub async fn fetch(
        &self,
        source: &SourceConfig,
        validators: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError> {
        let deadline = self.settings.fetch_deadline;
        let outcome = tokio::time::timeout(deadline, self.fetch_unbounded(source, validators))
            .await
            .unwrap_or(Err(SourceError::DeadlineExceeded {
                secs: deadline.as_secs_f64().ceil() as u64,
            }));
        match &outcome {
            Ok(FetchOutcome::Fetched { postings, .. }) => {
                tracing::info!(
                    kind = source.kind().as_str(),
                    postings = postings.len(),
                    "fetched source"
                );
            }
            Ok(FetchOutcome::NotModified) => {
                tracing::info!(kind = source.kind().as_str(), "source not modified");
            }
            Err(error) => {
                tracing::info!(kind = source.kind().as_str(), %error, transient = error.is_transient(), "source fetch failed");
            }
        }
        outcome
    }

    async fn fetch_unbounded(
        &self,
        source: &SourceConfig,
        validators: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError> {
        let bases = &self.settings.base_urls;
        let outcome = match source {
            SourceConfig::Greenhouse { board } => {
                let url = greenhouse::endpoint(&bases.greenhouse, board);
                self.single(&url, ACCEPT_JSON, validators, |b| {
                    greenhouse::parse(b, board)
                })
                .await
            }
            SourceConfig::Lever { site, region } => {
                let url = lever::endpoint(bases, site, *region);
                self.single(&url, ACCEPT_JSON, validators, |b| lever::parse(b, site))
                    .await
            }
            SourceConfig::Ashby { board } => {
                let url = ashby::endpoint(&bases.ashby, board);
                self.single(&url, ACCEPT_JSON, validators, |b| ashby::parse(b, board))
                    .await
            }
            SourceConfig::Workable { account } => {
                let url = workable::endpoint(&bases.workable, account);
                self.single(&url, ACCEPT_JSON, validators, |b| {
                    workable::parse(b, account)
                })
                .await
            }
            SourceConfig::SmartRecruiters { company } => {
                smartrecruiters::fetch(&self.http, &self.settings, company, validators).await
            }
            SourceConfig::Recruitee { company } => {
                let url = recruitee::endpoint(&bases.recruitee, company)
                    .ok_or_else(|| unbuildable("recruitee"))?;
                self.single(&url, ACCEPT_JSON, validators, |b| {
                    recruitee::parse(b, company)
                })
                .await
            }
            SourceConfig::Personio { company } => {
                let url = personio::endpoint(&bases.personio, company)
                    .ok_or_else(|| unbuildable("personio"))?;
                self.single(&url, ACCEPT_XML, validators, |b| {
                    personio::parse(b, company)
                })
                .await
            }
            SourceConfig::Rss { url } => {
                self.single(url.as_url(), ACCEPT_FEED, validators, feed::parse)
                    .await
            }
            SourceConfig::JsonFeed { url } => self.json_feed(url.as_url(), validators).await,
        };
        outcome.map(dedupe)
    }

    async fn single(
        &self,
        url: &Url,
        accept: &str,
        validators: &SourceValidators,
        parse: impl FnOnce(&[u8]) -> Result<Vec<Posting>, SourceError>,
    ) -> Result<FetchOutcome, SourceError> {
        match self.http.get(url, accept, validators).await? {
            Got::NotModified => Ok(FetchOutcome::NotModified),
            Got::Page(page) => Ok(FetchOutcome::Fetched {
                postings: parse(&page.body)?,
                validators: page.validators,
            }),
        }
    }

    /// Follows `next_url` up to `max_pages`, never visiting a page twice. SourceValidators
    /// apply to the first page: a feed whose first page is unchanged is taken as unchanged.
    async fn json_feed(
        &self,
        start: &Url,
        validators: &SourceValidators,
    ) -> Result<FetchOutcome, SourceError> {
        let mut url = start.clone();
        let mut visited = HashSet::from([url.to_string()]);
        let mut postings = Vec::new();
        let mut first_validators = SourceValidators::default();
        for page_index in 0..self.settings.max_pages.max(1) {
            let conditional = if page_index == 0 {
                validators
            } else {
                &SourceValidators::default()
            };
            let page = match self.http.get(&url, ACCEPT_JSON_FEED, conditional).await? {
                Got::NotModified if page_index == 0 => return Ok(FetchOutcome::NotModified),
                Got::NotModified => break,
                Got::Page(page) => page,
            };
            if page_index == 0 {
                first_validators = page.validators;
            }
            let parsed = jsonfeed::parse(&page.body)?;
            postings.extend(parsed.postings);
            let Some(next) = parsed.next_url.and_then(|n| url.join(&n).ok()) else {
                break;
            };
            if !matches!(next.scheme(), "http" | "https") || !visited.insert(next.to_string()) {
                break;
            }
            url = next;
        }
        Ok(FetchOutcome::Fetched {
            postings,
            validators: first_validators,
        })
    }
}

fn unbuildable(kind: &str) -> SourceError {
    SourceError::Unsupported(format!(
        "no valid {kind} URL could be built for this company"
    ))
}

fn dedupe(outcome: FetchOutcome) -> FetchOutcome {
    match outcome {
        FetchOutcome::Fetched {
            postings,
            validators,
        } => {
            let mut seen = HashSet::new();
            FetchOutcome::Fetched {
                postings: postings
                    .into_iter()
                    .filter(|p| seen.insert(p.native_id.clone()))
                    .collect(),
                validators,
            }
        }
        FetchOutcome::NotModified => FetchOutcome::NotModified,
    }
}
