//! The figures as a table, and two runs side by side.

use std::fmt::Write as _;

use crate::run::{Figures, Run};

/// One line per profile and one overall, per scorer.
pub fn table(run: &Run) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "split: {:?}, {} postings", run.split, run.postings);
    for scorer in &run.scorers {
        let _ = writeln!(out, "\nscorer: {}", scorer.scorer);
        let _ = writeln!(out, "{}", header());
        for (profile, figures) in &scorer.per_profile {
            let _ = writeln!(out, "{}", row(profile, figures));
        }
        let _ = writeln!(out, "{}", row("overall", &scorer.overall));
        if !scorer.overall.gate_false_rule_outs.is_empty() {
            let _ = writeln!(
                out,
                "pre-gate ruled out postings labelled >= 7: {:?}",
                scorer.overall.gate_false_rule_outs
            );
        }
    }
    out
}

/// The overall figures of each scorer both runs share, with the change.
pub fn compare(before: &Run, after: &Run) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "before: {:?} split, {} postings; after: {:?} split, {} postings",
        before.split, before.postings, after.split, after.postings
    );
    for new in &after.scorers {
        let Some(old) = before.scorers.iter().find(|s| s.scorer == new.scorer) else {
            continue;
        };
        let _ = writeln!(out, "\nscorer: {}", new.scorer);
        let _ = writeln!(
            out,
            "{:<10} {:>22} {:>22} {:>22} {:>22} {:>22} {:>10}",
            "profile", "rho", "tau", "ndcg@10", "precision>=7", "recall>=7", "gate-miss"
        );
        let pairs = new
            .per_profile
            .iter()
            .filter_map(|(name, f)| old.per_profile.get(name).map(|o| (name.as_str(), o, f)))
            .chain(std::iter::once(("overall", &old.overall, &new.overall)));
        for (name, o, n) in pairs {
            let _ = writeln!(
                out,
                "{:<10} {} {} {} {} {} {:>4} -> {:<3}",
                name,
                delta(o.spearman, n.spearman),
                delta(o.kendall, n.kendall),
                delta(o.ndcg10, n.ndcg10),
                delta(o.precision7, n.precision7),
                delta(o.recall7, n.recall7),
                o.gate_false_rule_outs.len(),
                n.gate_false_rule_outs.len()
            );
        }
    }
    out
}

fn header() -> String {
    format!(
        "{:<10} {:>5} {:>6} {:>6} {:>8} {:>7} {:>7} {:>7} {:>9} {:>8}",
        "profile",
        "jobs",
        "rho",
        "tau",
        "ndcg@10",
        "prec>=7",
        "rec>=7",
        "gated",
        "gate-miss",
        "us/job"
    )
}

fn row(name: &str, f: &Figures) -> String {
    format!(
        "{:<10} {:>5} {:>6} {:>6} {:>8} {:>7} {:>7} {:>6.0}% {:>9} {:>8.1}{}",
        name,
        f.postings,
        num(f.spearman),
        num(f.kendall),
        num(f.ndcg10),
        num(f.precision7),
        num(f.recall7),
        f.gate_share * 100.0,
        f.gate_false_rule_outs.len(),
        f.micros_per_job,
        if f.failures > 0 {
            format!("  ({} failed)", f.failures)
        } else {
            String::new()
        }
    )
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

fn delta(old: Option<f64>, new: Option<f64>) -> String {
    let change = match (old, new) {
        (Some(o), Some(n)) => format!("({:+.3})", n - o),
        _ => String::new(),
    };
    format!("{:>22}", format!("{} -> {} {}", num(old), num(new), change))
}
