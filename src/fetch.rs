//! Fetching: one polite HTTP client for feeds and article pages.
//!
//! Every request names linkpost in its User-Agent, has a connect and a total
//! timeout, follows at most [`MAX_REDIRECTS`] redirects, accepts gzip and
//! brotli, and reads at most the configured number of bytes, counted after
//! decompression so a compression bomb stops at the cap. Feeds are fetched
//! with conditional GET. `file:` URLs are read from disk under the same cap.
//! This module returns bytes; it never parses them.

use std::collections::HashMap;
use std::path::PathBuf;
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
}

/// What a fetch produced.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// 304: nothing changed since the validators were issued.
    NotModified,
    /// 2xx with a body.
    Fetched(Fetched),
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

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// One client per distinct connect timeout (reqwest sets it per client).
    clients: HashMap<Duration, reqwest::Client>,
    /// The client with the top-level connect timeout.
    default_client: reqwest::Client,
    user_agent: String,
}

impl Fetcher {
    /// Builds the clients that the config's feeds need.
    pub fn new(config: &Config) -> Result<Fetcher, reqwest::Error> {
        let default_client = build_client(&config.user_agent, config.http.connect_timeout)?;
        let mut fetcher = Fetcher {
            clients: HashMap::from([(config.http.connect_timeout, default_client.clone())]),
            default_client,
            user_agent: config.user_agent.clone(),
        };
        for feed in &config.feeds {
            fetcher.client_for(feed.http.connect_timeout)?;
        }
        Ok(fetcher)
    }

    fn client_for(&mut self, connect_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
        if let Some(client) = self.clients.get(&connect_timeout) {
            return Ok(client.clone());
        }
        let client = build_client(&self.user_agent, connect_timeout)?;
        self.clients.insert(connect_timeout, client.clone());
        Ok(client)
    }

    fn client(&self, limits: &HttpLimits) -> &reqwest::Client {
        self.clients
            .get(&limits.connect_timeout)
            .unwrap_or(&self.default_client)
    }

    /// Fetches `url`, conditionally when `validators` are given.
    pub async fn fetch(
        &self,
        url: &Url,
        limits: &HttpLimits,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        if url.scheme() == "file" {
            return read_file(url, limits.max_body_size).await;
        }
        let mut request = self.client(limits).get(url.clone()).timeout(limits.timeout);
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let request_err = |source| FetchError::Request {
            url: url.clone(),
            source,
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
        Ok(FetchOutcome::Fetched(Fetched {
            bytes,
            final_url,
            content_type: header_str(&headers, header::CONTENT_TYPE),
            validators: Validators {
                etag: header_str(&headers, header::ETAG),
                last_modified: header_str(&headers, header::LAST_MODIFIED),
            },
            max_age: parse_max_age(&headers),
        }))
    }
}

fn build_client(
    user_agent: &str,
    connect_timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .build()
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
    Ok(FetchOutcome::Fetched(Fetched {
        bytes,
        final_url: url.clone(),
        content_type: None,
        validators: Validators::default(),
        max_age: None,
    }))
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
