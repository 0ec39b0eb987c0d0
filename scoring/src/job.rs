//! The posting as a scorer sees it.

use serde::{Deserialize, Serialize};
use shared::domain::CanonicalUrl;

/// What a scorer needs of a stored job: the connector's `Posting` (or the stored job body)
/// minus ids, HTML and dates. Serialised camelCase, as the webhook sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobForScoring {
    pub title: String,
    pub company: String,
    /// Empty when the source gives none.
    pub location: String,
    pub remote: bool,
    /// Plain text, as the connectors derive it from the sanitised HTML.
    pub description_text: String,
    pub salary_min: Option<f64>,
    pub salary_max: Option<f64>,
    /// ISO 4217 code, upper case, when the source gives one.
    pub salary_currency: Option<String>,
    pub url: CanonicalUrl,
}

impl JobForScoring {
    /// The stored job as a scorer sees it.
    pub fn from_job(job: &shared::domain::Job) -> Self {
        let salary = job.salary.as_ref();
        Self {
            title: job.card.title.clone(),
            company: job.card.company.clone(),
            location: job.card.location.clone(),
            remote: job.card.remote,
            description_text: job.description.clone(),
            salary_min: salary.and_then(|s| s.min),
            salary_max: salary.and_then(|s| s.max),
            salary_currency: salary.and_then(|s| s.currency.clone()),
            url: job.card.url.clone(),
        }
    }

    /// The best salary the posting offers: the top of its range, else its only bound.
    /// `None` when it names no (usable) figure.
    pub fn best_salary(&self) -> Option<f64> {
        let usable = |v: &f64| v.is_finite() && *v >= 0.0;
        self.salary_max
            .filter(usable)
            .or(self.salary_min.filter(usable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(min: Option<f64>, max: Option<f64>) -> JobForScoring {
        JobForScoring {
            title: "Engineer".into(),
            company: "Acme".into(),
            location: String::new(),
            remote: false,
            description_text: String::new(),
            salary_min: min,
            salary_max: max,
            salary_currency: None,
            url: CanonicalUrl::parse("https://example.com/jobs/1").unwrap(),
        }
    }

    #[test]
    fn best_salary_prefers_the_top_of_the_range() {
        assert_eq!(job(Some(50.0), Some(80.0)).best_salary(), Some(80.0));
        assert_eq!(job(Some(50.0), None).best_salary(), Some(50.0));
        assert_eq!(job(None, Some(70.0)).best_salary(), Some(70.0));
        assert_eq!(job(None, None).best_salary(), None);
        assert_eq!(job(Some(40.0), Some(f64::NAN)).best_salary(), Some(40.0));
        assert_eq!(job(Some(-1.0), None).best_salary(), None);
    }

    #[test]
    fn serialises_camel_case() {
        let json = serde_json::to_value(job(Some(1.0), None)).unwrap();
        assert_eq!(json["descriptionText"], "");
        assert_eq!(json["salaryMin"], 1.0);
        assert_eq!(json["url"], "https://example.com/jobs/1");
    }
}
