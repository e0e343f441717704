//! Delivering one notification: the signed HTTP POST, and whether a failed
//! attempt is worth another.
//!
//! The request goes where the operator configured it, loopback and private
//! networks included: it does not pass the private-address guard that keeps
//! article pages out of them.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::header;
use sha2::Sha256;
use url::Url;

use crate::fetch::BoxFuture;

use super::EventKind;

/// The header carrying the hex HMAC-SHA256 of the body, keyed with the
/// target's `secret` (Miniflux's `X-Miniflux-Signature`, under our name).
pub const SIGNATURE_HEADER: &str = "X-Linkpost-Signature";
/// The header naming the event (Miniflux's `X-Miniflux-Event-Type`).
pub const EVENT_TYPE_HEADER: &str = "X-Linkpost-Event-Type";
/// Total time of one attempt, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per notification: the first and three retries.
pub const MAX_ATTEMPTS: u32 = 4;
/// Wait before the first retry; each next one waits twice as long.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between attempts, whatever `Retry-After` asks.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// One request to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where to.
    pub url: Url,
    /// The event's kind, for the header.
    pub kind: EventKind,
    /// The JSON body.
    pub body: Vec<u8>,
    /// The body's signature (hex), when the target has a secret.
    pub signature: Option<String>,
}

/// What the receiver answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After`, when sent.
    pub retry_after: Option<Duration>,
}

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No answer: connect, TLS, timeout, or the connection broke off.
    #[error("request to {origin} failed: {cause}")]
    Request {
        /// The target's scheme, host and port (its path may hold a token).
        origin: String,
        /// The cause, on one line.
        cause: String,
    },
    /// The client could not be built.
    #[error("cannot build the notification client: {0}")]
    Client(String),
}

/// Sends requests: [`HttpDeliver`] in production, a recorder in tests.
pub trait Deliver: Send + Sync {
    /// Sends one attempt of `request`.
    fn deliver<'a>(&'a self, request: &'a Outgoing) -> BoxFuture<'a, Result<Answer, NotifyError>>;
}

/// Posts over HTTP with one client: linkpost's User-Agent, a connect
/// timeout, [`REQUEST_TIMEOUT`] per attempt, no redirects followed (a
/// webhook that moved is a config matter, reported as its 3xx).
#[derive(Debug, Clone)]
pub struct HttpDeliver {
    client: reqwest::Client,
}

impl HttpDeliver {
    /// A client sending `user_agent`, connecting within `connect_timeout`.
    pub fn new(user_agent: &str, connect_timeout: Duration) -> Result<HttpDeliver, NotifyError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(connect_timeout)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NotifyError::Client(crate::fetch::request_cause(&e)))?;
        Ok(HttpDeliver { client })
    }
}

impl Deliver for HttpDeliver {
    fn deliver<'a>(&'a self, request: &'a Outgoing) -> BoxFuture<'a, Result<Answer, NotifyError>> {
        Box::pin(async move {
            let mut post = self
                .client
                .post(request.url.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .header(EVENT_TYPE_HEADER, request.kind.as_str())
                .body(request.body.clone());
            if let Some(signature) = &request.signature {
                post = post.header(SIGNATURE_HEADER, signature);
            }
            let response = post.send().await.map_err(|e| NotifyError::Request {
                origin: origin(&request.url),
                cause: crate::fetch::request_cause(&e.without_url()),
            })?;
            Ok(Answer {
                status: response.status().as_u16(),
                retry_after: crate::fetch::parse_retry_after(response.headers(), SystemTime::now()),
            })
        })
    }
}

/// The hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A URL's scheme, host and port: what logs show of a target, whose path
/// or query may hold a token (as Slack's and Discord's webhook URLs do).
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Delivered (2xx).
    Done,
    /// Try again after this long.
    Retry(Duration),
    /// Give up: not worth another attempt, or none left.
    GiveUp,
}

/// What follows attempt number `attempt` (from 1) that came to `result`:
/// connection errors, 5xx and 429 are retried after 1 s, 2 s, 4 s (or the
/// `Retry-After` asked, when longer), capped at [`MAX_BACKOFF`]; other
/// statuses are not, nor is anything after [`MAX_ATTEMPTS`].
pub fn next_step(attempt: u32, result: &Result<Answer, NotifyError>) -> Next {
    let retry_after = match result {
        Ok(answer) if (200..300).contains(&answer.status) => return Next::Done,
        Ok(answer) if answer.status == 429 || (500..600).contains(&answer.status) => {
            answer.retry_after
        }
        Ok(_) | Err(NotifyError::Client(_)) => return Next::GiveUp,
        Err(NotifyError::Request { .. }) => None,
    };
    if attempt >= MAX_ATTEMPTS {
        return Next::GiveUp;
    }
    let backoff = FIRST_BACKOFF.saturating_mul(1 << (attempt.saturating_sub(1)).min(16));
    Next::Retry(
        backoff
            .max(retry_after.unwrap_or_default())
            .min(MAX_BACKOFF),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<u64>) -> Result<Answer, NotifyError> {
        Ok(Answer {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        })
    }

    #[test]
    fn signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_back_off_and_stop() {
        let secs = |s| Next::Retry(Duration::from_secs(s));
        assert_eq!(next_step(1, &status(204, None)), Next::Done);
        assert_eq!(next_step(1, &status(500, None)), secs(1));
        assert_eq!(next_step(2, &status(503, None)), secs(2));
        assert_eq!(next_step(3, &status(429, None)), secs(4));
        assert_eq!(next_step(4, &status(500, None)), Next::GiveUp);
        assert_eq!(next_step(1, &status(429, Some(7))), secs(7));
        assert_eq!(
            next_step(1, &status(503, Some(3600))),
            Next::Retry(MAX_BACKOFF)
        );
        for not_retried in [400, 401, 404, 410, 301] {
            assert_eq!(next_step(1, &status(not_retried, None)), Next::GiveUp);
        }
        let refused = Err(NotifyError::Request {
            origin: "http://127.0.0.1:9".into(),
            cause: "connection refused".into(),
        });
        assert_eq!(next_step(1, &refused), secs(1));
        assert_eq!(next_step(4, &refused), Next::GiveUp);
    }

    #[test]
    fn origin_leaves_out_the_path_and_query() {
        let url = Url::parse("https://hooks.example:8443/services/T0/SECRET?token=x").expect("url");
        assert_eq!(origin(&url), "https://hooks.example:8443");
    }
}
