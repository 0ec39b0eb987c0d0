//! Pay as postings write it ("€65k–80k", "$140,000 – $170,000 USD", "90.000 € brutto",
//! "SEK 65,000 per month", "$70/hour"), turned into a yearly amount and converted with a
//! rate table.
//!
//! The parser reads only amounts that carry a currency (a symbol or an ISO code next to
//! them), so years, head-counts and "40M events" are never pay. Amounts that come out below
//! [`PLAUSIBLE_YEARLY_EUR`] a year ("learning budget €2,000") are perks, not salaries. When
//! a posting names several, the highest counts: the top of a range is what the tenant
//! compares with their minimum, as with structured salaries.

use std::collections::BTreeMap;

/// Below this many euros a year an amount is a perk or a typo, not a salary.
const PLAUSIBLE_YEARLY_EUR: f64 = 10_000.0;
/// Full-time hours, and working days, in a year.
const HOURS_PER_YEAR: f64 = 2080.0;
const DAYS_PER_YEAR: f64 = 220.0;

/// Euros per unit of each currency. Approximate on purpose: pay bands are wide, and the
/// table is meant to be overridden where precision matters (`JOBMON_SCORING_CURRENCY_RATES`).
const DEFAULT_RATES: [(&str, f64); 14] = [
    ("EUR", 1.0),
    ("USD", 0.92),
    ("GBP", 1.17),
    ("CAD", 0.66),
    ("AUD", 0.60),
    ("CHF", 1.05),
    ("SEK", 0.087),
    ("NOK", 0.085),
    ("DKK", 0.134),
    ("PLN", 0.23),
    ("CZK", 0.040),
    ("JPY", 0.0061),
    ("INR", 0.011),
    ("NZD", 0.55),
];

/// Conversion rates: euros per unit of each ISO 4217 currency.
#[derive(Debug, Clone, PartialEq)]
pub struct RateTable(BTreeMap<String, f64>);

impl Default for RateTable {
    fn default() -> Self {
        Self(
            DEFAULT_RATES
                .iter()
                .map(|(code, rate)| ((*code).to_owned(), *rate))
                .collect(),
        )
    }
}

impl RateTable {
    /// The default table with `USD=0.92,GBP=1.17` style overrides (euros per unit).
    pub fn with_overrides(spec: &str) -> Result<Self, String> {
        let mut table = Self::default();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (code, rate) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not CODE=RATE"))?;
            let code = code.trim().to_ascii_uppercase();
            if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(format!("{code:?} is not a three-letter currency code"));
            }
            let rate: f64 = rate
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r > 0.0)
                .ok_or_else(|| format!("{pair:?}: the rate must be a positive number"))?;
            table.0.insert(code, rate);
        }
        Ok(table)
    }

    /// `amount` in `from` expressed in `to`; `None` when either currency is unknown.
    pub fn convert(&self, amount: f64, from: &str, to: &str) -> Option<f64> {
        let from = self.0.get(&from.trim().to_ascii_uppercase())?;
        let to = self.0.get(&to.trim().to_ascii_uppercase())?;
        Some(amount * from / to)
    }
}

/// A yearly amount in a currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Pay {
    pub yearly: f64,
    pub currency: String,
}

/// The highest plausible yearly pay the text names, if any. A bare `$` is Canadian when
/// the posting's location is in Canada, else US dollars.
pub fn pay_in_text(text: &str, location: &str, rates: &RateTable) -> Option<Pay> {
    let dollar = if is_canadian(location) { "CAD" } else { "USD" };
    let tokens = tokenize(text);
    let mut best: Option<(f64, Pay)> = None;
    for (i, token) in tokens.iter().enumerate() {
        let Token::Amount(value) = token else {
            continue;
        };
        let Some(currency) = currency_near(&tokens, i, dollar) else {
            continue;
        };
        let yearly = value * period_factor(&tokens, i);
        let Some(in_euros) = rates.convert(yearly, &currency, "EUR") else {
            continue;
        };
        if !(PLAUSIBLE_YEARLY_EUR..=5_000_000.0).contains(&in_euros) {
            continue;
        }
        if best.as_ref().is_none_or(|(eur, _)| in_euros > *eur) {
            best = Some((in_euros, Pay { yearly, currency }));
        }
    }
    best.map(|(_, pay)| pay)
}

fn is_canadian(location: &str) -> bool {
    let l = location.to_lowercase();
    [
        "canada",
        "toronto",
        "ontario",
        ", on",
        "vancouver",
        "montreal",
        "calgary",
        "ottawa",
    ]
    .iter()
    .any(|w| l.contains(w))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Amount(f64),
    Currency(&'static str),
    /// A symbol whose currency depends on the place (`$`).
    Dollar,
    /// A range joiner: dashes, "to", "and", "bis".
    Joiner,
    Word(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let (value, next) = number(&chars, i);
            tokens.push(Token::Amount(value));
            i = next;
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '.') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            tokens.push(word_token(word.trim_end_matches('.')));
        } else {
            tokens.extend(symbol_token(c));
            i += 1;
        }
    }
    tokens
}

