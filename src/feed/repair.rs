//! Byte-level repairs of XML feeds that feed-rs refuses or misreads, each
//! tried only after the document as served failed (or read no entry), so a
//! well-formed feed is never rewritten.
//!
//! Every repair is one linear pass that returns a new document, or `None`
//! when it does not apply; none of them interprets the feed.

use quick_xml::events::Event;

/// The namespace of RSS 0.90 documents (`<rdf:RDF>` roots).
const RSS_090_NAMESPACE: &[u8] = b"http://my.netscape.com/rdf/simple/0.9/";

/// The namespace of RSS 1.0, which feed-rs reads.
const RSS_10_NAMESPACE: &[u8] = b"http://purl.org/rss/1.0/";

/// The document with RSS 0.90's namespace renamed to RSS 1.0's: feed-rs
/// reads RSS 1.0 but not 0.90, whose items have the same shape.
pub(super) fn rss_090_as_rss_10(bytes: &[u8]) -> Option<Vec<u8>> {
    replace_bytes(bytes, RSS_090_NAMESPACE, RSS_10_NAMESPACE)
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

/// The local names of the roots feed-rs reads: Atom, RSS and RSS 1.0.
const FEED_ROOTS: &[&str] = &["feed", "rss", "RDF"];

/// A feed element nested in another document, as a document of its own:
/// feedjira's DuplicateContentAtomFeed serves an Atom `<feed>` inside an
/// XHTML page's `<body>`, which feedparser reads and feed-rs refuses ("no
/// root element"). The original XML declaration is kept, and the namespace
/// prefixes the page declared are copied onto the feed element. The page's
/// default namespace (XHTML) is not: a `<feed>` inside a page is meant as
/// Atom, whatever the page's namespace.
pub(super) fn embedded_feed(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut declaration: &[u8] = b"";
    // The `xmlns:prefix` declarations of each open element, outermost first.
    let mut open: Vec<Vec<(String, String)>> = Vec::new();
    loop {
        let start = usize::try_from(reader.buffer_position()).ok()?;
        match reader.read_event().ok()? {
            Event::Decl(_) => {
                let end = usize::try_from(reader.buffer_position()).ok()?;
                declaration = bytes.get(start..end)?;
            }
            Event::Start(element) => {
                let prefixes = prefix_declarations(&element);
                if open.is_empty() || !FEED_ROOTS.contains(&element.local_name().as_ref()) {
                    open.push(prefixes);
                    continue;
                }
                reader.read_to_end(element.name()).ok()?;
                let end = usize::try_from(reader.buffer_position()).ok()?;
                let name_end = start + 1 + element.name().as_ref().len();
                let mut out = Vec::with_capacity(declaration.len() + end - start + 256);
                out.extend_from_slice(declaration);
                out.extend_from_slice(bytes.get(start..name_end)?);
                let mut copied: Vec<&str> = prefixes.iter().map(|(k, _)| k.as_str()).collect();
                for (key, value) in open.iter().rev().flatten() {
                    if !copied.contains(&key.as_str()) {
                        copied.push(key);
                        let quote = if value.contains('"') { '\'' } else { '"' };
                        out.extend_from_slice(format!(" {key}={quote}{value}{quote}").as_bytes());
                    }
                }
                out.extend_from_slice(bytes.get(name_end..end)?);
                return Some(out);
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The `xmlns:prefix="…"` attributes of an element, raw.
fn prefix_declarations(element: &quick_xml::events::BytesStart<'_>) -> Vec<(String, String)> {
    element
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .filter(|a| a.key.as_ref().starts_with("xmlns:"))
        .map(|a| (a.key.as_ref().to_string(), a.value.into_owned()))
        .collect()
}

/// One insertion into a document: `text` at byte `at`.
struct Insert {
    at: usize,
    text: String,
}

/// The document with the elements it left open closed, as feedparser's
/// loose parser reads it. In feedjira's ITunesWithSingleQuotedAttributes an
/// `<itunes:category>` is never closed, so the items that follow sit inside
/// it and `</channel>` meets it open. An element still open when an end tag
/// closes one of its ancestors ends where it starts if it holds elements (it
/// was meant empty, like that category), or just before that end tag if it
/// holds only text (`<title>a</item>`).
///
/// Not repaired (`None`): an end tag that closes nothing (a misspelt one),
/// and elements still open at the end of the document, which is a truncated
/// body that the next poll should fetch again rather than read in part.
pub(super) fn close_open_elements(bytes: &[u8]) -> Option<Vec<u8>> {
    struct Open {
        name: String,
        /// Where the start tag's `>` is.
        tag_close: usize,
        holds_elements: bool,
    }
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().check_end_names = false;
    let mut open: Vec<Open> = Vec::new();
    let mut inserts: Vec<Insert> = Vec::new();
    loop {
        let start = usize::try_from(reader.buffer_position()).ok()?;
        match reader.read_event().ok()? {
            Event::Start(element) => {
                if let Some(parent) = open.last_mut() {
                    parent.holds_elements = true;
                }
                let end = usize::try_from(reader.buffer_position()).ok()?;
                open.push(Open {
                    name: element.name().as_ref().to_string(),
                    tag_close: end.checked_sub(1)?,
                    holds_elements: false,
                });
            }
            Event::Empty(_) => {
                if let Some(parent) = open.last_mut() {
                    parent.holds_elements = true;
                }
            }
            Event::End(element) => {
                let name = element.name();
                let matching = open.iter().rposition(|o| o.name == name.as_ref())?;
                for unclosed in open.drain(matching + 1..).rev() {
                    inserts.push(if unclosed.holds_elements {
                        Insert {
                            at: unclosed.tag_close,
                            text: "/".to_string(),
                        }
                    } else {
                        Insert {
                            at: start,
                            text: format!("</{}>", unclosed.name),
                        }
                    });
                }
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !open.is_empty() || inserts.is_empty() {
        return None;
    }
    // Stable: the end tags inserted at one place stay innermost first.
    inserts.sort_by_key(|i| i.at);
    let mut out = Vec::with_capacity(bytes.len() + inserts.len() * 16);
    let mut copied = 0;
    for insert in inserts {
        out.extend_from_slice(bytes.get(copied..insert.at)?);
        out.extend_from_slice(insert.text.as_bytes());
        copied = insert.at;
    }
    out.extend_from_slice(bytes.get(copied..)?);
    Some(out)
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

    fn closed(xml: &str) -> Option<String> {
        close_open_elements(xml.as_bytes()).map(|b| String::from_utf8(b).expect("UTF-8"))
    }

    #[test]
    fn open_elements_end_where_they_start_or_before_their_parent_ends() {
        assert_eq!(
            closed("<rss><channel><c text='T'><c text='G'/><item>i</item></channel></rss>")
                .as_deref(),
            Some("<rss><channel><c text='T'/><c text='G'/><item>i</item></channel></rss>")
        );
        assert_eq!(
            closed("<rss><item><title>a<b>x</b></item><item><title>b</item></rss>").as_deref(),
            Some("<rss><item><title/>a<b>x</b></item><item><title>b</title></item></rss>")
        );
        assert_eq!(
            closed("<a><b><c>t</a>").as_deref(),
            Some("<a><b/><c>t</c></a>"),
            "innermost first"
        );
    }

    #[test]
    fn misspelt_end_tags_and_truncated_documents_are_not_repaired() {
        assert_eq!(closed("<rss><item><title>a</titl></item></rss>"), None);
        assert_eq!(closed("<rss><channel><item><title>a</title>"), None);
        assert_eq!(closed("<rss><channel/></rss>"), None, "nothing to repair");
    }

    #[test]
    fn a_feed_inside_a_page_becomes_the_document() {
        let page = r#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:dc='http://purl.org/dc/elements/1.1/'><body><feed xmlns="http://www.w3.org/2005/Atom"><entry><dc:x/></entry></feed><p>after</p></body></html>"#;
        let feed = embedded_feed(page.as_bytes()).map(|b| String::from_utf8(b).expect("UTF-8"));
        assert_eq!(
            feed.as_deref(),
            Some(
                r#"<?xml version="1.0"?><feed xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns="http://www.w3.org/2005/Atom"><entry><dc:x/></entry></feed>"#
            )
        );
        assert_eq!(
            embedded_feed(b"<feed><entry/></feed>"),
            None,
            "already the root"
        );
        assert_eq!(
            embedded_feed(b"<html><body><p>no feed</p></body></html>"),
            None
        );
    }
}
