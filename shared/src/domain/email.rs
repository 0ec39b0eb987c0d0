//! E-mail addresses, parsed once at the edge.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail address is empty")]
    Empty,
    #[error("e-mail address is longer than 254 characters")]
    TooLong,
    #[error("e-mail address must look like name@example.com")]
    Malformed,
}

/// A syntactically valid e-mail address. Equality and hashing ignore letter case:
/// `Ann@Example.com` and `ann@example.com` are one account (a deliberate simplification;
/// hardly any provider treats the local part case-sensitively, and users expect it not to).
#[derive(Debug, Clone)]
pub struct Email {
    /// As the user typed it (trimmed), for display and for sending.
    address: String,
    /// Lower-case form: the identity used for uniqueness and look-ups.
    normalized: String,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let address = raw.trim();
        if address.is_empty() {
            return Err(EmailError::Empty);
        }
        if address.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = address.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self {
            address: address.to_owned(),
            normalized: address.to_ascii_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The case-folded identity, used as the uniqueness key.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.normalized == other.normalized
    }
}

impl Eq for Email {}

impl Hash for Email {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized.hash(state);
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.address)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn accepts_ordinary_addresses_and_trims() {
        let e = Email::parse("  Ann.Lee+jobs@Example.co.uk ").unwrap();
        assert_eq!(e.as_str(), "Ann.Lee+jobs@Example.co.uk");
        assert_eq!(e.normalized(), "ann.lee+jobs@example.co.uk");
    }

    #[test]
    fn equality_and_hash_ignore_case() {
        let a = Email::parse("ANN@example.com").unwrap();
        let b = Email::parse("ann@EXAMPLE.com").unwrap();
        assert_eq!(a, b);
        let set: HashSet<Email> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_ne!(
            Email::parse("ann@example.com").unwrap(),
            Email::parse("anne@example.com").unwrap()
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "ann@",
            "ann@localhost",
            "ann@@example.com",
            "an n@example.com",
            ".ann@example.com",
            "ann..lee@example.com",
            "ann@-example.com",
            "ann@example..com",
            "ann@exa_mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<Email>("\"x@y.io\"").is_ok());
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }
}
