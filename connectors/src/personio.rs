//! Personio XML feed: `GET https://{company}.jobs.personio.de/xml`.
//!
//! `<workzag-jobs><position>` with `id`, `name`, `office`, `department`, `subcompany`,
//! `createdAt` and `jobDescriptions/jobDescription/{name,value}` (value is HTML in CDATA).
//! The feed carries no links; a posting's page is `https://{company}.jobs.personio.de/job/{id}`
//! on the public host, whatever base URL the feed was fetched from.

use url::Url;

use crate::config::Slug;
use crate::error::SourceError;
use crate::posting::{Draft, Posting, mentions_remote};
use crate::settings::{PERSONIO_PUBLIC, company_url};
use crate::{dates, html, xml};

pub(crate) fn endpoint(template: &str, company: &Slug) -> Option<Url> {
    company_url(template, company.as_str(), &["xml"])
}

pub(crate) fn parse(body: &[u8], company: &Slug) -> Result<Vec<Posting>, SourceError> {
    let root = xml::parse(body).map_err(SourceError::Malformed)?;
    if root.local() != "workzag-jobs" {
        return Err(SourceError::Malformed(format!(
            "expected a Personio <workzag-jobs> feed, found <{}>",
            root.name
        )));
    }
    let fallback_company = company.title_case();
    Ok(root
        .elements()
        .filter(|e| e.name == "position")
        .filter_map(|position| {
            let id = position.child_text("id").unwrap_or_default();
            let location = position.child_text("office").unwrap_or_default();
            let mut raw = String::new();
            if let Some(sections) = position.child("jobDescriptions") {
                for section in sections.elements().filter(|e| e.name == "jobDescription") {
                    if let Some(heading) = section.child_text("name") {
                        raw.push_str(&format!("<h3>{}</h3>", html_escape::encode_text(&heading)));
                    }
                    raw.push_str(&section.child_text("value").unwrap_or_default());
                }
            }
            let url = company_url(PERSONIO_PUBLIC, company.as_str(), &["job", &id])
                .map(String::from)
                .unwrap_or_default();
            Draft {
                title: position.child_text("name").unwrap_or_default(),
                company: position
                    .child_text("subcompany")
                    .unwrap_or_else(|| fallback_company.clone()),
                remote: mentions_remote(&location),
                location,
                url,
                description: html::from_html(&raw),
                posted_at: position
                    .child_text("createdAt")
                    .as_deref()
                    .and_then(dates::parse),
                updated_at: None,
                salary: None,
                department: position.child_text("department"),
                native_id: id,
            }
            .finish()
        })
        .collect())
}
