//! Signing keys with ids, so a key can be rotated without invalidating what the old one
//! signed. A signed value (an access token, a cursor) names its key by id; verification
//! looks the id up among the keys it holds: the current one and, during a rotation, the
//! previous one. Nothing else is ever accepted.

use sha2::{Digest, Sha256};

use super::TokenIssuer;
use crate::config::{ConfigError, Env, ParameterSource, SecretKey};
use crate::http::CursorCodec;

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

/// The operator's secret during its life: the current one (`JOBMON_SECRET_KEY`, or the
/// SSM SecureString named by `JOBMON_SECRET_KEY_PARAMETER`) and, while a rotation is under
/// way, the previous one (`JOBMON_SECRET_KEY_PREVIOUS` / `..._PREVIOUS_PARAMETER`). Each
/// purpose gets a key ring derived from both, so a token key never opens a cursor.
#[derive(Debug, Clone)]
pub struct SigningSecrets {
    current: SecretKey,
    previous: Option<SecretKey>,
}

impl SigningSecrets {
    pub const PREVIOUS_ENV: &'static str = "JOBMON_SECRET_KEY_PREVIOUS";

    pub fn new(current: SecretKey, previous: Option<SecretKey>) -> Self {
        Self { current, previous }
    }

    /// Both secrets, read once at init: a missing current secret or a short one fails the
    /// function's start, never a request.
    pub async fn load(env: &Env, parameters: &dyn ParameterSource) -> Result<Self, ConfigError> {
        let current = SecretKey::load(env, parameters).await?;
        let previous = match env.value(Self::PREVIOUS_ENV, parameters).await? {
            None => None,
            Some(raw) => {
                Some(
                    SecretKey::new(raw.as_bytes()).map_err(|_| ConfigError::Invalid {
                        name: Self::PREVIOUS_ENV.into(),
                        reason: "must be at least 32 bytes".into(),
                    })?,
                )
            }
        };
        Ok(Self { current, previous })
    }

    fn ring(&self, purpose: &str) -> KeyRing {
        let previous = self.previous.as_ref().map(|key| key.derive(purpose));
        KeyRing::rotating(
            &self.current.derive(purpose),
            previous.as_ref().map(|k| &k[..]),
        )
    }

    pub fn token_issuer(&self) -> TokenIssuer {
        TokenIssuer::with_keys(&self.ring("jwt")).expect("derived keys are 32 bytes")
    }

    pub fn cursor_codec(&self) -> CursorCodec {
        CursorCodec::with_keys(&self.ring("cursor")).expect("derived keys are 32 bytes")
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

    struct NoParameters;

    #[async_trait::async_trait]
    impl ParameterSource for NoParameters {
        async fn get(&self, name: &str) -> Result<String, ConfigError> {
            Err(ConfigError::Parameter {
                name: name.into(),
                reason: "ParameterNotFound".into(),
            })
        }
    }

    const OLD: &str = "old-secret-old-secret-old-secret-old";
    const NEW: &str = "new-secret-new-secret-new-secret-new";

    #[tokio::test]
    async fn secrets_load_the_previous_key_only_when_configured_and_check_both() {
        let rotating = Env::from_pairs([
            ("JOBMON_SECRET_KEY", NEW),
            (SigningSecrets::PREVIOUS_ENV, OLD),
        ]);
        let secrets = SigningSecrets::load(&rotating, &NoParameters)
            .await
            .unwrap();
        assert!(secrets.ring("jwt").previous().is_some());
        // SAM passes an empty parameter as "": no rotation under way.
        let settled = Env::from_pairs([
            ("JOBMON_SECRET_KEY", NEW),
            (SigningSecrets::PREVIOUS_ENV, ""),
        ]);
        let secrets = SigningSecrets::load(&settled, &NoParameters).await.unwrap();
        assert!(secrets.ring("jwt").previous().is_none());

        let short = Env::from_pairs([
            ("JOBMON_SECRET_KEY", NEW),
            (SigningSecrets::PREVIOUS_ENV, "short"),
        ]);
        assert!(matches!(
            SigningSecrets::load(&short, &NoParameters).await,
            Err(ConfigError::Invalid { name, .. }) if name == SigningSecrets::PREVIOUS_ENV
        ));
        assert!(matches!(
            SigningSecrets::load(&Env::default(), &NoParameters).await,
            Err(ConfigError::Missing(name)) if name == "JOBMON_SECRET_KEY"
        ));
    }

    #[test]
    fn each_purpose_has_its_own_keys_and_a_rotation_spans_them_all() {
        let secrets = SigningSecrets::new(
            SecretKey::new(NEW.as_bytes()).unwrap(),
            Some(SecretKey::new(OLD.as_bytes()).unwrap()),
        );
        let (jwt, cursor) = (secrets.ring("jwt"), secrets.ring("cursor"));
        assert_ne!(jwt.current().id(), cursor.current().id());
        let old = SecretKey::new(OLD.as_bytes()).unwrap();
        assert_eq!(jwt.previous().unwrap().bytes(), &old.derive("jwt"));
        assert_eq!(cursor.previous().unwrap().bytes(), &old.derive("cursor"));
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
