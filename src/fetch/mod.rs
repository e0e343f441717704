//! Fetching: one polite HTTP client for feeds and article pages.
//!
//! Every request names linkpost in its User-Agent, has a connect and a total
//! timeout, follows at most [`MAX_REDIRECTS`] redirects (by hand, so each hop
//! passes the private-address guard and a feed's hops can be reported as
//! [`Redirect`]s, for moved feeds), accepts gzip and
//! brotli, and reads at most the configured number of bytes, counted after
//! decompression so a compression bomb stops at the cap. Feeds are fetched
//! with conditional GET. `file:` URLs are read from disk under the same cap.
//! This module returns bytes; it never parses them.
//!
//! [`guard`] keeps article pages out of private networks, [`headers`] reads
//! what a response's status and headers mean, [`limiter`] caps requests per
//! host. The [`Fetch`] trait is what the poll calls: the [`Fetcher`] in
//! production, a script in tests.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header;
use url::Url;

use crate::config::{Config, HttpLimits};

pub mod guard;
pub mod headers;
pub mod limiter;

pub use guard::{Reach, article_reach, is_private_address};
pub use headers::{StatusMeaning, check_status, parse_retry_after};
pub use limiter::HostLimiter;

use guard::{PublicOnlyResolver, private_literal_host, refused_host};

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

/// One redirect a request followed: its status and where it led.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The status: 301, 302, 303, 307 or 308.
    pub status: u16,
    /// The `Location` it pointed to, resolved against the URL requested.
    pub to: Url,
}

impl Redirect {
    /// Whether the redirect is permanent (301 or 308): the resource has a
    /// new URL, which the client should use from now on (RFC 9110 §15.4).
    pub fn is_permanent(&self) -> bool {
        matches!(self.status, 301 | 308)
    }
}

/// A feed request's answer, with the redirects that led to it.
#[derive(Debug, Clone)]
pub struct FeedFetch {
    /// What the last request produced.
    pub outcome: FetchOutcome,
    /// The redirects followed, in order; empty when the URL answered itself.
    pub redirects: Vec<Redirect>,
}

impl FeedFetch {
    /// Where the feed moved permanently: the target of the leading run of
    /// permanent redirects (`301 → 308 → 200` moved to the 308's target,
    /// `301 → 302 → 200` to the 301's); `None` when the first redirect is
    /// temporary or there is none.
    pub fn moved_to(&self) -> Option<&Url> {
        self.redirects
            .iter()
            .take_while(|r| r.is_permanent())
            .last()
            .map(|r| &r.to)
    }
}

/// A fetch that failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed before a status arrived: DNS, connect, TLS, timeout,
    /// too many redirects, or the body broke off.
    #[error("request to {url} failed: {}", request_cause(.cause))]
    Request {
        /// The URL.
        url: Url,
        /// The cause (without its own copy of the URL), printed in the message.
        cause: reqwest::Error,
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
    /// The server redirected more than [`MAX_REDIRECTS`] times.
    #[error(
        "{url} redirected more than {limit} times (too many redirects); is it a redirect loop?"
    )]
    TooManyRedirects {
        /// The URL first requested.
        url: Url,
        /// The cap.
        limit: usize,
    },
    /// A redirect pointed somewhere no request can go.
    #[error(
        "{url} redirected to {location}, which is not an http(s) URL; fix the feed's url in the config"
    )]
    BadRedirect {
        /// The URL first requested.
        url: Url,
        /// The `Location` header, as sent.
        location: String,
    },
    /// A `file:` URL could not be read.
    #[error("cannot read {path}: {cause}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: std::io::Error,
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

/// A reqwest error and its causes on one line, each once. In a
/// [`FetchError::Request`] the error is kept [`reqwest::Error::without_url`],
/// since the message names the URL.
pub(crate) fn request_cause(err: &reqwest::Error) -> String {
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

/// A boxed future, as [`Fetch`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a poll gets feeds and article pages: the [`Fetcher`] in production;
/// tests put a scripted server here to run the daemon on a paused clock.
pub trait Fetch: Send + Sync {
    /// Fetches `url` going only where `reach` allows, conditionally when
    /// `validators` are given.
    fn fetch<'a>(
        &'a self,
        url: &'a Url,
        limits: &'a HttpLimits,
        validators: Option<&'a Validators>,
        reach: Reach,
    ) -> BoxFuture<'a, Result<FetchOutcome, FetchError>>;

    /// Fetches the feed at `url` (anywhere: the operator configured it),
    /// conditionally when `validators` are given, and tells which redirects
    /// led to the answer. Only feed requests report redirects (a moved feed
    /// is a config matter; a moved article page is not). By default, for
    /// fetchers that follow no redirects, none.
    fn fetch_feed<'a>(
        &'a self,
        url: &'a Url,
        limits: &'a HttpLimits,
        validators: Option<&'a Validators>,
    ) -> BoxFuture<'a, Result<FeedFetch, FetchError>> {
        Box::pin(async move {
            let outcome = self.fetch(url, limits, validators, Reach::Any).await?;
            Ok(FeedFetch {
                outcome,
                redirects: Vec::new(),
            })
        })
    }
}

