//! Whole-word, case-insensitive phrase matching.
//!
//! Both the text and the term are normalised the same way: lower case (Unicode), and
//! hyphens, underscores, slashes and any whitespace collapsed to one space, so that
//! "on-call", "On call" and "on\ncall" are the same phrase. A term matches where it is
//! neither preceded nor followed by a word character. Word characters are letters, digits,
//! `+` and `#`, so "java" does not match "javascript", "c" does not match "c++" or "c#",
//! and "c++" matches "C++,". [`Text::new`] folds no plurals or stems; [`Text::stemmed`]
//! (the profile scorer's) folds light English endings on both sides, so "microservice"
//! meets "microservices" and "A/B testing" meets "A/B tests", and [`Text::stemmed_cased`]
//! keeps the case for terms that are only names when capitalised ("Go", not "go").

/// Text prepared once for many look-ups.
#[derive(Debug, Clone)]
pub(crate) struct Text(String);

impl Text {
    pub(crate) fn new(raw: &str) -> Self {
        Self(normalise(raw))
    }

    /// Lower case with light stemming (see [`stem_words`]); look up with
    /// [`Text::contains_stemmed`].
    pub(crate) fn stemmed(raw: &str) -> Self {
        Self(stem_words(&normalise(raw)))
    }

    /// As [`Text::stemmed`], with the case kept.
    pub(crate) fn stemmed_cased(raw: &str) -> Self {
        Self(stem_words(&normalise_with(raw, false)))
    }

    /// Looks up an already prepared phrase (see [`prepare`]).
    pub(crate) fn contains_prepared(&self, needle: &str) -> bool {
        find_whole(&self.0, needle)
    }

    /// The first place an already prepared phrase occurs, whole words or not, comparing
    /// ASCII letters regardless of case (the cased
    /// text keeps its capitals; offsets stay those of this text).
    pub(crate) fn first_match_ignoring_case(&self, needle: &str) -> Option<usize> {
        let hay = self.0.as_bytes();
        let needle = needle.as_bytes();
        if needle.is_empty() || needle.len() > hay.len() {
            return None;
        }
        (0..=hay.len() - needle.len())
            .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
    }

    /// Where an already prepared phrase occurs as whole words (byte offsets).
    pub(crate) fn whole_matches<'a>(&'a self, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
        let hay = self.0.as_str();
        hay.match_indices(needle)
            .filter(move |(start, found)| !needle.is_empty() && is_whole(hay, *start, found.len()))
            .map(|(start, _)| start)
    }

    /// The text as normalised.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn contains(&self, term: &str) -> bool {
        find_whole(&self.0, &normalise(term))
    }

    pub(crate) fn contains_any<'a>(&self, terms: &'a [&'a str]) -> bool {
        terms.iter().any(|t| self.contains(t))
    }
}

fn find_whole(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle)
        .any(|(start, found)| is_whole(hay, start, found.len()))
}

fn is_whole(hay: &str, start: usize, len: usize) -> bool {
    let before = hay[..start].chars().next_back();
    let after = hay[start + len..].chars().next();
    !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
}

/// A phrase prepared like [`Text::new`] text.
pub(crate) fn normalised(raw: &str) -> String {
    normalise(raw)
}

/// A phrase prepared like [`Text::stemmed`] text (or, with `lower` false, like
/// [`Text::stemmed_cased`] text).
pub(crate) fn prepare(raw: &str, lower: bool) -> String {
    stem_words(&normalise_with(raw, lower))
}

/// Light stemming of every run of letters: "-ies" to "-y" ("agencies"), "-ing" off words of
/// six letters or more ("testing"), a final "s" off words of four or more that do not end
/// in "ss", "us" or "is" ("systems", not "process", "status" or "analysis"). Crude on
/// purpose: both sides get the same treatment, so only collisions matter, and short
/// technical names ("aws", "ts", "js", "go") are never touched.
fn stem_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
            continue;
        }
        out.push_str(stem(&word));
        word.clear();
        out.push(c);
    }
    out.push_str(stem(&word));
    out
}

fn stem(word: &str) -> &str {
    let letters = word.chars().count();
    // `get` keeps the cut on a character boundary ("harás" ends in no ASCII suffix).
    let lower_end = |suffix: &str| {
        word.len()
            .checked_sub(suffix.len())
            .and_then(|at| word.get(at..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
    };
    if letters >= 5 && lower_end("ies") {
        // "agencies" -> "agenc" (and "agency" -> "agenc" below): both sides meet.
        &word[..word.len() - 3]
    } else if letters >= 5 && lower_end("y") {
        &word[..word.len() - 1]
    } else if letters >= 6 && lower_end("ing") {
        &word[..word.len() - 3]
    } else if letters >= 4
        && lower_end("s")
        && !lower_end("ss")
        && !lower_end("us")
        && !lower_end("is")
    {
        &word[..word.len() - 1]
    } else {
        word
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '+' || c == '#'
}

fn normalise(raw: &str) -> String {
    normalise_with(raw, true)
}

fn normalise_with(raw: &str, lower: bool) -> String {
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
        if lower {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
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
    fn stemmed_text_meets_plurals_and_gerunds_on_both_sides() {
        let text = Text::stemmed("We run A/B tests on microservices for agencies.");
        for term in ["A/B testing", "microservice", "agency", "agencies"] {
            assert!(text.contains_prepared(&prepare(term, true)), "{term}");
        }
        assert!(!text.contains_prepared(&prepare("test suite", true)));
        // Short names and words ending in ss/us/is are left alone.
        assert_eq!(stem("aws"), "aws");
        assert_eq!(stem("process"), "process");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("analysis"), "analysis");
        // Non-ASCII endings are cut at character boundaries or not at all.
        assert_eq!(stem("harás"), "hará");
        assert_eq!(stem("está"), "está");
        assert_eq!(stem("años"), "año");
        let cased = Text::stemmed_cased("Services in Go; ready to go.");
        assert!(cased.contains_prepared(&prepare("Go", false)));
        assert!(cased.contains_prepared(&prepare("Service", false)));
        assert!(!Text::stemmed_cased("ready to go").contains_prepared("Go"));
    }
}
