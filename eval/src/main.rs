//! `jobmon-eval [--split tune|test|all] [--limit N] [--out FILE] [--compare BEFORE.json]`
//!
//! Scores the set in `eval/` with the profile scorer and, when
//! `JOBMON_EVAL_OPENAI_BASE_URL` and `JOBMON_EVAL_OPENAI_MODEL` are set, with that
//! OpenAI-compatible endpoint behind the pre-gate (`JOBMON_SCORING_PREGATE*` apply as in a
//! deployment). Prints the figures, writes them as JSON to `--out` (default
//! `target/eval/last.json`), and with `--compare` prints the change from an earlier run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use jobmon_eval::{Candidate, EvalSet, Run, Split, report, run};

struct Args {
    split: Split,
    limit: Option<usize>,
    out: PathBuf,
    compare: Option<PathBuf>,
    set: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        split: Split::Tune,
        limit: None,
        out: root.join("../target/eval/last.json"),
        compare: None,
        set: root,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => {
                let v = value()?;
                args.split = Split::parse(&v).ok_or(format!("--split {v}: tune, test or all"))?;
            }
            "--limit" => {
                let v = value()?;
                args.limit = Some(v.parse().map_err(|_| format!("--limit {v}: a number"))?);
            }
            "--out" => args.out = value()?.into(),
            "--compare" => args.compare = Some(value()?.into()),
            "--set" => args.set = value()?.into(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn candidates() -> Vec<Candidate> {
    let mut out = vec![Candidate::profile()];
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    // The hybrid scorer joins when its model is there (`make minilm`).
    let model_dir = jobmon_semantic::local_model_dir();
    if jobmon_semantic::holds_model(&model_dir) {
        let tuning = [
            "JOBMON_SEMANTIC_MAX_TOKENS",
            "JOBMON_SEMANTIC_WEIGHT",
            "JOBMON_SEMANTIC_CENTRE",
        ]
        .into_iter()
        .filter_map(|k| var(k).map(|v| (k.to_owned(), v)))
        .collect();
        out.push(Candidate::hybrid(&model_dir.to_string_lossy(), tuning));
    }
    if let (Some(url), Some(model)) = (
        var("JOBMON_EVAL_OPENAI_BASE_URL"),
        var("JOBMON_EVAL_OPENAI_MODEL"),
    ) {
        let mut extra = BTreeMap::new();
        for key in [
            "JOBMON_OPENAI_API_KEY",
            "JOBMON_OPENAI_TIMEOUT_SECS",
            "JOBMON_OPENAI_MAX_TOKENS",
            "JOBMON_SCORING_PREGATE",
            "JOBMON_SCORING_PREGATE_THRESHOLD",
        ] {
            if let Some(v) = var(key) {
                extra.insert(key.to_owned(), v);
            }
        }
        if let Some(key) = var("JOBMON_EVAL_OPENAI_API_KEY") {
            extra.insert("JOBMON_OPENAI_API_KEY".into(), key);
        }
        out.push(Candidate::openai(&url, &model, extra));
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match main_inner().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jobmon-eval: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn main_inner() -> Result<(), String> {
    let args = parse_args()?;
    let set = EvalSet::load(&args.set)
        .map_err(|e| e.to_string())?
        .select(args.split, args.limit);
    let result = run(&set, args.split, &candidates())
        .await
        .map_err(|e| e.to_string())?;
    print!("{}", report::table(&result));
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, json).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!("\nfigures written to {}", args.out.display());
    if let Some(before) = &args.compare {
        let text =
            std::fs::read_to_string(before).map_err(|e| format!("{}: {e}", before.display()))?;
        let before: Run =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", before.display()))?;
        print!("\n{}", report::compare(&before, &result));
    }
    Ok(())
}
