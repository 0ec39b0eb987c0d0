//! The labelled set: `eval/profiles.json` and the postings in `eval/postings/*.txt`.
//!
//! A postings file is a run of records, each a header block, a `---` line and the
//! description text:
//!
//! ```text
//! ### 12
//! title: Senior Frontend Developer
//! company: Pixelforge Studio
//! location: Toronto, Ontario
//! remote: no
//! salary: 90000-110000 CAD        (optional: the structured salary a job board gives)
//! labels: backend=1 data=1 frontend=3
//! ---
//! The description as the company wrote it.
//! ```
//!
//! Plain text rather than JSON so that postings read (and are reviewed) like postings.

use std::collections::BTreeMap;
use std::path::Path;

use jobmon_scoring::{JobForScoring, Profile};
use serde::Deserialize;
use shared::domain::CanonicalUrl;

#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// One profile of the set with its name.
#[derive(Debug, Clone, Deserialize)]
pub struct NamedProfile {
    pub id: String,
    #[serde(default)]
    pub about: String,
    pub profile: Profile,
}

/// One posting with its labels.
#[derive(Debug, Clone)]
pub struct Posting {
    pub number: u32,
    pub job: JobForScoring,
    /// Profile id to label, 1..=10.
    pub labels: BTreeMap<String, u8>,
}

/// Which postings a run covers. Every third posting (number divisible by 3) is held out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Tune,
    Test,
    All,
}

impl Split {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "tune" => Some(Self::Tune),
            "test" => Some(Self::Test),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    pub fn contains(self, number: u32) -> bool {
        match self {
            Self::Tune => !number.is_multiple_of(3),
            Self::Test => number.is_multiple_of(3),
            Self::All => true,
        }
    }
}

/// The whole set as read from disk.
#[derive(Debug, Clone)]
pub struct EvalSet {
    pub profiles: Vec<NamedProfile>,
    pub postings: Vec<Posting>,
}

impl EvalSet {
    /// Reads `dir/profiles.json` and every `dir/postings/*.txt`, checking that each posting
    /// is labelled for every profile and that numbers are unique.
    pub fn load(dir: &Path) -> Result<Self, SetError> {
        let profiles_path = dir.join("profiles.json");
        let text = read(&profiles_path)?;
        let profiles: Vec<NamedProfile> =
            serde_json::from_str(&text).map_err(|e| invalid(&profiles_path, e.to_string()))?;
        let mut files: Vec<_> = std::fs::read_dir(dir.join("postings"))
            .map_err(|source| SetError::Io {
                path: dir.join("postings").display().to_string(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        let mut postings = Vec::new();
        for file in &files {
            postings.extend(parse_postings(&read(file)?).map_err(|m| invalid(file, m))?);
        }
        postings.sort_by_key(|p| p.number);
        if let Some(pair) = postings.windows(2).find(|w| w[0].number == w[1].number) {
            return Err(invalid(dir, format!("posting {} twice", pair[0].number)));
        }
        for posting in &postings {
            for profile in &profiles {
                if !posting.labels.contains_key(&profile.id) {
                    return Err(invalid(
                        dir,
                        format!("posting {} has no label for {}", posting.number, profile.id),
                    ));
                }
            }
        }
        Ok(Self { profiles, postings })
    }

    /// The same set restricted to a split and, when given, the first `limit` postings of it.
    pub fn select(mut self, split: Split, limit: Option<usize>) -> Self {
        self.postings.retain(|p| split.contains(p.number));
        if let Some(limit) = limit {
            self.postings.truncate(limit);
        }
        self
    }
}

fn read(path: &Path) -> Result<String, SetError> {
    std::fs::read_to_string(path).map_err(|source| SetError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn invalid(path: &Path, message: String) -> SetError {
    SetError::Invalid {
        path: path.display().to_string(),
        message,
    }
}

/// Parses one postings file.
pub fn parse_postings(text: &str) -> Result<Vec<Posting>, String> {
    let mut out = Vec::new();
    for record in text.split("\n### ").map(|r| r.trim_start_matches("### ")) {
        if record.trim().is_empty() {
            continue;
        }
        out.push(parse_record(record)?);
    }
    Ok(out)
}

fn parse_record(record: &str) -> Result<Posting, String> {
    let (head, description) = record
        .split_once("\n---\n")
        .ok_or_else(|| format!("record {:?}: no --- line", first_line(record)))?;
    let mut lines = head.lines();
    let number: u32 = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| format!("record {:?}: no number", first_line(record)))?;
    let mut fields = BTreeMap::new();
    for line in lines {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("posting {number}: {line:?} is not key: value"))?;
        fields.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let labels = parse_labels(&field("labels")).map_err(|m| format!("posting {number}: {m}"))?;
    let (salary_min, salary_max, salary_currency) =
        parse_salary(&field("salary")).map_err(|m| format!("posting {number}: {m}"))?;
    let url = CanonicalUrl::parse(&format!("https://jobs.example.com/eval/{number}"))
        .map_err(|e| e.to_string())?;
    Ok(Posting {
        number,
        labels,
        job: JobForScoring {
            title: field("title"),
            company: field("company"),
            location: field("location"),
            remote: field("remote") == "yes",
            description_text: description.trim().to_owned(),
            salary_min,
            salary_max,
            salary_currency,
            url,
        },
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

fn parse_labels(text: &str) -> Result<BTreeMap<String, u8>, String> {
    let mut labels = BTreeMap::new();
    for pair in text.split_whitespace() {
        let (profile, label) = pair
            .split_once('=')
            .ok_or_else(|| format!("label {pair:?} is not profile=N"))?;
        let label: u8 = label
            .parse()
            .ok()
            .filter(|l| (1..=10).contains(l))
            .ok_or_else(|| format!("label {pair:?} is not 1..=10"))?;
        labels.insert(profile.to_owned(), label);
    }
    if labels.is_empty() {
        return Err("no labels".into());
    }
    Ok(labels)
}

type Salary = (Option<f64>, Option<f64>, Option<String>);

/// `90000-110000 CAD`: the structured salary some job boards give.
fn parse_salary(text: &str) -> Result<Salary, String> {
    if text.is_empty() {
        return Ok((None, None, None));
    }
    let (range, currency) = text
        .rsplit_once(' ')
        .ok_or_else(|| format!("salary {text:?} is not MIN-MAX CUR"))?;
    let (min, max) = range.split_once('-').unwrap_or((range, range));
    let number = |s: &str| s.trim().parse::<f64>().map_err(|e| format!("salary: {e}"));
    Ok((
        Some(number(min)?),
        Some(number(max)?),
        Some(currency.to_owned()),
    ))
}
