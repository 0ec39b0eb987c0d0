//! The SSRF guard: sources may only reach public internet addresses.
//!
//! The check runs on the address actually connected to, not on the URL string: a
//! hostname is resolved by [`GuardedResolver`] (installed as the HTTP client's resolver,
//! so it runs for the first request, every redirect hop and every pooled reconnect), and
//! an IP-literal host, which resolvers never see, is checked by [`check_url`] before each
//! request and in the redirect policy. Deciding on the resolved address is what defeats
//! names that point at internal addresses and DNS rebinding.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// What the guard lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Public addresses only (production).
    PublicOnly,
    /// Also loopback and private ranges (`JOBMON_ALLOW_PRIVATE_SOURCES=1`, for the local
    /// stack and its tests). Cloud metadata endpoints stay refused.
    AllowPrivate,
}

/// How an address is treated by the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    /// Loopback, private, CGNAT, link-local, unique-local, multicast, reserved...
    NonPublic,
    /// Instance / task metadata and credential endpoints: refused under every policy.
    Metadata,
}

/// EC2 IMDS (IPv4 and IPv6), the ECS task credential endpoint and the EKS Pod Identity
/// agent: each hands out cloud credentials to whoever asks from inside.
const METADATA_V4: &[Ipv4Addr] = &[
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(169, 254, 170, 23),
];
const METADATA_V6: &[Ipv6Addr] = &[
    Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254),
    Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0023),
];

/// Classifies an address, looking through the IPv6 forms that embed an IPv4 address
/// (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`)
/// so that `::ffff:127.0.0.1` is as refused as `127.0.0.1`.
pub fn classify_ip(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    if METADATA_V4.contains(&ip) {
        return AddressClass::Metadata;
    }
    let [a, b, c, _] = ip.octets();
    let non_public = a == 0                       // "this network", 0.0.0.0
        || a == 10                                // private
        || a == 127                               // loopback
        || (a == 100 && (64..=127).contains(&b))  // CGNAT 100.64/10
        || (a == 169 && b == 254)                 // link-local
        || (a == 172 && (16..=31).contains(&b))   // private
        || (a == 192 && b == 168)                 // private
        || (a == 192 && b == 0 && c == 0)         // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)         // documentation
        || (a == 198 && (18..=19).contains(&b))   // benchmarking
        || (a == 198 && b == 51 && c == 100)      // documentation
        || (a == 203 && b == 0 && c == 113)       // documentation
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    if non_public {
        AddressClass::NonPublic
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if METADATA_V6.contains(&ip) {
        return AddressClass::Metadata;
    }
    if ip.is_unspecified() || ip.is_loopback() {
        return AddressClass::NonPublic;
    }
    let seg = ip.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible form).
    if seg[..5] == [0, 0, 0, 0, 0] && (seg[5] == 0xffff || seg[5] == 0) {
        return classify_v4(embedded_v4(seg[6], seg[7]));
    }
    // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded_v4(seg[6], seg[7]));
    }
    // 6to4 2002:a.b.c.d::/48 is routed to the embedded IPv4 address.
    if seg[0] == 0x2002 {
        let class = classify_v4(embedded_v4(seg[1], seg[2]));
        if class != AddressClass::Public {
            return class;
        }
    }
    let non_public = (seg[0] & 0xfe00) == 0xfc00      // unique-local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80                 // link-local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0                 // site-local fec0::/10 (deprecated)
        || (seg[0] & 0xff00) == 0xff00                 // multicast ff00::/8
        || (seg[0] == 0x2001 && seg[1] == 0x0db8)      // documentation
        || (seg[0] == 0x2001 && seg[1] == 0)           // Teredo: hides an IPv4 address
        || seg[..4] == [0x0100, 0, 0, 0]; // discard-only 100::/64
    if non_public {
        AddressClass::NonPublic
    } else {
        AddressClass::Public
    }
}

/// Whether `policy` lets a connection to `ip` through.
pub(crate) fn permits(policy: AddressPolicy, ip: IpAddr) -> bool {
    match classify_ip(ip) {
        AddressClass::Public => true,
        AddressClass::NonPublic => policy == AddressPolicy::AllowPrivate,
        AddressClass::Metadata => false,
    }
}

/// A refusal by the guard. Travels inside the HTTP client's error (from the resolver or
/// the redirect policy) and is turned back into a `SourceError` by the `http` module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GuardError {
    #[error("{host} resolves to a refused address")]
    Blocked { host: String },
    #[error("only http and https URLs may be fetched")]
    Scheme { host: String },
    #[error("too many redirects")]
    TooManyRedirects,
}

