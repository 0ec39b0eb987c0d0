//! Signing keys with ids, so a key can be rotated without invalidating what the old one
//! signed. A signed value (an access token, a cursor) names its key by id; verification
//! looks the id up among the keys it holds: the current one and, during a rotation, the
//! previous one. Nothing else is ever accepted.

use sha2::{Digest, Sha256};

/// Length of a key id: 8 hex digits (32 bits) tell two keys apart; they are not a secret
/// and not a security boundary (the MAC is).
const KID_LEN: usize = 8;

#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    id: String,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.id)
    }
}

impl SigningKey {
    /// The id is the first 8 hex digits of SHA-256 of the key itself: stable across
    /// deploys, the same in every function holding the key, and revealing nothing usable
    /// about it (the key is a 256-bit derived value, so a hash prefix cannot be inverted).
    pub fn new(bytes: &[u8]) -> Self {
        let digest = hex::encode(Sha256::digest(bytes));
        Self {
            id: digest[..KID_LEN].to_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The keys of one purpose: sign with `current`; verify with whichever key the value names.
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: SigningKey,
    previous: Option<SigningKey>,
}

impl KeyRing {
    /// One key, no rotation under way.
    pub fn single(key: &[u8]) -> Self {
        Self::rotating(key, None)
    }

    /// `current` signs; `previous`, while a rotation is under way, still verifies.
    pub fn rotating(current: &[u8], previous: Option<&[u8]>) -> Self {
        let current = SigningKey::new(current);
        // The same secret configured twice is no rotation; one key keeps lookups simple.
        let previous = previous
            .map(SigningKey::new)
            .filter(|key| key.id != current.id);
        Self { current, previous }
    }

    pub fn current(&self) -> &SigningKey {
        &self.current
    }

    pub fn previous(&self) -> Option<&SigningKey> {
        self.previous.as_ref()
    }

    /// The key a signed value names. A value without an id was signed before key ids
    /// existed, necessarily with the key that is current now unless a rotation has happened
    /// since; it verifies against the current key only. An unknown id finds nothing.
    pub fn find(&self, kid: Option<&str>) -> Option<&SigningKey> {
        match kid {
            None => Some(&self.current),
            Some(kid) => std::iter::once(&self.current)
                .chain(self.previous.as_ref())
                .find(|key| key.id == kid),
        }
    }

    /// The shortest key held, for the callers' minimum-length checks.
    pub fn shortest(&self) -> usize {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .map(|key| key.bytes.len())
            .min()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_stable_hashes_of_the_key_never_the_key() {
        let key = SigningKey::new(&[1u8; 32]);
        assert_eq!(key.id().len(), KID_LEN);
        assert!(key.id().chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(key.id(), SigningKey::new(&[1u8; 32]).id());
        assert_ne!(key.id(), SigningKey::new(&[2u8; 32]).id());
        assert!(!format!("{key:?}").contains(&hex::encode([1u8; 4])));
    }

    #[test]
    fn lookups_find_the_named_key_and_nothing_else() {
        let ring = KeyRing::rotating(&[1u8; 32], Some(&[2u8; 32]));
        let current = ring.current().id().to_owned();
        let previous = ring.previous().expect("a previous key").id().to_owned();
        assert_eq!(ring.find(Some(&current)).unwrap().bytes(), &[1u8; 32]);
        assert_eq!(ring.find(Some(&previous)).unwrap().bytes(), &[2u8; 32]);
        assert_eq!(ring.find(None).unwrap().bytes(), &[1u8; 32]);
        assert_eq!(ring.find(Some("00000000")), None);
        assert_eq!(KeyRing::single(&[1u8; 32]).find(Some(&previous)), None);
    }

    #[test]
    fn the_same_key_twice_is_one_key() {
        let ring = KeyRing::rotating(&[1u8; 32], Some(&[1u8; 32]));
        assert!(ring.previous().is_none());
        assert_eq!(
            KeyRing::rotating(&[1u8; 40], Some(&[2u8; 33])).shortest(),
            33
        );
    }
}
