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
    /// The score's reason, clipped to [`REASON_CHARS`].
    pub reason: String,
    /// The job in the dashboard: `<app url>/jobs/<id>`.
    pub link: String,
}

impl<'a> Match<'a> {
    pub fn new(
        tenant: TenantId,
        job: &'a ScoredJob,
        score: Score,
        reason: &str,
        app_url: &str,
    ) -> Self {
        Self {
            tenant,
            job,
            score,
            reason: clip(reason.trim(), REASON_CHARS),
            link: format!("{}/jobs/{}", app_url.trim_end_matches('/'), job.id),
        }
    }

    pub fn place(&self) -> String {
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

/// The longest reason a message shows. Scorers write a sentence or two; an LLM or a
/// scoring webhook may write pages, and Slack (3,000 per text block) and Discord (4,096
/// per embed description) refuse the whole message past their limits.
pub const REASON_CHARS: usize = 500;

/// `text` cut to at most `max` characters, an ellipsis marking a cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max - 1).collect();
    clipped.push('…');
    clipped
}

/// Slack mrkdwn treats `&`, `<` and `>` as control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The most matches one message lists; the rest are counted ("and 4 more"). Discord takes
/// at most 10 embeds per message, Slack 50 blocks.
pub const BATCH_LISTED: usize = 10;

/// Discord refuses a message whose embeds hold more than 6,000 characters together (titles,
/// descriptions, field names and values): a batch lists only as many as fit.
pub const DISCORD_EMBED_CHARS: usize = 6000;

/// `matches` best first (a stable sort: equal scores keep their order).
pub fn best_first<'a, 'b>(matches: &'b [Match<'a>]) -> Vec<&'b Match<'a>> {
    let mut sorted: Vec<&Match<'a>> = matches.iter().collect();
    sorted.sort_by_key(|m| std::cmp::Reverse(m.score));
    sorted
}

/// The one-line summary of several matches (at least one), best first: the Slack and
/// Discord text and the e-mail subject. One match reads as [`Match::headline`].
pub fn batch_headline(matches: &[&Match<'_>]) -> String {
    match matches {
        [] => String::new(),
        [one] => one.headline(),
        [best, ..] => format!(
            "{} new matches, best {}/10: {} at {}",
            matches.len(),
            best.score,
            best.job.title,
            best.job.company
        ),
    }
}

/// The message a channel gets for the matches found together (one message, not one per
/// job), best first; one match gets [`body`]'s message.
pub fn batch_body(kind: ChannelKind, matches: &[&Match<'_>], now: DateTime<Utc>) -> Value {
    match (kind, matches) {
        (_, [one]) => body(kind, one, now),
        (ChannelKind::Slack, _) => slack_batch(matches),
        (ChannelKind::Discord, _) => discord_batch(matches),
        (ChannelKind::Webhook, _) => webhook_batch(matches, now),
    }
}

/// "and N more" for the matches a message could not list.
fn more(total: usize, listed: usize) -> Option<String> {
    let left = total.saturating_sub(listed);
    (left > 0).then(|| format!("and {left} more in jobmon"))
}

fn slack_batch(matches: &[&Match<'_>]) -> Value {
    let headline = batch_headline(matches);
    let mut blocks =
        vec![json!({"type": "section", "text": {"type": "plain_text", "text": headline}})];
    for m in matches.iter().take(BATCH_LISTED) {
        let line = format!(
            "*<{}|{}>* {}/10\n{} · {}",
            m.link,
            slack_escape(&m.job.title),
            m.score,
            slack_escape(&m.job.company),
            slack_escape(&m.place())
        );
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": line}}));
        if !m.reason.is_empty() {
            blocks.push(
                json!({"type": "context", "elements": [{"type": "plain_text", "text": m.reason}]}),
            );
        }
    }
    if let Some(more) = more(matches.len(), BATCH_LISTED) {
        blocks.push(json!({"type": "context", "elements": [{"type": "plain_text", "text": more}]}));
    }
    json!({"text": headline, "blocks": blocks})
}

fn discord_batch(matches: &[&Match<'_>]) -> Value {
    let mut embeds = Vec::new();
    let mut used = 0;
    for m in matches.iter().take(BATCH_LISTED) {
        let embed = discord_embed(m);
        used += embed_chars(&embed);
        if used > DISCORD_EMBED_CHARS {
            break;
        }
        embeds.push(embed);
    }
    let mut content = batch_headline(matches);
    if let Some(more) = more(matches.len(), embeds.len()) {
        content.push_str(&format!(" ({more})"));
    }
    json!({"content": content, "allowed_mentions": {"parse": []}, "embeds": embeds})
}

/// The characters of an embed that count towards [`DISCORD_EMBED_CHARS`].
fn embed_chars(embed: &Value) -> usize {
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let fields = embed["fields"].as_array().map_or(0, |fields| {
        fields
            .iter()
            .map(|f| chars(&f["name"]) + chars(&f["value"]))
            .sum()
    });
    chars(&embed["title"]) + chars(&embed["description"]) + fields
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
    let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": title}})];
    // Plain text: a reason is the scorer's words, never markup to interpret.
    if !m.reason.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "plain_text", "text": m.reason}}));
    }
    blocks.extend([
        json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*Score*\n{}/10", m.score)},
            {"type": "mrkdwn", "text": format!("*Company*\n{}", slack_escape(&m.job.company))},
            {"type": "mrkdwn", "text": format!("*Location*\n{}", slack_escape(&m.place()))},
        ]}),
        json!({"type": "context", "elements": [
            {"type": "mrkdwn", "text": format!("<{}|Original posting>", m.job.url)}
        ]}),
    ]);
    json!({"text": m.headline(), "blocks": blocks})
}

