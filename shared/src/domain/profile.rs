//! The tenant's scoring profile (`GET/PUT /v1/profile`) and its validation.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a tenant is looking for. Terms are words or phrases, matched case-insensitively as
/// whole words (see the README for the exact rules).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub must_have: Vec<String>,
    #[serde(default)]
    pub nice_to_have: Vec<String>,
    #[serde(default)]
    pub avoid: Vec<String>,
    #[serde(default)]
    pub titles: Vec<String>,
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub remote: RemotePreference,
    /// A yearly amount in `salary_currency` when that is set; postings in other currencies
    /// are converted with the scorer's rate table. Without a currency, in the postings'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_salary: Option<f64>,
    /// ISO 4217 code (`EUR`, `USD`, ...) of `min_salary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salary_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seniority: Option<Seniority>,
}

/// Where the tenant wants to work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RemotePreference {
    /// No preference.
    #[default]
    Any,
    /// Remote only: an on-site posting breaks the profile.
    Remote,
    /// Prefers hybrid; a preference, not a constraint (postings rarely say "on-site only").
    Hybrid,
    /// On-site only: a remote posting breaks the profile.
    Onsite,
}

/// The level the tenant is looking for, recognised in posting titles by the words listed
/// in [`Seniority::title_words`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seniority {
    Intern,
    Junior,
    Mid,
    Senior,
    Staff,
    Principal,
    Lead,
    Manager,
    Director,
}

impl Seniority {
    pub const ALL: [Seniority; 9] = [
        Self::Intern,
        Self::Junior,
        Self::Mid,
        Self::Senior,
        Self::Staff,
        Self::Principal,
        Self::Lead,
        Self::Manager,
        Self::Director,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intern => "intern",
            Self::Junior => "junior",
            Self::Mid => "mid",
            Self::Senior => "senior",
            Self::Staff => "staff",
            Self::Principal => "principal",
            Self::Lead => "lead",
            Self::Manager => "manager",
            Self::Director => "director",
        }
    }

    /// Words and phrases in a posting title that announce this level.
    pub fn title_words(self) -> &'static [&'static str] {
        match self {
            Self::Intern => &[
                "intern",
                "internship",
                "trainee",
                "apprentice",
                "werkstudent",
            ],
            Self::Junior => &["junior", "jr", "graduate", "entry level"],
            Self::Mid => &["mid", "mid level", "intermediate"],
            Self::Senior => &["senior", "sr"],
            Self::Staff => &["staff"],
            Self::Principal => &["principal"],
            Self::Lead => &["lead", "tech lead", "team lead"],
            Self::Manager => &["manager"],
            Self::Director => &["director", "head of", "vp", "vice president"],
        }
    }
}

impl fmt::Display for Seniority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RemotePreference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Any => "any",
            Self::Remote => "remote",
            Self::Hybrid => "hybrid",
            Self::Onsite => "onsite",
        })
    }
}

