//! The daily digest: once an hour, every member whose digest hour (in their zone) has come
//! gets one mail with the last 24 hours' matches at or above their threshold, best first.
//!
//! Finding them is a sparse index, never a scan: a settings item with the digest on carries
//! `GSI2PK = DIGEST#<HH>`, the UTC hour its digest is due, computed with the zone's offset
//! when the settings were saved. A zone's offset moves by an hour at a DST change, so the
//! run reads the partitions of the hour before, this hour and the hour after (three small
//! Queries) and keeps the members whose local hour is the digest hour now: the right one
//! whatever the offset was at save time. The threshold is the member's instant `minScore`,
//! the one threshold the settings have. A conditional marker per member and local date
//! (`DIGESTED#<userId>#<date>`) makes a second run of the same hour send nothing.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};
use shared::domain::{JobId, Score, TenantId, UserId};
use shared::ports::StoreError;

use crate::deliver::{SendOutcome, Settled};
use crate::email::{MailDirectory, MailSender, OutgoingMail, escape};
use crate::settings::MemberSettings;
use crate::unsubscribe::{MailKind, Unsubscribe, UnsubscribeKey};
use crate::zone::Zone;

/// One scored job as a digest lists it; recorded by the notifier for every `JobScored`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestEntry {
    pub job_id: JobId,
    pub title: String,
    pub company: String,
    pub place: String,
    pub score: Score,
    pub reason: String,
    pub link: String,
    pub scored_at: DateTime<Utc>,
}

#[async_trait]
pub trait DigestStore: Send + Sync {
    /// Settings items in the index partition of UTC hour `hour`.
    async fn due_at(
        &self,
        hour: u32,
    ) -> Result<Vec<(TenantId, UserId, MemberSettings)>, StoreError>;
    async fn record(&self, tenant: TenantId, entry: &DigestEntry) -> Result<(), StoreError>;
    /// The tenant's entries scored at or after `since`.
    async fn since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError>;
    /// Takes the digest of `user` for `date`: `false` when it was sent or attempted.
    async fn claim(&self, tenant: TenantId, user: UserId, date: &str) -> Result<bool, StoreError>;
    async fn settle(
        &self,
        tenant: TenantId,
        user: UserId,
        date: &str,
        settled: Settled,
    ) -> Result<(), StoreError>;
}

/// The UTC hour at which `hour` o'clock in `zone` falls at `now`'s offset.
pub fn due_utc_hour(zone: &str, hour: u8, now: DateTime<Utc>) -> u32 {
    let offset = Zone::named(zone).map_or(0, |z| z.offset_seconds(now));
    (i64::from(hour) * 3600 - i64::from(offset))
        .div_euclid(3600)
        .rem_euclid(24) as u32
}

pub struct DigestRun {
    pub store: Arc<dyn DigestStore>,
    pub directory: Arc<dyn MailDirectory>,
    pub sender: Arc<dyn MailSender>,
    pub key: UnsubscribeKey,
    pub app_url: String,
    pub clock: Arc<dyn shared::ports::Clock>,
}

/// What one hourly run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestReport {
    pub due: usize,
    pub sent: usize,
    pub empty: usize,
    pub failed: usize,
}

/// Why a run must be repeated. Either way the members it served keep their `sent`
/// markers, and those it did not have no marker or a `failed` one, which a repeat claims.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The mail service refused for now (throttling), or a tenant's entries could not be
    /// read: the run fails so that the schedule's retry sends these digests within the
    /// hour; the next hour's run would not, as its members' local hour has passed.
    #[error("{count} digests not sent for now (retryable); the run is to be repeated")]
    Retryable { report: DigestReport, count: usize },
}

/// How one member's digest ended.
enum Sent {
    Yes,
    Failed {
        retry: bool,
    },
    /// Nothing to send (nothing new, unverified, or already sent today).
    Nothing,
}

