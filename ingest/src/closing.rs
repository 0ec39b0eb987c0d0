//! Closing the jobs whose postings a board stopped listing, and reopening those it lists
//! again.
//!
//! A posting closes only once it is missing from `close_after_absences` successful
//! fetches of its source in a row (2 by default). One answer is not enough: boards do
//! answer an empty or truncated list now and then (a deploy, a cache, pagination cut
//! short), and closing on it would close every job of the source. Two in a row are at
//! least one fetch interval apart (1 h to 24 h depending on the plan), which a passing
//! hiccup does not survive; more would only delay a real closing by another interval.
//! A failed or unparseable fetch is no fetch at all here: it changes no count.
//!
//! The counts live on the source item (`Source::absences`), which every fetch rewrites
//! whole anyway: keeping them costs no request, only the bytes of the ids being counted.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use jobmon_connectors::Posting;
use shared::config::{ConfigError, Env};
use shared::domain::Source;

use crate::fetch::{FetchService, FetchTaskError, Stored};

/// How many listed ids a source remembers to notice vanished postings (a bounded item).
pub const MAX_OPEN_IDS: usize = 10_000;

pub const CLOSE_AFTER_ABSENCES_VAR: &str = "JOBMON_CLOSE_AFTER_ABSENCES";
pub const DEFAULT_CLOSE_AFTER_ABSENCES: u32 = 2;
const MAX_CLOSE_AFTER_ABSENCES: u32 = 10;

/// Reads [`CLOSE_AFTER_ABSENCES_VAR`] (1 to 10); unset means the default, 2.
pub fn close_after_absences(env: &Env) -> Result<u32, ConfigError> {
    env.number_in(
        CLOSE_AFTER_ABSENCES_VAR,
        DEFAULT_CLOSE_AFTER_ABSENCES,
        1..=MAX_CLOSE_AFTER_ABSENCES,
    )
}

/// What one successful fetch does to the absence counts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Absences {
    /// Missing for the `n`th time in a row: close their jobs now.
    pub close: Vec<String>,
    /// Still missing, not yet often enough: the counts to keep.
    pub counting: BTreeMap<String, u32>,
}

/// Counts one more absence for every id listed before (at the last fetch, or missing
/// since) that `listed` lacks; ids listed again drop out, so their count starts afresh.
pub fn tally(source: &Source, listed: &HashSet<&String>, n: u32) -> Absences {
    let known = source
        .open_ids
        .iter()
        .map(|id| (id, 0))
        .chain(source.absences.iter().map(|(id, count)| (id, *count)));
    let mut absences = Absences::default();
    for (id, before) in known {
        if listed.contains(id) || absences.counting.contains_key(id) {
            continue;
        }
        let now = before + 1;
        if now >= n {
            absences.close.push(id.clone());
        } else if absences.counting.len() < MAX_OPEN_IDS {
            absences.counting.insert(id.clone(), now);
        }
    }
    absences
}

impl FetchService {
    /// Closes what has now been missing often enough, reopens what came back, and
    /// remembers what the source lists. Returns (closed, reopened).
    pub(crate) async fn follow_listing(
        &self,
        source: &mut Source,
        postings: &[Posting],
        stored: &Stored,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), FetchTaskError> {
        let listed: Vec<String> = postings
            .iter()
            .map(|p| p.native_id.clone())
            .filter(|id| !id.is_empty())
            .collect();
        let listed_set: HashSet<&String> = listed.iter().collect();
        let reopened = self.reopen_returned(source, &listed_set, stored).await?;
        let absences = tally(source, &listed_set, self.close_after_absences);
        let closed = if absences.close.is_empty() {
            0
        } else {
            self.ingest
                .close_vanished(source.tenant_id, source.id, &absences.close, now)
                .await?
        };
        source.open_ids = listed.into_iter().take(MAX_OPEN_IDS).collect();
        source.absences = absences.counting;
        Ok((closed, reopened))
    }

    /// Reopens the jobs whose postings the source lists again after they were closed:
    /// listed now, neither at the last fetch nor counted as missing (those never closed),
    /// and not new in this fetch; so a fetch with nothing reappearing costs nothing here.
    async fn reopen_returned(
        &self,
        source: &Source,
        listed: &HashSet<&String>,
        stored: &Stored,
    ) -> Result<usize, FetchTaskError> {
        let listed_before: HashSet<&String> = source.open_ids.iter().collect();
        let returned: Vec<String> = listed
            .iter()
            .filter(|id| !listed_before.contains(*id) && !source.absences.contains_key(**id))
            .filter(|id| !stored.fresh.contains(**id))
            .map(|id| (*id).clone())
            .collect();
        if returned.is_empty() {
            return Ok(0);
        }
        Ok(self
            .ingest
            .reopen_listed(source.tenant_id, source.id, &returned)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(open: &[&str], absent: &[(&str, u32)]) -> Source {
        let mut source = bare_source();
        source.open_ids = open.iter().map(|s| (*s).to_owned()).collect();
        source.absences = absent
            .iter()
            .map(|(id, n)| ((*id).to_owned(), *n))
            .collect();
        source
    }

    fn bare_source() -> Source {
        jobmon_tests::contract::source(
            shared::domain::TenantId::new(),
            shared::domain::SourceKind::Greenhouse,
            serde_json::json!({}),
        )
    }

    fn ids(list: &[String]) -> HashSet<&String> {
        list.iter().collect()
    }

    #[test]
    fn a_first_absence_only_counts_and_the_second_closes() {
        let empty: Vec<String> = Vec::new();
        let first = tally(&source(&["a", "b"], &[]), &ids(&empty), 2);
        assert!(first.close.is_empty());
        assert_eq!(
            first.counting,
            BTreeMap::from([("a".into(), 1), ("b".into(), 1)])
        );
        let second = tally(&source(&[], &[("a", 1), ("b", 1)]), &ids(&empty), 2);
        assert_eq!(second.close, ["a", "b"]);
        assert!(second.counting.is_empty());
    }

    #[test]
    fn a_posting_listed_again_starts_over() {
        let listed = vec!["a".to_owned()];
        let back = tally(&source(&[], &[("a", 1), ("b", 1)]), &ids(&listed), 2);
        assert_eq!(back.close, ["b"]);
        assert!(back.counting.is_empty(), "a is listed: no count kept");
    }

    #[test]
    fn one_absence_closes_when_so_configured() {
        let listed = vec!["b".to_owned()];
        let once = tally(&source(&["a", "b"], &[]), &ids(&listed), 1);
        assert_eq!(once.close, ["a"]);
        assert!(once.counting.is_empty());
    }

    #[test]
    fn the_setting_is_a_small_whole_number() {
        let set = |value| Env::from_pairs([(CLOSE_AFTER_ABSENCES_VAR, value)]);
        assert_eq!(close_after_absences(&Env::default()).unwrap(), 2);
        assert_eq!(close_after_absences(&set("3")).unwrap(), 3);
        for bad in ["0", "11", "two", "-1"] {
            assert!(close_after_absences(&set(bad)).is_err(), "{bad}");
        }
    }
}
