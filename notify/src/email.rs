//! Instant e-mail: a member whose threshold a scored job reaches gets one mail for it,
//! with text and HTML parts and RFC 8058 one-click unsubscribe headers.
//!
//! Per member and job: the address must be verified; the job is claimed with the same
//! conditional marker as a channel (target `MAIL#<userId>`), so a duplicate event or a
//! retry never mails twice; then one slot of the member's hourly cap is taken (a
//! conditional counter), and only then is the mail sent. A capped mail settles its marker
//! `failed` without a retry: it is dropped, not queued for later, and a later rescore of
//! the same job may still announce it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::domain::{TenantId, UserId};
use shared::ports::StoreError;

use crate::deliver::{DeliveryLog, Retry, SendOutcome, Settled, claim_all, settle_all};
use crate::messages::{Match, batch_headline, best_first};
use crate::settings::MemberSettings;
use crate::unsubscribe::{MailKind, Unsubscribe, UnsubscribeKey};

/// Instant mails per member and hour when `JOBMON_INSTANT_MAIL_PER_HOUR` is unset.
pub const DEFAULT_PER_HOUR: u32 = 10;

/// A member's address as the account store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub email: String,
    pub verified: bool,
}

/// What the mailer reads and counts in the table.
#[async_trait]
pub trait MailDirectory: Send + Sync {
    /// Every member of `tenant` who saved settings.
    async fn member_settings(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(UserId, MemberSettings)>, StoreError>;
    async fn address(&self, tenant: TenantId, user: UserId) -> Result<Option<Address>, StoreError>;
    /// Takes one of `cap` instant-mail slots of `user` for the hour of `now`; `false`
    /// when all are taken.
    async fn take_hourly_slot(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
        cap: u32,
    ) -> Result<bool, StoreError>;
}

/// One e-mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL (`List-Unsubscribe`, answered by a POST).
    pub unsubscribe_url: String,
}

#[async_trait]
pub trait MailSender: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> SendOutcome;
}

pub struct InstantMailer {
    pub directory: Arc<dyn MailDirectory>,
    /// Every scored job is kept here for the members' daily digests.
    pub digests: Arc<dyn crate::digest::DigestStore>,
    pub log: Arc<dyn DeliveryLog>,
    pub sender: Arc<dyn MailSender>,
    pub key: UnsubscribeKey,
    pub per_hour: u32,
    /// The dashboard; the API answers under it at `/v1` (CloudFront, or the local gateway).
    pub app_url: String,
}

