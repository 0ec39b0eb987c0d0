//! What the scorer tests share: the scripted HTTP server (from the workspace test harness)
//! and a sample posting and profile.

#![allow(dead_code)] // each test file uses a different part

#[allow(unused_imports)] // not every test file uses the server
pub use jobmon_tests::scripted::{FakeServer, Reply};

/// A posting and a profile for contract tests.
pub fn sample_job() -> jobmon_scoring::JobForScoring {
    jobmon_scoring::JobForScoring {
        title: "Senior Rust Engineer".into(),
        company: "Acme Cloud".into(),
        location: "Berlin, Germany".into(),
        remote: true,
        description_text: "We build backend services in Rust on AWS Lambda and DynamoDB. \
            You will own services end to end, with Kubernetes experience a plus."
            .into(),
        salary_min: Some(80_000.0),
        salary_max: Some(100_000.0),
        salary_currency: Some("EUR".into()),
        url: shared::domain::CanonicalUrl::parse("https://jobs.example.com/acme/1")
            .expect("valid URL"),
    }
}

pub fn sample_profile() -> jobmon_scoring::Profile {
    jobmon_scoring::Profile {
        summary: "Backend engineer who likes Rust and serverless.".into(),
        must_have: vec!["rust".into(), "aws".into()],
        nice_to_have: vec!["kubernetes".into(), "dynamodb".into()],
        avoid: vec!["crypto".into()],
        titles: vec!["Rust Engineer".into()],
        locations: vec!["Berlin".into()],
        remote: jobmon_scoring::RemotePreference::Any,
        min_salary: Some(70_000.0),
        salary_currency: None,
        seniority: Some(jobmon_scoring::Seniority::Senior),
    }
}
