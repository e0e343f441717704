//! JSON Feed (1.0 and 1.1), read as leniently as Miniflux and NetNewsWire
//! read it: field by field from a `serde_json::Value`, so one field of the
//! wrong type costs that field, never the feed.
//!
//! feed-rs deserialises JSON Feed into strict structs, and refuses the whole
//! document for a slip that real feeds make: `tags` as one string
//! (`"workflow,omnifocus"`, rosemaryorchard.com), a version URL with `http:`
//! (pxlnv.com), a number as `id`, a feed without `title`. Here only a
//! document without an `items` array is refused.
//!
//! An attachment (a podcast's audio, a download) is never the entry's link:
//! the entry's page is `url`, else `external_url`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use url::Url;

use super::text::{plain_text, title_from_text};
use super::{FeedItem, ParseError, ParsedFeed, url_if_web};

/// Whether `bytes` is a JSON document: its first character, after a byte
/// order mark and white space, opens an object.
pub(super) fn is_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Reads a JSON Feed. `text` is the document decoded to UTF-8.
pub(super) fn parse_json_feed(text: &str, base: &Url) -> Result<ParsedFeed, ParseError> {
    // serde_json caps nesting at 128 levels, so a hostile document cannot
    // exhaust the stack.
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| ParseError::Json(e.to_string()))?;
    let items = doc
        .get("items")
        .and_then(Value::as_array)
        .ok_or(ParseError::NotJsonFeed)?;
    Ok(ParsedFeed {
        title: string(&doc, "title")
            .map(plain_text)
            .filter(|t| !t.is_empty()),
        ttl: None,
        items: items
            .iter()
            .filter_map(Value::as_object)
            .map(|item| feed_item(item, base))
            .collect(),
    })
}

