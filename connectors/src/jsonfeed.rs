//! JSON Feed 1.1 (and 1.0) at a tenant-supplied URL, following `next_url` up to the page
//! cap. Items need an `id` and a `url` (or `external_url`); `content_html` is preferred
//! over `content_text`. The company is the item's first author, else the feed's, else the
//! feed title.

use serde::Deserialize;
use serde_json::Value;

use crate::dates;
use crate::error::SourceError;
use crate::html;
use crate::posting::{Draft, Posting, each, id_string, json, mentions_remote, non_empty};

#[derive(Deserialize)]
struct Feed {
    version: Option<String>,
    title: Option<String>,
    next_url: Option<String>,
    #[serde(default)]
    authors: Vec<Author>,
    author: Option<Author>,
    items: Vec<Value>,
}

#[derive(Deserialize)]
struct Author {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    id: Value,
    url: Option<String>,
    external_url: Option<String>,
    title: Option<String>,
    content_html: Option<String>,
    content_text: Option<String>,
    summary: Option<String>,
    date_published: Option<String>,
    date_modified: Option<String>,
    #[serde(default)]
    authors: Vec<Author>,
    author: Option<Author>,
    #[serde(default)]
    tags: Vec<String>,
}

pub(crate) struct FeedPage {
    pub postings: Vec<Posting>,
    pub next_url: Option<String>,
}

fn first_name(authors: &[Author], legacy: Option<&Author>) -> Option<String> {
    authors
        .iter()
        .chain(legacy)
        .find_map(|a| non_empty(a.name.as_deref()))
}

pub(crate) fn parse(body: &[u8]) -> Result<FeedPage, SourceError> {
    let feed: Feed = json(body)?;
    if !feed
        .version
        .as_deref()
        .is_some_and(|v| v.starts_with("https://jsonfeed.org/version/"))
    {
        return Err(SourceError::Malformed(
            "not a JSON Feed (no jsonfeed.org version)".into(),
        ));
    }
    let feed_company = first_name(&feed.authors, feed.author.as_ref())
        .or_else(|| non_empty(feed.title.as_deref()))
        .unwrap_or_default();
    let postings = each::<Item>(feed.items)
        .into_iter()
        .filter_map(|item| {
            let title = item.title.clone().unwrap_or_default();
            let description = match (&item.content_html, &item.content_text) {
                (Some(h), _) if !h.trim().is_empty() => html::from_html(h),
                (_, Some(t)) if !t.trim().is_empty() => html::from_text(t),
                _ => html::from_text(item.summary.as_deref().unwrap_or_default()),
            };
            Draft {
                native_id: id_string(&item.id).unwrap_or_default(),
                remote: mentions_remote(&title) || item.tags.iter().any(|t| mentions_remote(t)),
                title,
                company: first_name(&item.authors, item.author.as_ref())
                    .unwrap_or_else(|| feed_company.clone()),
                location: String::new(),
                url: item
                    .url
                    .clone()
                    .or(item.external_url.clone())
                    .unwrap_or_default(),
                description,
                posted_at: item.date_published.as_deref().and_then(dates::parse),
                updated_at: item.date_modified.as_deref().and_then(dates::parse),
                salary: None,
                department: None,
            }
            .finish()
        })
        .collect();
    Ok(FeedPage {
        postings,
        next_url: non_empty(feed.next_url.as_deref()),
    })
}
