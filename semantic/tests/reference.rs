//! The embedder against the reference (`semantic/minilm/reference.py`): Hugging Face's own
//! tokenizer for the ids, a NumPy forward pass in double precision for the vectors. Needs
//! the real model (`make minilm`); without it the tests say so and pass, unless
//! `JOBMON_REQUIRE_MINILM` is set (`make test` sets it), in which case they fail.

use jobmon_semantic::Embedder;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fixture {
    max_tokens: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("reference.json")).unwrap()
}

fn model(max_tokens: usize) -> Option<Embedder> {
    let dir = jobmon_semantic::local_model_or_skip()?;
    Some(Embedder::load(&dir, max_tokens).expect("the model in the folder loads"))
}

#[test]
fn tokens_match_the_reference_tokenizer() {
    let fixture = fixture();
    let Some(embedder) = model(fixture.max_tokens) else {
        return;
    };
    for case in &fixture.cases {
        assert_eq!(embedder.tokens(&case.text), case.ids, "{}", case.text);
    }
}

#[test]
fn vectors_match_the_reference_forward_pass() {
    let fixture = fixture();
    let Some(embedder) = model(fixture.max_tokens) else {
        return;
    };
    for case in &fixture.cases {
        let got = embedder.embed(&case.text);
        let worst = got
            .values()
            .iter()
            .zip(&case.embedding)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert_eq!(got.values().len(), 384);
        assert!(worst < 2e-4, "{}: differs by up to {worst}", case.text);
    }
}

#[test]
fn related_texts_are_closer_than_unrelated_ones() {
    let Some(embedder) = model(64) else {
        return;
    };
    let backend = embedder.embed("Senior backend engineer: Go services on Kubernetes");
    let platform = embedder.embed("Platform engineer running k8s clusters and Golang APIs");
    let recruiter = embedder.embed("Recruiter sourcing candidates for our sales team");
    assert!(backend.cosine(&platform) > backend.cosine(&recruiter) + 0.1);
    assert!((backend.cosine(&backend) - 1.0).abs() < 1e-5);
}

#[test]
fn a_missing_or_broken_model_is_an_error_not_a_panic() {
    let empty = std::env::temp_dir().join(format!("jobmon-semantic-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let err = Embedder::load(&empty, 64).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
    std::fs::write(empty.join("config.json"), "{}").unwrap();
    assert!(Embedder::load(&empty, 64).is_err());
    std::fs::remove_dir_all(&empty).unwrap();
}