impl Fetch for Fetcher {
    fn fetch<'a>(
        &'a self,
        url: &'a Url,
        limits: &'a HttpLimits,
        validators: Option<&'a Validators>,
        reach: Reach,
    ) -> BoxFuture<'a, Result<FetchOutcome, FetchError>> {
        Box::pin(self.fetch_within(url, limits, validators, reach))
    }

    fn fetch_feed<'a>(
        &'a self,
        url: &'a Url,
        limits: &'a HttpLimits,
        validators: Option<&'a Validators>,
    ) -> BoxFuture<'a, Result<FeedFetch, FetchError>> {
        Box::pin(self.fetch_following(url, limits, validators, Reach::Any))
    }
}

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// One client per connect timeout and reach (both are set per client).
    clients: HashMap<(Duration, Reach), reqwest::Client>,
    /// The client with the top-level connect timeout.
    /// The clients with the top-level connect timeout, for any address and
    /// for public ones only: what a request whose timeout has no client of
    /// its own uses, keeping its reach.
    default_clients: [reqwest::Client; 2],
    user_agent: String,
}

impl Fetcher {
    /// Builds the clients that the config's feeds need.
    pub fn new(config: &Config) -> Result<Fetcher, reqwest::Error> {
        let timeout = config.http.connect_timeout;
        let tls = shared_tls();
        let tls = tls.as_ref();
        let any = build_client(&config.user_agent, timeout, Reach::Any, tls)?;
        let public_only = build_client(&config.user_agent, timeout, Reach::PublicOnly, tls)?;
        let mut fetcher = Fetcher {
            clients: HashMap::from([
                ((timeout, Reach::Any), any.clone()),
                ((timeout, Reach::PublicOnly), public_only.clone()),
            ]),
            default_clients: [any, public_only],
            user_agent: config.user_agent.clone(),
        };
        for timeout in
            std::iter::once(timeout).chain(config.feeds.iter().map(|f| f.http.connect_timeout))
        {
            for reach in [Reach::Any, Reach::PublicOnly] {
                if !fetcher.clients.contains_key(&(timeout, reach)) {
                    let client = build_client(&fetcher.user_agent, timeout, reach, tls)?;
                    fetcher.clients.insert((timeout, reach), client);
                }
            }
        }
        Ok(fetcher)
    }

    fn client(&self, limits: &HttpLimits, reach: Reach) -> &reqwest::Client {
        self.clients
            .get(&(limits.connect_timeout, reach))
            .unwrap_or(match reach {
                Reach::Any => &self.default_clients[0],
                // Never the unguarded client for a page the feed named.
                Reach::PublicOnly => &self.default_clients[1],
            })
    }

    /// Fetches `url` going only where `reach` allows, conditionally when
    /// `validators` are given; what [`Fetch::fetch`] does for a `Fetcher`.
    pub async fn fetch_within(
        &self,
        url: &Url,
        limits: &HttpLimits,
        validators: Option<&Validators>,
        reach: Reach,
    ) -> Result<FetchOutcome, FetchError> {
        Ok(self
            .fetch_following(url, limits, validators, reach)
            .await?
            .outcome)
    }