fn word_token(word: &str) -> Token {
    match word {
        "eur" | "euro" | "euros" => Token::Currency("EUR"),
        "usd" => Token::Currency("USD"),
        "gbp" => Token::Currency("GBP"),
        "cad" => Token::Currency("CAD"),
        "aud" => Token::Currency("AUD"),
        "chf" => Token::Currency("CHF"),
        "sek" => Token::Currency("SEK"),
        "nok" => Token::Currency("NOK"),
        "dkk" => Token::Currency("DKK"),
        "pln" | "zł" | "zl" => Token::Currency("PLN"),
        "czk" => Token::Currency("CZK"),
        "inr" => Token::Currency("INR"),
        "nzd" => Token::Currency("NZD"),
        "to" | "and" | "bis" | "à" | "a" | "tot" => Token::Joiner,
        other => Token::Word(other.to_owned()),
    }
}

fn symbol_token(c: char) -> Option<Token> {
    match c {
        '€' => Some(Token::Currency("EUR")),
        '£' => Some(Token::Currency("GBP")),
        '$' => Some(Token::Dollar),
        '¥' => Some(Token::Currency("JPY")),
        '₹' => Some(Token::Currency("INR")),
        '-' | '–' | '—' | '‒' => Some(Token::Joiner),
        '/' => Some(Token::Word("per".into())),
        _ => None,
    }
}

/// A number starting at `start`: "85", "85k", "85K", "90.000", "1,100,000", "25 000",
/// "4.500", "70.5". Groups of exactly three digits after `.`, `,` or a space are
/// thousands; anything else after a `.` or `,` is a fraction.
fn number(chars: &[char], start: usize) -> (f64, usize) {
    let mut i = start;
    let mut digits = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        digits.push(chars[i]);
        i += 1;
    }
    loop {
        let sep = chars.get(i).copied();
        let group: String = chars
            .iter()
            .skip(i + 1)
            .take_while(|c| c.is_ascii_digit())
            .collect();
        match sep {
            Some('.' | ',' | ' ' | '\u{a0}' | '\u{202f}') if group.len() == 3 => {
                digits.push_str(&group);
                i += 1 + group.len();
            }
            Some('.' | ',') if !group.is_empty() && group.len() < 3 => {
                digits.push('.');
                digits.push_str(&group);
                i += 1 + group.len();
                break;
            }
            _ => break,
        }
    }
    let mut value: f64 = digits.parse().unwrap_or(0.0);
    if matches!(chars.get(i), Some('k' | 'K'))
        && !chars.get(i + 1).is_some_and(|c| c.is_alphabetic())
    {
        value *= 1000.0;
        i += 1;
    } else if matches!(chars.get(i), Some(' ')) && matches!(chars.get(i + 1), Some('k' | 'K')) {
        // "50-60 k€"
        if !chars.get(i + 2).is_some_and(|c| c.is_alphabetic()) {
            value *= 1000.0;
            i += 2;
        }
    }
    (value, i)
}

/// The currency of the amount at `at`: a marker right before it or right after it, or
/// one on the other side of the range it belongs to ("€85k–105k", "65,000 – 75,000 SEK").
fn currency_near(tokens: &[Token], at: usize, dollar: &str) -> Option<String> {
    let resolve = |t: &Token| match t {
        Token::Currency(code) => Some((*code).to_owned()),
        Token::Dollar => Some(dollar.to_owned()),
        _ => None,
    };
    // An explicit code anywhere in the amount's range wins over a `$`: "$118,000 CAD".
    let lo = range_start(tokens, at);
    let hi = range_end(tokens, at);
    let window = &tokens[lo.saturating_sub(1)..(hi + 2).min(tokens.len())];
    window
        .iter()
        .find_map(|t| match t {
            Token::Currency(code) => Some((*code).to_owned()),
            _ => None,
        })
        .or_else(|| window.iter().find_map(resolve))
}

/// Index of the first token of the range containing the amount at `at`.
fn range_start(tokens: &[Token], at: usize) -> usize {
    let mut i = at;
    while i > 0 {
        match tokens[i - 1] {
            Token::Currency(_) | Token::Dollar | Token::Joiner => i -= 1,
            Token::Amount(_) if matches!(tokens.get(i), Some(Token::Joiner)) => i -= 1,
            _ => break,
        }
    }
    i
}

fn range_end(tokens: &[Token], at: usize) -> usize {
    let mut i = at;
    while i + 1 < tokens.len() {
        match tokens[i + 1] {
            Token::Currency(_) | Token::Dollar | Token::Joiner | Token::Amount(_) => i += 1,
            _ => break,
        }
    }
    i
}

