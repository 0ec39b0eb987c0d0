//! The pre-gate: postings the profile rules out get the profile's score and reason, and
//! only the rest reach the (paid, slower) inner scorer.

use async_trait::async_trait;
use shared::domain::Score;

use crate::error::ScoreError;
use crate::job::JobForScoring;
use crate::profile_scorer::ProfileScorer;
use crate::scorer::{Scorer, Scoring};
use shared::domain::Profile;

pub struct GatedScorer {
    pub inner: Box<dyn Scorer>,
    pub gate: ProfileScorer,
    /// Postings whose profile score is below this are answered by the gate too.
    /// [`Score::MIN`] gates on hard constraints only.
    pub threshold: Score,
}

impl GatedScorer {
    /// Gates on hard constraints only.
    pub fn new(inner: Box<dyn Scorer>) -> Self {
        Self {
            inner,
            gate: ProfileScorer::default(),
            threshold: Score::MIN,
        }
    }

    pub fn with_threshold(mut self, threshold: Score) -> Self {
        self.threshold = threshold;
        self
    }

    /// The gate's own answer when the posting does not deserve the inner scorer: it breaks
    /// a hard constraint (an avoid term, no must-have at all, below the minimum salary, the
    /// wrong remote mode when the profile insists), or scores below the threshold.
    pub fn pregate(&self, job: &JobForScoring, profile: &Profile) -> Option<Scoring> {
        pregate(&self.gate, self.threshold, job, profile)
    }
}

pub(crate) fn pregate(
    gate: &ProfileScorer,
    threshold: Score,
    job: &JobForScoring,
    profile: &Profile,
) -> Option<Scoring> {
    let evaluation = gate.evaluate(job, profile);
    let gated = evaluation.breaks_hard_constraint() || evaluation.score < threshold;
    shared::telemetry::MetricSet::new()
        .count("PregateChecks", 1)
        .count("ScorerCallsAvoided", usize::from(gated))
        .emit();
    gated.then(|| evaluation.into_scoring())
}

#[async_trait]
impl Scorer for GatedScorer {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        match self.pregate(job, profile) {
            Some(scoring) => Ok(scoring),
            None => self.inner.score(job, profile).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use shared::domain::CanonicalUrl;

    use super::*;
    use shared::domain::RemotePreference;

    /// Counts its calls and answers 9 from "llm".
    struct Counting(Arc<AtomicUsize>);

    #[async_trait]
    impl Scorer for Counting {
        async fn score(&self, _: &JobForScoring, _: &Profile) -> Result<Scoring, ScoreError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Scoring {
                score: Score::new(9).unwrap(),
                reason: "from the inner scorer".into(),
                scorer: Scoring::OPENAI,
                model: Some("fake".into()),
            })
        }
    }

    fn gated(threshold: Score) -> (GatedScorer, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let scorer = GatedScorer::new(Box::new(Counting(calls.clone()))).with_threshold(threshold);
        (scorer, calls)
    }

    fn job(description: &str) -> JobForScoring {
        JobForScoring {
            title: "Backend Engineer".into(),
            company: "Acme".into(),
            location: "Berlin".into(),
            remote: false,
            description_text: description.into(),
            salary_min: None,
            salary_max: None,
            salary_currency: None,
            url: CanonicalUrl::parse("https://jobs.example.com/1").unwrap(),
        }
    }

    fn profile() -> Profile {
        Profile {
            must_have: vec!["rust".into(), "aws".into()],
            avoid: vec!["crypto".into()],
            min_salary: Some(80_000.0),
            ..Profile::default()
        }
    }

    #[tokio::test]
    async fn hard_constraint_breakers_never_reach_the_inner_scorer() {
        let (scorer, calls) = gated(Score::MIN);
        let mut poor = job("Rust on AWS");
        poor.salary_max = Some(50_000.0);
        let mut onsite_for_remote_seeker = job("Rust on AWS");
        onsite_for_remote_seeker.remote = false;
        let remote_seeker = Profile {
            remote: RemotePreference::Remote,
            ..profile()
        };
        let cases = [
            (job("Rust on AWS for a crypto exchange"), profile()),
            (job("Python on GCP"), profile()),
            (poor, profile()),
            (onsite_for_remote_seeker, remote_seeker),
        ];
        for (job, profile) in &cases {
            let scoring = scorer.score(job, profile).await.unwrap();
            assert_eq!(scoring.scorer, "profile");
            assert_eq!(scoring.model, None);
            assert_eq!(
                scoring,
                ProfileScorer::default()
                    .evaluate(job, profile)
                    .into_scoring()
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn postings_that_pass_go_to_the_inner_scorer() {
        let (scorer, calls) = gated(Score::MIN);
        // Partial must-haves and an unknown salary are not hard constraints.
        for description in ["Rust on AWS", "Rust only"] {
            let scoring = scorer.score(&job(description), &profile()).await.unwrap();
            assert_eq!(scoring.scorer, "openai");
            assert_eq!(scoring.reason, "from the inner scorer");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_threshold_keeps_weak_postings_away_from_the_inner_scorer() {
        let weak = job("Rust only"); // 1 of 2 must-haves: the partial band, below 7
        let weak_score = ProfileScorer::default().evaluate(&weak, &profile()).score;
        assert!(weak_score.value() < 7);

        let (scorer, calls) = gated(Score::new(7).unwrap());
        let scoring = scorer.score(&weak, &profile()).await.unwrap();
        assert_eq!(scoring.scorer, "profile");
        assert_eq!(scoring.score, weak_score);
        assert_eq!(calls.load(Ordering::SeqCst), 0);

        // At the threshold exactly, the inner scorer is asked.
        let (scorer, calls) = gated(weak_score);
        assert_eq!(
            scorer.score(&weak, &profile()).await.unwrap().scorer,
            "openai"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