    /// Fetches `url` as [`Fetcher::fetch_within`] does, following redirects
    /// by hand and reporting them: every hop is checked by the guard when
    /// `reach` is [`Reach::PublicOnly`], at most [`MAX_REDIRECTS`] are
    /// followed, and the timeout covers them all.
    pub async fn fetch_following(
        &self,
        url: &Url,
        limits: &HttpLimits,
        validators: Option<&Validators>,
        reach: Reach,
    ) -> Result<FeedFetch, FetchError> {
        if url.scheme() == "file" {
            if reach == Reach::PublicOnly {
                return Err(FetchError::PrivateAddress {
                    url: url.clone(),
                    host: "a local file".to_string(),
                });
            }
            return Ok(FeedFetch {
                outcome: read_file(url, limits.max_body_size).await?,
                redirects: Vec::new(),
            });
        }
        let request_err = |cause: reqwest::Error| match refused_host(&cause) {
            Some(host) => FetchError::PrivateAddress {
                url: url.clone(),
                host,
            },
            None => FetchError::Request {
                url: url.clone(),
                cause: cause.without_url(),
            },
        };
        let started = tokio::time::Instant::now();
        let mut redirects = Vec::new();
        let mut current = url.clone();
        let mut response = loop {
            if reach == Reach::PublicOnly
                && let Some(host) = private_literal_host(&current)
            {
                return Err(FetchError::PrivateAddress {
                    url: url.clone(),
                    host,
                });
            }
            // One deadline for the whole chain, as reqwest's own timeout has.
            let remaining = limits.timeout.saturating_sub(started.elapsed());
            let mut request = self
                .client(limits, reach)
                .get(current.clone())
                .timeout(remaining);
            // Kept across redirects, as reqwest keeps them: the target
            // answers 304 when the feed has not changed there either.
            if let Some(v) = validators {
                if let Some(etag) = &v.etag {
                    request = request.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &v.last_modified {
                    request = request.header(header::IF_MODIFIED_SINCE, lm);
                }
            }
            let response = request.send().await.map_err(request_err)?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            // As reqwest: only these statuses redirect, and one without a
            // usable Location is an answer like any other.
            let Some(location) = location.filter(|_| matches!(status, 301 | 302 | 303 | 307 | 308))
            else {
                break response;
            };
            let Ok(to) = current.join(&location) else {
                break response;
            };
            if !matches!(to.scheme(), "http" | "https") {
                return Err(FetchError::BadRedirect {
                    url: url.clone(),
                    location,
                });
            }
            if redirects.len() >= MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects {
                    url: url.clone(),
                    limit: MAX_REDIRECTS,
                });
            }
            redirects.push(Redirect {
                status,
                to: to.clone(),
            });
            current = to;
        };
        let meaning = check_status(
            url,
            response.status().as_u16(),
            response.headers(),
            SystemTime::now(),
        )?;
        if meaning == StatusMeaning::NotModified {
            return Ok(FeedFetch {
                outcome: FetchOutcome::NotModified,
                redirects,
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
        let mut bytes = Vec::with_capacity(body_capacity(response.content_length(), limit));
        while let Some(chunk) = response.chunk().await.map_err(request_err)? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(FeedFetch {
            outcome: FetchOutcome::Fetched(Box::new(headers::fetched(
                bytes,
                final_url,
                &headers,
                remote_addr,
            ))),
            redirects,
        })
    }
}

/// Room to reserve for a body the server announces as `announced` bytes
/// (its Content-Length), taken once instead of growing from empty: growing
/// copied each body about twice, and the copies and reallocations were half
/// the CPU of the thread running the fetches in a cold poll (issue 13). An
/// announced length is only a claim, so the room is capped by the body limit
/// and by [`MAX_BODY_RESERVE`]; a body without one starts at
/// [`FIRST_BODY_RESERVE`]. Either way the body still grows past it as read.
fn body_capacity(announced: Option<u64>, limit: u64) -> usize {
    let room = announced
        .unwrap_or(FIRST_BODY_RESERVE)
        .min(limit)
        .min(MAX_BODY_RESERVE);
    usize::try_from(room).unwrap_or(0)
}

/// The most room reserved on a server's word before the body arrives.
const MAX_BODY_RESERVE: u64 = 8 * 1024 * 1024;

/// The room a body of unannounced length starts with: most feeds fit.
const FIRST_BODY_RESERVE: u64 = 64 * 1024;

/// The TLS settings reqwest makes for a client by default (rustls with the
/// platform's verifier, HTTP/2 and 1.1 offered by ALPN), made once for all
/// of a fetcher's clients: each client reqwest makes itself reads and parses
/// every root certificate of the system again, which was half the
/// instructions of a warm poll of 200 feeds (issue 13). `None` when the
/// verifier cannot be made: each client then makes its own, and reports why
/// it cannot.
fn shared_tls() -> Option<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider)).ok()?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(tls)
}

fn build_client(
    user_agent: &str,
    connect_timeout: Duration,
    reach: Reach,
    tls: Option<&rustls::ClientConfig>,
) -> Result<reqwest::Client, reqwest::Error> {
    // Redirects are followed by `fetch_following`, hop by hop.
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(tls) = tls {
        builder = builder.tls_backend_preconfigured(tls.clone());
    }
    match reach {
        Reach::Any => builder,
        Reach::PublicOnly => builder.dns_resolver(Arc::new(PublicOnlyResolver)),
    }
    .build()
}