/// How many times a year the amount at `at` is paid, from the words right after its range.
fn period_factor(tokens: &[Token], at: usize) -> f64 {
    let end = range_end(tokens, at);
    for token in tokens.iter().skip(end + 1).take(4) {
        if let Token::Word(w) = token {
            match w.as_str() {
                "hour" | "hr" | "hourly" | "h" | "stunde" => return HOURS_PER_YEAR,
                "day" | "daily" | "tag" | "jour" => return DAYS_PER_YEAR,
                "month" | "monthly" | "monat" | "maand" | "mois" | "mes" | "mo" | "monatlich" => {
                    return 12.0;
                }
                "year" | "annual" | "annually" | "p.a" | "pa" | "jahr" | "an" => return 1.0,
                _ => {}
            }
        }
    }
    // "Daily rate €600": the period named before the amount.
    let start = range_start(tokens, at);
    let before = tokens[start.saturating_sub(2)..start].iter();
    if before
        .into_iter()
        .any(|t| matches!(t, Token::Word(w) if w == "daily" || w == "day"))
    {
        return DAYS_PER_YEAR;
    }
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(text: &str, location: &str) -> Option<(f64, String)> {
        pay_in_text(text, location, &RateTable::default()).map(|p| (p.yearly, p.currency))
    }

    #[test]
    fn reads_the_formats_postings_use() {
        let cases = [
            ("Salary: €85k–105k + equity.", "", 105_000.0, "EUR"),
            (
                "Compensation 90.000 – 110.000 € brutto p.a.",
                "",
                110_000.0,
                "EUR",
            ),
            ("$140,000 – $170,000 USD + equity", "", 170_000.0, "USD"),
            ("Salary £50,000 – £62,000 plus bonus.", "", 62_000.0, "GBP"),
            ("Base pay CAD 120K–140K.", "", 140_000.0, "CAD"),
            ("Salary range: $115,000–$135,000 CAD.", "", 135_000.0, "CAD"),
            ("$95,000 - $110,000.", "Toronto, Ontario", 110_000.0, "CAD"),
            ("NOK 900,000 – 1,100,000.", "", 1_100_000.0, "NOK"),
            ("Salaire : 50-60 k€.", "", 60_000.0, "EUR"),
            ("£45k - £55k depending on experience", "", 55_000.0, "GBP"),
            ("between 85.000 and 100.000 EUR", "", 100_000.0, "EUR"),
        ];
        for (text, location, amount, currency) in cases {
            assert_eq!(
                pay(text, location),
                Some((amount, currency.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn hourly_daily_and_monthly_pay_become_yearly() {
        assert_eq!(
            pay("$70/hour.", "Toronto"),
            Some((70.0 * 2080.0, "CAD".into()))
        );
        assert_eq!(
            pay("Salary: SEK 65,000 – 75,000 per month.", ""),
            Some((900_000.0, "SEK".into()))
        );
        assert_eq!(
            pay("Salaris € 4.500 – € 6.000 bruto per maand.", ""),
            Some((72_000.0, "EUR".into()))
        );
        assert_eq!(
            pay("Daily rate €600–€700 (outside IR35)", ""),
            Some((700.0 * 220.0, "EUR".into()))
        );
        assert_eq!(
            pay("25 000 – 32 000 PLN netto/month (B2B)", ""),
            Some((384_000.0, "PLN".into()))
        );
    }

    #[test]
    fn ignores_numbers_that_are_not_pay() {
        assert_eq!(
            pay("We process 40M events for 5,000 shops since 2019.", ""),
            None
        );
        assert_eq!(pay("Learning budget €2,000 and 30 days off.", ""), None);
        assert_eq!(
            pay("€90,000 – €110,000 + shares; learning budget €2,000", ""),
            Some((110_000.0, "EUR".into()))
        );
        assert_eq!(pay("", ""), None);
        assert_eq!(pay("€", ""), None);
        assert_eq!(pay("€ 9999999999999999999999999", ""), None);
    }

    #[test]
    fn converts_with_the_table_and_its_overrides() {
        let table = RateTable::default();
        assert_eq!(table.convert(100.0, "EUR", "EUR"), Some(100.0));
        let gbp = table.convert(100.0, "gbp", "EUR").unwrap();
        assert!((gbp - 117.0).abs() < 1e-9);
        assert_eq!(table.convert(1.0, "XXX", "EUR"), None);
        let custom = RateTable::with_overrides("USD=1, gbp = 2").unwrap();
        assert_eq!(custom.convert(10.0, "GBP", "USD"), Some(20.0));
        assert!(RateTable::with_overrides("USD").is_err());
        assert!(RateTable::with_overrides("USD=-1").is_err());
        assert!(RateTable::with_overrides("DOLLAR=1").is_err());
        assert_eq!(
            RateTable::with_overrides(" ").unwrap(),
            RateTable::default()
        );
    }
}
