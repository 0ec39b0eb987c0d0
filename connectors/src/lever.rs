//! Lever Postings API: `GET {base}/v0/postings/{site}?mode=json` on `api.lever.co`, or on
//! `api.eu.lever.co` for sites on Lever's EU instance.
//!
//! The description is assembled as Lever's hosted page shows it: `description`, then each
//! of `lists` (`{text, content}`, content being `<li>` items) under its heading, then
//! `additional`. Lever does not send a company name; the site name is title-cased.

use serde::Deserialize;
use url::Url;

use crate::config::{LeverRegion, Slug};
use crate::error::SourceError;
use crate::posting::{Draft, Posting, Salary, each, json, mentions_remote};
use crate::settings::{BaseUrls, join};
use crate::{dates, html};

pub(crate) fn endpoint(bases: &BaseUrls, site: &Slug, region: LeverRegion) -> Url {
    let base = match region {
        LeverRegion::Global => &bases.lever,
        LeverRegion::Eu => &bases.lever_eu,
    };
    let mut url = join(base, &["v0", "postings", site.as_str()]);
    url.set_query(Some("mode=json"));
    url
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeverPosting {
    id: String,
    text: Option<String>,
    hosted_url: Option<String>,
    #[serde(default)]
    categories: Categories,
    description: Option<String>,
    description_plain: Option<String>,
    #[serde(default)]
    lists: Vec<List>,
    additional: Option<String>,
    workplace_type: Option<String>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    salary_range: Option<SalaryRange>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Categories {
    location: Option<String>,
    team: Option<String>,
    department: Option<String>,
    #[serde(default)]
    all_locations: Vec<String>,
}

#[derive(Deserialize)]
struct List {
    text: Option<String>,
    content: Option<String>,
}

#[derive(Deserialize)]
struct SalaryRange {
    min: Option<f64>,
    max: Option<f64>,
    currency: Option<String>,
    interval: Option<String>,
}

pub(crate) fn parse(body: &[u8], site: &Slug) -> Result<Vec<Posting>, SourceError> {
    let items: Vec<serde_json::Value> = json(body)?;
    let company = site.title_case();
    Ok(each::<LeverPosting>(items)
        .into_iter()
        .filter_map(|p| {
            let location = p
                .categories
                .location
                .clone()
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| p.categories.all_locations.join(" / "));
            let remote = p.workplace_type.as_deref().map_or_else(
                || mentions_remote(&location),
                |w| w.eq_ignore_ascii_case("remote"),
            );
            let description = description(&p);
            Draft {
                native_id: p.id,
                title: p.text.unwrap_or_default(),
                company: company.clone(),
                location,
                remote,
                url: p.hosted_url.unwrap_or_default(),
                description,
                posted_at: p.created_at.and_then(dates::from_epoch_millis),
                updated_at: p.updated_at.and_then(dates::from_epoch_millis),
                salary: p.salary_range.and_then(|s| {
                    Salary::new(s.min, s.max, s.currency.as_deref(), s.interval.as_deref())
                }),
                department: p.categories.department.or(p.categories.team),
            }
            .finish()
        })
        .collect())
}

fn description(p: &LeverPosting) -> html::Description {
    let mut raw = p.description.clone().unwrap_or_default();
    for list in &p.lists {
        if let Some(heading) = list.text.as_deref().filter(|t| !t.trim().is_empty()) {
            raw.push_str(&format!("<h3>{}</h3>", html_escape::encode_text(heading)));
        }
        raw.push_str(&format!(
            "<ul>{}</ul>",
            list.content.as_deref().unwrap_or_default()
        ));
    }
    raw.push_str(p.additional.as_deref().unwrap_or_default());
    if raw.trim().is_empty() {
        return html::from_text(p.description_plain.as_deref().unwrap_or_default());
    }
    html::from_html(&raw)
}
