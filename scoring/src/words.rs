//! Whole-word, case-insensitive phrase matching.
//!
//! Both the text and the term are normalised the same way: lower case (Unicode), and
//! hyphens, underscores, slashes and any whitespace collapsed to one space, so that
//! "on-call", "On call" and "on\ncall" are the same phrase. A term matches where it is
//! neither preceded nor followed by a word character. Word characters are letters, digits,
//! `+` and `#`, so "java" does not match "javascript", "c" does not match "c++" or "c#",
//! and "c++" matches "C++,". Plurals and stems are not folded: "microservice" does not
//! match "microservices" (list both if both matter).

/// Text prepared once for many look-ups.
#[derive(Debug, Clone)]
pub(crate) struct Text(String);

impl Text {
    pub(crate) fn new(raw: &str) -> Self {
        Self(normalise(raw))
    }

    /// Several fields searched as one text; the separator keeps a phrase from spanning
    /// two fields.
    pub(crate) fn joined(parts: &[&str]) -> Self {
        Self(
            parts
                .iter()
                .map(|p| normalise(p))
                .collect::<Vec<_>>()
                .join(" | "),
        )
    }

    pub(crate) fn contains(&self, term: &str) -> bool {
        let needle = normalise(term);
        if needle.is_empty() {
            return false;
        }
        let hay = self.0.as_str();
        hay.match_indices(needle.as_str()).any(|(start, found)| {
            let before = hay[..start].chars().next_back();
            let after = hay[start + found.len()..].chars().next();
            !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
        })
    }

    pub(crate) fn contains_any<'a>(&self, terms: &'a [&'a str]) -> bool {
        terms.iter().any(|t| self.contains(t))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '+' || c == '#'
}

fn normalise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() || matches!(c, '-' | '_' | '/' | '\u{2010}'..='\u{2015}') {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str, term: &str) -> bool {
        Text::new(text).contains(term)
    }

    #[test]
    fn matches_whole_words_only() {
        assert!(hit("We use Java and Kotlin", "java"));
        assert!(!hit("We use JavaScript", "java"));
        assert!(!hit("Trust and safety", "rust"));
        assert!(!hit("rusty tools", "rust"));
        assert!(hit("Rust.", "rust"));
        assert!(hit("(Rust)", "rust"));
        assert!(hit("rust", "rust"));
    }

    #[test]
    fn is_case_insensitive_including_non_ascii() {
        assert!(hit("Office in MÜNCHEN", "münchen"));
        assert!(hit("RUST developer", "Rust"));
    }

    #[test]
    fn matches_phrases_across_spacing_and_hyphens() {
        assert!(hit("Machine   learning\nplatform", "machine learning"));
        assert!(hit("machine-learning platform", "Machine Learning"));
        assert!(hit("you'll be on call", "on-call"));
        assert!(hit("CI/CD pipelines", "ci/cd"));
        assert!(!hit("machine shop, learning culture", "machine learning"));
    }

    #[test]
    fn symbols_that_belong_to_language_names_count_as_word_characters() {
        assert!(hit("Modern C++, Python", "c++"));
        assert!(!hit("Modern C++, Python", "c"));
        assert!(hit("C# and .NET", "c#"));
        assert!(!hit("C# and .NET", "c"));
        assert!(hit("C# and .NET", ".net"));
        assert!(!hit("ASP.NET", ".net"));
        assert!(hit("Node.js.", "node.js"));
        assert!(hit("plain C and Go", "c"));
    }

    #[test]
    fn finds_a_later_occurrence_after_a_partial_one() {
        assert!(hit("javascript first, java second", "java"));
    }

    #[test]
    fn blank_terms_never_match() {
        assert!(!hit("anything", ""));
        assert!(!hit("anything", " - "));
    }

    #[test]
    fn joined_fields_do_not_form_phrases_across_the_boundary() {
        let text = Text::joined(&["Senior Machine", "Learning Corp"]);
        assert!(!text.contains("machine learning"));
        assert!(text.contains("machine"));
        assert!(text.contains("learning corp"));
        assert!(text.contains_any(&["nothing", "senior"]));
        assert!(!text.contains_any(&["nothing"]));
    }
}
