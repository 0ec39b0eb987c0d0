//! Words a job can be found by (`q` of the job list): lower-case runs of letters and
//! digits of its title, company, location, URL and description, each kept once.

use std::collections::HashSet;

/// How many distinct words of a job are kept: the title, company, location and URL come
/// first, then the description's words in order of appearance. Bounds what every job
/// item carries (about 2–3 KB) and so what a search reads.
pub const MAX_WORDS: usize = 300;

/// The words of `text`, lower-cased, in order of first appearance, without repeats.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The searchable words of a job, at most [`MAX_WORDS`].
pub fn job_words(fields: &[&str], description: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for word in fields
        .iter()
        .flat_map(|f| words(f))
        .chain(words(description))
    {
        if out.len() == MAX_WORDS {
            break;
        }
        if seen.insert(word.clone()) {
            out.push(word);
        }
    }
    out
}

/// The words of a query: what every result must contain. `None` when it has none.
pub fn query_words(q: &str) -> Option<Vec<String>> {
    let mut seen = HashSet::new();
    let out: Vec<String> = words(q).filter(|w| seen.insert(w.clone())).collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_distinct_and_bounded() {
        let w = job_words(
            &[
                "Senior Rust Engineer",
                "ACME GmbH",
                "Berlin",
                "https://jobs.acme.io/rust-1",
            ],
            "Rust, rust and more RUST. Café Zürich.",
        );
        assert_eq!(
            w,
            [
                "senior", "rust", "engineer", "acme", "gmbh", "berlin", "https", "jobs", "io", "1",
                "and", "more", "café", "zürich"
            ]
        );
        let long = (0..1000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(job_words(&[], &long).len(), MAX_WORDS);
        assert_eq!(
            query_words("  Rust, rust!  berlin "),
            Some(vec!["rust".into(), "berlin".into()])
        );
        assert_eq!(query_words(" -- "), None);
    }
}
