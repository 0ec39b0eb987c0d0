//! SmartRecruiters Posting API.
//!
//! The list, `GET {base}/v1/companies/{company}/postings?limit=100&offset=N`, is paged by
//! `totalFound` and has no descriptions; each description needs
//! `GET {base}/v1/companies/{company}/postings/{id}` (`jobAd.sections`). Detail calls are
//! capped (`max_detail_requests`, in list order) and run `detail_concurrency` at a time; a
//! posting past the cap, or whose detail call fails, keeps an empty description rather
//! than failing the fetch. Conditional GET applies to the first list page only.
//!
//! Posting links are built as `https://jobs.smartrecruiters.com/{company}/{id}` (which
//! SmartRecruiters redirects to the slugged page) so the canonical URL is the same whether
//! or not a detail call was made.

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::config::Slug;
use crate::dates;
use crate::error::SourceError;
use crate::fetcher::FetchOutcome;
use crate::html::{self, Description};
use crate::http::{ACCEPT_JSON, Got, HttpClient};
use crate::posting::{Draft, each, json, non_empty};
use crate::settings::{FetchSettings, join};
use shared::domain::SourceValidators;

const PAGE_SIZE: usize = 100;
const PUBLIC_JOBS_HOST: &str = "https://jobs.smartrecruiters.com";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPage {
    total_found: Option<usize>,
    content: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    id: String,
    name: Option<String>,
    released_date: Option<String>,
    company: Option<Company>,
    location: Option<Location>,
    department: Option<Label>,
}

#[derive(Deserialize)]
struct Company {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    full_location: Option<String>,
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
    remote: Option<bool>,
}

#[derive(Deserialize)]
struct Label {
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    job_ad: Option<JobAd>,
}

#[derive(Deserialize)]
struct JobAd {
    sections: Option<Sections>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sections {
    company_description: Option<Section>,
    job_description: Option<Section>,
    qualifications: Option<Section>,
    additional_information: Option<Section>,
}

#[derive(Deserialize)]
struct Section {
    title: Option<String>,
    text: Option<String>,
}

pub(crate) fn list_endpoint(base: &Url, company: &Slug, offset: usize) -> Url {
    let mut url = join(base, &["v1", "companies", company.as_str(), "postings"]);
    url.set_query(Some(&format!("limit={PAGE_SIZE}&offset={offset}")));
    url
}

pub(crate) fn detail_endpoint(base: &Url, company: &Slug, id: &str) -> Url {
    join(base, &["v1", "companies", company.as_str(), "postings", id])
}

pub(crate) async fn fetch(
    http: &HttpClient,
    settings: &FetchSettings,
    company: &Slug,
    validators: &SourceValidators,
) -> Result<FetchOutcome, SourceError> {
    let base = &settings.base_urls.smartrecruiters;
    let mut summaries: Vec<Summary> = Vec::new();
    let mut first_validators = SourceValidators::default();
    for page_index in 0..settings.max_pages.max(1) {
        let offset = page_index * PAGE_SIZE;
        let conditional = if page_index == 0 {
            validators
        } else {
            &SourceValidators::default()
        };
        let page = match http
            .get(
                &list_endpoint(base, company, offset),
                ACCEPT_JSON,
                conditional,
            )
            .await?
        {
            Got::NotModified if page_index == 0 => return Ok(FetchOutcome::NotModified),
            Got::NotModified => break,
            Got::Page(page) => page,
        };
        if page_index == 0 {
            first_validators = page.validators;
        }
        let list: ListPage = json(&page.body)?;
        let received = list.content.len();
        summaries.extend(each::<Summary>(list.content));
        let total = list.total_found.unwrap_or(0);
        if received == 0 || offset + received >= total {
            break;
        }
    }

    let mut descriptions = descriptions(http, settings, company, &summaries).await;

    let fallback_company = company.title_case();
    let postings = summaries
        .into_iter()
        .filter_map(|s| {
            let location = s.location.as_ref();
            let location_text = location_text(location);
            let url = join(
                &Url::parse(PUBLIC_JOBS_HOST).ok()?,
                &[company.as_str(), s.id.as_str()],
            );
            Draft {
                description: descriptions.remove(&s.id).unwrap_or_default(),
                title: s.name.unwrap_or_default(),
                company: s
                    .company
                    .and_then(|c| non_empty(c.name.as_deref()))
                    .unwrap_or_else(|| fallback_company.clone()),
                remote: location.and_then(|l| l.remote).unwrap_or(false),
                location: location_text,
                url: url.into(),
                posted_at: s.released_date.as_deref().and_then(dates::parse),
                updated_at: None,
                salary: None,
                department: s.department.and_then(|d| d.label),
                native_id: s.id,
            }
            .finish()
        })
        .collect();
    Ok(FetchOutcome::Fetched {
        postings,
        validators: first_validators,
    })
}

/// The description of each of the first `max_detail_requests` postings, fetched
/// concurrently; a failed detail call leaves that posting without one.
async fn descriptions(
    http: &HttpClient,
    settings: &FetchSettings,
    company: &Slug,
    summaries: &[Summary],
) -> std::collections::HashMap<String, Description> {
    let base = &settings.base_urls.smartrecruiters;
    let detail_ids: Vec<String> = summaries
        .iter()
        .take(settings.max_detail_requests)
        .map(|s| s.id.clone())
        .collect();
    futures_util::stream::iter(detail_ids)
        .map(|id| async move {
            let url = detail_endpoint(base, company, &id);
            let description = match http
                .get(&url, ACCEPT_JSON, &SourceValidators::default())
                .await
            {
                Ok(Got::Page(page)) => json::<Detail>(&page.body).ok().map(|d| description(&d)),
                Ok(Got::NotModified) => None,
                Err(error) => {
                    tracing::info!(posting = %id, %error, "SmartRecruiters detail call failed");
                    None
                }
            };
            (id, description)
        })
        .buffer_unordered(settings.detail_concurrency.max(1))
        .filter_map(|(id, d)| async move { d.map(|d| (id, d)) })
        .collect()
        .await
}

/// `fullLocation`, else city, region and country joined.
fn location_text(location: Option<&Location>) -> String {
    location
        .and_then(|l| non_empty(l.full_location.as_deref()))
        .unwrap_or_else(|| {
            location
                .map(|l| {
                    [&l.city, &l.region, &l.country]
                        .into_iter()
                        .filter_map(|p| non_empty(p.as_deref()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        })
}

fn description(detail: &Detail) -> Description {
    let Some(sections) = detail.job_ad.as_ref().and_then(|a| a.sections.as_ref()) else {
        return Description::default();
    };
    let mut raw = String::new();
    for section in [
        &sections.company_description,
        &sections.job_description,
        &sections.qualifications,
        &sections.additional_information,
    ]
    .into_iter()
    .flatten()
    {
        let Some(text) = section.text.as_deref().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        if let Some(title) = section.title.as_deref().filter(|t| !t.trim().is_empty()) {
            raw.push_str(&format!("<h3>{}</h3>", html_escape::encode_text(title)));
        }
        raw.push_str(text);
    }
    html::from_html(&raw)
}
