//! Terms as a careful reader finds them: under their other names (the alias table), in
//! their plural or -ing form (light stemming), and only where the posting means them: not
//! when it says the skill is *not* needed or is being left behind, and not in the
//! equal-opportunity, privacy, scam-warning or "no agencies" paragraphs every posting
//! carries.

use std::sync::OnceLock;

use crate::words::{Text, normalised, prepare};

/// Names that mean the same thing. A leading `=` marks a form that counts only with its
/// case as written ("Go" the language, never "go" the verb; "ML", "TS", "JS").
/// Maintained by hand: add a group when a real posting writes a skill another way.
const ALIASES: &[&[&str]] = &[
    &["kubernetes", "k8s", "k8"],
    &["golang", "=Go"],
    &["postgresql", "postgres", "psql"],
    &["javascript", "=JS", "ecmascript"],
    &["typescript", "=TS"],
    &["machine learning", "=ML"],
    &["aws", "amazon web services"],
    &["gcp", "google cloud", "google cloud platform"],
    &["react", "react.js", "reactjs"],
    &["next.js", "nextjs"],
    &["node.js", "nodejs", "=Node"],
    &["scikit-learn", "sklearn", "scikit learn"],
    &[
        "a/b testing",
        "ab testing",
        "split testing",
        "experimentation",
    ],
    &["ci/cd", "continuous integration", "continuous delivery"],
    &[
        "site reliability engineer",
        "sre",
        "site reliability engineering",
    ],
    &["frontend", "front end"],
    &["backend", "back end"],
    &["accessibility", "a11y", "wcag", "aoda"],
    &["statistics", "statistical", "statistician"],
    &["defence", "defense", "military", "armed forces"],
    &["gambling", "betting", "casino", "igaming"],
    &[
        "crypto",
        "cryptocurrency",
        "cryptocurrencies",
        "blockchain",
        "web3",
    ],
    &["wordpress", "=WP"],
    &["grpc", "protobuf"],
    &["design system", "component library"],
];

/// Signs that what *follows* them in the sentence is not (or no longer) the job:
/// "we're moving off Go", "we plan to adopt Kubernetes".
const NEGATING_BEFORE: &[&str] = &[
    "do not use",
    "don't use",
    "don’t use",
    "not be using",
    "moving off",
    "moving away",
    "move away",
    "migrating away",
    "migrating off",
    "away from",
    "phasing out",
    "no longer",
    "plan to adopt",
    "planning to adopt",
];
/// Signs that what *comes before* them in the sentence is not needed or not yet there:
/// "Kubernetes is not needed", "moving to Kubernetes next year".
const NEGATING_AFTER: &[&str] = &[
    "not required",
    "not needed",
    "not necessary",
    "not used",
    "next year",
];
/// Words that negate the term when they come just before it ("no Kubernetes", "not Go").
const NEGATING_WORDS: &[&str] = &["no", "not", "without", "kein", "keine", "sans", "sin"];
/// Signs that a skill is welcome but not asked for: met as a nice-to-have, not as a
/// must-have.
const OPTIONAL: &[&str] = &[
    "a plus",
    "is an asset",
    "an asset",
    "is a bonus",
    "a bonus",
    "nice to have",
    "welcome but",
    "helpful but",
    "helps",
];
/// Phrases of the paragraphs that are about the hiring process, not the job.
const BOILERPLATE: &[&str] = &[
    "equal opportunit",
    "equal employment",
    "regardless of",
    "discriminat",
    "privacy",
    "gdpr",
    "applicant data",
    "never ask",
    "scam",
    "unsolicited",
    "recruitment agenc",
    "employment agenc",
    "staffing agenc",
    "third-party recruiter",
    "third party recruiter",
    "accommodation",
    "human rights code",
    "veteran status",
    "protected characteristic",
    "by applying",
];

/// A profile term with every form that counts as it.
#[derive(Debug, Clone)]
pub(crate) struct Term {
    /// As the tenant wrote it, trimmed: what reasons name.
    pub shown: String,
    /// Prepared phrases, each with the text it is matched against.
    forms: Vec<(String, Form)>,
}

