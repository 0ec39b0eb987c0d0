//! Workable's public jobs widget API: `GET {base}/api/accounts/{account}?details=true`
//! (`www.workable.com`, which today redirects to `apply.workable.com/api/v1/widget/...`;
//! the redirect is followed under the SSRF guard). `details=true` adds the descriptions.
//! The account's display name comes with the payload (`name`).

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::config::Slug;
use crate::error::SourceError;
use crate::posting::{Draft, Posting, each, json, mentions_remote, non_empty};
use crate::settings::join;
use crate::{dates, html};

pub(crate) fn endpoint(base: &Url, account: &Slug) -> Url {
    let mut url = join(base, &["api", "accounts", account.as_str()]);
    url.set_query(Some("details=true"));
    url
}

#[derive(Deserialize)]
struct Account {
    name: Option<String>,
    jobs: Vec<Value>,
}

#[derive(Deserialize)]
struct Job {
    title: Option<String>,
    shortcode: Option<String>,
    telecommuting: Option<bool>,
    workplace_type: Option<String>,
    department: Option<String>,
    url: Option<String>,
    shortlink: Option<String>,
    published_on: Option<String>,
    created_at: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    description: Option<String>,
}

pub(crate) fn parse(body: &[u8], account: &Slug) -> Result<Vec<Posting>, SourceError> {
    let page: Account = json(body)?;
    let company = non_empty(page.name.as_deref()).unwrap_or_else(|| account.title_case());
    Ok(each::<Job>(page.jobs)
        .into_iter()
        .filter_map(|job| {
            let location = [&job.city, &job.state, &job.country]
                .into_iter()
                .filter_map(|p| non_empty(p.as_deref()))
                .collect::<Vec<_>>()
                .join(", ");
            let remote = job.telecommuting.unwrap_or(false)
                || job
                    .workplace_type
                    .as_deref()
                    .is_some_and(|w| w.eq_ignore_ascii_case("remote"))
                || mentions_remote(&location);
            Draft {
                native_id: job.shortcode.unwrap_or_default(),
                title: job.title.unwrap_or_default(),
                company: company.clone(),
                location,
                remote,
                url: job.url.or(job.shortlink).unwrap_or_default(),
                description: html::from_html(job.description.as_deref().unwrap_or_default()),
                posted_at: job
                    .published_on
                    .as_deref()
                    .or(job.created_at.as_deref())
                    .and_then(dates::parse),
                updated_at: None,
                salary: None,
                department: job.department,
            }
            .finish()
        })
        .collect())
}
