//! The export: every item a tenant owns, as JSON, in parts of at most ~4 MB.
//!
//! Why parts instead of an S3 object: a part is built from one consistent pass over the
//! tenant's partition in key order and continued by a signed cursor, like every list of the
//! API, so the export needs no bucket, no lifecycle rule, no presigned link that works for
//! whoever holds it, and no second copy of the data at rest. The price is that a client
//! joins the parts (every list is appended; `tenant` and `profile` appear in exactly one
//! part). A synchronous Lambda answer carries at most 6 MB; 4 MB leaves room for the JSON
//! framing and one more job (a job with 50 long notes is ~2 MB). A part also ends after
//! [`PART_TIME`] of reading, whatever its size, so it is answered before the timeout.
//!
//! What leaves the system is decided here, per item kind (the sort key's prefix): an item
//! kind not listed is internal (uniqueness markers, leases, sessions, sockets, counters
//! derived from the jobs) and is not exported. Secrets never leave: every attribute named
//! in `SECRET_ATTRIBUTES` is dropped wherever it appears, and a channel's URL, which is a
//! credential for Slack and Discord, is cut to its origin.

use crate::adapters::dynamo::keys;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{PrivacyError, PrivacyService};
use crate::auth::Principal;
use crate::http::cursor::Position;
use crate::ports::RawItem;
use crate::services::{Invalid, rate_limited};

/// A part stops filling past this many bytes of JSON (deployed value).
pub const PART_BYTES: usize = 4 * 1024 * 1024;
/// A part also ends after this long reading (one Query per job card), so a tenant with
/// many small jobs gets its answer within api-tenant's 10 s timeout, like the CSV export
/// (the same budget, `services::jobs::EXPORT_MAX_TIME`). Read from the service's Clock.
pub const PART_TIME: chrono::Duration =
    chrono::Duration::seconds(crate::services::jobs::EXPORT_MAX_TIME.as_secs() as i64);
const SCOPE: &str = "tenant-export";
const PAGE: usize = 100;

/// Attributes that are secrets or key material, dropped from every exported item.
const SECRET_ATTRIBUTES: &[&str] = &["passwordHash", "signingSecret", "hash", "tokenHash"];
/// Storage bookkeeping with no meaning outside the table.
const INTERNAL_ATTRIBUTES: &[&str] = &["PK", "SK", "entity", "words", "expiresAt"];

#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArchivePart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Value>,
    pub members: Vec<Value>,
    pub sources: Vec<Value>,
    pub usage: Vec<Value>,
    pub notification_settings: Vec<Value>,
    pub channels: Vec<Value>,
    /// Each job card with `body`, `scorings` and `tracking` (stage history and notes).
    pub jobs: Vec<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportPart {
    pub format: &'static str,
    pub exported_at: DateTime<Utc>,
    #[serde(flatten)]
    pub part: ArchivePart,
    /// Ask again with `?cursor=` for the next part; `null` on the last one.
    pub next_cursor: Option<String>,
}

fn sort_key(item: &RawItem) -> &str {
    item.get("SK").and_then(Value::as_str).unwrap_or_default()
}

/// The item without its secrets and storage bookkeeping (and without index attributes).
fn scrub(mut item: RawItem) -> Value {
    item.retain(|name, _| {
        !SECRET_ATTRIBUTES.contains(&name.as_str())
            && !INTERNAL_ATTRIBUTES.contains(&name.as_str())
            && !name.starts_with("GSI")
    });
    Value::Object(item)
}