/// Which text of a sentence a form is matched against; the discriminant indexes
/// [`Part`]'s per-text cue offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Stemmed = 0,
    Cased = 1,
    Plain = 2,
}

/// The alias groups, prepared once: (stemmed lower-case key, forms).
/// One alias group prepared: the stemmed keys a profile term is looked up by, and the
/// forms a posting is searched for.
type Group = (Vec<String>, Vec<(String, Form)>);

fn aliases() -> &'static [Group] {
    static TABLE: OnceLock<Vec<Group>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ALIASES
            .iter()
            .map(|group| {
                let keys = group
                    .iter()
                    .map(|f| prepare(f.trim_start_matches('='), true))
                    .collect();
                let forms = group
                    .iter()
                    .map(|form| match form.strip_prefix('=') {
                        Some(cased) => (prepare(cased, false), Form::Cased),
                        None => (prepare(form, true), Form::Stemmed),
                    })
                    .collect();
                (keys, forms)
            })
            .collect()
    })
}

impl Term {
    pub(crate) fn new(raw: &str) -> Self {
        let shown = raw.trim().to_owned();
        let own = prepare(&shown, true);
        let forms = aliases()
            .iter()
            .find(|(keys, _)| keys.contains(&own))
            .map_or_else(|| vec![(own, Form::Stemmed)], |(_, forms)| forms.clone());
        Self { shown, forms }
    }

    /// As written and under its aliases, but without stemming: for `avoid` terms, where a
    /// plural usually names someone else ("a digital agency" is the company; "home-care
    /// agencies" are its customers).
    pub(crate) fn exact(raw: &str) -> Self {
        let shown = raw.trim().to_owned();
        let own = prepare(&shown, true);
        let group = aliases()
            .iter()
            .position(|(keys, _)| keys.contains(&own))
            .map(|i| ALIASES[i]);
        let forms = match group {
            Some(group) => group
                .iter()
                .map(|form| match form.strip_prefix('=') {
                    Some(cased) => (prepare(cased, false), Form::Cased),
                    None => (normalised(form), Form::Plain),
                })
                .collect(),
            None => vec![(normalised(&shown), Form::Plain)],
        };
        Self { shown, forms }
    }

    /// The non-blank terms of a profile list.
    pub(crate) fn list(raw: &[String]) -> Vec<Self> {
        raw.iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Self::new(t))
            .collect()
    }

    /// The non-blank terms of a profile list, as [`Term::exact`].
    pub(crate) fn exact_list(raw: &[String]) -> Vec<Self> {
        raw.iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Self::exact(t))
            .collect()
    }

    fn positions<'a>(&'a self, part: &'a Part) -> impl Iterator<Item = (Form, usize)> + 'a {
        self.forms.iter().flat_map(move |(form, kind)| {
            part.text(*kind).whole_matches(form).map(|at| (*kind, at))
        })
    }
}

/// How a posting speaks of a term, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Presence {
    Absent,
    /// Only in hiring boilerplate.
    Boilerplate,
    /// Only as something not needed, left behind or not yet there.
    Negated,
    /// Only as a plus.
    Optional,
    Affirmed,
}

type Cues = Vec<(String, String)>;

/// The negation cues prepared once, (stemmed, plain) each: those negating what follows
/// them and those negating what comes before.
fn cues() -> &'static (Cues, Cues) {
    static CUES: OnceLock<(Cues, Cues)> = OnceLock::new();
    CUES.get_or_init(|| {
        let prepared = |phrases: &[&str]| {
            phrases
                .iter()
                .map(|p| (prepare(p, true), normalised(p)))
                .collect()
        };
        (prepared(NEGATING_BEFORE), prepared(NEGATING_AFTER))
    })
}

