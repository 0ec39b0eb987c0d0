//! One posting against one profile, signal by signal. Each `check_*` adds what it found
//! to the reason's notes, its fit to the soft signals, and the hard rules broken.

use shared::domain::{Profile, RemotePreference, Score, Seniority};

use super::function::{Function, disciplines_of, function_of};
use super::pay::{RateTable, pay_in_text};
use super::place::{Mode, mode_of, remote_region_fit};
use super::seniority::{distance, posting_level};
use super::terms::{Posting, Presence, Term};
use super::{Evaluation, HardViolation};
use crate::job::JobForScoring;
use crate::words::Text;

/// How far below the minimum pay may be and still only count as a soft miss.
const PAY_TOLERANCE: f64 = 0.1;

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

pub(super) struct Assessment<'a> {
    job: &'a JobForScoring,
    profile: &'a Profile,
    posting: Posting,
    notes: Vec<String>,
    violations: Vec<HardViolation>,
    soft: Soft,
    must_met: usize,
    must_missing: Vec<String>,
    /// The profile lists must-haves.
    has_must: bool,
    /// How far above its band's floor the score may go, one entry per reason to hold it
    /// down (a level far from the wanted one, a place the tenant cannot work from, pay
    /// below the minimum).
    caps: Vec<f64>,
}

impl<'a> Assessment<'a> {
    pub(super) fn of(job: &'a JobForScoring, profile: &'a Profile, rates: &RateTable) -> Self {
        let posting = Posting::new(
            &job.title,
            &job.company,
            &job.location,
            &job.description_text,
        );
        let mut a = Self {
            job,
            profile,
            posting,
            notes: Vec::new(),
            violations: Vec::new(),
            soft: Soft::default(),
            must_met: 0,
            must_missing: Vec::new(),
            has_must: false,
            caps: Vec::new(),
        };
        a.check_hard_terms();
        a.check_function();
        a.check_titles();
        a.check_nice_to_haves();
        a.check_mode_and_place();
        a.check_pay(rates);
        a.check_seniority();
        a
    }

    fn check_hard_terms(&mut self) {
        let avoided: Vec<String> = Term::exact_list(&self.profile.avoid)
            .into_iter()
            .filter(|t| self.posting.presence(t) >= Presence::Optional)
            .map(|t| t.shown)
            .collect();
        if !avoided.is_empty() {
            self.notes
                .push(format!("Hits avoided terms: {}.", list(&avoided)));
            self.violations.push(HardViolation::AvoidTerms(avoided));
        }
        let (met, missing): (Vec<Term>, Vec<Term>) = Term::list(&self.profile.must_have)
            .into_iter()
            .partition(|t| self.posting.presence(t) == Presence::Affirmed);
        let met: Vec<String> = met.into_iter().map(|t| t.shown).collect();
        let missing: Vec<String> = missing.into_iter().map(|t| t.shown).collect();
        self.has_must = !met.is_empty() || !missing.is_empty();
        if self.has_must {
            if met.is_empty() {
                self.notes.push(format!(
                    "Meets none of the must-haves (missing: {}).",
                    list(&missing)
                ));
                self.violations.push(HardViolation::NoMustHave);
            } else if missing.is_empty() {
                self.notes
                    .push(format!("Meets all must-haves: {}.", list(&met)));
            } else {
                self.notes.push(format!(
                    "Meets {} of {} must-haves ({}); missing: {}.",
                    met.len(),
                    met.len() + missing.len(),
                    list(&met),
                    list(&missing)
                ));
            }
        }
        self.must_met = met.len();
        self.must_missing = missing;
    }

    /// A title of another function than every profile title's rules the posting out.
    fn check_function(&mut self) {
        let wanted: Vec<Function> = self
            .profile
            .titles
            .iter()
            .filter_map(|t| function_of(t))
            .collect();
        match function_of(&self.job.title) {
            Some(function) if !wanted.is_empty() && !wanted.contains(&function) => {
                self.notes.push(format!(
                    "\"{}\" is a {} job, not the work of: {}.",
                    clip(self.job.title.trim(), 80),
                    format!("{function:?}").to_lowercase(),
                    list(&trimmed(&self.profile.titles))
                ));
                self.violations.push(HardViolation::WrongFunction {
                    title: self.job.title.trim().to_owned(),
                });
            }
            _ => {}
        }
    }