/// One invalid field, named as in the JSON (`mustHave[3]`), for the API's
/// `validation_failed` details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem of a profile at once, so a form can show them together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid profile: {}", describe(.0))]
pub struct ProfileError(pub Vec<FieldError>);

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Profile {
    pub const MAX_TERMS: usize = 50;
    pub const MAX_TERM_CHARS: usize = 100;
    pub const MAX_SUMMARY_CHARS: usize = 2000;
    /// Bounds of a non-zero `minSalary`.
    pub const MIN_SALARY_STEP: f64 = 0.01;
    pub const MAX_SALARY: f64 = 1e15;

    /// Checks the limits: at most [`Self::MAX_TERMS`] terms per list, each 1 to
    /// [`Self::MAX_TERM_CHARS`] characters once trimmed; a summary of at most
    /// [`Self::MAX_SUMMARY_CHARS`] characters; a `minSalary` of 0 or from
    /// [`Self::MIN_SALARY_STEP`] to [`Self::MAX_SALARY`]. The
    /// seniority and remote values are checked by deserialisation already.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let mut errors = Vec::new();
        if self.summary.trim().chars().count() > Self::MAX_SUMMARY_CHARS {
            errors.push(FieldError {
                field: "summary".into(),
                message: format!("must be at most {} characters", Self::MAX_SUMMARY_CHARS),
            });
        }
        // Line breaks and tabs are text in a summary; other control characters are not.
        if self
            .summary
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            errors.push(FieldError {
                field: "summary".into(),
                message: "must not contain control characters".into(),
            });
        }
        for (name, terms) in self.term_lists() {
            if terms.len() > Self::MAX_TERMS {
                errors.push(FieldError {
                    field: name.into(),
                    message: format!("must have at most {} entries", Self::MAX_TERMS),
                });
            }
            for (i, term) in terms.iter().enumerate() {
                let chars = term.trim().chars().count();
                if !(1..=Self::MAX_TERM_CHARS).contains(&chars) {
                    errors.push(FieldError {
                        field: format!("{name}[{i}]"),
                        message: format!(
                            "must be 1 to {} characters (not counting surrounding spaces)",
                            Self::MAX_TERM_CHARS
                        ),
                    });
                } else if term.chars().any(char::is_control) {
                    errors.push(FieldError {
                        field: format!("{name}[{i}]"),
                        message: "must not contain control characters (one term per entry)".into(),
                    });
                }
            }
        }
        // DynamoDB stores numbers from 1e-130 to 1e126 in magnitude: anything outside is
        // refused here rather than by the store (a 500).
        if let Some(min) = self.min_salary
            && !(min == 0.0 || (Self::MIN_SALARY_STEP..=Self::MAX_SALARY).contains(&min))
        {
            errors.push(FieldError {
                field: "minSalary".into(),
                message: "must be 0 or a number from 0.01 to 1e15".into(),
            });
        }
        if let Some(code) = &self.salary_currency
            && !(code.trim().len() == 3 && code.trim().chars().all(|c| c.is_ascii_alphabetic()))
        {
            errors.push(FieldError {
                field: "salaryCurrency".into(),
                message: "must be a three-letter ISO 4217 code such as EUR or USD".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ProfileError(errors))
        }
    }

    /// The same profile normalised: surrounding spaces trimmed from the summary and every
    /// term, a term listed twice in one list (ignoring case) kept once, in its first
    /// place, and the currency in capitals. What the API should store after
    /// [`Self::validate`] passed.
    pub fn trimmed(mut self) -> Self {
        self.summary = self.summary.trim().to_owned();
        for list in [
            &mut self.must_have,
            &mut self.nice_to_have,
            &mut self.avoid,
            &mut self.titles,
            &mut self.locations,
        ] {
            let mut seen = std::collections::HashSet::new();
            list.retain_mut(|term| {
                *term = term.trim().to_owned();
                seen.insert(term.to_lowercase())
            });
        }
        self.salary_currency = self
            .salary_currency
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty());
        self
    }

    fn term_lists(&self) -> [(&'static str, &[String]); 5] {
        [
            ("mustHave", &self.must_have),
            ("niceToHave", &self.nice_to_have),
            ("avoid", &self.avoid),
            ("titles", &self.titles),
            ("locations", &self.locations),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: ProfileError) -> Vec<String> {
        err.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn parses_the_api_shape() {
        let profile: Profile = serde_json::from_str(
            r#"{"summary":"Backend","mustHave":["Rust"],"niceToHave":["AWS"],"avoid":["crypto"],
                "titles":["Backend Engineer"],"locations":["Berlin"],"remote":"hybrid",
                "minSalary":70000,"seniority":"senior"}"#,
        )
        .unwrap();
        assert_eq!(profile.must_have, ["Rust"]);
        assert_eq!(profile.remote, RemotePreference::Hybrid);
        assert_eq!(profile.min_salary, Some(70000.0));
        assert_eq!(profile.seniority, Some(Seniority::Senior));
        assert!(profile.validate().is_ok());

        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(json["mustHave"][0], "Rust");
        assert_eq!(json["niceToHave"][0], "AWS");
        assert_eq!(json["minSalary"], 70000.0);
        assert_eq!(json["remote"], "hybrid");
    }

    #[test]
    fn missing_fields_default_and_optional_ones_are_omitted() {
        let profile: Profile = serde_json::from_str(r#"{"summary":"x"}"#).unwrap();
        assert_eq!(profile.remote, RemotePreference::Any);
        assert!(profile.must_have.is_empty());
        let json = serde_json::to_value(&profile).unwrap();
        assert!(json.get("minSalary").is_none());
        assert!(json.get("seniority").is_none());
        let null_salary: Profile = serde_json::from_str(r#"{"minSalary":null}"#).unwrap();
        assert_eq!(null_salary.min_salary, None);
    }

    #[test]
    fn rejects_unknown_fields_and_values() {
        assert!(serde_json::from_str::<Profile>(r#"{"mustHaves":["x"]}"#).is_err());
        assert!(serde_json::from_str::<Profile>(r#"{"remote":"sometimes"}"#).is_err());
        let err = serde_json::from_str::<Profile>(r#"{"seniority":"wizard"}"#).unwrap_err();
        assert!(err.to_string().contains("senior"), "{err}");
    }

    #[test]
    fn every_seniority_round_trips_by_its_documented_name() {
        for level in Seniority::ALL {
            let json = serde_json::to_string(&level).unwrap();
            assert_eq!(json, format!("\"{}\"", level.as_str()));
            assert_eq!(serde_json::from_str::<Seniority>(&json).unwrap(), level);
            assert!(!level.title_words().is_empty());
        }
    }

    #[test]
    fn validation_names_each_bad_field() {
        let profile = Profile {
            summary: "x".repeat(Profile::MAX_SUMMARY_CHARS + 1),
            must_have: vec!["rust".into(), "   ".into()],
            nice_to_have: vec!["y".repeat(Profile::MAX_TERM_CHARS + 1)],
            avoid: vec!["z".into(); Profile::MAX_TERMS + 1],
            min_salary: Some(-1.0),
            ..Profile::default()
        };
        let fields = fields(profile.validate().unwrap_err());
        assert_eq!(
            fields,
            [
                "summary",
                "mustHave[1]",
                "niceToHave[0]",
                "avoid",
                "minSalary"
            ]
        );
    }

    #[test]
    fn limits_are_inclusive_and_count_characters_after_trimming() {
        let profile = Profile {
            summary: "é".repeat(Profile::MAX_SUMMARY_CHARS),
            titles: vec![format!("  {}  ", "ü".repeat(Profile::MAX_TERM_CHARS))],
            locations: vec!["a".into(); Profile::MAX_TERMS],
            min_salary: Some(0.0),
            ..Profile::default()
        };
        assert!(profile.validate().is_ok());
        let nan = Profile {
            min_salary: Some(f64::NAN),
            ..Profile::default()
        };
        assert_eq!(fields(nan.validate().unwrap_err()), ["minSalary"]);
        // What DynamoDB cannot store (found by the API fuzz run: a 500 before).
        for bad in [1.49e307, 1e16, 1e-200, 0.001] {
            let p = Profile {
                min_salary: Some(bad),
                ..Profile::default()
            };
            assert_eq!(fields(p.validate().unwrap_err()), ["minSalary"], "{bad}");
        }
        for good in [Profile::MIN_SALARY_STEP, 70000.5, Profile::MAX_SALARY] {
            let p = Profile {
                min_salary: Some(good),
                ..Profile::default()
            };
            assert!(p.validate().is_ok(), "{good}");
        }
    }

    #[test]
    fn trimmed_trims_every_term() {
        let profile = Profile {
            summary: " s ".into(),
            must_have: vec![" rust ".into()],
            locations: vec!["\tBerlin\n".into()],
            ..Profile::default()
        }
        .trimmed();
        assert_eq!(profile.summary, "s");
        assert_eq!(profile.must_have, ["rust"]);
        assert_eq!(profile.locations, ["Berlin"]);
    }

    #[test]
    fn control_characters_and_bad_currencies_are_refused_by_field() {
        let profile = Profile {
            summary: "fine\nwith lines\tand tabs".into(),
            must_have: vec!["rust".into(), "go\u{0}".into()],
            titles: vec!["Backend\nEngineer".into()],
            ..Profile::default()
        };
        assert_eq!(
            fields(profile.validate().unwrap_err()),
            ["mustHave[1]", "titles[0]"]
        );
        let bell = Profile {
            summary: "ring \u{7}".into(),
            salary_currency: Some("euro".into()),
            ..Profile::default()
        };
        assert_eq!(
            fields(bell.validate().unwrap_err()),
            ["summary", "salaryCurrency"]
        );
        let ok = Profile {
            salary_currency: Some(" eur ".into()),
            ..Profile::default()
        };
        assert!(ok.validate().is_ok());
        assert_eq!(ok.trimmed().salary_currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn duplicate_terms_are_kept_once_in_their_first_place() {
        let profile = Profile {
            must_have: vec!["Rust".into(), " rust ".into(), "Go".into(), "RUST".into()],
            avoid: vec!["crypto".into(), "Crypto".into()],
            ..Profile::default()
        }
        .trimmed();
        assert_eq!(profile.must_have, ["Rust", "Go"]);
        assert_eq!(profile.avoid, ["crypto"]);
    }

    #[test]
    fn absurd_sizes_are_refused_by_field() {
        let profile = Profile {
            summary: "x".repeat(1 << 20),
            must_have: vec!["term".into(); 10_000],
            ..Profile::default()
        };
        assert_eq!(
            fields(profile.validate().unwrap_err()),
            ["summary", "mustHave"]
        );
    }

    #[test]
    fn error_message_lists_fields() {
        let err = ProfileError(vec![FieldError {
            field: "avoid[0]".into(),
            message: "bad".into(),
        }]);
        assert_eq!(err.to_string(), "invalid profile: avoid[0]: bad");
    }
}
