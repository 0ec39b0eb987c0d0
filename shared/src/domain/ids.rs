//! Identifiers: ULIDs, so they sort by creation time and leak nothing but that.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind} id")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            /// A fresh id for now.
            pub fn new() -> Self {
                Self(Ulid::new())
            }

            /// Parses the canonical 26-character Crockford base32 form.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                Ulid::from_string(value).map(Self).map_err(|_| IdError {
                    kind: $kind,
                    value: value.chars().take(64).collect(),
                })
            }

            pub fn as_ulid(&self) -> Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Ulid> for $name {
            fn from(value: Ulid) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

ulid_id!(
    /// A tenant: one job seeker or one recruiting team.
    TenantId,
    "tenant"
);
ulid_id!(
    /// A user, member of exactly one tenant.
    UserId,
    "user"
);
ulid_id!(
    /// A job posting stored for a tenant.
    JobId,
    "job"
);
ulid_id!(
    /// A job source (a career board or feed) connected by a tenant.
    SourceId,
    "source"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text_and_json() {
        let id = JobId::new();
        assert_eq!(JobId::parse(&id.to_string()), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<JobId>(&json).unwrap(), id);
    }

    #[test]
    fn rejects_garbage_naming_the_kind() {
        let err = TenantId::parse("not-a-ulid").unwrap_err();
        assert_eq!(err.kind, "tenant");
        assert!(serde_json::from_str::<UserId>("\"zz\"").is_err());
        assert!(TenantId::parse("").is_err());
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let a = Ulid::from_parts(1_000, 5);
        let b = Ulid::from_parts(2_000, 1);
        assert!(JobId::from(a) < JobId::from(b));
        assert!(JobId::from(a).to_string() < JobId::from(b).to_string());
    }
}
