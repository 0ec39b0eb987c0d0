//! Identifiers shaped like AWS's. ULIDs supply the randomness (80 random bits each), which
//! is plenty for ids that only need to be unique within one local run.

use base64::Engine;

fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        // The last 10 bytes of a ULID are random; the first 6 are a timestamp.
        out.extend_from_slice(&ulid::Ulid::new().to_bytes()[6..]);
    }
    out.truncate(n);
    out
}

/// `n` lowercase hex digits.
pub fn hex(n: usize) -> String {
    random_bytes(n.div_ceil(2))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..n]
        .to_owned()
}

/// A UUID-shaped request id, as Lambda and API Gateway use.
pub fn request_id() -> String {
    let h = hex(32);
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An X-Ray trace header value.
pub fn trace_id() -> String {
    let secs = chrono::Utc::now().timestamp();
    format!("Root=1-{secs:08x}-{};Parent={};Sampled=0", hex(24), hex(16))
}

/// A WebSocket connection id like API Gateway's (`L0SM9cOFvHcCIhw=`).
pub fn connection_id() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes(11))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let r = super::request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(r.matches('-').count(), 4);
        assert_ne!(super::request_id(), r);
        let c = super::connection_id();
        assert_eq!(c.len(), 16);
        assert!(c.ends_with('='));
        assert!(super::trace_id().starts_with("Root=1-"));
    }
}
