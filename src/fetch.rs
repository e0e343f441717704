//! Fetching: one polite HTTP client for feeds and article pages.
//!
//! Every request names linkpost in its User-Agent, has a connect and a total
//! timeout, follows at most [`MAX_REDIRECTS`] redirects, accepts gzip and
//! brotli, and reads at most the configured number of bytes, counted after
//! decompression so a compression bomb stops at the cap. Feeds are fetched
//! with conditional GET. `file:` URLs are read from disk under the same cap.
//! This module returns bytes; it never parses them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use url::Url;

use crate::config::{Config, HttpLimits};

/// Redirects followed before a request fails.
pub const MAX_REDIRECTS: usize = 5;

/// An HTTP conditional-GET validator pair, as the server last sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}

/// A successful response body.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body, decompressed, at most the size cap.
    pub bytes: Vec<u8>,
    /// The URL after redirects.
    pub final_url: Url,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Validators for the next conditional request.
    pub validators: Validators,
    /// `Cache-Control: max-age`, if the server sent one.
    pub max_age: Option<Duration>,
    /// The address of the server that answered (none for `file:`).
    pub remote_addr: Option<IpAddr>,
}

/// What a fetch produced.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// 304: nothing changed since the validators were issued.
    NotModified,
    /// 2xx with a body.
    Fetched(Box<Fetched>),
}

/// A fetch that failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed before a status arrived: DNS, connect, TLS, timeout,
    /// too many redirects, or the body broke off.
    #[error("request to {url} failed: {}", error_chain(.source))]
    Request {
        /// The URL.
        url: Url,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with a status that is not a success.
    #[error("{url} answered HTTP {status}{}", retry_hint(.retry_after))]
    Status {
        /// The URL.
        url: Url,
        /// The status code.
        status: u16,
        /// `Retry-After`, on 429 and 503.
        retry_after: Option<Duration>,
    },
    /// The body is larger than the configured cap.
    #[error(
        "{url} sent more than {limit} bytes; raise max_body_size if the feed is really that large"
    )]
    TooLarge {
        /// The URL.
        url: Url,
        /// The cap.
        limit: u64,
    },
    /// The URL's host is, or resolves only to, a loopback, private or
    /// link-local address, and the request was not allowed to go there.
    #[error(
        "refused to fetch {url}: {host} is a private, loopback or link-local address; set allow_private_addresses = true to allow it"
    )]
    PrivateAddress {
        /// The URL.
        url: Url,
        /// The host or address refused.
        host: String,
    },
    /// A `file:` URL could not be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    /// The HTTP status, when the server sent one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the server asked us to wait, when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn error_chain(err: &reqwest::Error) -> String {
    let mut msg = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        msg.push_str(": ");
        msg.push_str(&cause.to_string());
        source = cause.source();
    }
    msg
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(" (retry after {}s)", d.as_secs()))
}

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

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// One client per connect timeout and reach (both are set per client).
    clients: HashMap<(Duration, Reach), reqwest::Client>,
    /// The client with the top-level connect timeout.
    default_client: reqwest::Client,
    user_agent: String,
}

impl Fetcher {
    /// Builds the clients that the config's feeds need.
    pub fn new(config: &Config) -> Result<Fetcher, reqwest::Error> {
        let timeout = config.http.connect_timeout;
        let default_client = build_client(&config.user_agent, timeout, Reach::Any)?;
        let mut fetcher = Fetcher {
            clients: HashMap::from([((timeout, Reach::Any), default_client.clone())]),
            default_client,
            user_agent: config.user_agent.clone(),
        };
        for timeout in
            std::iter::once(timeout).chain(config.feeds.iter().map(|f| f.http.connect_timeout))
        {
            for reach in [Reach::Any, Reach::PublicOnly] {
                if !fetcher.clients.contains_key(&(timeout, reach)) {
                    let client = build_client(&fetcher.user_agent, timeout, reach)?;
                    fetcher.clients.insert((timeout, reach), client);
                }
            }
        }
        Ok(fetcher)
    }

    fn client(&self, limits: &HttpLimits, reach: Reach) -> &reqwest::Client {
        self.clients
            .get(&(limits.connect_timeout, reach))
            .unwrap_or(&self.default_client)
    }

    /// Fetches `url`, conditionally when `validators` are given.
    pub async fn fetch(
        &self,
        url: &Url,
        limits: &HttpLimits,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_within(url, limits, validators, Reach::Any).await
    }