/// `https://hooks.slack.com/services/T0/B0/secret` → `https://hooks.slack.com`.
fn url_origin(url: &str) -> String {
    let host_start = url.find("://").map_or(0, |i| i + 3);
    let host_end = url[host_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| host_start + i);
    // Credentials in the authority (`user:secret@host`) go too.
    let authority = &url[host_start..host_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{}{host}", &url[..host_start])
}

fn channel(item: RawItem) -> Value {
    let mut value = scrub(item);
    if let Some(Value::String(url)) = value.get("url").cloned() {
        value["url"] = Value::String(url_origin(&url));
        value["urlRedacted"] = Value::Bool(true);
    }
    value
}

/// Files one item of the tenant's partition other than a job card (see [`job`]).
fn file(part: &mut ArchivePart, item: RawItem) {
    let sk = sort_key(&item).to_owned();
    match sk.as_str() {
        keys::TENANT_SK => part.tenant = Some(scrub(item)),
        keys::PROFILE_SK => part.profile = Some(scrub(item)),
        s if s.starts_with(keys::USER_SK_PREFIX) => part.members.push(scrub(item)),
        s if s.starts_with(keys::SOURCE_SK_PREFIX) => part.sources.push(scrub(item)),
        s if s.starts_with(keys::USAGE_SK_PREFIX) => part.usage.push(scrub(item)),
        s if s.starts_with(keys::NOTIFY_SETTINGS_SK_PREFIX) => {
            part.notification_settings.push(scrub(item))
        }
        s if s.starts_with(keys::NOTIFY_CHANNEL_SK_PREFIX) => part.channels.push(channel(item)),
        _ => {}
    }
}

/// A job card with the items of its own partition.
fn job(card: RawItem, partition: Vec<RawItem>) -> Value {
    let mut job = scrub(card);
    let (mut scorings, mut tracking) = (Vec::new(), Vec::new());
    for item in partition {
        let sk = sort_key(&item).to_owned();
        if sk == keys::JOB_BODY_SK {
            job["body"] = scrub(item);
        } else if sk.starts_with(keys::SCORE_SK_PREFIX) {
            scorings.push(scrub(item));
        } else if sk.starts_with(keys::TRACK_SK_PREFIX) {
            tracking.push(scrub(item));
        }
    }
    job["scorings"] = Value::Array(scorings);
    job["tracking"] = Value::Array(tracking);
    job
}

fn job_id(item: &RawItem) -> Option<&str> {
    sort_key(item).strip_prefix(keys::JOB_SK_PREFIX)
}

impl PrivacyService {
    pub async fn export(
        &self,
        principal: Principal,
        cursor: Option<&str>,
    ) -> Result<ExportPart, PrivacyError> {
        self.admin(principal).await?;
        let mut after = match cursor {
            Some(token) => Some(self.open_cursor(principal, token)?),
            None => {
                self.count_export(principal).await?;
                None
            }
        };
        let mut part = ArchivePart::default();
        let mut bytes = 0usize;
        let started = self.clock.now();
        loop {
            let page = self
                .archive
                .tenant_items(principal.tenant, after.as_deref(), PAGE)
                .await?;
            let read = page.items.len();
            for (i, item) in page.items.into_iter().enumerate() {
                after = Some(sort_key(&item).to_owned());
                bytes += self.add(principal, &mut part, item).await?;
                let rest = i + 1 < read || page.more;
                let late = self.clock.now() - started >= PART_TIME;
                if (bytes >= self.part_bytes || late) && rest {
                    return Ok(self.part(part, after.map(|sk| self.seal(principal, sk))));
                }
            }
            if !page.more {
                return Ok(self.part(part, None));
            }
        }
    }

    /// Files the item and answers about how many bytes of JSON it added.
    async fn add(
        &self,
        principal: Principal,
        part: &mut ArchivePart,
        item: RawItem,
    ) -> Result<usize, PrivacyError> {
        if let Some(id) = job_id(&item).map(str::to_owned) {
            let partition = self.archive.job_items(principal.tenant, &id).await?;
            let job = job(item, partition);
            let size = serde_json::to_vec(&job).map_or(0, |v| v.len());
            part.jobs.push(job);
            return Ok(size);
        }
        let size = serde_json::to_vec(&item).map_or(0, |v| v.len());
        file(part, item);
        Ok(size)
    }

    fn part(&self, part: ArchivePart, next_cursor: Option<String>) -> ExportPart {
        ExportPart {
            format: "jobmon-export/1",
            exported_at: self.clock.now(),
            part,
            next_cursor,
        }
    }

    async fn count_export(&self, principal: Principal) -> Result<(), PrivacyError> {
        let key = format!("export:tenant:{}", principal.tenant);
        rate_limited::check(
            &*self.limiter,
            &key,
            super::EXPORTS_PER_DAY,
            86_400,
            self.clock.now(),
        )
        .await
    }

    fn seal(&self, principal: Principal, sk: String) -> String {
        let position = Position::from([("SK".to_owned(), sk)]);
        self.cursors.seal(principal.tenant, SCOPE, &position)
    }

    fn open_cursor(&self, principal: Principal, token: &str) -> Result<String, PrivacyError> {
        self.cursors
            .open(token, principal.tenant, SCOPE)
            .ok()
            .and_then(|mut p| p.remove("SK"))
            .ok_or_else(|| Invalid::new("cursor", "is not a cursor of this export").into())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(value: Value) -> RawItem {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn secrets_and_bookkeeping_are_dropped_from_every_item() {
        let scrubbed = scrub(item(json!({
            "PK": "T#1", "SK": "USER#2", "GSI1PK": "x", "entity": "user", "words": ["a"],
            "passwordHash": "$argon2id$v=19$...", "signingSecret": "whsec", "hash": "ab",
            "email": "a@example.com", "role": "admin"
        })));
        assert_eq!(scrubbed, json!({"email": "a@example.com", "role": "admin"}));
    }

    #[test]
    fn a_channel_url_keeps_only_its_origin() {
        assert_eq!(
            url_origin("https://hooks.slack.com/services/T0/B0/secret?x=1"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            url_origin("https://user:pw@example.com:8443/hook#frag"),
            "https://example.com:8443"
        );
        assert_eq!(url_origin("https://discord.com"), "https://discord.com");
        let mut part = ArchivePart::default();
        file(
            &mut part,
            item(
                json!({"SK": "NOTIFY#CHANNEL#c1", "url": "https://discord.com/api/webhooks/1/tok", "kind": "discord"}),
            ),
        );
        assert_eq!(
            part.channels,
            vec![json!({"url": "https://discord.com", "urlRedacted": true, "kind": "discord"})]
        );
    }

    #[test]
    fn each_item_kind_goes_to_its_section_and_internal_kinds_stay_out() {
        let mut part = ArchivePart::default();
        for sk in [
            "TENANT",
            "PROFILE",
            "USER#u",
            "SOURCE#s",
            "USAGE#2026-11",
            "NOTIFY#USER#u",
            "NOTIFY#CHANNEL#c",
            "SESSION#u#f",
            "CONN#c",
            "URL#h",
            "FP#f",
            "NATIVE#s#h",
            "INGEST_LEASE",
            "ADMIT#a",
            "DAY#2026-11-30",
        ] {
            file(&mut part, item(json!({ "SK": sk, "n": 1 })));
        }
        assert!(part.tenant.is_some() && part.profile.is_some());
        for section in [
            &part.members,
            &part.sources,
            &part.usage,
            &part.notification_settings,
            &part.channels,
        ] {
            assert_eq!(section.len(), 1);
        }
        assert!(part.jobs.is_empty());
    }

    #[test]
    fn a_job_carries_its_body_scorings_and_tracking() {
        let job = job(
            item(json!({"SK": "JOB#j", "title": "Rust"})),
            vec![
                item(json!({"SK": "BODY", "description": "d"})),
                item(json!({"SK": "SCORE#0000000001", "score": 7})),
                item(json!({"SK": "TRACK#2026#x", "kind": "note", "text": "called"})),
            ],
        );
        assert_eq!(job["title"], "Rust");
        assert_eq!(job["body"], json!({"description": "d"}));
        assert_eq!(job["scorings"], json!([{"score": 7}]));
        assert_eq!(job["tracking"], json!([{"kind": "note", "text": "called"}]));
    }
}
