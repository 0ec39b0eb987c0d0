//! Recruitee careers site API: `GET https://{company}.recruitee.com/api/offers/`.
//!
//! Only `status: "published"` offers are kept (the public endpoint should send nothing
//! else; an entry without a status is taken as published). Dates look like
//! `2024-01-10 10:00:00 UTC`.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::config::Slug;
use crate::error::SourceError;
use crate::posting::{Draft, Posting, Salary, each, id_string, json, mentions_remote, non_empty};
use crate::settings::company_url;
use crate::{dates, html};

pub(crate) fn endpoint(template: &str, company: &Slug) -> Option<Url> {
    company_url(template, company.as_str(), &["api", "offers", ""])
}

#[derive(Deserialize)]
struct Offers {
    offers: Vec<Value>,
}

#[derive(Deserialize)]
struct Offer {
    id: Value,
    title: Option<String>,
    status: Option<String>,
    careers_url: Option<String>,
    description: Option<String>,
    requirements: Option<String>,
    location: Option<String>,
    city: Option<String>,
    country: Option<String>,
    remote: Option<bool>,
    department: Option<String>,
    company_name: Option<String>,
    published_at: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    salary: Option<RecruiteeSalary>,
}

#[derive(Deserialize)]
struct RecruiteeSalary {
    min: Option<Value>,
    max: Option<Value>,
    currency: Option<String>,
    period: Option<String>,
}

/// Recruitee sends salary bounds as strings (`"50000.0"`) or numbers.
fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn parse(body: &[u8], company: &Slug) -> Result<Vec<Posting>, SourceError> {
    let page: Offers = json(body)?;
    let fallback_company = company.title_case();
    Ok(each::<Offer>(page.offers)
        .into_iter()
        .filter(|o| o.status.as_deref().is_none_or(|s| s == "published"))
        .filter_map(|o| {
            let location = non_empty(o.location.as_deref()).unwrap_or_else(|| {
                [&o.city, &o.country]
                    .into_iter()
                    .filter_map(|p| non_empty(p.as_deref()))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let mut raw = o.description.clone().unwrap_or_default();
            raw.push_str(o.requirements.as_deref().unwrap_or_default());
            Draft {
                native_id: id_string(&o.id).unwrap_or_default(),
                title: o.title.clone().unwrap_or_default(),
                company: non_empty(o.company_name.as_deref())
                    .unwrap_or_else(|| fallback_company.clone()),
                remote: o.remote.unwrap_or(false) || mentions_remote(&location),
                location,
                url: o.careers_url.clone().unwrap_or_default(),
                description: html::from_html(&raw),
                posted_at: o
                    .published_at
                    .as_deref()
                    .or(o.created_at.as_deref())
                    .and_then(dates::parse),
                updated_at: o.updated_at.as_deref().and_then(dates::parse),
                salary: o.salary.as_ref().and_then(|s| {
                    Salary::new(
                        number(s.min.as_ref()),
                        number(s.max.as_ref()),
                        s.currency.as_deref(),
                        s.period.as_deref(),
                    )
                }),
                department: o.department.clone(),
            }
            .finish()
        })
        .collect())
}