impl InstantMailer {
    /// Mails every member whose instant threshold some of `matches` (one tenant's, found
    /// together) reach: one mail per member listing those matches best first. Answers the
    /// jobs whose messages must come back.
    pub async fn jobs_scored(
        &self,
        matches: &[Match<'_>],
        now: DateTime<Utc>,
    ) -> Result<Retry, StoreError> {
        let Some(tenant) = matches.first().map(|m| m.tenant) else {
            return Ok(Retry::new());
        };
        let members = self.directory.member_settings(tenant).await?;
        // Kept only for a tenant with a digest to fill, keyed on the job's scoring time:
        // a redelivered event rewrites the same item.
        if members.iter().any(|(_, s)| s.email.digest.enabled) {
            for m in matches {
                let entry = digest_entry(m, m.job.scored_at.unwrap_or(now));
                self.digests.record(tenant, &entry).await?;
            }
        }
        let best = best_first(matches);
        let mut retry = Retry::new();
        for (user, settings) in members.iter().filter(|(_, s)| s.email.instant.enabled) {
            let due: Vec<&Match> = best
                .iter()
                .copied()
                .filter(|m| m.score >= settings.email.instant.min_score)
                .collect();
            if !due.is_empty() {
                retry.extend(self.member(tenant, *user, &due, now).await?);
            }
        }
        Ok(retry)
    }

    async fn member(
        &self,
        tenant: TenantId,
        user: UserId,
        due: &[&Match<'_>],
        now: DateTime<Utc>,
    ) -> Result<Retry, StoreError> {
        let Some(address) = self.directory.address(tenant, user).await? else {
            return Ok(Retry::new());
        };
        if !address.verified {
            return Ok(Retry::new());
        }
        let target = format!("MAIL#{user}");
        let claimed = claim_all(self.log.as_ref(), due, &target).await?;
        if claimed.is_empty() {
            return Ok(Retry::new());
        }
        // A failed marker is claimed again by the retry; left `attempted`, the retry would
        // skip this mail as if it had gone. One mail takes one slot, however many it lists.
        let slot = match self
            .directory
            .take_hourly_slot(tenant, user, now, self.per_hour)
            .await
        {
            Ok(slot) => slot,
            Err(e) => {
                settle_all(self.log.as_ref(), &claimed, &target, Settled::Failed).await?;
                return Err(e);
            }
        };
        if !slot {
            tracing::info!(%user, "instant mail cap reached; mail dropped");
            settle_all(self.log.as_ref(), &claimed, &target, Settled::Failed).await?;
            return Ok(Retry::new());
        }
        let mail = self.compose(tenant, &claimed, user, &address.email, now);
        let outcome = self.sender.send(&mail).await;
        match &outcome {
            SendOutcome::Sent => {}
            SendOutcome::NotDelivered { reason, .. } => {
                tracing::warn!(%user, %reason, "instant mail not sent");
            }
            SendOutcome::Unknown { reason } => {
                tracing::warn!(%user, %reason, "instant mail outcome unknown; not retried");
            }
        }
        let (settled, retry) = outcome.settles();
        if let Some(settled) = settled {
            settle_all(self.log.as_ref(), &claimed, &target, settled).await?;
        }
        Ok(if retry {
            claimed.iter().map(|m| m.job.id).collect()
        } else {
            Retry::new()
        })
    }

    fn compose(
        &self,
        tenant: TenantId,
        matches: &[&Match<'_>],
        user: UserId,
        to: &str,
        now: DateTime<Utc>,
    ) -> OutgoingMail {
        let what = Unsubscribe {
            tenant,
            user,
            kind: MailKind::Instant,
        };
        let token = self.key.sign(what, now);
        let app = self.app_url.trim_end_matches('/');
        OutgoingMail {
            to: to.to_owned(),
            subject: batch_headline(matches),
            text: instant_text(matches, app),
            html: instant_html(matches, app),
            unsubscribe_url: format!("{app}/v1/notifications/unsubscribe?token={token}"),
        }
    }
}

fn digest_entry(m: &Match<'_>, scored_at: DateTime<Utc>) -> crate::digest::DigestEntry {
    crate::digest::DigestEntry {
        job_id: m.job.id,
        title: m.job.title.clone(),
        company: m.job.company.clone(),
        place: m.place(),
        score: m.score,
        reason: m.reason.clone(),
        link: m.link.clone(),
        scored_at,
    }
}

/// The text part: the headline, then each job best first. The unsubscribe URL is only in
/// the header (it takes a POST); the body points at the settings page instead, where a
/// click in any mail client works.
pub fn instant_text(matches: &[&Match<'_>], app: &str) -> String {
    let jobs: Vec<String> = matches.iter().map(|m| job_text(m)).collect();
    format!(
        "{}\n\n{}\n-- \nYou get this because instant e-mail is on in jobmon.\nChange it: {app}/notifications\n",
        batch_headline(matches),
        jobs.join("\n")
    )
}

fn job_text(m: &Match<'_>) -> String {
    let mut text = format!(
        "{}\n{} · {}\nScore: {}/10\n",
        m.job.title,
        m.job.company,
        m.place(),
        m.score
    );
    if !m.reason.is_empty() {
        text.push_str(&format!("Why: {}\n", m.reason));
    }
    text.push_str(&format!(
        "\nOpen in jobmon: {}\nOriginal posting: {}\n",
        m.link, m.job.url
    ));
    text
}

pub fn instant_html(matches: &[&Match<'_>], app: &str) -> String {
    let heading = match matches {
        [_] => String::new(),
        _ => format!(
            "<p><strong>{}</strong></p>",
            escape(&batch_headline(matches))
        ),
    };
    let jobs: String = matches.iter().map(|m| job_html(m)).collect();
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">{heading}{jobs}\
         <hr><p style=\"color:#666;font-size:12px\">You get this because instant e-mail is on \
         in jobmon. <a href=\"{app}/notifications\">Change it</a>.</p></body></html>",
        app = escape(app),
    )
}

fn job_html(m: &Match<'_>) -> String {
    let reason = if m.reason.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escape(&m.reason))
    };
    format!(
        "<h2><a href=\"{link}\">{title}</a></h2>\
         <p>{company} · {place}<br><strong>Score: {score}/10</strong></p>{reason}\
         <p><a href=\"{link}\">Open in jobmon</a> · <a href=\"{url}\">Original posting</a></p>",
        link = escape(&m.link),
        title = escape(&m.job.title),
        company = escape(&m.job.company),
        place = escape(&m.place()),
        score = m.score,
        url = escape(&m.job.url),
    )
}

/// Text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::domain::{JobId, Score, TenantId};

    use super::*;
    use crate::deliver::ScoredJob;

    #[test]
    fn the_instant_text_part_reads_as_documented() {
        let id: JobId = "01JDQ0000000000000000000AB".parse().unwrap();
        let job: ScoredJob = serde_json::from_value(json!({
            "id": id, "title": "Rust Engineer", "company": "Acme", "location": "Berlin",
            "remote": true, "url": "https://jobs.example.com/1", "score": 9
        }))
        .unwrap();
        let m = Match::new(
            TenantId::new(),
            &job,
            Score::new(9).unwrap(),
            "Rust and AWS Lambda, remote in the EU as the profile asks.",
            "https://app.example.com",
        );
        assert_eq!(
            instant_text(&[&m], "https://app.example.com"),
            "New match 9/10: Rust Engineer at Acme\n\
             \n\
             Rust Engineer\n\
             Acme · Berlin (remote)\n\
             Score: 9/10\n\
             Why: Rust and AWS Lambda, remote in the EU as the profile asks.\n\
             \n\
             Open in jobmon: https://app.example.com/jobs/01JDQ0000000000000000000AB\n\
             Original posting: https://jobs.example.com/1\n\
             \n\
             -- \n\
             You get this because instant e-mail is on in jobmon.\n\
             Change it: https://app.example.com/notifications\n"
        );
        let html = instant_html(&[&m], "https://app.example.com");
        assert!(html.contains("<strong>Score: 9/10</strong>"));
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
