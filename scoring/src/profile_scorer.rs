//! The built-in scorer: deterministic, offline, explainable.
//!
//! # Scale
//! A posting first lands in a band decided by the profile's hard terms; the soft signals
//! (titles, nice-to-haves, locations, remote mode, salary, seniority) place it inside the
//! band:
//!
//! | band | when | scores |
//! |---|---|---|
//! | ruled out | an `avoid` term appears, or not one of the must-haves does | 1–3 |
//! | partial   | some, not all, must-haves appear | 2–6 |
//! | complete  | every must-have appears (or the profile lists none) | 4–10 |
//!
//! A posting below `minSalary` (when it names a salary) or in the wrong remote mode (when
//! the profile says `remote` or `onsite`) is capped at its band's floor + 1 (2, 3 or 5).
//! So a posting that hits an avoid term always scores below every posting that meets all
//! must-haves and hits none.

use async_trait::async_trait;
use shared::domain::Score;

use crate::error::ScoreError;
use crate::job::JobForScoring;
use crate::scorer::{Scorer, Scoring};
use crate::words::Text;
use shared::domain::{Profile, RemotePreference, Seniority};

/// The built-in matcher. Stateless; construct it freely.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileScorer;

/// A rule of the profile that the posting breaks outright. [`crate::GatedScorer`] answers
/// such postings itself instead of paying for an LLM call.
#[derive(Debug, Clone, PartialEq)]
pub enum HardViolation {
    /// These `avoid` terms appear in the posting.
    AvoidTerms(Vec<String>),
    /// The profile lists must-haves and the posting mentions none of them.
    NoMustHave,
    /// The posting's best salary is below the profile's minimum.
    BelowMinSalary { offered: f64, minimum: f64 },
    /// The profile insists on `remote` or `onsite` and the posting is the other.
    RemoteMode {
        wanted: RemotePreference,
        posting_remote: bool,
    },
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

/// How many terms a reason lists before saying "and N more".
const LISTED_TERMS: usize = 8;

// Weights of the soft signals: what the tenant names as wanted (titles, nice-to-haves)
// counts more than circumstances (place, mode, pay, level).
const W_TITLE: f64 = 3.0;
const W_NICE: f64 = 3.0;
const W_LOCATION: f64 = 2.0;
const W_REMOTE: f64 = 2.0;
const W_SALARY: f64 = 2.0;
const W_SENIORITY: f64 = 2.0;

impl ProfileScorer {
    pub fn new() -> Self {
        Self
    }

