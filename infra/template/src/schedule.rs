//! EventBridge schedule expressions: `rate(...)`, `cron(...)` (six fields, AWS flavour) and
//! `at(...)` (EventBridge Scheduler one-time schedules). Parsed strictly, so that a typo such as
//! `rate(15 minute)` fails when the template is read rather than never firing.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleExpression {
    Rate(Duration),
    Cron(Cron),
    At(NaiveDateTime),
}

impl ScheduleExpression {
    pub fn parse(s: &str) -> Result<ScheduleExpression, String> {
        let s = s.trim();
        let inner = |prefix: &str| {
            s.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
        };
        if let Some(body) = inner("rate(") {
            return parse_rate(body).map(ScheduleExpression::Rate);
        }
        if let Some(body) = inner("cron(") {
            return Cron::parse(body).map(ScheduleExpression::Cron);
        }
        if let Some(body) = inner("at(") {
            return NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
                .map(ScheduleExpression::At)
                .map_err(|e| format!("at({body}): expected yyyy-mm-ddThh:mm:ss ({e})"));
        }
        Err(format!(
            "{s:?} is not rate(...), cron(...) or at(...) expression"
        ))
    }

    /// The first firing strictly after `after`. A rate fires every period counted from
    /// `origin` (when the schedule was created), as EventBridge does.
    pub fn next_after(&self, origin: DateTime<Utc>, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ScheduleExpression::Rate(period) => {
                let period = chrono::Duration::from_std(*period).ok()?;
                if after < origin {
                    return Some(origin + period);
                }
                let elapsed = (after - origin).num_milliseconds();
                let step = period.num_milliseconds().max(1);
                let n = elapsed / step + 1;
                Some(origin + chrono::Duration::milliseconds(n * step))
            }
            ScheduleExpression::Cron(c) => c.next_after(after),
            ScheduleExpression::At(t) => {
                let t = t.and_utc();
                (t > after).then_some(t)
            }
        }
    }
}

fn parse_rate(body: &str) -> Result<Duration, String> {
    let err = |why: &str| format!("rate({body}): {why}");
    let mut words = body.split_whitespace();
    let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(err("expected \"rate(<value> <unit>)\""));
    };
    let value: u64 = value
        .parse()
        .map_err(|_| err("the value must be a positive integer"))?;
    if value == 0 {
        return Err(err("the value must be a positive integer"));
    }
    let (secs, singular) = match unit {
        "minute" => (60, true),
        "minutes" => (60, false),
        "hour" => (3600, true),
        "hours" => (3600, false),
        "day" => (86400, true),
        "days" => (86400, false),
        _ => return Err(err("the unit must be minute(s), hour(s) or day(s)")),
    };
    // EventBridge rejects "rate(1 minutes)" and "rate(5 minute)"; so do we.
    if singular != (value == 1) {
        return Err(err(if value == 1 {
            "a value of 1 takes a singular unit"
        } else {
            "a value above 1 takes a plural unit"
        }));
    }
    Ok(Duration::from_secs(value * secs))
}

