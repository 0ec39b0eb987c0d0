//! Ashby public job posting API:
//! `GET {base}/posting-api/job-board/{board}?includeCompensation=true`.
//!
//! Unlisted postings (`isListed: false`) are reachable by link only and are skipped. Pay
//! comes from the `Salary` component of `compensation.summaryComponents`, or failing that
//! the widest range over the `Salary` components of all `compensationTiers`. The payload
//! names no company; the board name is title-cased.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::config::Slug;
use crate::error::SourceError;
use crate::posting::{Draft, Posting, Salary, each, json, mentions_remote};
use crate::settings::join;
use crate::{dates, html};

pub(crate) fn endpoint(base: &Url, board: &Slug) -> Url {
    let mut url = join(base, &["posting-api", "job-board", board.as_str()]);
    url.set_query(Some("includeCompensation=true"));
    url
}

#[derive(Deserialize)]
struct Board {
    jobs: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job {
    id: Option<String>,
    title: Option<String>,
    location: Option<String>,
    department: Option<String>,
    team: Option<String>,
    is_listed: Option<bool>,
    is_remote: Option<bool>,
    workplace_type: Option<String>,
    description_html: Option<String>,
    description_plain: Option<String>,
    published_at: Option<String>,
    updated_at: Option<String>,
    job_url: Option<String>,
    compensation: Option<Compensation>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Compensation {
    #[serde(default)]
    summary_components: Vec<Component>,
    #[serde(default)]
    compensation_tiers: Vec<Tier>,
}

#[derive(Deserialize)]
struct Tier {
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    compensation_type: Option<String>,
    interval: Option<String>,
    currency_code: Option<String>,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

impl Component {
    fn is_salary(&self) -> bool {
        self.compensation_type.as_deref() == Some("Salary")
    }
}

pub(crate) fn parse(body: &[u8], board: &Slug) -> Result<Vec<Posting>, SourceError> {
    let page: Board = json(body)?;
    let company = board.title_case();
    Ok(each::<Job>(page.jobs)
        .into_iter()
        .filter(|job| job.is_listed != Some(false))
        .filter_map(|job| {
            let location = job.location.clone().unwrap_or_default();
            let remote = job.is_remote.unwrap_or(false)
                || job
                    .workplace_type
                    .as_deref()
                    .is_some_and(|w| w.eq_ignore_ascii_case("remote"))
                || mentions_remote(&location);
            let url = job.job_url.clone().unwrap_or_default();
            let native_id = job
                .id
                .clone()
                .or_else(|| url.rsplit('/').find(|s| !s.is_empty()).map(str::to_owned))
                .unwrap_or_default();
            let description = match job.description_html.as_deref() {
                Some(h) if !h.trim().is_empty() => html::from_html(h),
                _ => html::from_text(job.description_plain.as_deref().unwrap_or_default()),
            };
            Draft {
                native_id,
                title: job.title.clone().unwrap_or_default(),
                company: company.clone(),
                location,
                remote,
                url,
                description,
                posted_at: job.published_at.as_deref().and_then(dates::parse),
                updated_at: job.updated_at.as_deref().and_then(dates::parse),
                salary: job.compensation.as_ref().and_then(salary),
                department: job.department.clone().or_else(|| job.team.clone()),
            }
            .finish()
        })
        .collect())
}

fn salary(c: &Compensation) -> Option<Salary> {
    if let Some(s) = c.summary_components.iter().find(|s| s.is_salary()) {
        return Salary::new(
            s.min_value,
            s.max_value,
            s.currency_code.as_deref(),
            s.interval.as_deref(),
        );
    }
    let salaries: Vec<&Component> = c
        .compensation_tiers
        .iter()
        .flat_map(|t| &t.components)
        .filter(|s| s.is_salary())
        .collect();
    let first = salaries.first()?;
    let min = salaries.iter().filter_map(|s| s.min_value).reduce(f64::min);
    let max = salaries.iter().filter_map(|s| s.max_value).reduce(f64::max);
    Salary::new(
        min,
        max,
        first.currency_code.as_deref(),
        first.interval.as_deref(),
    )
}
