//! Login limits that cannot lock an owner out: only failed logins count, per e-mail and
//! source IP together (and per IP alone, for one place trying many addresses), and past a
//! few free failures each further attempt from there waits a doubling delay. Someone
//! guessing from one address slows only themselves; the owner elsewhere, or anyone with
//! the right password from a fresh place, is never refused because of them.

use chrono::{DateTime, Utc};

use super::*;
use crate::ports::Failures;

/// One run of failures that can hold logins back.
pub(super) struct LoginLimit {
    pub key: String,
    /// The metric dimension naming the limit (never the address or IP).
    name: &'static str,
    free: u32,
}

/// Seconds to wait after `count` failures in a row: none while fewer than `free`, then
/// `base`, `2 × base`, `4 × base` … up to `max`.
pub(super) fn delay_after(count: u32, free: u32, base: u64, max: u64) -> Option<u64> {
    let past = count.checked_sub(free)?;
    let factor = 1u64.checked_shl(past).unwrap_or(u64::MAX);
    Some(base.saturating_mul(factor).min(max).max(1))
}

impl AccountService {
    /// The e-mail + IP run first (a success clears it), then the IP's.
    pub(super) fn login_limits(&self, email: &Email, ip: &str) -> [LoginLimit; 2] {
        [
            LoginLimit {
                key: format!("login:fail:{}:{ip}", email.normalized()),
                name: "login:email-ip",
                free: self.limits.login_free_failures,
            },
            LoginLimit {
                key: format!("login:fail-ip:{ip}"),
                name: "login:ip",
                free: self.limits.login_per_ip,
            },
        ]
    }

    fn wait_left(&self, limit: &LoginLimit, run: Failures, now: DateTime<Utc>) -> Option<u64> {
        let delay = delay_after(
            run.count,
            limit.free,
            self.limits.login_backoff_base_secs,
            self.limits.login_backoff_max_secs,
        )?;
        let until = run.last_at? + Duration::seconds(i64::try_from(delay).unwrap_or(i64::MAX));
        let left = (until - now).num_seconds();
        (left > 0).then(|| u64::try_from(left).unwrap_or(1))
    }

    /// 429 with the seconds left while a run of failures still holds this caller back;
    /// otherwise the run of the first limit (the e-mail with this IP), which a correct
    /// password ends.
    pub(super) async fn wait_out(&self, limits: &[LoginLimit]) -> Result<Failures, AccountError> {
        let now = self.clock.now();
        let mut first = None;
        for limit in limits {
            let run = self
                .failures
                .failures(&limit.key, now, self.limits.login_failures_forget)
                .await?;
            if let Some(retry_after_secs) = self.wait_left(limit, run, now) {
                return Err(rate_limited::refused(limit.name, retry_after_secs).into());
            }
            first.get_or_insert(run);
        }
        Ok(first.unwrap_or_default())
    }

    pub(super) async fn count_failure(&self, limits: &[LoginLimit]) -> Result<(), AccountError> {
        let now = self.clock.now();
        for limit in limits {
            self.failures
                .record_failure(&limit.key, now, self.limits.login_failures_forget)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::delay_after;

    #[test]
    fn the_delay_doubles_past_the_free_failures_up_to_the_cap() {
        assert_eq!(delay_after(0, 5, 2, 900), None);
        assert_eq!(delay_after(4, 5, 2, 900), None);
        assert_eq!(delay_after(5, 5, 2, 900), Some(2));
        assert_eq!(delay_after(6, 5, 2, 900), Some(4));
        assert_eq!(delay_after(9, 5, 2, 900), Some(32));
        assert_eq!(delay_after(14, 5, 2, 900), Some(900));
        assert_eq!(delay_after(u32::MAX, 0, u64::MAX, 900), Some(900));
    }
}
