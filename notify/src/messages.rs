//! What a channel receives for a matching job: Slack Block Kit, a Discord embed, or the
//! generic webhook's JSON, which is signed like the scoring webhook
//! (`X-Jobmon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the key
//! being the channel's `signingSecret` string as UTF-8).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::domain::{Score, TenantId};

use crate::deliver::ScoredJob;
use crate::settings::ChannelKind;

/// One matching job, as every message shows it.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub tenant: TenantId,
    pub job: &'a ScoredJob,
    pub score: Score,
    /// The job in the dashboard: `<app url>/jobs/<id>`.
    pub link: String,
}

impl<'a> Match<'a> {
    pub fn new(tenant: TenantId, job: &'a ScoredJob, score: Score, app_url: &str) -> Self {
        Self {
            tenant,
            job,
            score,
            link: format!("{}/jobs/{}", app_url.trim_end_matches('/'), job.id),
        }
    }

    fn place(&self) -> String {
        let mut place = self.job.location.clone();
        if self.job.remote {
            place = if place.is_empty() {
                "Remote".into()
            } else {
                format!("{place} (remote)")
            };
        }
        place
    }

    /// The one-line summary: also the Slack notification text and the e-mail subject.
    pub fn headline(&self) -> String {
        format!(
            "New match {}/10: {} at {}",
            self.score, self.job.title, self.job.company
        )
    }
}

/// Slack mrkdwn treats `&`, `<` and `>` as control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON body for `kind`.
pub fn body(kind: ChannelKind, m: &Match<'_>, now: DateTime<Utc>) -> Value {
    match kind {
        ChannelKind::Slack => slack(m),
        ChannelKind::Discord => discord(m),
        ChannelKind::Webhook => webhook(m, now),
    }
}

fn slack(m: &Match<'_>) -> Value {
    let title = format!("*<{}|{}>*", m.link, slack_escape(&m.job.title));
    json!({
        "text": m.headline(),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": title}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": format!("*Score*\n{}/10", m.score)},
                {"type": "mrkdwn", "text": format!("*Company*\n{}", slack_escape(&m.job.company))},
                {"type": "mrkdwn", "text": format!("*Location*\n{}", slack_escape(&m.place()))},
            ]},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": format!("<{}|Original posting>", m.job.url)}
            ]}
        ]
    })
}

/// Discord caps an embed title at 256 characters.
fn discord(m: &Match<'_>) -> Value {
    let title: String = m.job.title.chars().take(256).collect();
    json!({
        "content": m.headline(),
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": title,
            "url": m.link,
            "color": 0x2563eb,
            "fields": [
                {"name": "Score", "value": format!("{}/10", m.score), "inline": true},
                {"name": "Company", "value": m.job.company, "inline": true},
                {"name": "Location", "value": m.place(), "inline": true},
            ]
        }]
    })
}

fn webhook(m: &Match<'_>, now: DateTime<Utc>) -> Value {
    json!({
        "type": "job.matched",
        "tenantId": m.tenant,
        "sentAt": now,
        "job": {
            "id": m.job.id,
            "title": m.job.title,
            "company": m.job.company,
            "location": m.job.location,
            "remote": m.job.remote,
            "url": m.job.url,
            "score": m.score,
            "dashboardUrl": m.link,
        }
    })
}
