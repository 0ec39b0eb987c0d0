//! Runs scorers over the set the way the scoring worker does: the scorer that
//! `ScorerConfig::from_vars(..).build(..)` makes, called with each posting and profile;
//! and the pre-gate that configuration puts in front of an LLM.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jobmon_scoring::{ConfiguredScorer, GatedScorer, ProfileScorer, ScorerConfig};
use serde::{Deserialize, Serialize};
use shared::domain::Score;

use crate::metrics::{self, Band};
use crate::set::{EvalSet, Split};

/// A scorer to run: its name in the figures and the variables that configure it.
pub struct Candidate {
    pub name: String,
    pub vars: BTreeMap<String, String>,
}

impl Candidate {
    /// The built-in profile scorer, as a deployment with no scorer settings gets it.
    pub fn profile() -> Self {
        Self {
            name: "profile".into(),
            vars: BTreeMap::new(),
        }
    }

    /// The hybrid scorer with the model in `model_dir`; `extra` carries any
    /// `JOBMON_SEMANTIC_*` tuning.
    pub fn hybrid(model_dir: &str, extra: BTreeMap<String, String>) -> Self {
        let mut vars = extra;
        vars.insert("JOBMON_SCORER".into(), "hybrid".into());
        vars.insert("JOBMON_SEMANTIC_MODEL_DIR".into(), model_dir.into());
        Self {
            name: "hybrid".into(),
            vars,
        }
    }

    /// An OpenAI-compatible endpoint, gated as `JOBMON_SCORING_PREGATE*` say (on by default).
    pub fn openai(base_url: &str, model: &str, extra: BTreeMap<String, String>) -> Self {
        let mut vars = extra;
        vars.insert("JOBMON_SCORER".into(), "openai".into());
        vars.insert("JOBMON_OPENAI_BASE_URL".into(), base_url.into());
        vars.insert("JOBMON_OPENAI_MODEL".into(), model.into());
        Self {
            name: format!("openai:{model}"),
            vars,
        }
    }
}

/// One posting's outcome under one profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scored {
    pub posting: u32,
    pub label: u8,
    /// `None` when the scorer failed (counted, never silently dropped).
    pub score: Option<u8>,
    /// The pre-gate answered it (no LLM call).
    pub gated: bool,
    pub reason: String,
}

/// Figures for one profile (or, in `overall`, all of them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Figures {
    pub postings: usize,
    pub failures: usize,
    pub spearman: Option<f64>,
    pub kendall: Option<f64>,
    pub ndcg10: Option<f64>,
    pub band: Band,
    pub precision7: Option<f64>,
    pub recall7: Option<f64>,
    /// Share of postings the pre-gate answers itself: LLM calls avoided.
    pub gate_share: f64,
    /// Postings labelled ≥ 7 the pre-gate ruled out: must be 0.
    pub gate_false_rule_outs: Vec<u32>,
    pub micros_per_job: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScorerRun {
    pub scorer: String,
    pub per_profile: BTreeMap<String, Figures>,
    /// ρ, τ and NDCG averaged over the profiles; counts pooled.
    pub overall: Figures,
    pub scored: BTreeMap<String, Vec<Scored>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub split: Split,
    pub postings: usize,
    pub scorers: Vec<ScorerRun>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("scorer {name}: {message}")]
    Config { name: String, message: String },
    #[error("scorer {0} hands jobs to a webhook; only inline scorers can be evaluated")]
    Webhook(String),
}

pub async fn run(set: &EvalSet, split: Split, candidates: &[Candidate]) -> Result<Run, RunError> {
    let mut scorers = Vec::new();
    for candidate in candidates {
        scorers.push(run_one(set, candidate).await?);
    }
    Ok(Run {
        split,
        postings: set.postings.len(),
        scorers,
    })
}