    fn check_titles(&mut self) {
        if self.profile.titles.iter().all(|t| t.trim().is_empty()) {
            return;
        }
        let titles = trimmed(&self.profile.titles);
        let title = Text::stemmed(&self.job.title);
        let wanted: Vec<_> = titles.iter().flat_map(|t| disciplines_of(t)).collect();
        let offered = disciplines_of(&self.job.title);
        let mismatch = !wanted.is_empty()
            && !offered.is_empty()
            && !offered.iter().any(|d| wanted.contains(d));
        let (fit, note) = if mismatch {
            self.violations.push(HardViolation::WrongFunction {
                title: self.job.title.trim().to_owned(),
            });
            (
                0.0,
                format!("Title is another discipline than: {}.", list(&titles)),
            )
        } else if let Some(exact) = titles.iter().find(|t| title.contains_prepared(&prep(t))) {
            (1.0, format!("Title matches \"{exact}\"."))
        } else if let Some(reordered) = titles.iter().find(|t| {
            t.split_whitespace()
                .all(|w| title.contains_prepared(&prep(w)))
        }) {
            (0.8, format!("Title has the words of \"{reordered}\"."))
        } else if !offered.is_empty() {
            (0.7, "Title is in the wanted discipline.".to_owned())
        } else {
            (0.3, format!("Title matches none of: {}.", list(&titles)))
        };
        self.soft.add(W_TITLE, fit);
        self.notes.push(note);
    }

    fn check_nice_to_haves(&mut self) {
        let (met, missing): (Vec<Term>, Vec<Term>) = Term::list(&self.profile.nice_to_have)
            .into_iter()
            .partition(|t| self.posting.presence(t) >= Presence::Optional);
        let met: Vec<String> = met.into_iter().map(|t| t.shown).collect();
        let missing: Vec<String> = missing.into_iter().map(|t| t.shown).collect();
        let total = met.len() + missing.len();
        if total == 0 {
            return;
        }
        self.soft.add(W_NICE, met.len() as f64 / total as f64);
        self.notes.push(if met.is_empty() {
            format!("No nice-to-haves ({}).", list(&missing))
        } else if missing.is_empty() {
            format!("All nice-to-haves: {}.", list(&met))
        } else {
            format!(
                "Nice-to-haves {} of {}: {}; missing: {}.",
                met.len(),
                total,
                list(&met),
                list(&missing)
            )
        });
    }

    fn check_mode_and_place(&mut self) {
        let job = self.job;
        let mode = mode_of(job.remote, &job.title, &job.location, &job.description_text);
        let wanted = self.profile.remote;
        let (fit, note, broken) = mode_fit(wanted, mode);
        if let Some(fit) = fit {
            self.soft.add(W_REMOTE, fit);
        }
        if let Some(note) = note {
            self.notes.push(note.to_owned());
        }
        if broken {
            self.violations.push(HardViolation::RemoteMode {
                wanted,
                posting_remote: mode == Mode::Remote,
            });
        }
        if !self.profile.locations.iter().any(|l| !l.trim().is_empty()) {
            return;
        }
        let fit = if mode == Mode::Remote && wanted != RemotePreference::Onsite {
            self.remote_place_fit()
        } else {
            self.office_place_fit()
        };
        self.soft.add(W_LOCATION, fit);
    }

    fn remote_place_fit(&mut self) -> f64 {
        let job = self.job;
        match remote_region_fit(
            &self.profile.locations,
            &job.location,
            &job.description_text,
        ) {
            Some((0.0, regions)) => {
                let regions: Vec<String> = regions.iter().map(|r| r.to_uppercase()).collect();
                self.notes.push(format!(
                    "Remote only within {}, none of: {}.",
                    regions.join(", "),
                    list(&trimmed(&self.profile.locations))
                ));
                if self.profile.remote == RemotePreference::Remote {
                    self.violations
                        .push(HardViolation::RemoteRegion { regions });
                } else {
                    self.caps.push(1.0);
                }
                0.0
            }
            Some((fit, regions)) if fit < 1.0 => {
                let regions: Vec<String> = regions.iter().map(|r| r.to_uppercase()).collect();
                self.notes
                    .push(format!("Remote within {} only.", regions.join(", ")));
                fit
            }
            _ => {
                self.notes
                    .push("Location does not matter for a remote posting.".to_owned());
                1.0
            }
        }
    }

