//! Where and how the work happens: the work mode ("Remote (EU time zones)", "Hybrid – 3
//! days in Berlin", "in the office four days a week") and, for remote jobs, the region
//! they are open to ("Anywhere in the US", "remote within Canada").

use crate::words::Text;

pub(crate) use shared::domain::WorkMode as Mode;

const HYBRID: &[&str] = &[
    "hybrid",
    "hybride",
    "híbrida",
    "hibrida",
    "days a week in",
    "days per week in",
    "days per week at",
    "days a week at",
    "days in office",
    "days in the office",
    "days on site",
    "days on-site",
    "day home office",
    "tage homeoffice",
    "homeoffice pro woche",
    "télétravail",
    "% in office",
    "in office",
    "in-person",
];

/// The posting's mode. The connectors' `remote` flag and a title or location saying
/// "remote" make it remote; otherwise the text decides between hybrid and on-site. The
/// fetcher stores it on the job's card, so the list shows what the scorer reads.
pub fn mode_of(remote_flag: bool, title: &str, location: &str, description: &str) -> Mode {
    let head = Text::new(&format!("{title} | {location}"));
    if remote_flag || head.contains("remote") {
        return Mode::Remote;
    }
    let text = Text::new(&format!("{location} | {description}"));
    if text.contains_any(HYBRID) && !text.contains_any(&["office based", "office-based"]) {
        Mode::Hybrid
    } else {
        Mode::Onsite
    }
}

/// Regions and the places that lie in them. A place may lie in several (Berlin: Germany,
/// the EU, Europe, EMEA).
const PLACES: &[(&str, &[&str])] = &[
    ("berlin", &["de", "eu", "europe", "emea"]),
    ("munich", &["de", "eu", "europe", "emea"]),
    ("münchen", &["de", "eu", "europe", "emea"]),
    ("germany", &["de", "eu", "europe", "emea"]),
    ("deutschland", &["de", "eu", "europe", "emea"]),
    ("dach", &["de", "eu", "europe", "emea"]),
    ("spain", &["es", "eu", "europe", "emea"]),
    ("portugal", &["pt", "eu", "europe", "emea"]),
    ("poland", &["pl", "eu", "europe", "emea"]),
    ("netherlands", &["nl", "eu", "europe", "emea"]),
    ("nl", &["nl", "eu", "europe", "emea"]),
    ("france", &["fr", "eu", "europe", "emea"]),
    ("sweden", &["se", "eu", "europe", "emea"]),
    ("eu", &["eu", "europe", "emea"]),
    ("european union", &["eu", "europe", "emea"]),
    ("europe", &["europe", "emea"]),
    ("emea", &["emea"]),
    ("uk", &["uk", "europe", "emea"]),
    ("united kingdom", &["uk", "europe", "emea"]),
    ("london", &["uk", "europe", "emea"]),
    ("us", &["us", "americas"]),
    ("usa", &["us", "americas"]),
    ("united states", &["us", "americas"]),
    ("w 2", &["us", "americas"]),
    ("canada", &["ca", "americas"]),
    ("toronto", &["ca", "americas"]),
    ("ontario", &["ca", "americas"]),
    ("worldwide", &["world"]),
    ("anywhere in the world", &["world"]),
    ("any time zone", &["world"]),
];

/// The regions a text names. "US" counts only in capitals: "join us" is not a place.
fn regions(raw: &str) -> Vec<&'static str> {
    let text = Text::new(raw);
    let cased = Text::stemmed_cased(raw);
    let mut out: Vec<&'static str> = PLACES
        .iter()
        .filter(|(name, _)| match *name {
            "us" => cased.contains_prepared("US"),
            _ => text.contains(name),
        })
        .map(|(_, regions)| regions[0])
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn contains(region: &str, place: &str) -> bool {
    region == "world"
        || PLACES
            .iter()
            .any(|(_, regions)| regions[0] == place && regions.contains(&region))
}

/// How far a remote job's region suits someone living in the profile's places:
/// 1 when it covers the most specific of them, 0.5 when it covers one of the broader ones
/// only ("remote within Spain" for someone who lists "EU" and "Germany"), 0 when it covers
/// none ("Anywhere in the US"). `None` when either side names no region.
pub(crate) fn remote_region_fit(
    profile_locations: &[String],
    location: &str,
    description: &str,
) -> Option<(f64, Vec<&'static str>)> {
    let home: Vec<&str> = regions(&profile_locations.join(" | "));
    let offered = regions(location);
    let offered = if offered.is_empty() {
        regions(&remote_sentences(description))
    } else {
        offered
    };
    if home.is_empty() || offered.is_empty() {
        return None;
    }
    // The home regions that lie inside no other home region are where the tenant lives.
    let specific: Vec<&str> = home
        .iter()
        .copied()
        .filter(|h| !home.iter().any(|o| o != h && contains(h, o)))
        .collect();
    let fit = if offered
        .iter()
        .any(|r| specific.iter().any(|s| contains(r, s)))
    {
        1.0
    } else if offered.iter().any(|r| home.iter().any(|h| contains(h, r))) {
        0.5
    } else {
        0.0
    };
    Some((fit, offered))
}

/// The sentences of the description that speak of remote work.
fn remote_sentences(description: &str) -> String {
    description
        .split(['\n', '.'])
        .filter(|s| s.to_lowercase().contains("remote"))
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(locations: &[&str], location: &str, text: &str) -> Option<f64> {
        let locations: Vec<String> = locations.iter().map(|s| (*s).to_owned()).collect();
        remote_region_fit(&locations, location, text).map(|(f, _)| f)
    }

    #[test]
    fn modes_are_read_in_their_many_forms() {
        assert_eq!(
            mode_of(false, "Engineer", "Remote (EU time zones)", ""),
            Mode::Remote
        );
        assert_eq!(mode_of(true, "Engineer", "Berlin", ""), Mode::Remote);
        assert_eq!(
            mode_of(false, "Engineer", "Berlin", "Hybrid – 3 days in Berlin"),
            Mode::Hybrid
        );
        assert_eq!(
            mode_of(
                false,
                "Engineer",
                "Toronto",
                "We are in the office 4 days a week at King St."
            ),
            Mode::Hybrid
        );
        assert_eq!(
            mode_of(false, "Engineer", "Toronto", "On-site in Toronto."),
            Mode::Onsite
        );
        assert_eq!(
            mode_of(
                false,
                "Engineer",
                "Leeds",
                "Office based 4 days per week in office."
            ),
            Mode::Onsite
        );
    }

    #[test]
    fn remote_regions_against_where_the_tenant_lives() {
        let eu = ["Europe", "EU", "Germany", "Berlin"];
        assert_eq!(fit(&eu, "Remote (EU time zones)", ""), Some(1.0));
        assert_eq!(fit(&eu, "Remote (EMEA)", ""), Some(1.0));
        assert_eq!(
            fit(&eu, "Remote (Germany, Austria, Switzerland)", ""),
            Some(1.0)
        );
        assert_eq!(fit(&eu, "Remote (Spain)", ""), Some(0.5));
        assert_eq!(fit(&eu, "Anywhere in the US", ""), Some(0.0));
        assert_eq!(fit(&eu, "Remote (worldwide)", ""), Some(1.0));
        assert_eq!(
            fit(&eu, "Remote", "Remote: join us from anywhere in Europe."),
            Some(1.0)
        );
        assert_eq!(fit(&eu, "", "Fully remote, US only."), Some(0.0));
        assert_eq!(fit(&eu, "Remote", "Work with great people."), None);
        assert_eq!(fit(&[], "Remote (US)", ""), None);
    }
}