async fn run_one(set: &EvalSet, candidate: &Candidate) -> Result<ScorerRun, RunError> {
    let config_error = |message: String| RunError::Config {
        name: candidate.name.clone(),
        message,
    };
    let config = ScorerConfig::from_vars(|k| candidate.vars.get(k).cloned())
        .map_err(|e| config_error(e.to_string()))?;
    let ConfiguredScorer::Inline(scorer) = config
        .build(None)
        .map_err(|e| config_error(e.to_string()))?
    else {
        return Err(RunError::Webhook(candidate.name.clone()));
    };
    // The gate the configuration puts in front of an LLM (for the profile scorer itself
    // there is none to measure, but the figure says what it would avoid).
    let threshold = config.pregate.unwrap_or(Score::MIN);
    let gate = GatedScorer {
        inner: Box::new(ProfileScorer::default()),
        gate: ProfileScorer::default(),
        threshold,
    };
    let mut per_profile = BTreeMap::new();
    let mut scored_all = BTreeMap::new();
    for named in &set.profiles {
        let mut scored = Vec::with_capacity(set.postings.len());
        let mut spent = Duration::ZERO;
        for posting in &set.postings {
            let gated = gate.pregate(&posting.job, &named.profile).is_some();
            let started = Instant::now();
            let answer = scorer.score(&posting.job, &named.profile).await;
            spent += started.elapsed();
            let (score, reason) = match answer {
                Ok(s) => (Some(s.score.value()), s.reason),
                Err(e) => (None, format!("failed: {e}")),
            };
            scored.push(Scored {
                posting: posting.number,
                label: posting.labels[&named.id],
                score,
                gated,
                reason,
            });
        }
        let mut figures = figures_of(&scored);
        figures.micros_per_job = spent.as_secs_f64() * 1e6 / scored.len().max(1) as f64;
        per_profile.insert(named.id.clone(), figures);
        scored_all.insert(named.id.clone(), scored);
    }
    let overall = overall_of(&per_profile);
    Ok(ScorerRun {
        scorer: candidate.name.clone(),
        per_profile,
        overall,
        scored: scored_all,
    })
}

/// The figures of one profile's outcomes. Failed calls count as failures and are left out
/// of the rank figures (a scorer that fails a lot shows it in `failures`).
pub fn figures_of(scored: &[Scored]) -> Figures {
    let answered: Vec<&Scored> = scored.iter().filter(|s| s.score.is_some()).collect();
    let labels: Vec<f64> = answered.iter().map(|s| f64::from(s.label)).collect();
    let scores: Vec<f64> = answered
        .iter()
        .map(|s| f64::from(s.score.unwrap_or_default()))
        .collect();
    let band = Band::of(&labels, &scores);
    let gated = scored.iter().filter(|s| s.gated).count();
    Figures {
        postings: scored.len(),
        failures: scored.len() - answered.len(),
        spearman: metrics::spearman(&labels, &scores),
        kendall: metrics::kendall(&labels, &scores),
        ndcg10: metrics::ndcg_at(10, &labels, &scores),
        band,
        precision7: band.precision(),
        recall7: band.recall(),
        gate_share: gated as f64 / scored.len().max(1) as f64,
        gate_false_rule_outs: scored
            .iter()
            .filter(|s| s.gated && s.label >= metrics::GOOD)
            .map(|s| s.posting)
            .collect(),
        micros_per_job: 0.0,
    }
}

fn overall_of(per_profile: &BTreeMap<String, Figures>) -> Figures {
    let mean = |f: fn(&Figures) -> Option<f64>| {
        let values: Vec<f64> = per_profile.values().filter_map(f).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let mut band = Band::default();
    let mut overall = Figures::default();
    let mut gated = 0.0;
    for figures in per_profile.values() {
        band.add(figures.band);
        overall.postings += figures.postings;
        overall.failures += figures.failures;
        gated += figures.gate_share * figures.postings as f64;
        overall.micros_per_job += figures.micros_per_job * figures.postings as f64;
        overall
            .gate_false_rule_outs
            .extend(&figures.gate_false_rule_outs);
    }
    let total = overall.postings.max(1) as f64;
    Figures {
        spearman: mean(|f| f.spearman),
        kendall: mean(|f| f.kendall),
        ndcg10: mean(|f| f.ndcg10),
        band,
        precision7: band.precision(),
        recall7: band.recall(),
        gate_share: gated / total,
        micros_per_job: overall.micros_per_job / total,
        ..overall
    }
}