    fn office_place_fit(&mut self) -> f64 {
        let location = Text::new(&self.job.location);
        let title = Text::new(&self.job.title);
        let matched = self
            .profile
            .locations
            .iter()
            .filter(|l| !l.trim().is_empty())
            .find(|l| location.contains(l) || title.contains(l));
        if let Some(place) = matched {
            self.notes
                .push(format!("Location matches \"{}\".", place.trim()));
            1.0
        } else if self.job.location.trim().is_empty() {
            self.notes.push("The posting names no location.".to_owned());
            0.5
        } else {
            self.notes.push(format!(
                "Location \"{}\" is none of: {}.",
                clip(self.job.location.trim(), 80),
                list(&trimmed(&self.profile.locations))
            ));
            // An office the tenant cannot reach is nearly as bad as the wrong mode; one in
            // a region none of the profile's places lie in (another country or continent)
            // is as bad.
            let elsewhere = remote_region_fit(&self.profile.locations, &self.job.location, "")
                .is_some_and(|(fit, _)| fit == 0.0);
            self.caps.push(if elsewhere { 0.0 } else { 1.0 });
            0.0
        }
    }

    /// The structured salary when the posting has one, else pay read from its text; in
    /// the profile's currency when it names one and the rate table knows both.
    fn check_pay(&mut self, rates: &RateTable) {
        let Some(minimum) = self.profile.min_salary else {
            return;
        };
        let job = self.job;
        let offered = match job.best_salary() {
            Some(amount) => Some((amount, job.salary_currency.clone(), "")),
            None => pay_in_text(&job.description_text, &job.location, rates)
                .map(|p| (p.yearly, Some(p.currency), " (from the text)")),
        };
        let Some((amount, currency, source)) = offered else {
            self.notes.push("The posting names no salary.".to_owned());
            return;
        };
        let wanted = self.profile.salary_currency.as_deref().map(str::trim);
        let (offered, shown) = match (currency.as_deref().map(str::trim), wanted) {
            (Some(from), Some(to)) if !from.eq_ignore_ascii_case(to) => {
                match rates.convert(amount, from, to) {
                    Some(converted) => (
                        converted,
                        format!(
                            "{} {from} (about {} {to})",
                            amount_text(amount),
                            amount_text(converted)
                        ),
                    ),
                    None => (amount, format!("{} {from}", amount_text(amount))),
                }
            }
            (Some(c), _) => (amount, format!("{} {}", amount_text(amount), clip(c, 8))),
            (None, _) => (amount, amount_text(amount)),
        };
        let verdict = if offered >= minimum {
            self.soft.add(W_SALARY, 1.0);
            "meets"
        } else if offered >= minimum * (1.0 - PAY_TOLERANCE) {
            // Bands are negotiable and rates approximate: a little short is a soft miss.
            self.soft.add(W_SALARY, 0.5);
            "is a little below"
        } else {
            self.soft.add(W_SALARY, 0.0);
            if source.is_empty() {
                self.violations
                    .push(HardViolation::BelowMinSalary { offered, minimum });
            } else {
                // Pay read from text is an inference: it holds the score down, but does
                // not let the pre-gate skip the LLM on its own.
                self.caps.push(1.0);
            }
            "is below"
        };
        self.notes.push(format!(
            "Salary up to {shown}{source} {verdict} the minimum of {}.",
            amount_text(minimum)
        ));
    }

