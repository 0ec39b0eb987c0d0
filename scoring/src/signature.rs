//! `X-Jobmon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
//!
//! The same scheme signs what jobmon sends to a webhook scorer and verifies what comes
//! back to `POST /v1/webhooks/scoring`. Several `v1=` entries may be present (a sender
//! rotating secrets signs with both); one match is enough. Signing the timestamp with the
//! body bounds how long a captured request stays usable; within that window, replays are
//! stopped by storing [`VerifiedSignature::replay_key`] (see there).

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Jobmon-Signature";

/// How far a signature's timestamp may be from the receiver's clock, either way.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// A header longer than this is not ours; refusing it early bounds the parsing work.
const MAX_HEADER_LEN: usize = 2048;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused. Every variant means "401": the reason is for logs only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature header")]
    Missing,
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    #[error("no signature matches")]
    Mismatch,
    #[error("signature timestamp is {age_secs} s old")]
    Stale { age_secs: i64 },
    #[error("signature timestamp is {ahead_secs} s in the future")]
    Future { ahead_secs: i64 },
}

/// A signature that matched, within the tolerance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub timestamp: i64,
    /// The expected signature, as computed here (lower-case hex): deterministic for a given
    /// timestamp and body, whatever spelling or extra entries the sender's header had.
    signature: String,
}

impl VerifiedSignature {
    /// The key under which to record this request with a conditional write ("put if
    /// absent") before acting on it. A second request with the same key is a replay.
    ///
    /// A captured request can only be replayed with its own timestamp and body (anything
    /// else fails the signature), so the key is the same for every replay of it; and it
    /// only needs keeping until [`Self::replay_expires_at`], when the timestamp check
    /// refuses the request anyway.
    pub fn replay_key(&self) -> String {
        format!("{}.{}", self.timestamp, self.signature)
    }

