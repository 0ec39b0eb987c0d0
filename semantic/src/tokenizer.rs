//! BERT's uncased WordPiece tokenizer, as all-MiniLM-L6-v2 was trained with it
//! (`BertTokenizer`, `do_lower_case`, `tokenize_chinese_chars`): clean the text, split on
//! white space and punctuation, lower-case and strip accents, then cut each word into the
//! longest pieces found in `vocab.txt` (`##` marks a piece that continues a word).
//!
//! One simplification, checked against the reference tokenizer on the whole evaluation set
//! (see `semantic/minilm/reference.py`): outside ASCII, "punctuation" is the common
//! punctuation blocks rather than every character of Unicode category P.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// A word longer than this (in characters) is one `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

#[derive(Debug)]
pub struct WordPiece {
    ids: HashMap<String, u32>,
    unk: u32,
    cls: u32,
    sep: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("vocab.txt lacks {0}")]
pub struct MissingToken(&'static str);

impl WordPiece {
    /// `vocab` is `vocab.txt`: one token per line, its id the line number.
    pub fn from_vocab(vocab: &str) -> Result<Self, MissingToken> {
        let ids: HashMap<String, u32> = vocab
            .lines()
            .zip(0u32..)
            .map(|(token, id)| (token.to_owned(), id))
            .collect();
        let special = |name: &'static str| ids.get(name).copied().ok_or(MissingToken(name));
        Ok(Self {
            unk: special("[UNK]")?,
            cls: special("[CLS]")?,
            sep: special("[SEP]")?,
            ids,
        })
    }

    /// `[CLS] pieces… [SEP]`, at most `max_len` ids in all (the text's tail is dropped).
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let budget = max_len.saturating_sub(2);
        let mut out = Vec::with_capacity(budget.min(512) + 2);
        out.push(self.cls);
        'words: for word in basic_words(text) {
            for id in self.pieces(&word) {
                if out.len() > budget {
                    break 'words;
                }
                out.push(id);
            }
        }
        out.push(self.sep);
        out
    }

    fn pieces(&self, word: &str) -> Vec<u32> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            return vec![self.unk];
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let found = (start + 1..=chars.len()).rev().find_map(|end| {
                let piece: String = chars[start..end].iter().collect();
                let key = if start > 0 {
                    format!("##{piece}")
                } else {
                    piece
                };
                self.ids.get(&key).map(|&id| (id, end))
            });
            match found {
                Some((id, end)) => {
                    pieces.push(id);
                    start = end;
                }
                None => return vec![self.unk],
            }
        }
        pieces
    }
}

/// The basic tokenizer: cleaned, lower-cased, accent-free words and punctuation marks.
fn basic_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, words: &mut Vec<String>| {
        if !current.is_empty() {
            words.push(std::mem::take(current));
        }
    };
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (is_control(c)) {
            continue;
        }
        if c.is_whitespace() {
            flush(&mut current, &mut words);
        } else if is_punctuation(c) || is_cjk(c) {
            flush(&mut current, &mut words);
            words.push(c.to_string());
        } else {
            current.push(c);
        }
    }
    flush(&mut current, &mut words);
    words
        .into_iter()
        .map(|w| {
            w.to_lowercase()
                .nfd()
                .filter(|c| !is_combining_mark(*c))
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Control and format characters BERT drops (tab, newline and carriage return are white
/// space instead).
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r')
        && (c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}'))
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '¡' | '§' | '«' | '¶' | '·' | '»' | '¿'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{205e}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
            | '\u{ff01}'..='\u{ff0f}')
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4e00}'..='\u{9fff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{20000}'..='\u{2a6df}'
        | '\u{2a700}'..='\u{2b73f}'
        | '\u{2b740}'..='\u{2b81f}'
        | '\u{2b820}'..='\u{2ceaf}'
        | '\u{f900}'..='\u{faff}'
        | '\u{2f800}'..='\u{2fa1f}')
}

/// Unicode's combining marks (category Mn) that NFD splits off accented letters.
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{300}'..='\u{36f}'
        | '\u{1ab0}'..='\u{1aff}'
        | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}'
        | '\u{fe20}'..='\u{fe2f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> WordPiece {
        let tokens = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "senior", "engineer", "go", "##lang", ",", "(",
            ")", "k", "##8", "##s", "cafe", "-", "remote",
        ];
        WordPiece::from_vocab(&tokens.join("\n")).unwrap()
    }

    #[test]
    fn words_are_lower_cased_stripped_of_accents_and_split_on_punctuation() {
        assert_eq!(
            basic_words("Senior Engineer (Golang),\tCafé-remote\u{200b}"),
            [
                "senior", "engineer", "(", "golang", ")", ",", "cafe", "-", "remote"
            ]
        );
    }

    #[test]
    fn words_are_cut_into_the_longest_known_pieces() {
        let wp = vocab();
        // [CLS] senior go ##lang k ##8 ##s [SEP]
        assert_eq!(
            wp.encode("Senior Golang K8s", 64),
            [2, 4, 6, 7, 11, 12, 13, 3]
        );
        // A word with an unknown part is one [UNK], not a partial match.
        assert_eq!(wp.encode("golangx", 64), [2, 1, 3]);
    }

    #[test]
    fn the_sequence_never_exceeds_its_budget_and_keeps_its_markers() {
        let wp = vocab();
        let ids = wp.encode(&"senior engineer ".repeat(100), 8);
        assert_eq!(ids.len(), 8);
        assert_eq!((ids[0], ids[7]), (2, 3));
        assert_eq!(wp.encode("", 8), [2, 3]);
    }

    #[test]
    fn a_vocabulary_without_the_special_tokens_is_refused() {
        assert!(WordPiece::from_vocab("a\nb").is_err());
    }
}
