//! The private-address guard: article page URLs come from feeds, so by
//! default they may not lead into this machine or its local networks,
//! whether by an IP literal, a DNS answer or a redirect.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use url::Url;

/// Where a request may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Anywhere (feeds, which the operator configured).
    Any,
    /// Public addresses only: no loopback, private or link-local address,
    /// whether named directly, by DNS or by a redirect. For article pages,
    /// whose URLs come from the feed.
    PublicOnly,
}

/// Whether a request to `ip` would reach this machine or its local
/// networks: loopback, private (RFC 1918, unique local), link-local,
/// carrier-grade NAT, unspecified, broadcast or multicast addresses.
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible ::a.b.c.d
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network" 0.0.0.0/8
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64.0.0/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
}

/// The host of `url` when it names a private address directly (an IP
/// literal, or `localhost`); DNS names are checked by the resolver.
pub(super) fn private_literal_host(url: &Url) -> Option<String> {
    let private = match url.host()? {
        url::Host::Ipv4(v4) => is_private_address(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => is_private_address(IpAddr::V6(v6)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    private.then(|| url.host_str().unwrap_or_default().to_string())
}

/// Where the article pages of a feed may be fetched from: anywhere when the
/// config allows private addresses or the feed itself was served from one
/// (`feed_addr`, the address that answered the feed request), else public
/// addresses only.
pub fn article_reach(allow_private: bool, feed_addr: Option<IpAddr>) -> Reach {
    if allow_private || feed_addr.is_some_and(is_private_address) {
        Reach::Any
    } else {
        Reach::PublicOnly
    }
}

/// The error a guarded request fails with, naming the refused host.
#[derive(Debug)]
pub(super) struct RefusedHost(pub(super) String);

impl std::fmt::Display for RefusedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is a private address", self.0)
    }
}

impl std::error::Error for RefusedHost {}

/// The host a [`RefusedHost`] somewhere in `err`'s chain names.
pub(super) fn refused_host(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<RefusedHost>() {
            return Some(refused.0.clone());
        }
        current = e.source();
    }
    None
}

/// Resolves names with the system resolver and drops private addresses, so a
/// public-looking name cannot lead a request into the local network.
#[derive(Debug)]
pub(super) struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_private_address(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(RefusedHost(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for private in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = private.parse().expect("ip");
            assert!(is_private_address(ip), "{private} is private");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            let ip: IpAddr = public.parse().expect("ip");
            assert!(!is_private_address(ip), "{public} is public");
        }
    }

    #[tokio::test]
    async fn the_guarded_resolver_drops_private_addresses() {
        use reqwest::dns::Resolve;
        // `localhost` resolves from /etc/hosts: no packet leaves the machine.
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        let err = PublicOnlyResolver
            .resolve(name)
            .await
            .err()
            .expect("refused");
        assert_eq!(err.to_string(), "localhost is a private address");
    }

    #[test]
    fn a_feed_served_from_a_private_address_may_link_there() {
        let loopback = Some("127.0.0.1".parse().expect("ip"));
        let public = Some("1.1.1.1".parse().expect("ip"));
        assert_eq!(article_reach(false, loopback), Reach::Any);
        assert_eq!(article_reach(false, public), Reach::PublicOnly);
        assert_eq!(
            article_reach(false, None),
            Reach::PublicOnly,
            "a file: feed"
        );
        assert_eq!(article_reach(true, None), Reach::Any);
    }

    #[test]
    fn literal_hosts_are_checked_before_any_request() {
        for url in [
            "http://127.0.0.1:8080/a",
            "http://[::1]/a",
            "http://localhost/a",
            "http://LOCALHOST./a",
            "http://app.localhost/a",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:a00:1]/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let url = Url::parse(url).expect("url");
            assert!(private_literal_host(&url).is_some(), "{url} refused");
        }
        let public = Url::parse("https://www.cncf.io/blog/").expect("url");
        assert_eq!(private_literal_host(&public), None);
    }
}
