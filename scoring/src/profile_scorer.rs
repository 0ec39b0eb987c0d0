//! The built-in scorer: deterministic, offline, explainable.
//!
//! # Scale
//! A posting first lands in a band decided by the profile's hard terms and the job's
//! function; the soft signals (titles and discipline, nice-to-haves, place, work mode, pay,
//! seniority) place it inside the band:
//!
//! | band | when | scores |
//! |---|---|---|
//! | ruled out | an `avoid` term appears, not one of the must-haves does, or the title names another function (recruiting, sales, ...) than the profile's titles | 1–3 |
//! | partial   | some, not all, must-haves appear | 2–6 |
//! | complete  | every must-have appears (or the profile lists none) | 4–10 |
//!
//! A posting below `minSalary` (structured, or read from its text and converted with the
//! [`RateTable`]), in the wrong work mode or region, or far from the wanted level is held
//! near its band's floor (scoring/README.md has the rules). So a posting that hits an
//! avoid term always scores below every posting of the right function that meets all
//! must-haves and hits none.
//!
//! Terms are found as a careful reader finds them ([`terms`]): under their aliases, in
//! their plural forms, and not where the posting negates them or only in its hiring
//! boilerplate.

mod assess;
mod function;
pub(crate) mod pay;
pub(crate) mod place;
mod seniority;
mod terms;
mod warnings;

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ScoreError;
use crate::job::JobForScoring;
use crate::scorer::{Scorer, Scoring};
use shared::domain::{Profile, RemotePreference, Score};

pub use pay::RateTable;
pub use place::mode_of as work_mode;
pub use warnings::{ProfileWarning, profile_warnings};

/// The built-in matcher. Cheap to clone; construct it freely.
#[derive(Debug, Clone, Default)]
pub struct ProfileScorer {
    rates: Arc<RateTable>,
}

/// A rule of the profile that the posting breaks outright. [`crate::GatedScorer`] answers
/// such postings itself instead of paying for an LLM call.
#[derive(Debug, Clone, PartialEq)]
pub enum HardViolation {
    /// These `avoid` terms appear in the posting (outside boilerplate, not negated).
    AvoidTerms(Vec<String>),
    /// The profile lists must-haves and the posting mentions none of them.
    NoMustHave,
    /// The posting's best salary is below the profile's minimum (both in the profile's
    /// currency when it names one).
    BelowMinSalary { offered: f64, minimum: f64 },
    /// The profile insists on `remote` or `onsite` and the posting is the other.
    RemoteMode {
        wanted: RemotePreference,
        posting_remote: bool,
    },
    /// A remote job open only to people in regions none of the profile's places lie in.
    RemoteRegion { regions: Vec<String> },
    /// The title names a function (recruiting, sales, marketing, ...) none of the
    /// profile's titles do.
    WrongFunction { title: String },
}

/// The profile scorer's full answer: the score, the reason, and the hard rules broken.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub score: Score,
    pub reason: String,
    pub violations: Vec<HardViolation>,
    /// Must-haves the posting does not mention (empty when it meets them all).
    pub missing_must_haves: Vec<String>,
}

impl Evaluation {
    pub fn breaks_hard_constraint(&self) -> bool {
        !self.violations.is_empty()
    }

    pub fn into_scoring(self) -> Scoring {
        Scoring {
            score: self.score,
            reason: self.reason,
            scorer: Scoring::PROFILE,
            model: None,
        }
    }
}

impl ProfileScorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Converts pay with `rates` instead of the built-in table.
    pub fn with_rates(rates: RateTable) -> Self {
        Self {
            rates: Arc::new(rates),
        }
    }

    pub fn evaluate(&self, job: &JobForScoring, profile: &Profile) -> Evaluation {
        assess::Assessment::of(job, profile, &self.rates).into_evaluation()
    }
}

#[async_trait]
impl Scorer for ProfileScorer {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        Ok(self.evaluate(job, profile).into_scoring())
    }
}

#[cfg(test)]
mod tests;