impl DigestRun {
    /// The run for the clock's current hour. The tenant's last 24 hours are read once per
    /// tenant, whatever the number of its due members.
    pub async fn run(&self) -> Result<DigestReport, DigestError> {
        let now = self.clock.now();
        let mut report = DigestReport::default();
        let mut retryable = 0;
        let mut entries: HashMap<TenantId, Vec<DigestEntry>> = HashMap::new();
        for (tenant, user, settings, date) in self.due(now).await? {
            report.due += 1;
            let recent = match entries.entry(tenant) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    match self.store.since(tenant, now - Duration::hours(24)).await {
                        Ok(read) => e.insert(read),
                        // One tenant's failed read costs its members this try, never the
                        // other tenants: the repeat of the run reads it again.
                        Err(error) => {
                            tracing::warn!(%tenant, %user, %error, "digest entries unreadable");
                            report.failed += 1;
                            retryable += 1;
                            continue;
                        }
                    }
                }
            };
            let min = settings.email.instant.min_score;
            match self.one(tenant, user, recent, min, &date, now).await {
                Ok(Sent::Yes) => report.sent += 1,
                Ok(Sent::Nothing) => report.empty += 1,
                Ok(Sent::Failed { retry }) => {
                    report.failed += 1;
                    retryable += usize::from(retry);
                }
                Err(e) => {
                    tracing::warn!(%tenant, %user, error = %e, "digest failed");
                    report.failed += 1;
                }
            }
        }
        match retryable {
            0 => Ok(report),
            count => Err(DigestError::Retryable { report, count }),
        }
    }

    /// The members whose local hour is their digest hour at `now`, with their local date.
    async fn due(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, UserId, MemberSettings, String)>, StoreError> {
        let hour = now.hour();
        let mut due = Vec::new();
        for h in [(hour + 23) % 24, hour, (hour + 1) % 24] {
            for (tenant, user, settings) in self.store.due_at(h).await? {
                let digest = &settings.email.digest;
                let Some(zone) = Zone::named(&digest.time_zone) else {
                    continue;
                };
                let (local_hour, local_date) = zone.local_hour_and_date(now);
                if digest.enabled && local_hour == u32::from(digest.hour) {
                    let date = local_date.to_string();
                    due.push((tenant, user, settings, date));
                }
            }
        }
        Ok(due)
    }

    async fn one(
        &self,
        tenant: TenantId,
        user: UserId,
        recent: &[DigestEntry],
        min: Score,
        date: &str,
        now: DateTime<Utc>,
    ) -> Result<Sent, StoreError> {
        let entries = best_first(recent.to_vec(), min);
        if entries.is_empty() {
            return Ok(Sent::Nothing);
        }
        let Some(address) = self.directory.address(tenant, user).await? else {
            return Ok(Sent::Nothing);
        };
        if !address.verified || !self.store.claim(tenant, user, date).await? {
            return Ok(Sent::Nothing);
        }
        let what = Unsubscribe {
            tenant,
            user,
            kind: MailKind::Digest,
        };
        let app = self.app_url.trim_end_matches('/');
        let mail = OutgoingMail {
            to: address.email,
            subject: subject(&entries),
            text: digest_text(&entries, app),
            html: digest_html(&entries, app),
            unsubscribe_url: format!(
                "{app}/v1/notifications/unsubscribe?token={}",
                self.key.sign(what, now)
            ),
        };
        match self.sender.send(&mail).await {
            SendOutcome::Sent => {
                self.store.settle(tenant, user, date, Settled::Sent).await?;
                Ok(Sent::Yes)
            }
            SendOutcome::NotDelivered { retry: true, .. } => {
                self.store
                    .settle(tenant, user, date, Settled::Failed)
                    .await?;
                Ok(Sent::Failed { retry: true })
            }
            // Left `attempted`: the mail service refused this address for good, so a
            // repeat of the run would be refused again.
            SendOutcome::NotDelivered { retry: false, .. } => Ok(Sent::Failed { retry: false }),
            // Left `attempted`: the mail may have gone, and a second digest is worse.
            SendOutcome::Unknown { .. } => Ok(Sent::Failed { retry: false }),
        }
    }
}

/// At or above `min`, one line per job (its latest score), best first, then newest.
pub fn best_first(entries: Vec<DigestEntry>, min: Score) -> Vec<DigestEntry> {
    let mut latest: HashMap<JobId, DigestEntry> = HashMap::new();
    for e in entries {
        match latest.get(&e.job_id) {
            Some(kept) if kept.scored_at >= e.scored_at => {}
            _ => {
                latest.insert(e.job_id, e);
            }
        }
    }
    let mut kept: Vec<DigestEntry> = latest.into_values().filter(|e| e.score >= min).collect();
    kept.sort_by(|a, b| b.score.cmp(&a.score).then(b.scored_at.cmp(&a.scored_at)));
    kept
}

