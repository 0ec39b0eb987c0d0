//! Timestamps as providers write them, all turned into UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// RFC 3339 (`2024-01-10T10:00:00-05:00`), RFC 2822 (RSS `pubDate`), Recruitee's
/// `2024-01-10 10:00:00 UTC`, and bare dates (Workable's `published_on`, taken as midnight
/// UTC). Anything else is `None`: a missing date is better than a failed fetch.
pub(crate) fn parse(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = s
        .strip_suffix(" UTC")
        .or_else(|| s.strip_suffix('Z'))
        .unwrap_or(s);
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
}

/// Epoch milliseconds (Lever's `createdAt`).
pub(crate) fn from_epoch_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(raw: &str) -> String {
        parse(raw).map(|t| t.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn reads_the_formats_providers_use() {
        assert_eq!(
            iso("2016-01-14T10:55:28-05:00"),
            "2016-01-14T15:55:28+00:00"
        );
        assert_eq!(
            iso("2021-04-30T16:21:55.393+00:00"),
            "2021-04-30T16:21:55.393+00:00"
        );
        assert_eq!(
            iso("Tue, 10 Jun 2003 04:00:00 GMT"),
            "2003-06-10T04:00:00+00:00"
        );
        assert_eq!(iso("2024-01-10 10:00:00 UTC"), "2024-01-10T10:00:00+00:00");
        assert_eq!(iso("2024-01-10"), "2024-01-10T00:00:00+00:00");
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn reads_epoch_millis() {
        assert_eq!(
            from_epoch_millis(1_700_000_000_000)
                .map(|t| t.to_rfc3339())
                .as_deref(),
            Some("2023-11-14T22:13:20+00:00")
        );
    }
}