    /// Unix seconds after which the request is refused as stale: a TTL for the replay
    /// record.
    pub fn replay_expires_at(&self, tolerance: Duration) -> i64 {
        self.timestamp
            .saturating_add(i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX))
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC is defined for keys of any length; new_from_slice cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC-SHA256 accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` signed at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Checks `header` (the raw value of [`SIGNATURE_HEADER`], `None` when absent) against
/// `body`, at time `now` (unix seconds).
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<VerifiedSignature, SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let header = header.ok_or(SignatureError::Missing)?;
    if header.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed("too long"));
    }
    let (timestamp, candidates) = parse(header)?;

    let expected = mac(secret, timestamp, body);
    // verify_slice compares in constant time; every candidate is tried so the time taken
    // does not tell which one (or how much of one) matched.
    let mut matched = false;
    for candidate in &candidates {
        matched |= expected.clone().verify_slice(candidate).is_ok();
    }
    if !matched {
        return Err(SignatureError::Mismatch);
    }

    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let age = now.saturating_sub(timestamp);
    if age > tolerance {
        return Err(SignatureError::Stale { age_secs: age });
    }
    if -age > tolerance {
        return Err(SignatureError::Future { ahead_secs: -age });
    }
    Ok(VerifiedSignature {
        timestamp,
        signature: hex::encode(expected.finalize().into_bytes()),
    })
}

/// `t=<digits>` exactly once and at least one `v1=<hex>`; other schemes (`v0=`) are
/// ignored, as the scheme's versioning intends.
fn parse(header: &str) -> Result<(i64, Vec<Vec<u8>>), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("entry without '='"))?;
        match key.trim() {
            "t" => {
                let value = value.trim();
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one timestamp"));
                }
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SignatureError::Malformed("timestamp is not a number"));
                }
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed("timestamp out of range"))?,
                );
            }
            "v1" => {
                // A v1 that is not 32 bytes of hex cannot match; skipping it (rather than
                // refusing the header) keeps a later, valid entry usable.
                if let Ok(bytes) = hex::decode(value.trim())
                    && bytes.len() == 32
                {
                    candidates.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no timestamp"))?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed("no v1 signature"));
    }
    Ok((timestamp, candidates))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_0123456789abcdef";
    const BODY: &[u8] = br#"{"jobId":"x","score":7}"#;
    const T: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn check(
        header: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedSignature, SignatureError> {
        verify(SECRET, header, body, now, TOLERANCE)
    }

    #[test]
    fn signs_per_the_documented_scheme() {
        // Computed independently: printf '%s' '1767225600.{"jobId":"x","score":7}' |
        //   openssl dgst -sha256 -hmac 'whsec_test_0123456789abcdef'  (and Python's hmac module)
        assert_eq!(
            sign(SECRET, T, BODY),
            "t=1767225600,v1=24f499b1d23ab0f566d11b8b1db01c2120a90b4846dfff9050317bf6c0b4d1e9"
        );
    }

    #[test]
    fn accepts_a_good_signature_within_tolerance() {
        let header = sign(SECRET, T, BODY);
        for now in [T, T + 299, T + 300, T - 300] {
            let ok = check(Some(&header), BODY, now).unwrap();
            assert_eq!(ok.timestamp, T);
        }
    }

    #[test]
    fn refuses_a_tampered_body() {
        let header = sign(SECRET, T, BODY);
        let tampered = br#"{"jobId":"x","score":9}"#;
        assert_eq!(
            check(Some(&header), tampered, T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn refuses_the_wrong_secret() {
        let header = sign(b"another secret entirely", T, BODY);
        assert_eq!(check(Some(&header), BODY, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn refuses_a_stale_or_future_timestamp() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(
            check(Some(&header), BODY, T + 301),
            Err(SignatureError::Stale { age_secs: 301 })
        );
        assert_eq!(
            check(Some(&header), BODY, T - 301),
            Err(SignatureError::Future { ahead_secs: 301 })
        );
    }

    #[test]
    fn a_re_signed_timestamp_does_not_verify_with_the_old_signature() {
        let header = sign(SECRET, T, BODY);
        let moved = header.replace(&format!("t={T}"), &format!("t={}", T + 1000));
        assert_eq!(
            check(Some(&moved), BODY, T + 1000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn accepts_any_matching_entry_among_several() {
        let good = sign(SECRET, T, BODY);
        let good_v1 = good.split_once(",v1=").unwrap().1;
        let other = sign(b"old secret", T, BODY);
        let other_v1 = other.split_once(",v1=").unwrap().1;
        let header = format!("t={T},v1={other_v1},v0=legacy,v1=nothex, v1={good_v1}");
        assert!(check(Some(&header), BODY, T).is_ok());
        let upper = format!("t={T},v1={}", good_v1.to_uppercase());
        assert!(check(Some(&upper), BODY, T).is_ok());
        let only_other = format!("t={T},v1={other_v1}");
        assert_eq!(
            check(Some(&only_other), BODY, T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn refuses_a_missing_header() {
        assert_eq!(check(None, BODY, T), Err(SignatureError::Missing));
        assert_eq!(check(Some("  "), BODY, T), Err(SignatureError::Missing));
    }

    #[test]
    fn refuses_malformed_headers() {
        let v1 = "a".repeat(64);
        for header in [
            "garbage".to_owned(),
            format!("v1={v1}"),
            format!("t=,v1={v1}"),
            format!("t=-5,v1={v1}"),
            format!("t=12x,v1={v1}"),
            format!("t=99999999999999999999,v1={v1}"),
            format!("t={T},t={T},v1={v1}"),
            format!("t={T}"),
            format!("t={T},v1=abc"),
            format!("t={T},v1={v1},{}", "x".repeat(MAX_HEADER_LEN)),
        ] {
            assert!(
                matches!(
                    check(Some(&header), BODY, T),
                    Err(SignatureError::Malformed(_))
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn the_replay_key_is_the_same_for_every_spelling_of_one_request() {
        let header = sign(SECRET, T, BODY);
        let v1 = header.split_once(",v1=").unwrap().1;
        let a = check(Some(&header), BODY, T).unwrap();
        let b = check(
            Some(&format!("t={T},v1={},v1={v1}", v1.to_uppercase())),
            BODY,
            T + 5,
        )
        .unwrap();
        assert_eq!(a.replay_key(), b.replay_key());
        assert_eq!(a.replay_key(), format!("{T}.{v1}"));
        let other_body = sign(SECRET, T, b"{}");
        let c = check(Some(&other_body), b"{}", T).unwrap();
        assert_ne!(a.replay_key(), c.replay_key());
        assert_eq!(a.replay_expires_at(TOLERANCE), T + 300);
    }
}
