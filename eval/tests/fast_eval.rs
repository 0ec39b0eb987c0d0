//! `make eval` on a small slice, so the set, the parser and the runner cannot rot: the whole
//! set loads (every posting labelled for every profile), and a slice runs through the
//! profile scorer the worker builds, giving figures in range and a JSON that reads back.

use std::path::Path;

use jobmon_eval::{Candidate, EvalSet, Run, Split, report, run};

fn set() -> EvalSet {
    EvalSet::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("eval/ loads")
}

#[test]
fn the_set_is_what_the_readme_says() {
    let set = set();
    assert!(set.profiles.len() >= 3, "{}", set.profiles.len());
    assert!(set.postings.len() >= 150, "{}", set.postings.len());
    let test = set
        .postings
        .iter()
        .filter(|p| Split::Test.contains(p.number))
        .count();
    let tune = set
        .postings
        .iter()
        .filter(|p| Split::Tune.contains(p.number))
        .count();
    assert_eq!(test + tune, set.postings.len());
    assert!(
        test * 4 > set.postings.len(),
        "about a third is held out: {test}"
    );
    for profile in &set.profiles {
        assert!(profile.profile.validate().is_ok(), "{}", profile.id);
        // Every profile has postings it should rank at the top and at the bottom.
        let good = set
            .postings
            .iter()
            .filter(|p| p.labels[&profile.id] >= 7)
            .count();
        assert!(
            good >= 10,
            "{}: only {good} postings labelled >= 7",
            profile.id
        );
    }
}

#[tokio::test]
async fn a_slice_runs_through_the_profile_scorer() {
    let set = set().select(Split::Tune, Some(24));
    let result = run(&set, Split::Tune, &[Candidate::profile()])
        .await
        .unwrap();
    let scorer = &result.scorers[0];
    assert_eq!(scorer.scorer, "profile");
    assert_eq!(scorer.per_profile.len(), set.profiles.len());
    for (profile, figures) in &scorer.per_profile {
        assert_eq!(figures.postings, 24, "{profile}");
        assert_eq!(figures.failures, 0, "{profile}");
        let rho = figures.spearman.expect("scores vary");
        assert!((-1.0..=1.0).contains(&rho), "{profile}: {rho}");
        let ndcg = figures.ndcg10.expect("some gain");
        assert!((0.0..=1.0).contains(&ndcg), "{profile}: {ndcg}");
        // Every outcome carries the scorer's reason, so a regression can be read.
        assert!(scorer.scored[profile].iter().all(|s| !s.reason.is_empty()));
    }
    let table = report::table(&result);
    assert!(table.contains("overall"), "{table}");

    let json = serde_json::to_string(&result).unwrap();
    let back: Run = serde_json::from_str(&json).unwrap();
    let comparison = report::compare(&back, &result);
    assert!(comparison.contains("(+0.000)"), "{comparison}");
}

#[tokio::test]
async fn a_misconfigured_llm_is_an_error_not_a_silent_skip() {
    let set = set().select(Split::Tune, Some(1));
    let bad = Candidate::openai("not a url", "m", Default::default());
    let err = run(&set, Split::Tune, &[bad]).await.unwrap_err();
    assert!(err.to_string().contains("openai:m"), "{err}");
}
