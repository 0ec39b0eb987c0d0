use shared::domain::CanonicalUrl;

use super::*;
use shared::domain::Seniority;

fn job(title: &str, description: &str) -> JobForScoring {
    JobForScoring {
        title: title.into(),
        company: "Acme".into(),
        location: "Berlin, Germany".into(),
        remote: false,
        description_text: description.into(),
        salary_min: None,
        salary_max: None,
        salary_currency: None,
        url: CanonicalUrl::parse("https://jobs.example.com/1").unwrap(),
    }
}

fn terms(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn profile() -> Profile {
    Profile {
        summary: "Backend engineer".into(),
        must_have: terms(&["rust", "aws"]),
        nice_to_have: terms(&["kubernetes", "postgres"]),
        avoid: terms(&["crypto"]),
        ..Profile::default()
    }
}

fn eval(job: &JobForScoring, profile: &Profile) -> Evaluation {
    ProfileScorer::default().evaluate(job, profile)
}

fn score(job: &JobForScoring, profile: &Profile) -> u8 {
    eval(job, profile).score.value()
}

#[test]
fn all_must_haves_put_the_posting_in_the_top_band_and_the_reason_names_them() {
    let e = eval(
        &job("Backend Engineer", "Rust services on AWS."),
        &profile(),
    );
    assert!(e.score.value() >= 4, "{e:?}");
    assert!(e.violations.is_empty());
    assert!(
        e.reason.contains("Meets all must-haves: rust, aws."),
        "{}",
        e.reason
    );
    assert!(
        e.reason
            .contains("No nice-to-haves (kubernetes, postgres)."),
        "{}",
        e.reason
    );
}

#[test]
fn partial_must_haves_name_what_is_missing() {
    let e = eval(&job("Backend Engineer", "Rust services."), &profile());
    assert!((2..=6).contains(&e.score.value()), "{e:?}");
    assert!(e.violations.is_empty());
    assert!(
        e.reason
            .contains("Meets 1 of 2 must-haves (rust); missing: aws."),
        "{}",
        e.reason
    );
}

#[test]
fn missing_every_must_have_is_a_hard_violation() {
    let e = eval(
        &job("Frontend Engineer", "React and Kubernetes and Postgres."),
        &profile(),
    );
    assert!(e.score.value() <= 3, "{e:?}");
    assert_eq!(e.violations, [HardViolation::NoMustHave]);
    assert!(
        e.reason
            .contains("Meets none of the must-haves (missing: rust, aws)."),
        "{}",
        e.reason
    );
}

#[test]
fn an_avoid_term_caps_even_a_perfect_posting() {
    let perfect = job(
        "Backend Engineer",
        "Rust on AWS with Kubernetes and Postgres.",
    );
    let mut avoided = perfect.clone();
    avoided
        .description_text
        .push_str(" We are a crypto exchange.");
    assert!(score(&perfect, &profile()) >= 9);
    let e = eval(&avoided, &profile());
    assert!(e.score.value() <= 3, "{e:?}");
    assert_eq!(
        e.violations,
        [HardViolation::AvoidTerms(terms(&["crypto"]))]
    );
    assert!(
        e.reason.contains("Hits avoided terms: crypto."),
        "{}",
        e.reason
    );
    // In the company name too.
    let mut company = perfect.clone();
    company.company = "Crypto Corp".into();
    assert!(score(&company, &profile()) <= 3);
}

#[test]
fn terms_match_whole_words_only() {
    let p = Profile {
        must_have: terms(&["java"]),
        ..Profile::default()
    };
    let e = eval(&job("Frontend", "JavaScript and TypeScript"), &p);
    assert_eq!(e.violations, [HardViolation::NoMustHave]);
    let e = eval(&job("Backend", "JAVA 21, Spring"), &p);
    assert!(e.violations.is_empty());
    assert!(e.score.value() >= 4);
}

#[test]
fn nice_to_haves_raise_the_score_and_are_listed() {
    let base = job("Backend Engineer", "Rust on AWS.");
    let one = job("Backend Engineer", "Rust on AWS with Kubernetes.");
    let both = job(
        "Backend Engineer",
        "Rust on AWS with Kubernetes and Postgres.",
    );
    let (s0, s1, s2) = (
        score(&base, &profile()),
        score(&one, &profile()),
        score(&both, &profile()),
    );
    assert!(s0 < s1 && s1 < s2, "{s0} {s1} {s2}");
    let e = eval(&one, &profile());
    assert!(
        e.reason
            .contains("Nice-to-haves 1 of 2: kubernetes; missing: postgres."),
        "{}",
        e.reason
    );
    assert!(
        eval(&both, &profile())
            .reason
            .contains("All nice-to-haves: kubernetes, postgres.")
    );
}

#[test]
fn titles_match_as_phrase_or_reordered() {
    let p = Profile {
        titles: terms(&["Backend Engineer"]),
        ..Profile::default()
    };
    let exact = eval(&job("Senior Backend Engineer", ""), &p);
    let reordered = eval(&job("Software Engineer, Backend", ""), &p);
    let other = eval(&job("Solutions Architect", ""), &p);
    assert!(exact.reason.contains("Title matches \"Backend Engineer\"."));
    assert!(
        reordered
            .reason
            .contains("Title has the words of \"Backend Engineer\".")
    );
    assert!(
        other
            .reason
            .contains("Title matches none of: Backend Engineer.")
    );
    assert!(exact.score > reordered.score, "{exact:?} {reordered:?}");
    assert!(reordered.score > other.score, "{reordered:?} {other:?}");
    assert!(other.violations.is_empty(), "titles are soft");
    // Another discipline, or another function, is not a title mismatch but another job.
    for title in [
        "Data Analyst",
        "Technical Recruiter (Backend)",
        "Sales Engineer",
    ] {
        let e = eval(&job(title, ""), &p);
        assert!(
            matches!(e.violations[..], [HardViolation::WrongFunction { .. }]),
            "{title}: {e:?}"
        );
        assert!(e.score.value() <= 3, "{title}: {e:?}");
    }
}

#[test]
fn locations_match_or_do_not_matter_for_remote_postings() {
    let p = Profile {
        locations: terms(&["Munich", "Berlin"]),
        ..Profile::default()
    };
    let here = eval(&job("Engineer", ""), &p);
    assert!(
        here.reason.contains("Location matches \"Berlin\"."),
        "{}",
        here.reason
    );

    let mut paris = job("Engineer", "");
    paris.location = "Paris".into();
    let away = eval(&paris, &p);
    assert!(
        away.reason
            .contains("Location \"Paris\" is none of: Munich, Berlin."),
        "{}",
        away.reason
    );
    assert!(here.score > away.score);
    assert!(away.violations.is_empty(), "locations are soft");

    paris.remote = true;
    let remote = eval(&paris, &p);
    assert!(
        remote
            .reason
            .contains("Location does not matter for a remote posting.")
    );
    assert_eq!(remote.score, here.score);

    let mut nowhere = job("Engineer", "");
    nowhere.location = String::new();
    assert!(
        eval(&nowhere, &p)
            .reason
            .contains("The posting names no location.")
    );
}

#[test]
fn insisting_on_remote_or_onsite_is_a_hard_constraint() {
    let wants_remote = Profile {
        must_have: terms(&["rust"]),
        remote: RemotePreference::Remote,
        ..Profile::default()
    };
    let onsite = job("Rust Engineer", "Rust");
    let e = eval(&onsite, &wants_remote);
    assert_eq!(
        e.violations,
        [HardViolation::RemoteMode {
            wanted: RemotePreference::Remote,
            posting_remote: false
        }]
    );
    assert!(
        e.score.value() <= 5,
        "capped at the complete band's floor + 1"
    );
    assert!(e.reason.contains("Not remote, but remote is required."));

    let mut remote = onsite.clone();
    remote.location = "Remote (EU)".into(); // the flag is false, the location says it
    let e = eval(&remote, &wants_remote);
    assert!(e.violations.is_empty(), "{e:?}");
    assert!(e.reason.contains("Remote, as wanted."));

    let wants_onsite = Profile {
        remote: RemotePreference::Onsite,
        ..wants_remote.clone()
    };
    let e = eval(&remote, &wants_onsite);
    assert!(matches!(
        e.violations.as_slice(),
        [HardViolation::RemoteMode {
            posting_remote: true,
            ..
        }]
    ));
    assert!(e.reason.contains("Remote, but on-site is required."));
    assert!(
        eval(&onsite, &wants_onsite)
            .reason
            .contains("On-site, as wanted.")
    );
}

#[test]
fn hybrid_is_a_preference_not_a_constraint() {
    let p = Profile {
        remote: RemotePreference::Hybrid,
        ..Profile::default()
    };
    let hybrid = eval(&job("Engineer", "Hybrid: two days in the office."), &p);
    let mut fully_remote = job("Engineer", "");
    fully_remote.remote = true;
    let fully_remote = eval(&fully_remote, &p);
    let office = eval(&job("Engineer", "In the office."), &p);
    assert!(hybrid.reason.contains("Hybrid, as preferred."));
    assert!(
        fully_remote
            .reason
            .contains("Fully remote rather than the preferred hybrid.")
    );
    assert!(hybrid.score > fully_remote.score);
    assert!(fully_remote.score >= office.score);
    for e in [hybrid, fully_remote, office] {
        assert!(e.violations.is_empty());
    }
}

#[test]
fn salary_is_compared_only_when_the_posting_names_one() {
    let p = Profile {
        must_have: terms(&["rust"]),
        min_salary: Some(80_000.0),
        ..Profile::default()
    };
    let mut rich = job("Rust Engineer", "");
    rich.salary_min = Some(70_000.0);
    rich.salary_max = Some(95_000.0);
    rich.salary_currency = Some("EUR".into());
    let e = eval(&rich, &p);
    assert!(e.violations.is_empty(), "the range reaches the minimum");
    assert!(
        e.reason
            .contains("Salary up to 95000 EUR meets the minimum of 80000."),
        "{}",
        e.reason
    );

    let mut poor = rich.clone();
    poor.salary_max = Some(60_000.5);
    let e = eval(&poor, &p);
    assert_eq!(
        e.violations,
        [HardViolation::BelowMinSalary {
            offered: 60_000.5,
            minimum: 80_000.0
        }]
    );
    assert!(
        e.reason
            .contains("Salary up to 60000.50 EUR is below the minimum of 80000."),
        "{}",
        e.reason
    );
    assert!(e.score.value() <= 5);

    let unknown = eval(&job("Rust Engineer", ""), &p);
    assert!(unknown.violations.is_empty());
    assert!(unknown.reason.contains("The posting names no salary."));
}

#[test]
fn seniority_is_read_from_title_words() {
    let p = Profile {
        seniority: Some(Seniority::Senior),
        ..Profile::default()
    };
    let senior = eval(&job("Sr. Backend Engineer", ""), &p);
    let junior = eval(&job("Junior Backend Engineer", ""), &p);
    let plain = eval(&job("Backend Engineer", ""), &p);
    assert!(senior.reason.contains("Seniority senior, as wanted."));
    assert!(
        junior
            .reason
            .contains("The title suggests junior, not senior."),
        "{}",
        junior.reason
    );
    assert!(
        plain
            .reason
            .contains("Title names no level; senior wanted.")
    );
    assert!(senior.score > plain.score && plain.score > junior.score);

    let mid = Profile {
        seniority: Some(Seniority::Mid),
        ..Profile::default()
    };
    assert!(
        eval(&job("Backend Engineer", ""), &mid)
            .reason
            .contains("taken as mid")
    );
    let director = Profile {
        seniority: Some(Seniority::Director),
        ..Profile::default()
    };
    assert!(
        eval(&job("Head of Engineering", ""), &director)
            .reason
            .contains("Seniority director, as wanted.")
    );
}

#[test]
fn an_empty_profile_is_neutral() {
    let e = eval(&job("Anything", "at all"), &Profile::default());
    assert_eq!(e.score.value(), 5);
    assert_eq!(
        e.reason,
        "Neutral (5/10). The profile names nothing to match against."
    );
}

#[test]
fn the_reason_starts_with_a_verdict_and_lists_long_term_lists_briefly() {
    let many: Vec<String> = (0..12).map(|i| format!("skill{i}")).collect();
    let p = Profile {
        must_have: many,
        ..Profile::default()
    };
    let e = eval(&job("Engineer", "nothing relevant"), &p);
    assert!(
        e.reason.starts_with(&format!("Poor fit ({}/10).", e.score)),
        "{}",
        e.reason
    );
    assert!(e.reason.contains("skill7 and 4 more"), "{}", e.reason);
    assert!(!e.reason.contains("skill8"));
}

#[tokio::test]
async fn the_scorer_trait_reports_the_evaluation_as_profile_scoring() {
    let j = job("Backend Engineer", "Rust services on AWS.");
    let scoring = ProfileScorer::default()
        .score(&j, &profile())
        .await
        .unwrap();
    let e = eval(&j, &profile());
    assert_eq!(scoring.score, e.score);
    assert_eq!(scoring.reason, e.reason);
    assert_eq!(scoring.scorer, "profile");
    assert_eq!(scoring.model, None);
}

/// A small deterministic generator (xorshift64*), so the property runs the same postings
/// on every machine without a property-testing dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const VOCAB: &[&str] = &[
    "rust",
    "go",
    "python",
    "java",
    "javascript",
    "aws",
    "gcp",
    "kubernetes",
    "postgres",
    "kafka",
    "react",
    "crypto",
    "gambling",
    "defense",
    "machine learning",
    "on-call",
    "terraform",
    "c++",
    "remote",
    "hybrid",
    "senior",
    "junior",
    "lead",
    "staff",
];
const TITLES: &[&str] = &[
    "Backend Engineer",
    "Senior Backend Engineer",
    "Junior Developer",
    "Staff Engineer",
    "Data Scientist",
    "Engineering Manager",
    "Head of Platform",
    "Rust Developer",
];
const PLACES: &[&str] = &[
    "Berlin",
    "Remote",
    "Paris",
    "New York",
    "",
    "Munich, Germany",
];