/// A six-field AWS cron expression: minutes hours day-of-month month day-of-week year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    dom: DayOfMonth,
    months: Vec<bool>,
    dow: DayOfWeek,
    /// Years 1970..=2199; `None` means any.
    years: Option<Vec<bool>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfMonth {
    Any,
    Days(Vec<bool>),
    Last,
    NearestWeekday(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfWeek {
    Any,
    /// Index 1 = Sunday ... 7 = Saturday.
    Days(Vec<bool>),
    /// `5L`: the last Thursday of the month.
    Last(u32),
    /// `3#2`: the second Tuesday of the month.
    Nth(u32, u32),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    pub fn parse(body: &str) -> Result<Cron, String> {
        let err = |why: String| format!("cron({body}): {why}");
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [min, hour, dom, month, dow, year] = fields.as_slice() else {
            return Err(err(format!(
                "expected 6 fields (minutes hours day-of-month month day-of-week year), found {}",
                fields.len()
            )));
        };
        // AWS requires exactly one of the two day fields to be "?".
        if (*dom == "?") == (*dow == "?") {
            return Err(err(
                "exactly one of day-of-month and day-of-week must be \"?\"".into(),
            ));
        }
        let minutes = set(min, 0, 59, &[]).map_err(|e| err(format!("minutes: {e}")))?;
        let hours = set(hour, 0, 23, &[]).map_err(|e| err(format!("hours: {e}")))?;
        let months = set(month, 1, 12, &MONTHS).map_err(|e| err(format!("month: {e}")))?;
        let dom = match *dom {
            "?" | "*" => DayOfMonth::Any,
            "L" => DayOfMonth::Last,
            d if d.ends_with('W') => {
                let n: u32 = d[..d.len() - 1]
                    .parse()
                    .ok()
                    .filter(|n| (1..=31).contains(n))
                    .ok_or_else(|| err(format!("day-of-month: bad {d:?}")))?;
                DayOfMonth::NearestWeekday(n)
            }
            d => {
                DayOfMonth::Days(set(d, 1, 31, &[]).map_err(|e| err(format!("day-of-month: {e}")))?)
            }
        };
        let weekday = |s: &str| -> Result<u32, String> {
            if let Some(i) = WEEKDAYS.iter().position(|w| w.eq_ignore_ascii_case(s)) {
                return Ok(i as u32 + 1);
            }
            s.parse()
                .ok()
                .filter(|n| (1..=7).contains(n))
                .ok_or_else(|| err(format!("day-of-week: bad {s:?}")))
        };
        let dow = match *dow {
            "?" | "*" => DayOfWeek::Any,
            d if d.len() > 1 && d.ends_with('L') => DayOfWeek::Last(weekday(&d[..d.len() - 1])?),
            d if d.contains('#') => {
                let (day, nth) = d.split_once('#').unwrap_or((d, ""));
                let nth: u32 = nth
                    .parse()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| err(format!("day-of-week: bad {d:?}")))?;
                DayOfWeek::Nth(weekday(day)?, nth)
            }
            d => DayOfWeek::Days(
                set(d, 1, 7, &WEEKDAYS).map_err(|e| err(format!("day-of-week: {e}")))?,
            ),
        };
        let years = match *year {
            "*" => None,
            y => Some(set(y, 1970, 2199, &[]).map_err(|e| err(format!("year: {e}")))?),
        };
        Ok(Cron {
            minutes,
            hours,
            dom,
            months,
            dow,
            years,
        })
    }

    fn day_matches(&self, d: NaiveDate) -> bool {
        if let Some(years) = &self.years {
            let y = d.year();
            if !(1970..=2199).contains(&y) || !years[(y - 1970) as usize] {
                return false;
            }
        }
        if !self.months[d.month0() as usize] {
            return false;
        }
        let last_day = last_day_of_month(d);
        let dom_ok = match &self.dom {
            DayOfMonth::Any => true,
            DayOfMonth::Days(days) => days[d.day0() as usize],
            DayOfMonth::Last => d.day() == last_day,
            DayOfMonth::NearestWeekday(n) => {
                let target = (*n).min(last_day);
                let Some(t) = d.with_day(target) else {
                    return false;
                };
                let wd = t.weekday().num_days_from_sunday(); // 0 = Sunday
                let nearest = match wd {
                    6 if target == 1 => target + 2,
                    6 => target - 1,
                    0 if target == last_day => target - 2,
                    0 => target + 1,
                    _ => target,
                };
                d.day() == nearest
            }
        };
        let wd = d.weekday().num_days_from_sunday() + 1; // 1 = Sunday
        let dow_ok = match &self.dow {
            DayOfWeek::Any => true,
            DayOfWeek::Days(days) => days[(wd - 1) as usize],
            DayOfWeek::Last(w) => wd == *w && d.day() + 7 > last_day,
            DayOfWeek::Nth(w, n) => wd == *w && (d.day() - 1) / 7 + 1 == *n,
        };
        dom_ok && dow_ok
    }

    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.naive_utc();
        let mut day = start.date();
        // Ten years of days bounds the search for expressions that match rarely or never.
        for _ in 0..3660 {
            if self.day_matches(day) {
                for h in 0..24u32 {
                    if !self.hours[h as usize] {
                        continue;
                    }
                    for m in 0..60u32 {
                        if !self.minutes[m as usize] {
                            continue;
                        }
                        let t = day.and_hms_opt(h, m, 0)?;
                        if t > start {
                            return Some(t.and_utc());
                        }
                    }
                }
            }
            day = day.checked_add_days(Days::new(1))?;
        }
        None
    }
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .map(|last| last.day())
        .unwrap_or(28)
}

