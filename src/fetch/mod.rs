//! Fetching: one polite HTTP client for feeds and article pages.
//!
//! Every request names linkpost in its User-Agent, has a connect and a total
//! timeout, follows at most [`MAX_REDIRECTS`] redirects, accepts gzip and
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

use guard::{PublicOnlyResolver, RefusedHost, private_literal_host, refused_host};

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

    /// Fetches `url` going only where `reach` allows, conditionally when
    /// `validators` are given; what [`Fetch::fetch`] does for a `Fetcher`.
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
        let mut response = request.send().await.map_err(request_err)?;
        let meaning = check_status(
            url,
            response.status().as_u16(),
            response.headers(),
            SystemTime::now(),
        )?;
        if meaning == StatusMeaning::NotModified {
            return Ok(FetchOutcome::NotModified);
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
        Ok(FetchOutcome::Fetched(Box::new(headers::fetched(
            bytes,
            final_url,
            &headers,
            remote_addr,
        ))))
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

async fn read_file(url: &Url, limit: u64) -> Result<FetchOutcome, FetchError> {
    use tokio::io::AsyncReadExt;
    let path = url
        .to_file_path()
        .unwrap_or_else(|()| PathBuf::from(url.path()));
    let file_err = |cause| FetchError::File {
        path: path.clone(),
        cause,
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
