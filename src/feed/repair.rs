//! Byte-level repairs of XML feeds that feed-rs refuses or misreads, each
//! tried only after the document as served failed (or read no entry), so a
//! well-formed feed is never rewritten.
//!
//! Every repair is one linear pass that returns a new document, or `None`
//! when it does not apply; none of them interprets the feed.

/// The namespace of RSS 0.90 documents (`<rdf:RDF>` roots).
const RSS_090_NAMESPACE: &[u8] = b"http://my.netscape.com/rdf/simple/0.9/";

/// The namespace of RSS 1.0, which feed-rs reads.
const RSS_10_NAMESPACE: &[u8] = b"http://purl.org/rss/1.0/";

/// The document with RSS 0.90's namespace renamed to RSS 1.0's: feed-rs
/// reads RSS 1.0 but not 0.90, whose items have the same shape.
pub(super) fn rss_090_as_rss_10(bytes: &[u8]) -> Option<Vec<u8>> {
    replace_bytes(bytes, RSS_090_NAMESPACE, RSS_10_NAMESPACE)
}

/// Whether `needle` occurs in `bytes`.
pub(super) fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

/// `bytes` with every `from` replaced by `to`; `None` when there is none.
fn replace_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut found = false;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
        found = true;
    }
    out.extend_from_slice(rest);
    found.then_some(out)
}

/// `bytes` with `version="2.0"` added to a version-less `<rss>` root tag:
/// feed-rs 3.0.0 still refuses `<rss>` without a version attribute
/// (feed-rs #275), which real feeds serve.
pub(super) fn with_rss_version(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(4096)];
    let start = head.windows(4).position(|w| w == b"<rss")?;
    let after = *head.get(start + 4)?;
    if !(after.is_ascii_whitespace() || after == b'>' || after == b'/') {
        return None;
    }
    let end = start + head[start..].iter().position(|&b| b == b'>')?;
    if head[start..end].windows(7).any(|w| w == b"version") {
        return None;
    }
    let mut patched = Vec::with_capacity(bytes.len() + 16);
    patched.extend_from_slice(&bytes[..start + 4]);
    patched.extend_from_slice(b" version=\"2.0\"");
    patched.extend_from_slice(&bytes[start + 4..]);
    Some(patched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_added_only_to_a_versionless_rss_root() {
        assert_eq!(
            with_rss_version(b"<rss><channel/></rss>").as_deref(),
            Some(&b"<rss version=\"2.0\"><channel/></rss>"[..])
        );
        assert_eq!(
            with_rss_version(b"<rss version=\"0.91\"><channel/></rss>"),
            None
        );
        assert_eq!(with_rss_version(b"<rssfeed><channel/></rssfeed>"), None);
    }
}
