//! `JOBMON_SCORER=hybrid`: the profile scorer with a semantic stage on top.
//!
//! The profile scorer's verdict stays the base: its hard rules (avoid terms, no must-have)
//! are never overruled. What it cannot see is whether a posting *reads* like the work the
//! profile's summary describes when they share few exact terms; sentence embeddings
//! (all-MiniLM-L6-v2, [`jobmon_semantic::Embedder`]) measure that as a cosine similarity,
//! and the score moves by `weight × (similarity − centre)` points, rounded and capped at
//! ±[`MAX_SHIFT`]. `eval/` measured whether that helps (docs/scoring.md says how much); the
//! default scorer stays `profile` unless it did by the margin the project set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jobmon_semantic::{Embedder, Embedding};
use shared::domain::{Profile, Score};

use crate::error::ScoreError;
use crate::job::JobForScoring;
use crate::profile_scorer::ProfileScorer;
use crate::scorer::{Scorer, Scoring};

/// The most the semantic stage moves a score, either way.
pub const MAX_SHIFT: i64 = 2;
/// Profile summaries kept embedded per warm instance (a tenant's profile changes rarely;
/// past this many the cache starts again empty rather than grow).
const SUMMARY_CACHE: usize = 256;
/// The model named in a hybrid scoring's history entry.
pub const MODEL: &str = "all-MiniLM-L6-v2";

/// How similarity turns into points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SemanticTuning {
    pub weight: f32,
    pub centre: f32,
}

impl Default for SemanticTuning {
    /// The best of a grid over the tuning split of `eval/` (weights 2–30, centres 0–0.7,
    /// caps 1–3; docs/scoring.md has the figures).
    fn default() -> Self {
        Self {
            weight: 4.0,
            centre: 0.25,
        }
    }
}

pub struct HybridScorer {
    inner: Arc<Inner>,
}

struct Inner {
    profile: ProfileScorer,
    embedder: Arc<Embedder>,
    tuning: SemanticTuning,
    summaries: Mutex<HashMap<String, Embedding>>,
}

impl HybridScorer {
    pub fn new(profile: ProfileScorer, embedder: Arc<Embedder>, tuning: SemanticTuning) -> Self {
        Self {
            inner: Arc::new(Inner {
                profile,
                embedder,
                tuning,
                summaries: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The points the semantic stage adds (or takes) for a similarity.
    fn shift(&self, similarity: f32) -> i64 {
        let SemanticTuning { weight, centre } = self.inner.tuning;
        ((weight * (similarity - centre)).round() as i64).clamp(-MAX_SHIFT, MAX_SHIFT)
    }
}

impl Inner {
    /// What the summary side embeds: the titles the profile looks for and its summary.
    fn profile_text(profile: &Profile) -> String {
        format!("{}\n{}", profile.titles.join(", "), profile.summary)
    }

    /// What the posting side embeds: the title first, so that a tight token budget keeps it.
    fn posting_text(job: &JobForScoring) -> String {
        format!("{}\n{}\n{}", job.title, job.location, job.description_text)
    }

    fn similarity(&self, job: &JobForScoring, profile: &Profile) -> f32 {
        let summary = self.summary_embedding(&Self::profile_text(profile));
        summary.cosine(&self.embedder.embed(&Self::posting_text(job)))
    }

    fn summary_embedding(&self, text: &str) -> Embedding {
        let cached = self
            .summaries
            .lock()
            .ok()
            .and_then(|c| c.get(text).cloned());
        if let Some(hit) = cached {
            return hit;
        }
        let embedding = self.embedder.embed(text);
        if let Ok(mut cache) = self.summaries.lock() {
            if cache.len() >= SUMMARY_CACHE {
                cache.clear();
            }
            cache.insert(text.to_owned(), embedding.clone());
        }
        embedding
    }
}

#[async_trait]
impl Scorer for HybridScorer {
    async fn score(&self, job: &JobForScoring, profile: &Profile) -> Result<Scoring, ScoreError> {
        let evaluation = self.inner.profile.evaluate(job, profile);
        if evaluation.breaks_hard_constraint() || profile.summary.trim().is_empty() {
            let mut scoring = evaluation.into_scoring();
            scoring.scorer = Scoring::HYBRID;
            return Ok(scoring);
        }
        // The encoder is tens of milliseconds of CPU: off the async threads, so that a
        // batch's other messages (and the runtime's own work) are not held up by it.
        let (inner, owned_job, owned_profile) =
            (Arc::clone(&self.inner), job.clone(), profile.clone());
        let similarity =
            tokio::task::spawn_blocking(move || inner.similarity(&owned_job, &owned_profile))
                .await
                .map_err(|e| ScoreError::Transient(format!("semantic stage: {e}")))?;
        let base = i64::from(evaluation.score.value());
        let score = Score::new((base + self.shift(similarity)).clamp(1, 10))
            .map_err(|e| ScoreError::InvalidOutput(e.to_string()))?;
        // What the stage did, after the 1–10 bounds: a 10 that reads close stays a 10.
        let shift = i64::from(score.value()) - base;
        let reason = format!(
            "{} Reads {} your summary (similarity {similarity:.2}, {shift:+} point{}).",
            evaluation.reason,
            match shift {
                s if s > 0 => "close to",
                0 => "neither close to nor far from",
                _ => "far from",
            },
            if shift.abs() == 1 { "" } else { "s" },
        );
        Ok(Scoring {
            score,
            reason,
            scorer: Scoring::HYBRID,
            model: Some(MODEL.into()),
        })
    }
}