/// One sentence (or the title, or the location) of a posting.
#[derive(Debug)]
struct Part {
    lower: Text,
    cased: Text,
    /// The sentence without stemming, for avoid terms: "agency" is the kind of company,
    /// "home-care agencies" its customers.
    plain: Text,
    boilerplate: bool,
    /// Per text (stemmed, cased, plain): the byte offsets after which, and before which,
    /// terms are negated.
    negated_after: [Option<usize>; 3],
    negated_before: [Option<usize>; 3],
    optional: bool,
}

impl Part {
    fn new(raw: &str, judged: bool) -> Self {
        let lower = Text::stemmed(raw);
        let plain = raw.to_lowercase();
        let has = |phrases: &[&str]| judged && phrases.iter().any(|p| plain.contains(p));
        let cased = Text::stemmed_cased(raw);
        let plain_text = Text::new(raw);
        let cue = |phrases: &[(String, String)], last: bool| -> [Option<usize>; 3] {
            let at = |text: &Text, lower: bool| {
                if !judged {
                    return None;
                }
                // The cased text keeps capitals; cues are matched ignoring case.
                let found = phrases.iter().filter_map(|(stemmed, plain)| {
                    text.first_match_ignoring_case(if lower { stemmed } else { plain })
                });
                if last { found.max() } else { found.min() }
            };
            [at(&lower, true), at(&cased, true), at(&plain_text, false)]
        };
        let (before, after) = cues();
        Self {
            boilerplate: has(BOILERPLATE),
            negated_after: cue(before, false),
            negated_before: cue(after, true),
            optional: has(OPTIONAL),
            cased,
            plain: plain_text,
            lower,
        }
    }

    fn presence(&self, term: &Term) -> Presence {
        let mut best = Presence::Absent;
        for (kind, at) in term.positions(self) {
            let i = kind as usize;
            let found = if self.boilerplate {
                Presence::Boilerplate
            } else if self.negated_after[i].is_some_and(|cue| at > cue)
                || self.negated_before[i].is_some_and(|cue| at < cue)
                || self.negated_at(self.text(kind), at)
            {
                Presence::Negated
            } else if self.optional {
                Presence::Optional
            } else {
                Presence::Affirmed
            };
            best = best.max(found);
        }
        best
    }

    fn text(&self, kind: Form) -> &Text {
        match kind {
            Form::Stemmed => &self.lower,
            Form::Cased => &self.cased,
            Form::Plain => &self.plain,
        }
    }

    /// A negating word among the three words before the match.
    fn negated_at(&self, text: &Text, at: usize) -> bool {
        let before = text.as_str().get(..at).unwrap_or_default();
        before
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .rev()
            .take(3)
            .any(|w| NEGATING_WORDS.iter().any(|n| w.eq_ignore_ascii_case(n)))
    }
}

/// A posting split into the parts terms are looked up in.
#[derive(Debug)]
pub(crate) struct Posting {
    parts: Vec<Part>,
}

impl Posting {
    /// Title, company and location are taken at their word; the description is split
    /// into sentences, each judged for negation and boilerplate.
    pub(crate) fn new(title: &str, company: &str, location: &str, description: &str) -> Self {
        let mut parts = vec![
            Part::new(title, false),
            Part::new(company, false),
            Part::new(location, false),
        ];
        parts.extend(
            sentences(description)
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| Part::new(s, true)),
        );
        Self { parts }
    }

    pub(crate) fn presence(&self, term: &Term) -> Presence {
        self.parts
            .iter()
            .map(|part| part.presence(term))
            .max()
            .unwrap_or(Presence::Absent)
    }
}

