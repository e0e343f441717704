//! Who may use the review page, and the headers that keep a browser safe.
//!
//! Every request: the `Host` header must name the listen address (a page
//! elsewhere that rebinds its DNS name to 127.0.0.1 sends its own name),
//! and, with a `review_token`, the token must come as a bearer token or a
//! basic-auth password. Every POST: the page's CSRF token in
//! `X-CSRF-Token`. Every response: a Content-Security-Policy allowing only
//! this server's own script and style, no framing, no referrer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;

/// The policy of every response: scripts, styles and requests only from
/// this server, no inline script, no plug-ins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `Host` header values the server answers to.
pub(super) struct Hosts {
    exact: Vec<String>,
    /// Listening on every address: any host name, on this port.
    any_on_port: Option<u16>,
}

impl Hosts {
    pub(super) fn for_addr(addr: SocketAddr) -> Hosts {
        let port = addr.port();
        let mut exact = vec![addr.to_string()];
        if addr.ip().is_loopback() {
            exact.extend([
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]);
        }
        Hosts {
            exact,
            any_on_port: addr.ip().is_unspecified().then_some(port),
        }
    }

    fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if self.exact.contains(&host) {
            return true;
        }
        match self.any_on_port {
            Some(port) => host
                .rsplit_once(':')
                .is_some_and(|(_, p)| p == port.to_string()),
            None => false,
        }
    }
}

/// A fresh random token (128 bits, hex).
pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if let Err(e) = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
    {
        // Never a fixed token: fall back on what differs per process.
        tracing::warn!("cannot read /dev/urandom ({e}); the CSRF token is weaker");
        let seed = format!(
            "{:?}{}{:p}",
            std::time::SystemTime::now(),
            std::process::id(),
            &bytes
        );
        return crate::review::fingerprint(&seed);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The checks and headers of every request.
pub(super) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !app.hosts.allows(host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this host name is not the review page's listen address",
        );
    }
    if let Some(token) = app.settings.token.as_deref().filter(|t| !t.is_empty())
        && !authorized(headers, token)
    {
        let mut response = refuse(StatusCode::UNAUTHORIZED, "the review page needs its token");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"linkpost review\", charset=\"UTF-8\""),
        );
        return response;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let sent = headers
            .get(CSRF_HEADER)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        if !same_secret(sent, app.csrf.as_bytes()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "missing or wrong CSRF token; reload the page",
            );
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    let mut response = (status, message).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

/// Whether the request carries `token` as a bearer token or as a
/// basic-auth password (any user name).
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return same_secret(rest.as_bytes(), token.as_bytes());
    }
    if scheme.eq_ignore_ascii_case("basic")
        && let Some(decoded) = base64_decode(rest)
        && let Some(colon) = decoded.iter().position(|&b| b == b':')
    {
        return same_secret(&decoded[colon + 1..], token.as_bytes());
    }
    false
}

/// Standard base64 (RFC 4648 §4), padding optional; `None` when invalid.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        // "reviewer:s3cret"
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic cmV2aWV3ZXI6czNjcmV0"),
        );
        assert!(authorized(&headers, "s3cret"));
        assert!(!authorized(&headers, "other"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret"),
        );
        assert!(authorized(&headers, "s3cret"));
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn hosts_are_the_listen_address() {
        let hosts = Hosts::for_addr("127.0.0.1:8787".parse().expect("addr"));
        assert!(hosts.allows("127.0.0.1:8787"));
        assert!(hosts.allows("localhost:8787"));
        assert!(!hosts.allows("evil.example:8787"));
        assert!(!hosts.allows("127.0.0.1:9999"));
        assert!(!hosts.allows(""));
    }
}
