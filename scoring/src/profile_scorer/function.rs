//! What kind of job a title names: its function (engineering or not) and, for engineering
//! and data jobs, its discipline. A recruiter, sales or marketing job at a company in the
//! right field mentions all the right skills and is still not the job an engineer wants.

use crate::words::Text;

/// The broad function of a job, from its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    /// Engineering, data and science work.
    Building,
    Recruiting,
    Sales,
    Marketing,
    Product,
    Support,
    People,
}

/// Title words, checked in this order: "Sales Engineer" is sales, "Technical Recruiter
/// (Engineering)" is recruiting, "Engineering Manager" is building.
const FUNCTIONS: &[(Function, &[&str])] = &[
    (
        Function::Recruiting,
        &[
            "recruiter",
            "recruiting",
            "talent acquisition",
            "sourcer",
            "recruitment",
        ],
    ),
    (
        Function::Sales,
        &[
            "sales",
            "account executive",
            "account manager",
            "business development",
        ],
    ),
    (
        Function::Marketing,
        &["marketing", "growth marketer", "content writer"],
    ),
    (
        Function::Product,
        &[
            "product manager",
            "product owner",
            "project manager",
            "program manager",
        ],
    ),
    (
        Function::Support,
        &[
            "customer success",
            "support specialist",
            "it support",
            "helpdesk",
            "support engineer",
        ],
    ),
    (
        Function::People,
        &[
            "people partner",
            "hr",
            "human resources",
            "people operations",
        ],
    ),
    (
        Function::Building,
        &[
            "engineer",
            "engineering",
            "developer",
            "entwickler",
            "entwicklerin",
            "softwareentwickler",
            "développeur",
            "desarrollador",
            "ontwikkelaar",
            "programmer",
            "sre",
            "devops",
            "architect",
            "scientist",
            "analyst",
            "statistician",
            "data",
            "machine learning",
            "ml",
        ],
    ),
];

/// The function of a title's head: what comes before a comma, bracket or dash, so that
/// "Data Analyst (Marketing)" is an analyst's job and "Product Manager, Developer
/// Platform" a product manager's.
pub(crate) fn function_of(title: &str) -> Option<Function> {
    let head = title
        .split([',', '(', '|', '–', '—'])
        .next()
        .unwrap_or_default()
        .split(" - ")
        .next()
        .unwrap_or_default();
    let title = Text::new(head);
    FUNCTIONS
        .iter()
        .find(|(_, words)| title.contains_any(words))
        .map(|(function, _)| *function)
}

/// The discipline of a building job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Discipline {
    Backend,
    Frontend,
    Data,
    Mobile,
    Embedded,
}

const DISCIPLINES: &[(Discipline, &[&str])] = &[
    (
        Discipline::Mobile,
        &["ios", "android", "mobile", "react native"],
    ),
    (
        Discipline::Backend,
        &[
            "backend",
            "back end",
            "platform",
            "infrastructure",
            "sre",
            "site reliability",
            "devops",
            "cloud",
            "kubernetes",
            "go",
            "golang",
            "systems",
            "full stack",
            "fullstack",
        ],
    ),
    (
        Discipline::Frontend,
        &[
            "frontend",
            "front end",
            "ui",
            "web",
            "react",
            "javascript",
            "typescript",
            "full stack",
            "fullstack",
        ],
    ),
    (
        Discipline::Data,
        &[
            "data",
            "machine learning",
            "ml",
            "scientist",
            "analyst",
            "analytics",
            "statistician",
            "quantitative",
            "research",
        ],
    ),
    (Discipline::Embedded, &["embedded", "firmware", "robotics"]),
];

/// Every discipline a title names ("Full Stack" names two); empty for "Software Engineer".
pub(crate) fn disciplines_of(title: &str) -> Vec<Discipline> {
    let title = Text::new(title);
    let mut out: Vec<Discipline> = DISCIPLINES
        .iter()
        .filter(|(_, words)| title.contains_any(words))
        .map(|(d, _)| *d)
        .collect();
    // A mobile title names "react native", which is not the web.
    if out.contains(&Discipline::Mobile) {
        out.retain(|d| *d == Discipline::Mobile);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_comes_from_the_title_not_the_skills() {
        for (title, function) in [
            ("Technical Recruiter (Engineering)", Function::Recruiting),
            ("Sales Engineer", Function::Sales),
            ("Marketing Manager, Developer Audience", Function::Marketing),
            (
                "Senior Product Manager, Developer Platform",
                Function::Product,
            ),
            ("Customer Success Manager", Function::Support),
            ("People Partner", Function::People),
            ("Engineering Manager, Platform", Function::Building),
            (
                "Softwareentwickler Backend (Go) (m/w/d)",
                Function::Building,
            ),
            ("Data Scientist", Function::Building),
            ("Data Analyst (Marketing)", Function::Building),
        ] {
            assert_eq!(function_of(title), Some(function), "{title}");
        }
        assert_eq!(function_of("Barista"), None);
    }

    #[test]
    fn disciplines() {
        assert_eq!(
            disciplines_of("Senior Platform Engineer"),
            [Discipline::Backend]
        );
        assert_eq!(disciplines_of("UI Engineer"), [Discipline::Frontend]);
        assert_eq!(
            disciplines_of("Full Stack Developer"),
            [Discipline::Backend, Discipline::Frontend]
        );
        assert_eq!(
            disciplines_of("Senior React Native Developer"),
            [Discipline::Mobile]
        );
        assert_eq!(disciplines_of("Analytics Engineer"), [Discipline::Data]);
        assert!(disciplines_of("Software Engineer").is_empty());
    }
}
