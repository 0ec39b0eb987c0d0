//! Repost fingerprints: the same job re-published under a new URL or id.

use sha2::{Digest, Sha256};

/// Folds text to lower-case words of letters and digits, so punctuation, spacing and
/// letter case differences between reposts do not matter.
fn fold(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stable fingerprint of a posting's identity: company, title and location, folded.
/// Two postings with the same fingerprint in one tenant are treated as one job reposted.
/// The description is left out on purpose: boards edit it on repost far more often than
/// the title, and two different openings with one title at one place are rare enough.
pub fn posting_fingerprint(company: &str, title: &str, location: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [company, title, location] {
        hasher.update(fold(part).as_bytes());
        // A separator that fold() never emits keeps ("ab","c") apart from ("a","bc").
        hasher.update([0x1f]);
    }
    hex::encode(&hasher.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_case_punctuation_and_spacing() {
        let a = posting_fingerprint("Acme, Inc.", "Senior  Rust Engineer", "Berlin (DE)");
        let b = posting_fingerprint("acme inc", "senior rust engineer", "berlin de");
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn differs_when_identity_differs() {
        let base = posting_fingerprint("Acme", "Rust Engineer", "Berlin");
        assert_ne!(base, posting_fingerprint("Acme", "Go Engineer", "Berlin"));
        assert_ne!(base, posting_fingerprint("Acme", "Rust Engineer", "Paris"));
        assert_ne!(
            base,
            posting_fingerprint("Other", "Rust Engineer", "Berlin")
        );
        assert_ne!(
            posting_fingerprint("ab", "c", ""),
            posting_fingerprint("a", "bc", "")
        );
    }

    #[test]
    fn handles_non_ascii_words() {
        assert_eq!(
            posting_fingerprint("Zürich AG", "Entwickler:in", "Zürich"),
            posting_fingerprint("ZÜRICH AG", "entwickler in", "zürich")
        );
    }
}
