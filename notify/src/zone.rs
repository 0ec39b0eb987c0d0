//! IANA time zones for the daily digest, from the time zone database compiled into the
//! binary (`jiff`'s bundled copy: the functions' Lambda runtime need not ship one).
//!
//! Why not `chrono-tz`, which the digest used first: it compiles the database into Rust
//! statics full of pointers (names, transition tables), 1 MB of `.data.rel.ro` that the
//! loader of a position-independent executable relocates — faults in and copies — at
//! every process start, needed or not (`make coldstart` prints each binary's
//! `.data.rel.ro`: api-notifications' went from 1,370 to 384 KiB with this change, and its
//! init from 3.7 to 2.4 ms together with the lazy SDK configuration, which alone had moved
//! it 0.1 ms). The bundled database here is one byte string (read only when a zone is
//! looked up) and an index of names.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

/// A time zone of the IANA database, e.g. `Europe/Berlin`.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
    name: String,
}

impl Zone {
    /// The zone called `name` (its IANA name, any letter case), if the database has it
    /// as a place: jiff answers `Etc/Unknown` with a zone that has no IANA name, and the
    /// database's `Factory` stands for "no zone configured"; neither is accepted.
    pub fn named(name: &str) -> Option<Self> {
        let tz = jiff::tz::TimeZone::get(name).ok()?;
        let name = tz.iana_name()?.to_owned();
        (!name.eq_ignore_ascii_case("Factory")).then_some(Self { tz, name })
    }

    /// The database's spelling of the name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC at `at` (standard or daylight saving time, as it was then).
    pub fn offset_seconds(&self, at: DateTime<Utc>) -> i32 {
        jiff::Timestamp::from_second(at.timestamp())
            .map(|t| self.tz.to_offset(t).seconds())
            .unwrap_or(0)
    }

    /// The wall-clock hour and date in this zone at `at`.
    pub fn local_hour_and_date(&self, at: DateTime<Utc>) -> (u32, NaiveDate) {
        let local = at.naive_utc() + Duration::seconds(i64::from(self.offset_seconds(at)));
        (local.hour(), local.date())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn names_are_found_in_any_case_and_spelled_as_the_database_does() {
        assert_eq!(
            Zone::named("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::named("europe/berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Zone::named("UTC").unwrap().name(), "UTC");
        assert_eq!(
            Zone::named("America/Argentina/Buenos_Aires")
                .unwrap()
                .name(),
            "America/Argentina/Buenos_Aires"
        );
        for bad in [
            "",
            "Mars/Olympus",
            "Europe",
            "+02:00",
            "../etc/passwd",
            "Etc/Unknown",
            "Factory",
            "factory",
        ] {
            assert!(Zone::named(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn offsets_follow_daylight_saving_time_and_history() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        assert_eq!(berlin.offset_seconds(utc(2026, 1, 15, 12, 0)), 3600);
        assert_eq!(berlin.offset_seconds(utc(2026, 7, 15, 12, 0)), 7200);
        // The 2026 switch: 29 March, 01:00 UTC.
        assert_eq!(berlin.offset_seconds(utc(2026, 3, 29, 0, 59)), 3600);
        assert_eq!(berlin.offset_seconds(utc(2026, 3, 29, 1, 0)), 7200);
        let kolkata = Zone::named("Asia/Kolkata").unwrap();
        assert_eq!(kolkata.offset_seconds(utc(2026, 6, 1, 0, 0)), 19800);
        let chatham = Zone::named("Pacific/Chatham").unwrap();
        assert_eq!(
            chatham.offset_seconds(utc(2026, 1, 1, 0, 0)),
            13 * 3600 + 45 * 60
        );
    }

    #[test]
    fn the_local_hour_and_date_can_be_a_day_apart_from_utc() {
        let auckland = Zone::named("Pacific/Auckland").unwrap();
        // 20:30 UTC on 31 December is 09:30 on 1 January in Auckland (NZDT, +13).
        let (hour, date) = auckland.local_hour_and_date(utc(2026, 12, 31, 20, 30));
        assert_eq!((hour, date.to_string().as_str()), (9, "2027-01-01"));
        let honolulu = Zone::named("Pacific/Honolulu").unwrap();
        let (hour, date) = honolulu.local_hour_and_date(utc(2027, 1, 1, 5, 0));
        assert_eq!((hour, date.to_string().as_str()), (19, "2026-12-31"));
    }
}