    pub fn evaluate(&self, job: &JobForScoring, profile: &Profile) -> Evaluation {
        let everything = Text::joined(&[
            &job.title,
            &job.company,
            &job.location,
            &job.description_text,
        ]);
        let title = Text::new(&job.title);
        let location = Text::new(&job.location);

        let mut violations = Vec::new();
        let mut soft = Soft::default();
        let mut notes: Vec<String> = Vec::new();

        // Hard terms.
        let avoided = present(&everything, &profile.avoid);
        let (must_met, must_missing) = split(&everything, &profile.must_have);
        let has_must = !must_met.is_empty() || !must_missing.is_empty();
        if !avoided.is_empty() {
            notes.push(format!("Hits avoided terms: {}.", list(&avoided)));
            violations.push(HardViolation::AvoidTerms(avoided.clone()));
        }
        if has_must {
            if must_met.is_empty() {
                notes.push(format!(
                    "Meets none of the must-haves (missing: {}).",
                    list(&must_missing)
                ));
                violations.push(HardViolation::NoMustHave);
            } else if must_missing.is_empty() {
                notes.push(format!("Meets all must-haves: {}.", list(&must_met)));
            } else {
                notes.push(format!(
                    "Meets {} of {} must-haves ({}); missing: {}.",
                    must_met.len(),
                    must_met.len() + must_missing.len(),
                    list(&must_met),
                    list(&must_missing)
                ));
            }
        }

        // Titles.
        if !profile.titles.is_empty() {
            let (fit, note) = title_fit(&title, &profile.titles);
            soft.add(W_TITLE, fit);
            notes.push(note);
        }

        // Nice-to-haves.
        let (nice_met, nice_missing) = split(&everything, &profile.nice_to_have);
        let nice_total = nice_met.len() + nice_missing.len();
        if nice_total > 0 {
            soft.add(W_NICE, nice_met.len() as f64 / nice_total as f64);
            notes.push(if nice_met.is_empty() {
                format!("No nice-to-haves ({}).", list(&nice_missing))
            } else if nice_missing.is_empty() {
                format!("All nice-to-haves: {}.", list(&nice_met))
            } else {
                format!(
                    "Nice-to-haves {} of {}: {}; missing: {}.",
                    nice_met.len(),
                    nice_total,
                    list(&nice_met),
                    list(&nice_missing)
                )
            });
        }

        // Remote mode. The connectors set `remote` from the location and workplace fields;
        // a title or location that says "remote" counts too.
        let posting_remote = job.remote || title.contains("remote") || location.contains("remote");
        let (remote_fit, remote_note, remote_broken) =
            remote_fit(profile.remote, posting_remote, &everything);
        if let Some(fit) = remote_fit {
            soft.add(W_REMOTE, fit);
        }
        if let Some(note) = remote_note {
            notes.push(note);
        }
        if remote_broken {
            violations.push(HardViolation::RemoteMode {
                wanted: profile.remote,
                posting_remote,
            });
        }

        // Locations.
        if !profile.locations.is_empty() {
            let matched = profile
                .locations
                .iter()
                .find(|l| location.contains(l) || title.contains(l));
            let fit = if let Some(place) = matched {
                notes.push(format!("Location matches \"{}\".", place.trim()));
                1.0
            } else if posting_remote && profile.remote != RemotePreference::Onsite {
                notes.push("Location does not matter for a remote posting.".to_owned());
                1.0
            } else if job.location.trim().is_empty() {
                notes.push("The posting names no location.".to_owned());
                0.5
            } else {
                notes.push(format!(
                    "Location \"{}\" is none of: {}.",
                    clip(job.location.trim(), 80),
                    list(&trimmed(&profile.locations))
                ));
                0.0
            };
            soft.add(W_LOCATION, fit);
        }

        // Salary: compared only when the posting names one; currencies and intervals are
        // not converted (the profile's minimum is in the postings' terms).
        if let Some(minimum) = profile.min_salary {
            match job.best_salary() {
                Some(offered) if offered >= minimum => {
                    soft.add(W_SALARY, 1.0);
                    notes.push(format!(
                        "Salary up to {}{} meets the minimum of {}.",
                        amount(offered),
                        currency(job),
                        amount(minimum)
                    ));
                }
                Some(offered) => {
                    soft.add(W_SALARY, 0.0);
                    notes.push(format!(
                        "Salary up to {}{} is below the minimum of {}.",
                        amount(offered),
                        currency(job),
                        amount(minimum)
                    ));
                    violations.push(HardViolation::BelowMinSalary { offered, minimum });
                }
                None => notes.push("The posting names no salary.".to_owned()),
            }
        }

        // Seniority, from the words of the title.
        if let Some(wanted) = profile.seniority {
            let (fit, note) = seniority_fit(&title, wanted);
            soft.add(W_SENIORITY, fit);
            notes.push(note);
        }

        if notes.is_empty() {
            // Nothing asked, nothing to say: the middle of the scale, not a fit.
            return Evaluation {
                score: Score::new(5).unwrap_or(Score::MIN),
                reason: "Neutral (5/10). The profile names nothing to match against.".into(),
                violations,
                missing_must_haves: must_missing,
            };
        }

        let fit = soft.fit();
        let must_share = if has_must {
            must_met.len() as f64 / (must_met.len() + must_missing.len()) as f64
        } else {
            1.0
        };
        let (floor, raw) = if !avoided.is_empty() || (has_must && must_met.is_empty()) {
            (1, 1.0 + (2.0 * fit).round())
        } else if must_missing.is_empty() {
            (4, 4.0 + (6.0 * fit).round())
        } else {
            (2, 2.0 + (4.0 * (0.5 * must_share + 0.5 * fit)).round())
        };
        let capped = violations.iter().any(|v| {
            matches!(
                v,
                HardViolation::BelowMinSalary { .. } | HardViolation::RemoteMode { .. }
            )
        });
        let value = if capped {
            raw.min(f64::from(floor + 1))
        } else {
            raw
        };
        // Invariant: each band's arithmetic stays within 1..=10.
        let score = Score::new(value as i64).unwrap_or(Score::MIN);

        Evaluation {
            score,
            reason: format!("{} {}", verdict(score), notes.join(" ")),
            violations,
            missing_must_haves: must_missing,
        }
    }
}

#[async_trait]
impl Scorer for ProfileScorer {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        Ok(self.evaluate(job, profile).into_scoring())
    }
}