fn subject(entries: &[DigestEntry]) -> String {
    match entries.len() {
        1 => "Your jobmon digest: 1 new match".into(),
        n => format!("Your jobmon digest: {n} new matches"),
    }
}

pub fn digest_text(entries: &[DigestEntry], app: &str) -> String {
    let mut text = format!("{}\n\n", subject(entries));
    for e in entries {
        text.push_str(&format!(
            "{}/10  {} at {} ({})\n",
            e.score, e.title, e.company, e.place
        ));
        if !e.reason.is_empty() {
            text.push_str(&format!("      {}\n", e.reason));
        }
        text.push_str(&format!("      {}\n\n", e.link));
    }
    text.push_str(&format!(
        "-- \nYou get this because the daily digest is on in jobmon.\nChange it: {app}/notifications\n"
    ));
    text
}

pub fn digest_html(entries: &[DigestEntry], app: &str) -> String {
    let items: String = entries
        .iter()
        .map(|e| {
            format!(
                "<li><strong>{score}/10</strong> <a href=\"{link}\">{title}</a> at {company} \
                 ({place})<br>{reason}</li>",
                score = e.score,
                link = escape(&e.link),
                title = escape(&e.title),
                company = escape(&e.company),
                place = escape(&e.place),
                reason = escape(&e.reason),
            )
        })
        .collect();
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>{}</h2><ol>{items}</ol>\
         <hr><p style=\"color:#666;font-size:12px\">You get this because the daily digest is on \
         in jobmon. <a href=\"{}/notifications\">Change it</a>.</p></body></html>",
        escape(&subject(entries)),
        escape(app)
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_due_hour_follows_the_zones_offset_at_the_time() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 12, 0, 0).unwrap();
        assert_eq!(due_utc_hour("Europe/Berlin", 8, winter), 7);
        assert_eq!(due_utc_hour("Europe/Berlin", 8, summer), 6);
        assert_eq!(due_utc_hour("UTC", 0, summer), 0);
        assert_eq!(due_utc_hour("America/New_York", 22, winter), 3);
        // +05:30: 08:00 local is 02:30 UTC; the run at 03:00 UTC (08:30 local) sends it.
        assert_eq!(due_utc_hour("Asia/Kolkata", 8, winter), 2);
    }

    fn entry(job: JobId, score: i64, minutes: i64) -> DigestEntry {
        DigestEntry {
            job_id: job,
            title: format!("Job {score}"),
            company: "Acme".into(),
            place: "Berlin".into(),
            score: Score::new(score).unwrap(),
            reason: format!("Why {score}"),
            link: format!("https://app.example.com/jobs/{job}"),
            scored_at: Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap()
                + Duration::minutes(minutes),
        }
    }

    #[test]
    fn a_digest_keeps_each_jobs_latest_score_over_the_threshold_best_first() {
        let (a, b, c) = (JobId::new(), JobId::new(), JobId::new());
        let entries = vec![
            entry(a, 6, 0),
            entry(b, 8, 1),
            entry(a, 9, 2), // a rescore lifted it
            entry(c, 5, 3),
            entry(b, 7, 4), // a rescore lowered it
        ];
        let kept = best_first(entries, Score::new(7).unwrap());
        let scores: Vec<(JobId, u8)> = kept.iter().map(|e| (e.job_id, e.score.value())).collect();
        assert_eq!(scores, vec![(a, 9), (b, 7)]);
        assert_eq!(
            digest_text(&kept, "https://app.example.com"),
            format!(
                "Your jobmon digest: 2 new matches\n\n\
                 9/10  Job 9 at Acme (Berlin)\n      Why 9\n      https://app.example.com/jobs/{a}\n\n\
                 7/10  Job 7 at Acme (Berlin)\n      Why 7\n      https://app.example.com/jobs/{b}\n\n\
                 -- \nYou get this because the daily digest is on in jobmon.\n\
                 Change it: https://app.example.com/notifications\n"
            )
        );
    }
}