fn feed_item(item: &Map<String, Value>, base: &Url) -> FeedItem {
    let field = |name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    // The spec says "string", and some feeds write a number.
    let guid = match item.get("id") {
        Some(Value::String(id)) => Some(id.trim().to_string()).filter(|id| !id.is_empty()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    let link = field("url")
        .and_then(|u| url_if_web(u, base))
        .or_else(|| field("external_url").and_then(|u| url_if_web(u, base)));
    // As feed-rs maps them: HTML content first, else the text; the text
    // becomes the summary when there is HTML and no summary. Plain text is
    // escaped, since both fields are read as HTML downstream.
    let html = field("content_html").map(str::to_string);
    let text = field("content_text").map(escape_html);
    let summary = field("summary").map(escape_html);
    let (content_html, summary_html) = match (html, text) {
        (Some(html), text) => (Some(html), summary.or(text)),
        (None, text) => (text, summary),
    };
    let title = field("title")
        .map(plain_text)
        .filter(|t| !t.is_empty())
        .or_else(|| title_from_text(content_html.as_deref().or(summary_html.as_deref())));
    FeedItem {
        guid,
        link,
        title,
        published: field("date_published").and_then(parse_date),
        updated: field("date_modified").and_then(parse_date),
        content_html,
        summary_html,
        categories: item
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        author: json_author(item),
    }
}

/// The first author's name: JSON Feed 1.1 `authors`, else 1.0 `author`.
fn json_author(item: &Map<String, Value>) -> Option<String> {
    let name = |author: &Value| {
        author
            .get("name")
            .and_then(Value::as_str)
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
    };
    item.get("authors")
        .and_then(Value::as_array)
        .and_then(|authors| authors.iter().find_map(name))
        .or_else(|| item.get("author").and_then(name))
}

fn string<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

/// RFC 3339, as the spec asks; RFC 2822 as well, which some feeds write.
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc2822(text))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.com/feed.json").expect("valid url")
    }

    #[test]
    fn fields_of_the_wrong_type_cost_only_themselves() {
        let json = r#"{"version": "http://jsonfeed.org/version/1", "items": [
            {"id": 42, "url": "/a", "title": "A &amp; B", "tags": "x,y",
             "content_text": "1 < 2", "date_published": "2018-08-24T07:00:00+02:00"},
            {"id": "b", "title": ["not", "a", "string"], "external_url": "https://e.org/b",
             "content_html": "<p>Body <b>b</b></p>", "content_text": "Body b",
             "date_modified": "Tue, 09 Sep 2025 13:21:00 +0000"},
            "not an item"
        ]}"#;
        let feed = parse_json_feed(json, &base()).expect("parses");
        assert_eq!(feed.title, None);
        assert_eq!(feed.items.len(), 2);
        let a = &feed.items[0];
        assert_eq!(a.guid.as_deref(), Some("42"));
        assert_eq!(
            a.link.as_ref().map(Url::as_str),
            Some("https://example.com/a")
        );
        assert_eq!(a.title.as_deref(), Some("A & B"));
        assert_eq!(a.content_html.as_deref(), Some("1 &lt; 2"));
        assert_eq!(
            a.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2018-08-24T05:00:00+00:00")
        );
        let b = &feed.items[1];
        assert_eq!(
            b.link.as_ref().map(Url::as_str),
            Some("https://e.org/b"),
            "external_url when there is no url"
        );
        assert_eq!(b.title.as_deref(), Some("Body b"), "derived from the text");
        assert_eq!(b.summary_html.as_deref(), Some("Body b"));
        assert!(b.updated.is_some());
    }

    #[test]
    fn real_feeds_with_spec_slips_are_read() {
        // regression: #12. rosemaryorchard.com writes `tags` as a string.
        let rose = include_str!("../../tests/fixtures/feeds/rose.json");
        let feed = parse_json_feed(rose, &base()).expect("rose.json parses");
        assert_eq!(feed.title.as_deref(), Some("Rosemary Orchard"));
        assert_eq!(feed.items.len(), 84);
        assert!(feed.items.iter().all(|i| i.link.is_some()));
        assert_eq!(
            feed.items[0].title.as_deref(),
            Some("Workflow: Add Task & Sub Tasks To OmniFocus")
        );
        assert_eq!(
            feed.items[0].link.as_ref().map(Url::as_str),
            Some("https://www.rosemaryorchard.com/blog/workflow-add-task-sub-tasks-to-omnifocus")
        );
        // pxlnv.com names its version with http:, not https:.
        let pxlnv = include_str!("../../tests/fixtures/feeds/pxlnv.json");
        let feed = parse_json_feed(pxlnv, &base()).expect("pxlnv.json parses");
        assert_eq!(feed.items.len(), 20);
        assert_eq!(
            feed.items[0].title.as_deref(),
            Some("Uber Lost $4.5 Billion in 2017")
        );
        assert_eq!(
            feed.items[0].link.as_ref().map(Url::as_str),
            Some("https://pxlnv.com/linklog/uber-losses-2017/"),
            "url, not the external_url it links to"
        );
    }

    #[test]
    fn an_attachment_is_not_the_entry_link() {
        // regression: #12. RSParser's jsonfeed-extension.json: items with
        // only an attachment (a .zip) and content.
        let json = include_str!("../../tests/fixtures/feeds/jsonfeed-extension.json");
        let feed = parse_json_feed(json, &base()).expect("parses");
        assert_eq!(feed.items.len(), 3);
        assert!(feed.items.iter().all(|i| i.link.is_none()));
        assert_eq!(feed.items[0].guid.as_deref(), Some("2"));
        assert_eq!(feed.items[0].title.as_deref(), Some("Second item."));
    }

    #[test]
    fn json_without_items_is_refused() {
        assert!(matches!(
            parse_json_feed(r#"{"rss": {"channel": {}}}"#, &base()),
            Err(ParseError::NotJsonFeed)
        ));
        assert!(matches!(
            parse_json_feed(r#"{"items": [ {"#, &base()),
            Err(ParseError::Json(_))
        ));
    }

    #[test]
    fn json_is_told_from_xml_by_its_first_character() {
        assert!(is_json(b"\xEF\xBB\xBF \n {\"items\": []}"));
        assert!(!is_json(b"<?xml version=\"1.0\"?><rss/>"));
        assert!(!is_json(b""));
    }
}