/// The checks that can be made on a URL before connecting: scheme, and the address when
/// the host is an IP literal. Hostnames are left to [`GuardedResolver`].
pub(crate) fn check_url(url: &Url, policy: AddressPolicy) -> Result<(), GuardError> {
    let host_name = url.host_str().unwrap_or_default().to_owned();
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GuardError::Scheme { host: host_name });
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(GuardError::Blocked { host: host_name }),
    };
    if permits(policy, ip) {
        Ok(())
    } else {
        Err(GuardError::Blocked { host: host_name })
    }
}

/// [`check_url`] for callers that validate a URL before storing it (notification
/// channels): the reason in words when refused. Hostnames still pass here and are
/// judged by [`GuardedResolver`] when a guarded client connects.
pub fn check_destination(url: &Url, policy: AddressPolicy) -> Result<(), String> {
    check_url(url, policy).map_err(|e| e.to_string())
}

/// A client builder for posting to user-given URLs (notification channels) under the
/// guard: every hostname resolved through [`GuardedResolver`], no proxy (it would resolve
/// names out of the guard's sight) and no redirects (a receiver has no reason to send a
/// notification elsewhere, and not following them leaves nothing to re-check).
pub fn guarded_client(policy: AddressPolicy) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver { policy })
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
}

/// Whether an error (an HTTP client's, with its causes) is the guard refusing an address.
pub fn is_guard_refusal(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if matches!(
            e.downcast_ref::<GuardError>(),
            Some(GuardError::Blocked { .. })
        ) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The HTTP client's DNS resolver: the system resolver, then the guard on every address.
/// If any address of a name is refused the whole name is: a name that mixes public and
/// internal addresses is not one a job board uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.iter().any(|a| !permits(policy, a.ip())) {
                tracing::warn!(host = %host, "refused a source host resolving to a non-public address");
                return Err(Box::new(GuardError::Blocked { host }) as Box<_>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddressClass {
        classify_ip(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2002:5db8:d822::1",
        ] {
            assert_eq!(class(ip), AddressClass::Public, "{ip}");
        }
    }

    #[test]
    fn internal_ranges_are_non_public() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.1.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:192.168.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "2001:db8::1",
        ] {
            assert_eq!(class(ip), AddressClass::NonPublic, "{ip}");
        }
    }

    #[test]
    fn metadata_endpoints_in_every_form() {
        for ip in [
            "169.254.169.254",
            "169.254.170.2",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
        ] {
            assert_eq!(class(ip), AddressClass::Metadata, "{ip}");
        }
    }

    #[test]
    fn allow_private_still_refuses_metadata() {
        let private: IpAddr = "10.1.2.3".parse().unwrap();
        let imds: IpAddr = "169.254.169.254".parse().unwrap();
        let imds6: IpAddr = "fd00:ec2::254".parse().unwrap();
        assert!(!permits(AddressPolicy::PublicOnly, private));
        assert!(permits(AddressPolicy::AllowPrivate, private));
        assert!(!permits(AddressPolicy::AllowPrivate, imds));
        assert!(!permits(AddressPolicy::AllowPrivate, imds6));
    }

    #[test]
    fn ip_literal_urls_are_checked_in_every_spelling() {
        // The URL parser normalises decimal, octal and hex IPv4 spellings to the address.
        for url in [
            "http://127.0.0.1/feed",
            "http://2130706433/feed",
            "http://0x7f.1/feed",
            "http://[::ffff:7f00:1]/feed",
            "http://10.0.0.1:8080/",
            "http://[fd00:ec2::254]/latest",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(check_url(&url, AddressPolicy::PublicOnly).is_err(), "{url}");
        }
        let imds = Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(check_url(&imds, AddressPolicy::AllowPrivate).is_err());
        let public = Url::parse("https://93.184.216.34/").unwrap();
        assert!(check_url(&public, AddressPolicy::PublicOnly).is_ok());
        let ftp = Url::parse("ftp://example.com/").unwrap();
        assert!(check_url(&ftp, AddressPolicy::AllowPrivate).is_err());
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_inside() {
        let guarded = GuardedResolver {
            policy: AddressPolicy::PublicOnly,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(guarded.resolve(name).await.is_err());

        let open = GuardedResolver {
            policy: AddressPolicy::AllowPrivate,
        };
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = open.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