    fn check_seniority(&mut self) {
        let Some(wanted) = self.profile.seniority else {
            return;
        };
        let (fit, note) = match posting_level(&self.job.title, &self.job.description_text) {
            Some((level, _)) if level == wanted => (1.0, format!("Seniority {wanted}, as wanted.")),
            Some((level, source)) => {
                let steps = distance(level, wanted);
                match steps {
                    0 | 1 => {}
                    2 => self.caps.push(2.0),
                    _ => self.caps.push(1.0),
                }
                let fit = match steps {
                    0 => 0.8,
                    1 => 0.5,
                    _ => 0.0,
                };
                (fit, format!("The {source} suggests {level}, not {wanted}."))
            }
            None if wanted == Seniority::Mid => (
                1.0,
                "Title names no level (taken as mid), as wanted.".to_owned(),
            ),
            None => (0.5, format!("Title names no level; {wanted} wanted.")),
        };
        self.soft.add(W_SENIORITY, fit);
        self.notes.push(note);
    }

    pub(super) fn into_evaluation(self) -> Evaluation {
        if self.notes.is_empty() {
            // Nothing asked, nothing to say: the middle of the scale, not a fit.
            return Evaluation {
                score: Score::new(5).unwrap_or(Score::MIN),
                reason: "Neutral (5/10). The profile names nothing to match against.".into(),
                violations: self.violations,
                missing_must_haves: self.must_missing,
            };
        }
        let value = self.band_score();
        // Invariant: each band's arithmetic stays within 1..=10.
        let score = Score::new(value as i64).unwrap_or(Score::MIN);
        Evaluation {
            score,
            reason: format!("{} {}", verdict(score), self.notes.join(" ")),
            violations: self.violations,
            missing_must_haves: self.must_missing,
        }
    }

    fn band_score(&self) -> f64 {
        let fit = self.soft.fit();
        let missing = self.must_missing.len();
        let ruled_out = self.violations.iter().any(|v| {
            matches!(
                v,
                HardViolation::AvoidTerms(_)
                    | HardViolation::NoMustHave
                    | HardViolation::WrongFunction { .. }
            )
        });
        let (floor, raw) = if ruled_out {
            (1.0, 1.0 + (2.0 * fit).round())
        } else if missing == 0 {
            (4.0, 4.0 + (6.0 * fit).round())
        } else {
            let share = self.must_met as f64 / (self.must_met + missing) as f64;
            (2.0, 2.0 + (4.0 * (0.5 * share + 0.5 * fit)).round())
        };
        let mut caps = self.caps.clone();
        caps.extend(self.violations.iter().filter_map(|v| match v {
            HardViolation::BelowMinSalary { .. } | HardViolation::RemoteMode { .. } => Some(1.0),
            // A remote job the tenant may not take from where they live.
            HardViolation::RemoteRegion { .. } => Some(0.0),
            _ => None,
        }));
        // Two circumstances that rule the job out for the tenant: the band's floor.
        let tight = caps.iter().filter(|c| **c <= 1.0).count() >= 2;
        let cap = if tight {
            0.0
        } else {
            caps.into_iter().fold(f64::INFINITY, f64::min)
        };
        raw.min(floor + cap)
    }
}

fn mode_fit(wanted: RemotePreference, mode: Mode) -> (Option<f64>, Option<&'static str>, bool) {
    match (wanted, mode) {
        (RemotePreference::Any, _) => (None, None, false),
        (RemotePreference::Remote, Mode::Remote) => (Some(1.0), Some("Remote, as wanted."), false),
        (RemotePreference::Remote, _) => {
            (Some(0.0), Some("Not remote, but remote is required."), true)
        }
        (RemotePreference::Onsite, Mode::Remote) => {
            (Some(0.0), Some("Remote, but on-site is required."), true)
        }
        (RemotePreference::Onsite, _) => (Some(1.0), Some("On-site, as wanted."), false),
        (RemotePreference::Hybrid, Mode::Hybrid) => {
            (Some(1.0), Some("Hybrid, as preferred."), false)
        }
        (RemotePreference::Hybrid, Mode::Remote) => (
            Some(0.5),
            Some("Fully remote rather than the preferred hybrid."),
            false,
        ),
        (RemotePreference::Hybrid, Mode::Onsite) => (
            Some(0.25),
            Some("Does not mention hybrid work, which is preferred."),
            false,
        ),
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

fn prep(term: &str) -> String {
    crate::words::prepare(term, true)
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

fn amount_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
