//! Warnings for a profile about to be saved, from the tenant's recent postings: terms the
//! scorer finds in none of them (often a typo: "Kubernets"), and must-haves most of them
//! lack, which hold those postings out of the good band.

use serde::Serialize;
use shared::domain::Profile;

use super::terms::{Posting, Presence, Term};
use crate::job::JobForScoring;

/// Below this many recent postings, "appears in none" says more about the sample than the
/// term: no warnings.
pub const MIN_POSTINGS: usize = 10;
/// A must-have missing from more than this share of recent postings is worth a warning.
const MOSTLY_MISSING: f64 = 0.8;

/// One warning, naming the field as the API's validation errors do (`mustHave[1]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileWarning {
    pub field: String,
    pub term: String,
    pub message: String,
}

/// The warnings for `profile` against `recent` postings; none when there are fewer than
/// [`MIN_POSTINGS`].
pub fn profile_warnings(profile: &Profile, recent: &[JobForScoring]) -> Vec<ProfileWarning> {
    if recent.len() < MIN_POSTINGS {
        return Vec::new();
    }
    let postings: Vec<Posting> = recent
        .iter()
        .map(|j| Posting::new(&j.title, &j.company, &j.location, &j.description_text))
        .collect();
    let total = postings.len();
    let mut warnings = Vec::new();
    for (field, terms) in [
        ("mustHave", &profile.must_have),
        ("niceToHave", &profile.nice_to_have),
        ("avoid", &profile.avoid),
        ("titles", &profile.titles),
    ] {
        for (i, raw) in terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.trim().is_empty())
        {
            let term = Term::new(raw);
            let present = postings
                .iter()
                .filter(|p| p.presence(&term) > Presence::Absent)
                .count();
            let affirmed = postings
                .iter()
                .filter(|p| p.presence(&term) == Presence::Affirmed)
                .count();
            let message = if present == 0 {
                format!(
                    "'{}' appears in none of your {total} recent jobs.",
                    term.shown
                )
            } else if field == "mustHave"
                && (total - affirmed) as f64 > MOSTLY_MISSING * total as f64
            {
                format!(
                    "'{}' is missing from {} of your {total} recent jobs; as a must-have it keeps them below 7.",
                    term.shown,
                    total - affirmed
                )
            } else {
                continue;
            };
            warnings.push(ProfileWarning {
                field: format!("{field}[{i}]"),
                term: term.shown,
                message,
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use shared::domain::CanonicalUrl;

    use super::*;

    fn posting(i: usize, text: &str) -> JobForScoring {
        JobForScoring {
            title: "Backend Engineer".into(),
            company: "Acme".into(),
            location: "Berlin".into(),
            remote: false,
            description_text: text.into(),
            salary_min: None,
            salary_max: None,
            salary_currency: None,
            url: CanonicalUrl::parse(&format!("https://jobs.example.com/{i}")).unwrap(),
        }
    }

    fn recent(n: usize, with_rust: usize) -> Vec<JobForScoring> {
        (0..n)
            .map(|i| {
                posting(
                    i,
                    if i < with_rust {
                        "Go and Rust on k8s."
                    } else {
                        "Go on k8s."
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_term_in_none_of_the_recent_jobs_is_named_with_its_field() {
        let profile = Profile {
            must_have: vec!["Go".into(), "Kubernets".into()],
            nice_to_have: vec!["Kubernetes".into()],
            ..Profile::default()
        };
        let warnings = profile_warnings(&profile, &recent(12, 12));
        assert_eq!(
            warnings,
            [ProfileWarning {
                field: "mustHave[1]".into(),
                term: "Kubernets".into(),
                message: "'Kubernets' appears in none of your 12 recent jobs.".into(),
            }]
        );
    }

    #[test]
    fn a_must_have_most_jobs_lack_is_named_and_a_common_one_is_not() {
        let profile = Profile {
            must_have: vec!["Go".into(), "Rust".into()],
            ..Profile::default()
        };
        let warnings = profile_warnings(&profile, &recent(20, 2));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].field, "mustHave[1]");
        assert!(
            warnings[0].message.contains("missing from 18 of your 20"),
            "{warnings:?}"
        );
        // As a nice-to-have the same term is no warning: it only adds.
        let nice = Profile {
            nice_to_have: vec!["Rust".into()],
            ..Profile::default()
        };
        assert!(profile_warnings(&nice, &recent(20, 2)).is_empty());
    }

    #[test]
    fn too_few_recent_jobs_give_no_warnings() {
        let profile = Profile {
            must_have: vec!["Cobol".into()],
            ..Profile::default()
        };
        assert!(profile_warnings(&profile, &recent(MIN_POSTINGS - 1, 0)).is_empty());
        assert_eq!(
            profile_warnings(&profile, &recent(MIN_POSTINGS, 0)).len(),
            1
        );
    }
}
