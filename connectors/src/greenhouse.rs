//! Greenhouse Job Board API: `GET {base}/v1/boards/{board}/jobs?content=true`.
//!
//! One call returns the whole board with descriptions. `content` is HTML escaped once
//! more (`&lt;p&gt;`). The company name is taken from a job's `company_name` when the board
//! sends it and is the title-cased board token otherwise; the board endpoint
//! (`/v1/boards/{board}`) would name it but costs a second request per fetch.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::config::Slug;
use crate::error::SourceError;
use crate::posting::{Draft, Posting, each, id_string, json, mentions_remote};
use crate::settings::join;
use crate::{dates, html};

pub(crate) fn endpoint(base: &Url, board: &Slug) -> Url {
    let mut url = join(base, &["v1", "boards", board.as_str(), "jobs"]);
    url.set_query(Some("content=true"));
    url
}

#[derive(Deserialize)]
struct Board {
    jobs: Vec<Value>,
}

#[derive(Deserialize)]
struct Job {
    id: Value,
    title: Option<String>,
    absolute_url: Option<String>,
    location: Option<Named>,
    updated_at: Option<String>,
    first_published: Option<String>,
    content: Option<String>,
    #[serde(default)]
    departments: Vec<Named>,
    company_name: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

pub(crate) fn parse(body: &[u8], board: &Slug) -> Result<Vec<Posting>, SourceError> {
    let page: Board = json(body)?;
    let fallback_company = board.title_case();
    Ok(each::<Job>(page.jobs)
        .into_iter()
        .filter_map(|job| {
            let location = job.location.and_then(|l| l.name).unwrap_or_default();
            Draft {
                native_id: id_string(&job.id).unwrap_or_default(),
                title: job.title.unwrap_or_default(),
                company: job
                    .company_name
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or_else(|| fallback_company.clone()),
                remote: mentions_remote(&location),
                location,
                url: job.absolute_url.unwrap_or_default(),
                description: html::from_escaped_html(job.content.as_deref().unwrap_or_default()),
                posted_at: job.first_published.as_deref().and_then(dates::parse),
                updated_at: job.updated_at.as_deref().and_then(dates::parse),
                salary: None,
                department: job.departments.into_iter().find_map(|d| d.name),
            }
            .finish()
        })
        .collect())
}