async fn read_file(url: &Url, limit: u64) -> Result<FetchOutcome, FetchError> {
    let path = url
        .to_file_path()
        .unwrap_or_else(|()| PathBuf::from(url.path()));
    // One blocking task for the whole read: tokio's `File` makes one per
    // call (open, metadata, each chunk read).
    let read = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
            use std::io::Read;
            let file = std::fs::File::open(&path)?;
            // The file's length, like a Content-Length, is only a hint: it
            // may change while it is read, and the limit still holds below.
            let length = file.metadata().ok().map(|m| m.len());
            let mut bytes = Vec::with_capacity(body_capacity(length, limit));
            file.take(limit + 1).read_to_end(&mut bytes)?;
            Ok(bytes)
        })
        .await
        .unwrap_or_else(|joined| Err(std::io::Error::other(joined)))
    };
    let bytes = read.map_err(|cause| FetchError::File { path, cause })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{header, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn redirect(status: u16, to: &str) -> Redirect {
        Redirect {
            status,
            to: Url::parse(to).expect("url"),
        }
    }

    #[test]
    fn the_room_reserved_for_a_body_never_exceeds_the_limit_or_the_cap() {
        let mib = 1024 * 1024;
        // An announced length is reserved as it is, up to the limit.
        assert_eq!(body_capacity(Some(50_000), 10 * mib), 50_000);
        assert_eq!(body_capacity(Some(1_000_000), 100_000), 100_000);
        // A claim of more than the cap reserves the cap only (a claim over
        // the limit is refused before any body is read).
        assert_eq!(
            body_capacity(Some(20 * mib), 50 * mib),
            MAX_BODY_RESERVE as usize
        );
        assert_eq!(
            body_capacity(Some(u64::MAX), u64::MAX),
            MAX_BODY_RESERVE as usize
        );
        // No length: the first guess, within the limit.
        assert_eq!(body_capacity(None, 10 * mib), FIRST_BODY_RESERVE as usize);
        assert_eq!(body_capacity(None, 100), 100);
        assert_eq!(body_capacity(Some(0), 10 * mib), 0);
    }

    #[tokio::test]
    async fn a_file_feed_is_read_whole_up_to_the_limit_and_refused_past_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let at_limit = dir.path().join("at-limit.xml");
        let past_limit = dir.path().join("past-limit.xml");
        std::fs::write(&at_limit, vec![b'a'; 1000]).expect("write");
        std::fs::write(&past_limit, vec![b'a'; 1001]).expect("write");
        let url = |path: &std::path::Path| Url::from_file_path(path).expect("file url");

        let FetchOutcome::Fetched(fetched) = read_file(&url(&at_limit), 1000).await.expect("read")
        else {
            panic!("a file is always fetched, never unchanged");
        };
        assert_eq!(fetched.bytes, vec![b'a'; 1000]);

        let refused = read_file(&url(&past_limit), 1000).await;
        assert!(
            matches!(refused, Err(FetchError::TooLarge { limit: 1000, .. })),
            "{refused:?}"
        );
    }

    #[test]
    fn a_feed_moved_where_its_leading_permanent_redirects_lead() {
        let moved = |redirects: Vec<Redirect>| {
            FeedFetch {
                outcome: FetchOutcome::NotModified,
                redirects,
            }
            .moved_to()
            .map(Url::to_string)
        };
        let (a, b) = ("https://a.example/feed", "https://b.example/feed");
        assert_eq!(moved(vec![]), None);
        assert_eq!(moved(vec![redirect(301, a)]).as_deref(), Some(a));
        assert_eq!(moved(vec![redirect(308, a)]).as_deref(), Some(a));
        for temporary in [302, 303, 307] {
            assert_eq!(moved(vec![redirect(temporary, a)]), None, "{temporary}");
            assert_eq!(
                moved(vec![redirect(temporary, a), redirect(301, b)]),
                None,
                "a permanent redirect after {temporary} moves the temporary target"
            );
        }
        assert_eq!(
            moved(vec![redirect(301, a), redirect(308, b)]).as_deref(),
            Some(b)
        );
        assert_eq!(
            moved(vec![redirect(301, a), redirect(302, b)]).as_deref(),
            Some(a)
        );
    }

    /// The shared TLS settings say what reqwest's own would: the server's
    /// name (SNI) and HTTP/2 and 1.1 (ALPN), read from the client's first
    /// message to a loopback listener.
    #[tokio::test]
    async fn the_shared_tls_settings_offer_the_name_and_both_http_versions() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hello = std::thread::spawn(move || {
            use std::io::Read;
            let (mut stream, _) = listener.accept().expect("accept");
            let mut hello = vec![0; 4096];
            let n = stream.read(&mut hello).expect("read");
            hello.truncate(n);
            hello
        });
        let tls = shared_tls().expect("the platform verifier");
        let client =
            build_client("t", Duration::from_secs(5), Reach::Any, Some(&tls)).expect("client");
        // The listener closes after the hello: the request fails.
        let _ = client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await;
        // Had the client never connected (a `localhost` only on IPv6), this
        // empty connection ends the wait and the assertions below fail.
        let _ = std::net::TcpStream::connect(("127.0.0.1", port));
        let hello = hello.join().expect("listener");
        let holds = |needle: &[u8]| hello.windows(needle.len()).any(|w| w == needle);
        assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record");
        assert!(holds(b"localhost"), "SNI");
        assert!(holds(b"\x02h2\x08http/1.1"), "ALPN h2 then http/1.1");
    }

    fn fetcher_and_limits() -> (Fetcher, HttpLimits) {
        let config = Config::parse(std::path::Path::new("t.toml"), "").expect("config");
        (Fetcher::new(&config).expect("fetcher"), config.http)
    }

    #[tokio::test]
    async fn a_feed_request_reports_each_redirect_it_follows() {
        let server = MockServer::start().await;
        let base = server.uri();
        for (from, status, to) in [("/a", 301, "/b"), ("/b", 302, "/c"), ("/c", 308, "/feed")] {
            Mock::given(path(from))
                .respond_with(ResponseTemplate::new(status).insert_header("location", to))
                .mount(&server)
                .await;
        }
        // The validators go along to the target, which answers 304.
        Mock::given(path("/feed"))
            .and(header("if-none-match", "\"v1\""))
            .respond_with(ResponseTemplate::new(304))
            .mount(&server)
            .await;
        let (fetcher, limits) = fetcher_and_limits();
        let url = Url::parse(&format!("{base}/a")).expect("url");
        let validators = Validators {
            etag: Some("\"v1\"".to_string()),
            last_modified: None,
        };
        let fetched = fetcher
            .fetch_feed(&url, &limits, Some(&validators))
            .await
            .expect("fetched");
        assert!(matches!(fetched.outcome, FetchOutcome::NotModified));
        let hops: Vec<(u16, String)> = fetched
            .redirects
            .iter()
            .map(|r| (r.status, r.to.path().to_string()))
            .collect();
        assert_eq!(
            hops,
            [
                (301, "/b".into()),
                (302, "/c".into()),
                (308, "/feed".into())
            ]
        );
        assert_eq!(
            fetched.moved_to().map(Url::path),
            Some("/b"),
            "moved as far as the first temporary redirect"
        );
    }

    #[tokio::test]
    async fn redirects_stop_at_the_cap_and_at_other_schemes() {
        let server = MockServer::start().await;
        let base = server.uri();
        for n in 0..=MAX_REDIRECTS {
            Mock::given(path(format!("/{n}")))
                .respond_with(
                    ResponseTemplate::new(301).insert_header("location", format!("/{}", n + 1)),
                )
                .mount(&server)
                .await;
        }
        Mock::given(path(format!("/{}", MAX_REDIRECTS + 1)))
            .respond_with(ResponseTemplate::new(200).set_body_string("<rss/>"))
            .mount(&server)
            .await;
        Mock::given(path("/file"))
            .respond_with(
                ResponseTemplate::new(301).insert_header("location", "file:///etc/passwd"),
            )
            .mount(&server)
            .await;
        let (fetcher, limits) = fetcher_and_limits();
        let url = |p: &str| Url::parse(&format!("{base}{p}")).expect("url");

        let fetched = fetcher
            .fetch_feed(&url("/1"), &limits, None)
            .await
            .expect("five redirects are followed");
        assert_eq!(fetched.redirects.len(), MAX_REDIRECTS);
        let err = fetcher
            .fetch_feed(&url("/0"), &limits, None)
            .await
            .expect_err("six are not");
        assert!(matches!(err, FetchError::TooManyRedirects { .. }), "{err}");
        assert!(err.to_string().contains("too many redirects"), "{err}");
        let err = fetcher
            .fetch_within(&url("/file"), &limits, None, Reach::Any)
            .await
            .expect_err("no file: redirect");
        assert_eq!(
            err.to_string(),
            format!(
                "{} redirected to file:///etc/passwd, which is not an http(s) URL; fix the feed's url in the config",
                url("/file")
            )
        );
    }
}
