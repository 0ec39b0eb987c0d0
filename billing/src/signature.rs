//! `Stripe-Signature` verification, exactly as Stripe documents it for webhook endpoints:
//! the header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`; the expected signature is
//! HMAC-SHA256, keyed with the endpoint's signing secret (`whsec_…`, used as is), of
//! `"<t>.<raw body>"`. Any one `v1` that matches is enough (Stripe sends several while a
//! secret is being rolled); other schemes (`v0`) are ignored; the timestamp must be within
//! the tolerance of now, either way. Comparison is constant-time (`Mac::verify_slice`).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// Stripe's libraries default to five minutes.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// The webhook endpoint's signing secret.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn new(secret: &str) -> Self {
        Self(secret.as_bytes().to_vec())
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Checks `header` (the raw `Stripe-Signature` value) against the raw body; the
    /// signature's time on success.
    pub fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<i64, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", value)) => timestamp = Some(value),
                Some(("v1", value)) => signatures.push(value),
                _ => {}
            }
        }
        let (Some(raw_time), false) = (timestamp, signatures.is_empty()) else {
            return Err(SignatureError::Malformed);
        };
        let time: i64 = raw_time.parse().map_err(|_| SignatureError::Malformed)?;
        // Saturating: an attacker chooses `t`, and `i64::MIN` would overflow a plain
        // subtraction (a panic in a debug build, a wrong answer in release).
        if now.timestamp().saturating_sub(time).saturating_abs() > TOLERANCE_SECS {
            return Err(SignatureError::Stale);
        }
        let matched = signatures.iter().any(|candidate| {
            hex::decode(candidate)
                .is_ok_and(|bytes| self.mac(raw_time, body).verify_slice(&bytes).is_ok())
        });
        if matched {
            Ok(time)
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The header Stripe would send for `body` at `timestamp` (local tools and tests).
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        let mac = self.mac(&timestamp.to_string(), body);
        format!(
            "t={timestamp},v1={}",
            hex::encode(mac.finalize().into_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed vector, computed independently of this module with
    /// `printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test`.
    const VECTOR_SECRET: &str = "whsec_test";
    const VECTOR_BODY: &str = r#"{"id":"evt_1"}"#;
    const VECTOR_SIG: &str = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925";

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    #[test]
    fn a_known_vector_verifies() {
        let secret = WebhookSecret::new(VECTOR_SECRET);
        let header = format!("t=1700000000,v1={VECTOR_SIG}");
        assert_eq!(
            secret.verify(Some(&header), VECTOR_BODY.as_bytes(), at(1_700_000_010)),
            Ok(1_700_000_000)
        );
        assert_eq!(secret.sign(1_700_000_000, VECTOR_BODY.as_bytes()), header);
    }

    #[test]
    fn tampering_wrong_secret_and_staleness_are_refused() {
        let secret = WebhookSecret::new(VECTOR_SECRET);
        let header = format!("t=1700000000,v1={VECTOR_SIG}");
        let now = at(1_700_000_000);
        assert_eq!(
            secret.verify(Some(&header), br#"{"id":"evt_2"}"#, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            WebhookSecret::new("whsec_other").verify(Some(&header), VECTOR_BODY.as_bytes(), now),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is part of what is signed: moving it breaks the signature.
        let moved = format!("t=1700000001,v1={VECTOR_SIG}");
        assert_eq!(
            secret.verify(Some(&moved), VECTOR_BODY.as_bytes(), now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            secret.verify(Some(&header), VECTOR_BODY.as_bytes(), at(1_700_000_301)),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            secret.verify(Some(&header), VECTOR_BODY.as_bytes(), at(1_699_999_699)),
            Err(SignatureError::Stale)
        );
        assert!(
            secret
                .verify(Some(&header), VECTOR_BODY.as_bytes(), at(1_700_000_300))
                .is_ok()
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match_and_v0_is_ignored() {
        let secret = WebhookSecret::new(VECTOR_SECRET);
        let now = at(1_700_000_000);
        let several = format!(
            "t=1700000000,v1={},v1={VECTOR_SIG},v0={VECTOR_SIG}",
            "00".repeat(32)
        );
        assert!(
            secret
                .verify(Some(&several), VECTOR_BODY.as_bytes(), now)
                .is_ok()
        );
        let only_v0 = format!("t=1700000000,v0={VECTOR_SIG}");
        assert_eq!(
            secret.verify(Some(&only_v0), VECTOR_BODY.as_bytes(), now),
            Err(SignatureError::Malformed)
        );
        let not_hex = "t=1700000000,v1=zz";
        assert_eq!(
            secret.verify(Some(not_hex), VECTOR_BODY.as_bytes(), now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let secret = WebhookSecret::new(VECTOR_SECRET);
        let body = VECTOR_BODY.as_bytes();
        for t in [i64::MIN, i64::MAX, i64::MIN + 1] {
            let header = format!("t={t},v1={VECTOR_SIG}");
            assert_eq!(
                secret.verify(Some(&header), body, at(1_700_000_000)),
                Err(SignatureError::Stale),
                "{header}"
            );
        }
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        let secret = WebhookSecret::new(VECTOR_SECRET);
        let now = at(1_700_000_000);
        let body = VECTOR_BODY.as_bytes();
        assert_eq!(secret.verify(None, body, now), Err(SignatureError::Missing));
        for header in ["", "t=1700000000", &format!("v1={VECTOR_SIG}"), "t=x,v1=00"] {
            assert_eq!(
                secret.verify(Some(header), body, now),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }
}