/// A weighted average of the signals the profile asks about; 0.5 when it asks about none.
#[derive(Debug, Default)]
struct Soft {
    weighted: f64,
    weights: f64,
}

impl Soft {
    fn add(&mut self, weight: f64, fit: f64) {
        self.weighted += weight * fit.clamp(0.0, 1.0);
        self.weights += weight;
    }

    fn fit(&self) -> f64 {
        if self.weights > 0.0 {
            (self.weighted / self.weights).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }
}

fn verdict(score: Score) -> String {
    let word = match score.value() {
        9..=10 => "Excellent fit",
        7..=8 => "Good fit",
        5..=6 => "Partial fit",
        3..=4 => "Weak fit",
        _ => "Poor fit",
    };
    format!("{word} ({score}/10).")
}

/// The non-blank terms that appear in `text`, trimmed, in profile order.
fn present(text: &Text, terms: &[String]) -> Vec<String> {
    split(text, terms).0
}

/// The non-blank terms split into (appearing, missing), trimmed, in profile order.
fn split(text: &Text, terms: &[String]) -> (Vec<String>, Vec<String>) {
    terms
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .partition(|t| text.contains(t))
}

fn title_fit(title: &Text, titles: &[String]) -> (f64, String) {
    let titles = trimmed(titles);
    if let Some(exact) = titles.iter().find(|t| title.contains(t)) {
        return (1.0, format!("Title matches \"{exact}\"."));
    }
    // "Engineer, Backend" for "Backend Engineer": every word, another order.
    if let Some(reordered) = titles
        .iter()
        .find(|t| t.split_whitespace().all(|w| title.contains(w)))
    {
        return (0.8, format!("Title has the words of \"{reordered}\"."));
    }
    (0.0, format!("Title matches none of: {}.", list(&titles)))
}

fn remote_fit(
    wanted: RemotePreference,
    posting_remote: bool,
    text: &Text,
) -> (Option<f64>, Option<String>, bool) {
    match (wanted, posting_remote) {
        (RemotePreference::Any, _) => (None, None, false),
        (RemotePreference::Remote, true) => (Some(1.0), Some("Remote, as wanted.".into()), false),
        (RemotePreference::Remote, false) => (
            Some(0.0),
            Some("Not remote, but remote is required.".into()),
            true,
        ),
        (RemotePreference::Onsite, false) => (Some(1.0), Some("On-site, as wanted.".into()), false),
        (RemotePreference::Onsite, true) => (
            Some(0.0),
            Some("Remote, but on-site is required.".into()),
            true,
        ),
        (RemotePreference::Hybrid, _) if text.contains("hybrid") => {
            (Some(1.0), Some("Hybrid, as preferred.".into()), false)
        }
        (RemotePreference::Hybrid, true) => (
            Some(0.5),
            Some("Fully remote rather than the preferred hybrid.".into()),
            false,
        ),
        (RemotePreference::Hybrid, false) => (
            Some(0.25),
            Some("Does not mention hybrid work, which is preferred.".into()),
            false,
        ),
    }
}

fn seniority_fit(title: &Text, wanted: Seniority) -> (f64, String) {
    let named: Vec<Seniority> = Seniority::ALL
        .into_iter()
        .filter(|level| title.contains_any(level.title_words()))
        .collect();
    if named.contains(&wanted) {
        (1.0, format!("Seniority {wanted}, as wanted."))
    } else if !named.is_empty() {
        let names: Vec<String> = named.iter().map(ToString::to_string).collect();
        (
            0.0,
            format!("Title suggests {}, not {wanted}.", names.join("/")),
        )
    } else if wanted == Seniority::Mid {
        // Titles without a level word are usually the mid-level role.
        (
            1.0,
            "Title names no level (taken as mid), as wanted.".into(),
        )
    } else {
        (0.5, format!("Title names no level; {wanted} wanted."))
    }
}

fn trimmed(terms: &[String]) -> Vec<String> {
    terms
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// "a, b, c and 3 more".
fn list(terms: &[String]) -> String {
    let shown: Vec<&str> = terms
        .iter()
        .take(LISTED_TERMS)
        .map(|t| clip(t, 60))
        .collect();
    let more = terms.len().saturating_sub(LISTED_TERMS);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// At most `max` characters of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

fn amount(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn currency(job: &JobForScoring) -> String {
    job.salary_currency
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map_or_else(String::new, |c| format!(" {}", clip(c, 8)))
}

#[cfg(test)]
mod tests;
