//! The hybrid scorer with the real all-MiniLM-L6-v2 (`make minilm`), built the way the
//! worker builds it (`ScorerConfig::from_vars(..).build(..)`). Without the model the tests
//! say so and pass, unless `JOBMON_REQUIRE_MINILM` is set (`make test` sets it).

use jobmon_scoring::JobForScoring;
use jobmon_scoring::{
    ConfiguredScorer, MAX_SHIFT, Profile, ProfileScorer, Scorer, ScorerConfig, Scoring,
};
use shared::domain::CanonicalUrl;

fn hybrid() -> Option<Box<dyn Scorer>> {
    let dir = jobmon_semantic::local_model_or_skip()?;
    let vars = |k: &str| match k {
        "JOBMON_SCORER" => Some("hybrid".to_owned()),
        "JOBMON_SEMANTIC_MODEL_DIR" => Some(dir.to_string_lossy().into_owned()),
        _ => None,
    };
    match ScorerConfig::from_vars(vars).unwrap().build(None).unwrap() {
        ConfiguredScorer::Inline(scorer) => Some(scorer),
        ConfiguredScorer::Webhook(_) => panic!("hybrid is an inline scorer"),
    }
}

fn job(title: &str, description: &str) -> JobForScoring {
    JobForScoring {
        title: title.into(),
        company: "Acme".into(),
        location: "Remote (EU)".into(),
        remote: true,
        description_text: description.into(),
        salary_min: None,
        salary_max: None,
        salary_currency: None,
        url: CanonicalUrl::parse("https://jobs.example.com/1").unwrap(),
    }
}

fn profile() -> Profile {
    Profile {
        summary: "Backend engineer building distributed systems in Go on Kubernetes".into(),
        must_have: vec!["Go".into()],
        avoid: vec!["gambling".into()],
        titles: vec!["Backend Engineer".into()],
        ..Profile::default()
    }
}

/// The similarity and the points a hybrid reason states.
fn stated(reason: &str) -> (f32, i64) {
    let (_, tail) = reason.split_once("(similarity ").expect(reason);
    let (similarity, tail) = tail.split_once(", ").expect(reason);
    let points = tail.split(' ').next().expect(reason);
    (similarity.parse().unwrap(), points.parse().unwrap())
}

#[tokio::test]
async fn the_semantic_stage_moves_the_profile_score_within_its_cap_and_says_why() {
    let Some(scorer) = hybrid() else { return };
    // Both meet the one must-have ("Go") as a word; only the meaning tells them apart.
    let close = job(
        "Backend Engineer",
        "You will build distributed systems in Go and run them on Kubernetes.",
    );
    let far = job(
        "Go-to-market Coordinator",
        "Go to trade fairs, book venues and coordinate our event calendar.",
    );
    let profile = profile();
    let mut similarities = Vec::new();
    for posting in [&close, &far] {
        let base = ProfileScorer::default().evaluate(posting, &profile);
        let scoring = scorer.score(posting, &profile).await.unwrap();
        assert_eq!(scoring.scorer, Scoring::HYBRID);
        assert_eq!(scoring.model.as_deref(), Some("all-MiniLM-L6-v2"));
        assert!(
            scoring.reason.starts_with(&base.reason),
            "{}",
            scoring.reason
        );
        let (similarity, points) = stated(&scoring.reason);
        let moved = i64::from(scoring.score.value()) - i64::from(base.score.value());
        assert_eq!(points, moved, "{}", scoring.reason);
        assert!(moved.abs() <= MAX_SHIFT, "{}", scoring.reason);
        similarities.push(similarity);
    }
    assert!(similarities[0] > 0.6, "{similarities:?}");
    assert!(similarities[1] < 0.35, "{similarities:?}");
}

#[tokio::test]
async fn a_hard_rule_is_never_overruled_by_similarity() {
    let Some(scorer) = hybrid() else { return };
    let gambling = job(
        "Backend Engineer",
        "Build distributed systems in Go on Kubernetes for our online gambling platform.",
    );
    let profile = profile();
    let base = ProfileScorer::default().evaluate(&gambling, &profile);
    assert!(base.breaks_hard_constraint());
    let scoring = scorer.score(&gambling, &profile).await.unwrap();
    assert_eq!(scoring.score, base.score);
    assert_eq!(scoring.reason, base.reason);
}