/// Parses `*`, `a`, `a-b`, `a,b`, `*/n`, `a/n`, `a-b/n`; names allowed where `names` is given
/// (names[0] is `lo`).
fn set(field: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(lo + i as u32);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or_else(|| format!("{s:?} is not in {lo}..={hi}"))
    };
    let mut out = vec![false; (hi - lo + 1) as usize];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let s: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step in {part:?}"))?;
                (r, s)
            }
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // "5/15" means from 5 to the end, every 15.
                None if part.contains('/') => (value(r)?, hi),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if a > b {
            return Err(format!("empty range {part:?}"));
        }
        let mut v = a;
        while v <= b {
            out[(v - lo) as usize] = true;
            v += step;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn rates() {
        assert_eq!(
            ScheduleExpression::parse("rate(5 minutes)").unwrap(),
            ScheduleExpression::Rate(Duration::from_secs(300))
        );
        assert!(ScheduleExpression::parse("rate(1 hour)").is_ok());
        assert!(ScheduleExpression::parse("rate(15 minute)").is_err());
        assert!(ScheduleExpression::parse("rate(1 minutes)").is_err());
        assert!(ScheduleExpression::parse("rate(0 minutes)").is_err());
        assert!(ScheduleExpression::parse("rate(5 weeks)").is_err());
        let origin = t(2026, 1, 1, 0, 0);
        let r = ScheduleExpression::parse("rate(5 minutes)").unwrap();
        assert_eq!(
            r.next_after(origin, t(2026, 1, 1, 0, 7)),
            Some(t(2026, 1, 1, 0, 10))
        );
    }

    #[test]
    fn crons() {
        let c = ScheduleExpression::parse("cron(0/15 * * * ? *)").unwrap();
        let o = t(2026, 1, 1, 0, 0);
        assert_eq!(
            c.next_after(o, t(2026, 1, 1, 10, 1)),
            Some(t(2026, 1, 1, 10, 15))
        );
        // 10:00 on weekdays; 2026-01-03 is a Saturday.
        let c = ScheduleExpression::parse("cron(0 10 ? * MON-FRI *)").unwrap();
        assert_eq!(
            c.next_after(o, t(2026, 1, 2, 11, 0)),
            Some(t(2026, 1, 5, 10, 0))
        );
        // Last day of February 2026.
        let c = ScheduleExpression::parse("cron(30 8 L * ? *)").unwrap();
        assert_eq!(
            c.next_after(o, t(2026, 2, 1, 0, 0)),
            Some(t(2026, 2, 28, 8, 30))
        );
        // Second Tuesday (3#2) of January 2026 is the 13th.
        let c = ScheduleExpression::parse("cron(0 0 ? * 3#2 *)").unwrap();
        assert_eq!(c.next_after(o, o), Some(t(2026, 1, 13, 0, 0)));
        assert!(ScheduleExpression::parse("cron(0 10 * * * *)").is_err());
        assert!(ScheduleExpression::parse("cron(0 10 * *)").is_err());
        assert!(ScheduleExpression::parse("cron(61 10 * * ? *)").is_err());
        assert!(ScheduleExpression::parse("every 5 minutes").is_err());
    }

    #[test]
    fn at() {
        let a = ScheduleExpression::parse("at(2026-03-01T10:00:00)").unwrap();
        let o = t(2026, 1, 1, 0, 0);
        assert_eq!(a.next_after(o, o), Some(t(2026, 3, 1, 10, 0)));
        assert_eq!(a.next_after(o, t(2026, 4, 1, 0, 0)), None);
    }
}
