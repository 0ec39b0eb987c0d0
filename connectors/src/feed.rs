//! RSS 2.0 (and RSS 1.0 / RDF) and Atom feeds at a tenant-supplied URL.
//!
//! Feeds are not job boards, so fields are mapped by convention: the entry's title and
//! link, `guid`/`id` as the native id (the link when absent), `content:encoded` or Atom
//! `content` before `description`/`summary`, the author (or the feed's title) as company,
//! and "remote" in the title or a category as the remote flag. Feeds carry no location.

use crate::dates;
use crate::error::SourceError;
use crate::html::{self, Description};
use crate::posting::{Draft, Posting, mentions_remote};
use crate::xml::{self, Element};

pub(crate) fn parse(body: &[u8]) -> Result<Vec<Posting>, SourceError> {
    let root = xml::parse(body).map_err(SourceError::Malformed)?;
    match root.local() {
        "rss" => {
            let channel = root
                .child_local("channel")
                .ok_or_else(|| SourceError::Malformed("RSS feed without a <channel>".into()))?;
            let feed_title = channel.child_text("title").unwrap_or_default();
            Ok(channel
                .elements()
                .filter(|e| e.local() == "item")
                .filter_map(|item| rss_item(item, &feed_title))
                .collect())
        }
        // RSS 1.0 lists its items beside the channel, not inside it.
        "RDF" => {
            let feed_title = root
                .child_local("channel")
                .and_then(|c| c.child_text("title"))
                .unwrap_or_default();
            Ok(root
                .elements()
                .filter(|e| e.local() == "item")
                .filter_map(|item| rss_item(item, &feed_title))
                .collect())
        }
        "feed" => {
            let feed_title = local_text(&root, "title").unwrap_or_default();
            let feed_author = root
                .child_local("author")
                .and_then(|a| local_text(a, "name"));
            Ok(root
                .elements()
                .filter(|e| e.local() == "entry")
                .filter_map(|entry| atom_entry(entry, &feed_title, feed_author.as_deref()))
                .collect())
        }
        other => Err(SourceError::Malformed(format!(
            "expected an RSS or Atom feed, found <{other}>"
        ))),
    }
}

fn local_text(e: &Element, local: &str) -> Option<String> {
    e.child_local(local)
        .map(|c| c.text().trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn rss_item(item: &Element, feed_title: &str) -> Option<Posting> {
    let title = item.child_text("title").unwrap_or_default();
    let link = item.child_text("link").unwrap_or_default();
    let native_id = item.child_text("guid").unwrap_or_else(|| link.clone());
    let categories: Vec<String> = item
        .elements()
        .filter(|e| e.local() == "category")
        .map(|e| e.text())
        .collect();
    let raw = item
        .child("content:encoded")
        .map(Element::text)
        .filter(|t| !t.trim().is_empty())
        .or_else(|| item.child_text("description"))
        .unwrap_or_default();
    let company = item
        .child_text("dc:creator")
        .or_else(|| item.child_text("author"))
        .unwrap_or_else(|| feed_title.to_owned());
    Draft {
        native_id,
        remote: mentions_remote(&title) || categories.iter().any(|c| mentions_remote(c)),
        title,
        company,
        location: String::new(),
        url: link,
        description: html::from_html(&raw),
        posted_at: item
            .child_text("pubDate")
            .or_else(|| item.child_text("dc:date"))
            .as_deref()
            .and_then(dates::parse),
        updated_at: None,
        salary: None,
        department: categories
            .into_iter()
            .map(|c| c.trim().to_owned())
            .find(|c| !c.is_empty()),
    }
    .finish()
}

fn atom_entry(entry: &Element, feed_title: &str, feed_author: Option<&str>) -> Option<Posting> {
    let title = local_text(entry, "title").unwrap_or_default();
    // The alternate link is the page; `rel` defaults to alternate.
    let link = entry
        .elements()
        .filter(|e| e.local() == "link")
        .find(|e| e.attr("rel").is_none_or(|r| r == "alternate"))
        .and_then(|e| e.attr("href"))
        .unwrap_or_default()
        .to_owned();
    let native_id = local_text(entry, "id").unwrap_or_else(|| link.clone());
    let categories: Vec<String> = entry
        .elements()
        .filter(|e| e.local() == "category")
        .filter_map(|e| e.attr("label").or(e.attr("term")).map(str::to_owned))
        .collect();
    let description = entry
        .child_local("content")
        .or_else(|| entry.child_local("summary"))
        .map(atom_text)
        .unwrap_or_default();
    let company = entry
        .child_local("author")
        .and_then(|a| local_text(a, "name"))
        .or_else(|| feed_author.map(str::to_owned))
        .unwrap_or_else(|| feed_title.to_owned());
    let published = local_text(entry, "published")
        .as_deref()
        .and_then(dates::parse);
    let updated = local_text(entry, "updated")
        .as_deref()
        .and_then(dates::parse);
    Draft {
        native_id,
        remote: mentions_remote(&title) || categories.iter().any(|c| mentions_remote(c)),
        title,
        company,
        location: String::new(),
        url: link,
        description,
        posted_at: published.or(updated),
        updated_at: updated,
        salary: None,
        department: categories.into_iter().next(),
    }
    .finish()
}

/// Atom text constructs: `type="text"` (default), `"html"` (escaped markup) or `"xhtml"`
/// (inline markup).
fn atom_text(e: &Element) -> Description {
    match e.attr("type").unwrap_or("text") {
        "html" | "text/html" => html::from_html(&e.text()),
        "xhtml" | "application/xhtml+xml" => html::from_html(&e.inner_markup()),
        _ => html::from_text(&e.text()),
    }
}