/// Sentences: split at line breaks, bullets and semicolons, and at `.`, `!` or `?`
/// followed by a space (so "Node.js" stays whole).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.split(['\n', '•', ';', '→', '·']) {
        let mut start = 0;
        for (i, c) in line.char_indices() {
            let end = i + c.len_utf8();
            if matches!(c, '.' | '!' | '?') && line[end..].starts_with(char::is_whitespace) {
                out.push(&line[start..end]);
                start = end;
            }
        }
        out.push(&line[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence(description: &str, term: &str) -> Presence {
        Posting::new("Engineer", "Acme", "Berlin", description).presence(&Term::new(term))
    }

    #[test]
    fn aliases_meet_each_other_both_ways() {
        for (text, term) in [
            ("We run k8s on EKS.", "Kubernetes"),
            ("Our services are in Golang.", "Go"),
            ("Services in Go and Rust.", "golang"),
            ("Postgres everywhere.", "PostgreSQL"),
            ("Strong JS/TS skills.", "TypeScript"),
            ("ML models in production.", "machine learning"),
            ("Amazon Web Services", "AWS"),
            ("React.js and Next.js", "React"),
            ("We test with sklearn.", "scikit-learn"),
            ("Design and read A/B tests.", "A/B testing"),
            ("WCAG 2.1 AA", "accessibility"),
        ] {
            assert_eq!(presence(text, term), Presence::Affirmed, "{term} in {text}");
        }
    }

    #[test]
    fn case_marks_names_that_are_also_words() {
        assert_eq!(presence("Ready to go live in May.", "Go"), Presence::Absent);
        assert_eq!(presence("Our go-to-market team.", "Go"), Presence::Absent);
        assert_eq!(
            presence("Our TS codebase.", "TypeScript"),
            Presence::Affirmed
        );
    }

    #[test]
    fn negated_and_future_skills_are_not_met() {
        for text in [
            "No Kubernetes experience required.",
            "We deploy on AWS ECS (no Kubernetes).",
            "We are moving off Kubernetes this year.",
            "We plan to adopt Kubernetes next year.",
            "We do not use Go or Kubernetes internally.",
            "Kubernetes is not needed.",
        ] {
            assert_eq!(presence(text, "Kubernetes"), Presence::Negated, "{text}");
        }
        // Negation stays in its sentence, and on its side of the cue.
        assert_eq!(
            presence("No on-call. We run Kubernetes.", "Kubernetes"),
            Presence::Affirmed
        );
        let migrating = "Rebuild it in React (we're migrating away from AngularJS).";
        assert_eq!(presence(migrating, "React"), Presence::Affirmed);
        assert_eq!(presence(migrating, "AngularJS"), Presence::Negated);
        let adopting = "New services in Go; we plan to adopt Kubernetes soon.";
        assert_eq!(presence(adopting, "Kubernetes"), Presence::Negated);
        let adopting = "New services in Go and we plan to adopt Kubernetes soon.";
        assert_eq!(presence(adopting, "Go"), Presence::Affirmed);
    }

    #[test]
    fn optional_skills_are_told_apart() {
        assert_eq!(
            presence("TypeScript is a plus.", "TypeScript"),
            Presence::Optional
        );
        assert_eq!(
            presence("GraphQL a plus. TypeScript daily.", "TypeScript"),
            Presence::Affirmed
        );
    }

    #[test]
    fn boilerplate_does_not_count() {
        let text = "We build payments in Go.\n\nScam warning: we will never ask for payment in crypto during hiring.";
        assert_eq!(presence(text, "crypto"), Presence::Boilerplate);
        assert_eq!(presence(text, "Go"), Presence::Affirmed);
        let agencies = "We do not accept unsolicited resumes from recruitment agencies.";
        assert_eq!(presence(agencies, "agencies"), Presence::Boilerplate);
        let customers = Posting::new("Engineer", "Acme", "", "Software for home-care agencies.");
        assert_eq!(customers.presence(&Term::exact("agency")), Presence::Absent);
        assert_eq!(customers.presence(&Term::new("agency")), Presence::Affirmed);
        assert_eq!(
            presence("We are a digital agency for hotels.", "agency"),
            Presence::Affirmed
        );
    }

    #[test]
    fn title_and_location_are_taken_at_their_word() {
        let posting = Posting::new("Senior Go Engineer (no crypto)", "Acme", "Berlin", "");
        assert_eq!(posting.presence(&Term::new("Go")), Presence::Affirmed);
        assert_eq!(posting.presence(&Term::new("Berlin")), Presence::Affirmed);
    }
}
