//! Sentence embeddings on the CPU, for the hybrid scorer's semantic stage.
//!
//! [`Embedder`] is all-MiniLM-L6-v2 as sentence-transformers runs it: BERT's uncased
//! WordPiece tokens, the 6-layer encoder, the mean of the token vectors, scaled to unit
//! length. It loads the model's own files (`model.safetensors`, `vocab.txt`,
//! `config.json`; `semantic/minilm/setup.sh` fetches them) and needs no Python, no ONNX
//! runtime and no GPU. One text is embedded at a time, single-threaded, so a Lambda's one
//! vCPU is used in full and nothing else in the process waits on a thread pool.

mod bert;
mod safetensors;
mod tokenizer;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use bert::Config;
pub use tokenizer::WordPiece;

/// Where `make minilm` puts the model in a checkout (a deployment reads its layer at
/// `/opt/minilm`).
pub const CHECKOUT_MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/minilm/.model");

/// The model folder for the evaluation and the tests: `JOBMON_SEMANTIC_MODEL_DIR`, else
/// [`CHECKOUT_MODEL_DIR`].
pub fn local_model_dir() -> PathBuf {
    std::env::var_os("JOBMON_SEMANTIC_MODEL_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(CHECKOUT_MODEL_DIR), PathBuf::from)
}

/// For the tests that need the real model: [`local_model_dir`] when it holds one. Without it
/// they say so and pass (`None`), unless `JOBMON_REQUIRE_MINILM` is set (`make test` sets
/// it), which makes a missing model a failure.
pub fn local_model_or_skip() -> Option<PathBuf> {
    let dir = local_model_dir();
    if holds_model(&dir) {
        return Some(dir);
    }
    let why = format!("no model in {} (run `make minilm`)", dir.display());
    let required = std::env::var("JOBMON_REQUIRE_MINILM").is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(!required, "JOBMON_REQUIRE_MINILM is set: {why}");
    println!("SKIPPED: {why} (set JOBMON_REQUIRE_MINILM=1 to make this a failure)");
    None
}

/// The files [`Embedder::load`] reads from the model folder.
pub const MODEL_FILES: [&str; 3] = ["model.safetensors", "vocab.txt", "config.json"];

/// Whether `dir` has every file of [`MODEL_FILES`] (as `make minilm` leaves it).
pub fn holds_model(dir: &std::path::Path) -> bool {
    MODEL_FILES.iter().all(|f| dir.join(f).is_file())
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Format(String),
}

pub struct Embedder {
    tokenizer: WordPiece,
    encoder: bert::Encoder,
    max_tokens: usize,
    /// How long [`Embedder::load`] took: reading the files and building the encoder.
    pub load_time: Duration,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("max_tokens", &self.max_tokens)
            .field("load_time", &self.load_time)
            .finish_non_exhaustive()
    }
}

/// A unit-length sentence vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Cosine similarity, in -1..=1 (both vectors have unit length).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }
}

impl Embedder {
    /// Loads the model in `dir`. `max_tokens` caps each text, `[CLS]` and `[SEP]`
    /// included (the encoder's cost grows with it; the model saw at most 256 in training);
    /// it is clamped to 3..=the model's position count.
    pub fn load(dir: &Path, max_tokens: usize) -> Result<Self, LoadError> {
        let started = Instant::now();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| LoadError::Io { path, source })
        };
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| LoadError::Format(format!("config.json: {e}")))?;
        let vocab = String::from_utf8(read("vocab.txt")?)
            .map_err(|_| LoadError::Format("vocab.txt is not UTF-8".into()))?;
        if vocab.lines().count() != config.vocab_size {
            return Err(LoadError::Format(format!(
                "vocab.txt has {} tokens, config.json says {}",
                vocab.lines().count(),
                config.vocab_size
            )));
        }
        let tokenizer =
            WordPiece::from_vocab(&vocab).map_err(|e| LoadError::Format(e.to_string()))?;
        let tensors = safetensors::Tensors::parse(read("model.safetensors")?)?;
        let encoder = bert::Encoder::load(config, &tensors)?;
        let max_tokens = max_tokens.clamp(3, encoder.config().max_position_embeddings);
        Ok(Self {
            tokenizer,
            encoder,
            max_tokens,
            load_time: started.elapsed(),
        })
    }

    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The token ids the encoder would see for `text`.
    pub fn tokens(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text, self.max_tokens)
    }

    pub fn embed(&self, text: &str) -> Embedding {
        let ids = self.tokens(text);
        let hidden = self.encoder.forward(&ids);
        let h = self.encoder.config().hidden_size;
        let mut mean = vec![0.0f32; h];
        for row in hidden.chunks_exact(h) {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        let n = ids.len() as f32;
        mean.iter_mut().for_each(|m| *m /= n);
        let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        mean.iter_mut().for_each(|m| *m /= norm);
        Embedding(mean)
    }
}