fn discord(m: &Match<'_>) -> Value {
    json!({
        "content": m.headline(),
        "allowed_mentions": {"parse": []},
        "embeds": [discord_embed(m)]
    })
}

/// Discord caps an embed title at 256 characters.
fn discord_embed(m: &Match<'_>) -> Value {
    let title: String = m.job.title.chars().take(256).collect();
    let mut embed = json!({
            "title": title,
            "url": m.link,
            "color": 0x2563eb,
            "fields": [
                {"name": "Score", "value": format!("{}/10", m.score), "inline": true},
                {"name": "Company", "value": m.job.company, "inline": true},
                {"name": "Location", "value": m.place(), "inline": true},
            ]
    });
    // Discord refuses an empty description, so a missing reason leaves it out.
    if !m.reason.is_empty() {
        embed["description"] = json!(m.reason);
    }
    embed
}

fn webhook(m: &Match<'_>, now: DateTime<Utc>) -> Value {
    json!({
        "type": "job.matched",
        "tenantId": m.tenant,
        "sentAt": now,
        "job": webhook_job(m),
    })
}

/// Several matches: `jobs.matched` with every job (all of them: a program reads them all).
fn webhook_batch(matches: &[&Match<'_>], now: DateTime<Utc>) -> Value {
    json!({
        "type": "jobs.matched",
        "tenantId": matches.first().map(|m| m.tenant),
        "sentAt": now,
        "jobs": matches.iter().map(|m| webhook_job(m)).collect::<Vec<_>>(),
    })
}

fn webhook_job(m: &Match<'_>) -> Value {
    json!({
        "id": m.job.id,
        "title": m.job.title,
        "company": m.job.company,
        "location": m.job.location,
        "remote": m.job.remote,
        "url": m.job.url,
        "score": m.score,
        "reason": m.reason,
        "dashboardUrl": m.link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> ScoredJob {
        serde_json::from_value(json!({
            "id": shared::domain::JobId::new(), "title": "Rust Engineer", "company": "Acme",
            "location": "Berlin", "remote": true, "url": "https://jobs.example.com/1", "score": 8
        }))
        .unwrap()
    }

    fn matched<'a>(job: &'a ScoredJob, reason: &str) -> Match<'a> {
        let score = Score::new(8).unwrap();
        Match::new(
            TenantId::new(),
            job,
            score,
            reason,
            "http://127.0.0.1:3000/",
        )
    }

    #[test]
    fn every_kind_shows_the_reason() {
        let job = job();
        let m = matched(&job, "  Rust and remote in the EU, as the profile asks. ");
        let reason = "Rust and remote in the EU, as the profile asks.";
        let slack = body(ChannelKind::Slack, &m, Utc::now());
        assert_eq!(slack["blocks"][1]["text"]["type"], "plain_text");
        assert_eq!(slack["blocks"][1]["text"]["text"], reason);
        let discord = body(ChannelKind::Discord, &m, Utc::now());
        assert_eq!(discord["embeds"][0]["description"], reason);
        let hook = body(ChannelKind::Webhook, &m, Utc::now());
        assert_eq!(hook["job"]["reason"], reason);
        assert_eq!(
            hook["job"]["dashboardUrl"],
            format!("http://127.0.0.1:3000/jobs/{}", job.id)
        );
    }

    #[test]
    fn a_missing_reason_leaves_no_empty_block_or_description() {
        let job = job();
        let m = matched(&job, "");
        let slack = body(ChannelKind::Slack, &m, Utc::now());
        assert_eq!(slack["blocks"].as_array().unwrap().len(), 3);
        assert_eq!(slack["blocks"][1]["fields"][0]["text"], "*Score*\n8/10");
        let discord = body(ChannelKind::Discord, &m, Utc::now());
        assert!(discord["embeds"][0].get("description").is_none());
    }

    fn titled(title: &str, score: u8) -> ScoredJob {
        serde_json::from_value(json!({
            "id": shared::domain::JobId::new(), "title": title, "company": "Acme",
            "location": "Berlin", "remote": false, "url": "https://jobs.example.com/1", "score": score
        }))
        .unwrap()
    }

    fn scored<'a>(job: &'a ScoredJob) -> Match<'a> {
        Match::new(
            TenantId::new(),
            job,
            job.score.unwrap(),
            "Why",
            "http://127.0.0.1:3000",
        )
    }

    #[test]
    fn several_matches_are_one_message_best_first() {
        let jobs = [
            titled("Go Dev", 6),
            titled("Rust Lead", 9),
            titled("Rust Dev", 7),
        ];
        let matches: Vec<Match> = jobs.iter().map(scored).collect();
        let sorted = best_first(&matches);
        let titles: Vec<&str> = sorted.iter().map(|m| m.job.title.as_str()).collect();
        assert_eq!(titles, ["Rust Lead", "Rust Dev", "Go Dev"]);
        assert_eq!(
            batch_headline(&sorted),
            "3 new matches, best 9/10: Rust Lead at Acme"
        );
        assert_eq!(batch_headline(&sorted[..1]), sorted[0].headline());

        let slack = batch_body(ChannelKind::Slack, &sorted, Utc::now());
        assert_eq!(slack["text"], "3 new matches, best 9/10: Rust Lead at Acme");
        let blocks = slack["blocks"].as_array().unwrap();
        // The headline, then a line and a reason per job.
        assert_eq!(blocks.len(), 1 + 3 * 2);
        assert!(
            blocks[1]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("Rust Lead")
        );
        assert!(
            blocks[5]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("Go Dev")
        );

        let discord = batch_body(ChannelKind::Discord, &sorted, Utc::now());
        let embeds = discord["embeds"].as_array().unwrap();
        assert_eq!(embeds.len(), 3);
        assert_eq!(embeds[0]["title"], "Rust Lead");
        assert_eq!(embeds[2]["description"], "Why");

        let hook = batch_body(ChannelKind::Webhook, &sorted, Utc::now());
        assert_eq!(hook["type"], "jobs.matched");
        let titles: Vec<&str> = hook["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Rust Lead", "Rust Dev", "Go Dev"]);
        assert_eq!(
            hook["jobs"][0],
            body(ChannelKind::Webhook, sorted[0], Utc::now())["job"]
        );

        // One match is the single message.
        assert_eq!(
            batch_body(ChannelKind::Discord, &sorted[..1], Utc::now()),
            body(ChannelKind::Discord, sorted[0], Utc::now())
        );
    }

    #[test]
    fn a_batch_lists_ten_and_counts_the_rest() {
        let jobs: Vec<ScoredJob> = (0..13).map(|i| titled(&format!("Job {i}"), 8)).collect();
        let matches: Vec<Match> = jobs.iter().map(scored).collect();
        let sorted = best_first(&matches);
        let discord = batch_body(ChannelKind::Discord, &sorted, Utc::now());
        assert_eq!(discord["embeds"].as_array().unwrap().len(), BATCH_LISTED);
        assert!(
            discord["content"]
                .as_str()
                .unwrap()
                .ends_with("(and 3 more in jobmon)")
        );
        let slack = batch_body(ChannelKind::Slack, &sorted, Utc::now());
        let blocks = slack["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 1 + BATCH_LISTED * 2 + 1);
        assert_eq!(
            blocks.last().unwrap()["elements"][0]["text"],
            "and 3 more in jobmon"
        );
    }

    #[test]
    fn a_discord_batch_stays_within_discords_embed_characters() {
        let title = "T".repeat(300);
        let jobs: Vec<ScoredJob> = (0..10).map(|_| titled(&title, 8)).collect();
        let long = "r".repeat(REASON_CHARS * 2);
        let matches: Vec<Match> = jobs
            .iter()
            .map(|j| Match::new(TenantId::new(), j, j.score.unwrap(), &long, "http://x"))
            .collect();
        let discord = batch_body(ChannelKind::Discord, &best_first(&matches), Utc::now());
        let embeds = discord["embeds"].as_array().unwrap();
        let total: usize = embeds.iter().map(embed_chars).sum();
        assert!(total <= DISCORD_EMBED_CHARS, "{total}");
        assert!(embeds.len() < 10 && !embeds.is_empty(), "{}", embeds.len());
        let left = 10 - embeds.len();
        assert!(
            discord["content"]
                .as_str()
                .unwrap()
                .ends_with(&format!("(and {left} more in jobmon)"))
        );
    }

    #[test]
    fn a_long_reason_is_clipped_on_a_character_boundary() {
        let job = job();
        let long = "ü".repeat(REASON_CHARS * 3);
        let m = matched(&job, &long);
        assert_eq!(m.reason.chars().count(), REASON_CHARS);
        assert!(m.reason.ends_with('…'));
        assert_eq!(clip("short", 10), "short");
    }
}