    /// Fetches `url` going only where `reach` allows.
    pub async fn fetch_within(
        &self,
        url: &Url,
        limits: &HttpLimits,
        validators: Option<&Validators>,
        reach: Reach,
    ) -> Result<FetchOutcome, FetchError> {
        if url.scheme() == "file" {
            if reach == Reach::PublicOnly {
                return Err(FetchError::PrivateAddress {
                    url: url.clone(),
                    host: "a local file".to_string(),
                });
            }
            return read_file(url, limits.max_body_size).await;
        }
        if reach == Reach::PublicOnly
            && let Some(host) = private_literal_host(url)
        {
            return Err(FetchError::PrivateAddress {
                url: url.clone(),
                host,
            });
        }
        let mut request = self
            .client(limits, reach)
            .get(url.clone())
            .timeout(limits.timeout);
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let request_err = |source: reqwest::Error| match refused_host(&source) {
            Some(host) => FetchError::PrivateAddress {
                url: url.clone(),
                host,
            },
            None => FetchError::Request {
                url: url.clone(),
                source,
            },
        };
        let mut response = request.send().await.map_err(request_err)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
                retry_after: parse_retry_after(response.headers(), chrono::Utc::now()),
            });
        }
        let limit = limits.max_body_size;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge {
                url: url.clone(),
                limit,
            });
        }
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let remote_addr = response.remote_addr().map(|a| a.ip());
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request_err)? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched(Box::new(Fetched {
            bytes,
            final_url,
            content_type: header_str(&headers, header::CONTENT_TYPE),
            validators: Validators {
                etag: header_str(&headers, header::ETAG),
                last_modified: header_str(&headers, header::LAST_MODIFIED),
            },
            max_age: parse_max_age(&headers),
            remote_addr,
        })))
    }
}

fn build_client(
    user_agent: &str,
    connect_timeout: Duration,
    reach: Reach,
) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(connect_timeout);
    match reach {
        Reach::Any => builder.redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS)),
        Reach::PublicOnly => builder.dns_resolver(Arc::new(PublicOnlyResolver)).redirect(
            reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if let Some(host) = private_literal_host(attempt.url()) {
                    attempt.error(RefusedHost(host))
                } else {
                    attempt.follow()
                }
            }),
        ),
    }
    .build()
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
fn private_literal_host(url: &Url) -> Option<String> {
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
struct RefusedHost(String);

impl std::fmt::Display for RefusedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is a private address", self.0)
    }
}

impl std::error::Error for RefusedHost {}

/// The host a [`RefusedHost`] somewhere in `err`'s chain names.
fn refused_host(err: &(dyn std::error::Error + 'static)) -> Option<String> {
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
struct PublicOnlyResolver;

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

async fn read_file(url: &Url, limit: u64) -> Result<FetchOutcome, FetchError> {
    use tokio::io::AsyncReadExt;
    let path = url
        .to_file_path()
        .unwrap_or_else(|()| PathBuf::from(url.path()));
    let file_err = |source| FetchError::File {
        path: path.clone(),
        source,
    };
    let file = tokio::fs::File::open(&path).await.map_err(file_err)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(file_err)?;
    if bytes.len() as u64 > limit {
        return Err(FetchError::TooLarge {
            url: url.clone(),
            limit,
        });
    }
    Ok(FetchOutcome::Fetched(Box::new(Fetched {
        bytes,
        final_url: url.clone(),
        content_type: None,
        validators: Validators::default(),
        max_age: None,
        remote_addr: None,
    })))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Parses `Retry-After`: delay seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = header_str(headers, header::RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(&value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// Parses `Cache-Control: max-age=N`.
fn parse_max_age(headers: &HeaderMap) -> Option<Duration> {
    let value = header_str(headers, header::CACHE_CONTROL)?;
    value.split(',').find_map(|directive| {
        let (name, secs) = directive.trim().split_once('=')?;
        (name.trim().eq_ignore_ascii_case("max-age"))
            .then(|| secs.trim().trim_matches('"').parse().ok())
            .flatten()
            .map(Duration::from_secs)
    })
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
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .expect("valid date")
            .with_timezone(&chrono::Utc);
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(120))
        );
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:30:00 GMT"),
        );
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(120))
        );
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    #[test]
    fn max_age_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=600"),
        );
        assert_eq!(parse_max_age(&headers), Some(Duration::from_secs(600)));
    }
}
