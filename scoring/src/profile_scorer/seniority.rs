//! The level a posting asks for: from the title's words ("Sr.", "Staff", "Junior", "II"),
//! else from the text ("5+ years", "new grads welcome", "0-2 years").

use shared::domain::Seniority;

use crate::words::Text;

/// Where a level stands on the individual-contributor ladder; managers and directors
/// stand beside it, where the lead does.
fn step(level: Seniority) -> i32 {
    match level {
        Seniority::Intern => 0,
        Seniority::Junior => 1,
        Seniority::Mid => 2,
        Seniority::Senior => 3,
        Seniority::Staff | Seniority::Lead | Seniority::Manager => 4,
        Seniority::Principal | Seniority::Director => 5,
    }
}

/// How many steps apart two levels are. Managing is another track than building: a
/// manager's job is at least two steps from any individual contributor's.
pub(crate) fn distance(a: Seniority, b: Seniority) -> i32 {
    let manages = |l: Seniority| matches!(l, Seniority::Manager | Seniority::Director);
    let steps = (step(a) - step(b)).abs();
    if manages(a) != manages(b) {
        steps.max(2)
    } else {
        steps
    }
}

/// Extra title and text phrases for levels, beyond [`Seniority::title_words`].
const TITLE_EXTRA: &[(Seniority, &[&str])] = &[
    (Seniority::Intern, &["working student", "werkstudent"]),
    (Seniority::Junior, &["new grad", "graduate"]),
    (Seniority::Mid, &["ii"]),
    (Seniority::Senior, &["iii", "senior ish"]),
];
const TEXT_JUNIOR: &[&str] = &[
    "new grad",
    "new grads",
    "graduates welcome",
    "recent graduates",
    "bootcamp",
    "early career",
    "entry level",
    "start of their career",
    "at the start of your career",
    "graduate scheme",
];
const TEXT_INTERN: &[&str] = &["internship", "current students", "enrolled at"];

/// The level the posting asks for and where it was read, or `None`.
pub(crate) fn posting_level(title: &str, description: &str) -> Option<(Seniority, &'static str)> {
    let title_text = Text::new(title);
    let named = Seniority::ALL
        .into_iter()
        .rev()
        .find(|level| title_text.contains_any(level.title_words()))
        .or_else(|| {
            TITLE_EXTRA
                .iter()
                .find(|(_, words)| title_text.contains_any(words))
                .map(|(level, _)| *level)
        });
    if let Some(level) = named {
        return Some((level, "title"));
    }
    let text = Text::new(description);
    if text.contains_any(TEXT_INTERN) {
        return Some((Seniority::Intern, "text"));
    }
    if text.contains_any(TEXT_JUNIOR) {
        return Some((Seniority::Junior, "text"));
    }
    years_asked(description).map(|years| (level_for_years(years), "text"))
}

fn level_for_years(years: u32) -> Seniority {
    match years {
        0..=1 => Seniority::Junior,
        2..=4 => Seniority::Mid,
        5..=7 => Seniority::Senior,
        8..=11 => Seniority::Staff,
        _ => Seniority::Principal,
    }
}

/// The smallest number of years the text asks for: "N+ years", "N-M years of", "at least
/// N years", "Mindestens N Jahre Erfahrung". A bare "12 years ago" is history, not a
/// requirement.
fn years_asked(text: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ','))
        .filter(|w| !w.is_empty())
        .collect();
    let is_unit = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphabetic());
        YEAR_WORDS.contains(&w)
    };
    let mut found: Option<u32> = None;
    for (i, word) in words.iter().enumerate() {
        if !words.get(i + 1).is_some_and(|w| is_unit(w)) {
            continue;
        }
        let previous = i.checked_sub(1).and_then(|p| words.get(p)).copied();
        let following = words.get(i + 2).copied().unwrap_or_default();
        let asked = word.ends_with('+')
            || word.contains(['-', '–'])
            || previous.is_some_and(|p| ["least", "mindestens", "minimum", "minimal"].contains(&p))
            || EXPERIENCE_WORDS.iter().any(|w| following.starts_with(w));
        if !asked {
            continue;
        }
        let first = word
            .trim_end_matches('+')
            .split(['-', '–'])
            .next()
            .unwrap_or_default();
        if let Ok(n) = first.parse::<u32>()
            && n <= 30
        {
            found = Some(found.map_or(n, |f| f.min(n)));
        }
    }
    found
}

const YEAR_WORDS: &[&str] = &[
    "year", "years", "yrs", "jahre", "jahren", "años", "ans", "jaar",
];
const EXPERIENCE_WORDS: &[&str] = &[
    "of",
    "experience",
    "erfahrung",
    "d'exp",
    "de",
    "professional",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn level(title: &str, text: &str) -> Option<Seniority> {
        posting_level(title, text).map(|(l, _)| l)
    }

    #[test]
    fn the_title_speaks_first() {
        assert_eq!(
            level("Sr. Software Engineer", "2+ years"),
            Some(Seniority::Senior)
        );
        assert_eq!(level("Staff Backend Engineer", ""), Some(Seniority::Staff));
        assert_eq!(level("Front End Engineer II", ""), Some(Seniority::Mid));
        assert_eq!(
            level("Graduate Data Scientist", ""),
            Some(Seniority::Junior)
        );
        assert_eq!(
            level("Engineering Manager, Platform", ""),
            Some(Seniority::Manager)
        );
    }

    #[test]
    fn else_the_text() {
        assert_eq!(
            level("Data Scientist", "New grads welcome!"),
            Some(Seniority::Junior)
        );
        assert_eq!(
            level("Backend Engineer", "6+ years of backend"),
            Some(Seniority::Senior)
        );
        assert_eq!(
            level("Backend Engineer", "3+ years of Go"),
            Some(Seniority::Mid)
        );
        assert_eq!(
            level("Data Scientist", "0-2 years of experience"),
            Some(Seniority::Junior)
        );
        assert_eq!(
            level("Engineer", "Mindestens 5 Jahre Erfahrung"),
            Some(Seniority::Senior)
        );
        assert_eq!(level("Engineer", "We were founded 12 years ago"), None);
        assert_eq!(
            level("Engineer", "10 years of experience"),
            Some(Seniority::Staff)
        );
        assert_eq!(level("Engineer", "Since 2019."), None);
    }

    #[test]
    fn distance_counts_steps() {
        assert_eq!(distance(Seniority::Senior, Seniority::Senior), 0);
        assert_eq!(distance(Seniority::Junior, Seniority::Senior), 2);
        assert_eq!(distance(Seniority::Intern, Seniority::Principal), 5);
        assert_eq!(distance(Seniority::Staff, Seniority::Lead), 0);
        assert_eq!(distance(Seniority::Manager, Seniority::Senior), 2);
    }
}
