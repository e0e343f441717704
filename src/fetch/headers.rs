//! Response headers: validators, `Retry-After`, `Cache-Control: max-age`,
//! and what a status means for a fetch (miniflux's response handler).

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::{FetchError, Fetched, Validators};

/// What a response's status means for a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMeaning {
    /// 304: nothing changed since the validators were issued.
    NotModified,
    /// 2xx: read the body.
    Body,
}

/// Reads a response's status: 304 and 2xx go on, anything else is a
/// [`FetchError::Status`] carrying `Retry-After` when the server sent one.
pub fn check_status(
    url: &Url,
    status: u16,
    headers: &HeaderMap,
    now: SystemTime,
) -> Result<StatusMeaning, FetchError> {
    match status {
        304 => Ok(StatusMeaning::NotModified),
        200..=299 => Ok(StatusMeaning::Body),
        _ => Err(FetchError::Status {
            url: url.clone(),
            status,
            retry_after: parse_retry_after(headers, now),
        }),
    }
}

/// A fetched body with what its headers say about it.
pub fn fetched(
    bytes: Vec<u8>,
    final_url: Url,
    headers: &HeaderMap,
    remote_addr: Option<std::net::IpAddr>,
) -> Fetched {
    Fetched {
        bytes,
        final_url,
        content_type: header_str(headers, header::CONTENT_TYPE),
        validators: Validators {
            etag: header_str(headers, header::ETAG),
            last_modified: header_str(headers, header::LAST_MODIFIED),
        },
        max_age: parse_max_age(headers),
        remote_addr,
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Parses `Retry-After`: delay seconds or an HTTP date in any of the three
/// forms RFC 9110 §5.6.7 requires a recipient to accept (IMF-fixdate,
/// RFC 850, asctime). A date in the past means no wait.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header_str(headers, header::RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(&value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
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
        let now = SystemTime::from(
            chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").expect("valid date"),
        );
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
        // RFC 9110 §5.6.7: the obsolete RFC 850 and asctime forms too.
        for obsolete in [
            "Wednesday, 21-Oct-15 07:30:00 GMT",
            "Wed Oct 21 07:30:00 2015",
        ] {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static(obsolete));
            assert_eq!(
                parse_retry_after(&headers, now),
                Some(Duration::from_secs(120)),
                "{obsolete}"
            );
        }
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:00:00 GMT"),
        );
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::ZERO),
            "a date already past"
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

#[cfg(test)]
mod status_tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn statuses_mean_body_not_modified_or_an_error_with_its_wait() {
        let url = Url::parse("https://e.com/feed.xml").expect("url");
        let mut headers = HeaderMap::new();
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            check_status(&url, 200, &headers, now).ok(),
            Some(StatusMeaning::Body)
        );
        assert_eq!(
            check_status(&url, 304, &headers, now).ok(),
            Some(StatusMeaning::NotModified)
        );
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        let err = check_status(&url, 429, &headers, now).expect_err("429 fails");
        assert_eq!(err.status(), Some(429));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(
            err.to_string(),
            "https://e.com/feed.xml answered HTTP 429 (retry after 3s)"
        );
    }
}
