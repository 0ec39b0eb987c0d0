//! What the semantic stage costs on this machine, one thread: model load time, peak memory,
//! and milliseconds per embedding of the evaluation set's postings at several token budgets.
//! Run in release (the Lambda build's code), e.g. `make semantic-bench`:
//!
//!     cargo run --release -p jobmon-semantic --example timing -- MODEL_DIR eval/postings
//!
//! With `SEMANTIC_DUMP_TOKENS=file` it also writes each posting's text and token ids, which
//! `semantic/minilm/reference.py MODEL_DIR compare < file` checks against Hugging Face's
//! tokenizer.

use std::path::PathBuf;
use std::time::Instant;

use jobmon_semantic::Embedder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = PathBuf::from(args.next().ok_or("usage: timing MODEL_DIR POSTINGS_DIR")?);
    let postings = PathBuf::from(args.next().ok_or("usage: timing MODEL_DIR POSTINGS_DIR")?);
    let texts = posting_texts(&postings)?;
    println!("{} postings from {}", texts.len(), postings.display());
    if let Some(path) = std::env::var_os("SEMANTIC_DUMP_TOKENS") {
        // For `reference.py compare`: each posting's text and the ids this tokenizer gives.
        let embedder = Embedder::load(&model, 256)?;
        let lines: Vec<String> = texts
            .iter()
            .map(|t| serde_json::json!({"text": t, "ids": embedder.tokens(t)}).to_string())
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    for budget in [32, 64, 128, 256] {
        let embedder = Embedder::load(&model, budget)?;
        let tokens: usize = texts.iter().map(|t| embedder.tokens(t).len()).sum();
        let mut millis: Vec<f64> = texts
            .iter()
            .map(|text| {
                let started = Instant::now();
                std::hint::black_box(embedder.embed(text));
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        millis.sort_by(f64::total_cmp);
        let mean = millis.iter().sum::<f64>() / millis.len() as f64;
        println!(
            "max {budget:>3} tokens: load {:>4} ms, {:>5.1} tokens/posting, {mean:>5.1} ms/posting mean, p50 {:>5.1}, p95 {:>5.1} (goal <= 20 ms)",
            embedder.load_time.as_millis(),
            tokens as f64 / texts.len() as f64,
            millis[millis.len() / 2],
            millis[millis.len() * 95 / 100],
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "peak resident memory: {}",
            peak.trim_start_matches("VmHWM:").trim()
        );
    }
    Ok(())
}

/// Each posting of the evaluation files as the hybrid scorer embeds it: title, location,
/// description (`### n`, `key: value` lines, `---`, the text).
fn posting_texts(dir: &PathBuf) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    files.sort_by_key(|f| f.path());
    let mut texts = Vec::new();
    for file in files {
        let content = std::fs::read_to_string(file.path())?;
        for block in content.split("\n### ").filter(|b| b.contains("\n---\n")) {
            let (head, body) = block.split_once("\n---\n").unwrap_or((block, ""));
            let field = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::trim)
                    .unwrap_or("")
                    .to_owned()
            };
            texts.push(format!(
                "{}\n{}\n{}",
                field("title:"),
                field("location:"),
                body.trim()
            ));
        }
    }
    Ok(texts)
}