fn random_profile(rng: &mut Rng) -> Profile {
    let take = |rng: &mut Rng, max: usize| -> Vec<String> {
        (0..rng.below(max + 1))
            .map(|_| rng.pick(VOCAB).to_owned())
            .collect()
    };
    let must_have = take(rng, 3);
    let nice_to_have = take(rng, 4);
    let mut avoid = take(rng, 2);
    if avoid.is_empty() {
        avoid.push(rng.pick(VOCAB).to_owned());
    }
    Profile {
        summary: String::new(),
        must_have,
        nice_to_have,
        avoid,
        titles: (0..rng.below(3))
            .map(|_| rng.pick(TITLES).to_owned())
            .collect(),
        locations: (0..rng.below(3))
            .map(|_| rng.pick(PLACES).to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        remote: [
            RemotePreference::Any,
            RemotePreference::Remote,
            RemotePreference::Hybrid,
            RemotePreference::Onsite,
        ][rng.below(4)],
        min_salary: rng.chance(50).then(|| (rng.below(15) * 10_000) as f64),
        salary_currency: rng
            .chance(50)
            .then(|| rng.pick(&["EUR", "USD", "XYZ"]).to_owned()),
        seniority: rng
            .chance(50)
            .then(|| Seniority::ALL[rng.below(Seniority::ALL.len())]),
    }
}

fn random_job(rng: &mut Rng) -> JobForScoring {
    let words: Vec<&str> = (0..rng.below(12)).map(|_| rng.pick(VOCAB)).collect();
    let mut j = job(rng.pick(TITLES), &words.join(", "));
    j.location = rng.pick(PLACES).to_owned();
    j.remote = rng.chance(30);
    if rng.chance(60) {
        let min = (rng.below(15) * 10_000) as f64;
        j.salary_min = Some(min);
        j.salary_max = rng.chance(50).then_some(min + 20_000.0);
    }
    j
}

#[test]
fn property_avoid_hits_score_below_every_posting_with_all_must_haves() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut compared = 0usize;
    for _ in 0..300 {
        let p = random_profile(&mut rng);
        let jobs: Vec<JobForScoring> = (0..40).map(|_| random_job(&mut rng)).collect();
        let evals: Vec<Evaluation> = jobs.iter().map(|j| eval(j, &p)).collect();
        let mut worst_complete: Option<u8> = None;
        let mut best_avoided: Option<u8> = None;
        for e in &evals {
            let avoided = e
                .violations
                .iter()
                .any(|v| matches!(v, HardViolation::AvoidTerms(_)));
            let wrong_job = e
                .violations
                .iter()
                .any(|v| matches!(v, HardViolation::WrongFunction { .. }));
            let complete = e.missing_must_haves.is_empty() && !avoided && !wrong_job;
            if avoided {
                best_avoided = best_avoided.max(Some(e.score.value()));
                assert!(e.score.value() <= 3, "{e:?}");
            }
            if complete {
                let s = e.score.value();
                worst_complete = Some(worst_complete.map_or(s, |w| w.min(s)));
                assert!(s >= 4, "{e:?}");
            }
        }
        if let (Some(avoided), Some(complete)) = (best_avoided, worst_complete) {
            assert!(avoided < complete, "{p:?}");
            compared += 1;
        }
    }
    // The generator must actually produce both kinds, or the property proves nothing.
    assert!(compared > 100, "only {compared} profiles had both kinds");
}

#[test]
fn property_scores_are_deterministic_and_in_range() {
    let mut rng = Rng(42);
    for _ in 0..500 {
        let p = random_profile(&mut rng);
        let j = random_job(&mut rng);
        let a = eval(&j, &p);
        let b = eval(&j, &p);
        assert_eq!(a, b);
        assert!((1..=10).contains(&a.score.value()));
        assert!(!a.reason.trim().is_empty());
    }
}
