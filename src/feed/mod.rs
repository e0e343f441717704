//! Feed parsing: bytes and the feed's URL in, plain [`FeedItem`]s out.
//!
//! Wraps feed-rs for RSS 0.9x/1.0/2.0 and Atom; reads JSON Feed itself.
//! Pure and synchronous.
//! feed-rs invents an id for entries that carry none; we replace its
//! generator with one that returns an empty string, so a guid here is always
//! one the feed itself wrote and is safe as a dedupe key.
//!
//! - `mod.rs`: the entry point, feed-rs's model to [`FeedItem`]s.
//! - `charset`: bytes that name no encoding and are not UTF-8.
//! - `dates`: entry dates, the standard forms read without feed-rs's
//!   regular expressions.
//! - `json`: JSON Feed, read leniently (not by feed-rs).
//! - `repair`: byte-level repairs tried when feed-rs refuses a document.
//! - `rss_items`: what feed-rs drops from RSS items (Atom links, a guid's
//!   `isPermaLink`), read with quick-xml.
//! - `text`: titles as the text a reader sees.
//! - `tests`: [`parse_feed`] on real fixtures, one test per behaviour.

mod charset;
mod dates;
mod json;
mod repair;
mod rss_items;
mod text;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use feed_rs::model::FeedType;
use url::Url;

pub use text::MAX_DERIVED_TITLE;
use text::{text_of, title_from_text};

/// A feed that could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// An XML document that feed-rs refuses, even after linkpost's repairs
    /// (feed-rs's reason).
    #[error("not a feed linkpost can read ({0}); check that the URL serves RSS, Atom or JSON Feed")]
    Xml(String),
    /// A document that opens as JSON but is not valid JSON (serde_json's reason).
    #[error(
        "not a feed linkpost can read (invalid JSON: {0}); check that the URL serves RSS, Atom or JSON Feed"
    )]
    Json(String),
    /// Valid JSON without the `items` array of a JSON Feed.
    #[error(
        "not a feed linkpost can read (JSON without an `items` array); check that the URL serves a JSON Feed"
    )]
    NotJsonFeed,
}

/// One entry of a feed, reduced to what a post needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedItem {
    /// The guid or id the feed gave the entry, if any.
    pub guid: Option<String>,
    /// The entry's link, resolved to an absolute URL.
    pub link: Option<Url>,
    /// The title as plain text.
    pub title: Option<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated: Option<DateTime<Utc>>,
    /// Full content, usually HTML.
    pub content_html: Option<String>,
    /// Summary or description, usually HTML.
    pub summary_html: Option<String>,
    /// The entry's categories as the feed wrote them (RSS `<category>`,
    /// Atom `term`, JSON Feed `tags`), in document order; not yet trimmed
    /// or lower-cased (see [`merge_tags`](crate::post::merge_tags)).
    pub categories: Vec<String>,
    /// The entry's author's name (the first, when it names several).
    pub author: Option<String>,
}

impl FeedItem {
    /// Publication time, falling back to the update time.
    pub fn date(&self) -> Option<DateTime<Utc>> {
        self.published.or(self.updated)
    }
}

/// A parsed feed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFeed {
    /// The feed's own title.
    pub title: Option<String>,
    /// RSS `<ttl>`: how long the feed may be cached.
    pub ttl: Option<std::time::Duration>,
    /// Entries in document order.
    pub items: Vec<FeedItem>,
}

/// Parses feed bytes fetched from `base` (used to resolve relative links).
pub fn parse_feed(bytes: &[u8], base: &Url) -> Result<ParsedFeed, ParseError> {
    if json::is_json(bytes) {
        return json::parse_json_feed(&charset::text_as_utf8(bytes), base);
    }
    let decoded = charset::xml_as_utf8(bytes);
    // A feed-rs parser keeps per-entry state: reused after a failed attempt
    // it tripped an assertion (found by fuzz/feed_to_post, kept in
    // tests/fixtures/fuzz/). So each attempt gets a fresh parser, and any
    // panic left in feed-rs is this feed's parse error, never the daemon's.
    let parse = |bytes: &[u8]| -> Result<feed_rs::model::Feed, String> {
        let attempt = std::panic::AssertUnwindSafe(|| {
            feed_rs::parser::Builder::new()
                .base_uri(Some(base.as_str()))
                .id_generator(|_, _, _| String::new())
                .timestamp_parser(dates::parse_timestamp)
                .build()
                .parse(bytes)
        });
        match std::panic::catch_unwind(attempt) {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err("the feed parser failed on this document".to_string()),
        }
    };
    // The document feed-rs read: as decoded, or repaired.
    let (mut feed, document) = match parse(&decoded) {
        Ok(feed) => (feed, Cow::Borrowed(decoded.as_ref())),
        // Repairs for documents that feedparser reads and feed-rs refuses,
        // tried in turn; the error is the one of the document as served.
        Err(error) => [
            repair::with_rss_version,
            repair::embedded_feed,
            repair::close_open_elements,
        ]
        .iter()
        .filter_map(|repair| repair(&decoded))
        .find_map(|repaired| Some((parse(&repaired).ok()?, Cow::Owned(repaired))))
        .ok_or(ParseError::Xml(error))?,
    };
    // feed-rs reads RSS 1.0's namespace but not RSS 0.90's, whose items
    // have the same shape: read such a document under RSS 1.0's name.
    // feed-rs takes any RDF root for RSS 1.0, so only such an empty feed
    // is tried again (not every empty RSS 2.0 or Atom feed, every poll).
    if feed.entries.is_empty()
        && feed.feed_type == FeedType::RSS1
        && let Some(patched) = repair::rss_090_as_rss_10(&document)
        && let Ok(reread) = parse(&patched)
    {
        feed = reread;
    }
    // Atom types its text; RSS does not, and its HTML titles are guessed.
    let guess_html = feed.feed_type != FeedType::Atom;
    let mut items: Vec<FeedItem> = feed
        .entries
        .into_iter()
        .map(|entry| feed_item(entry, base, guess_html))
        .collect();
    let rss = matches!(
        feed.feed_type,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
    );
    fill_missing_links(&mut items, &document, base, rss);
    Ok(ParsedFeed {
        ttl: feed
            .ttl
            .map(|minutes| std::time::Duration::from_secs(u64::from(minutes) * 60)),
        title: feed.title.map(|t| text_of(&t, guess_html)),
        items,
    })
}

/// One feed-rs entry as a [`FeedItem`], its link taken from its links alone.
fn feed_item(entry: feed_rs::model::Entry, base: &Url, guess_html: bool) -> FeedItem {
    let content_html = entry
        .content
        .and_then(|c| c.body)
        .filter(|b| !b.trim().is_empty());
    let summary_html = entry
        .summary
        .map(|s| s.content)
        .filter(|s| !s.trim().is_empty());
    let title = entry
        .title
        .map(|t| text_of(&t, guess_html))
        .filter(|t| !t.is_empty())
        .or_else(|| title_from_text(content_html.as_deref().or(summary_html.as_deref())));
    FeedItem {
        guid: Some(entry.id.trim().to_string()).filter(|id| !id.is_empty()),
        link: pick_link(&entry.links, base),
        title,
        published: entry.published,
        updated: entry.updated,
        content_html,
        summary_html,
        categories: entry.categories.into_iter().map(|c| c.term).collect(),
        author: entry
            .authors
            .into_iter()
            .filter_map(|a| a.name.map(|n| n.trim().to_string()))
            .find(|name| !name.is_empty() && name != "unknown"),
    }
}

/// A link for each entry that has none among its links: an RSS item's Atom
/// link, else its guid or Atom id when that is an absolute web URL (a plain
/// id such as "post-42" would resolve to a page that does not exist),
/// unless the guid says `isPermaLink="false"`. RSS items are
/// read again with quick-xml for what feed-rs drops, and used only when
/// every item was found, so no link lands on another item.
fn fill_missing_links(items: &mut [FeedItem], document: &[u8], base: &Url, rss: bool) {
    if items.iter().all(|i| i.link.is_some()) {
        return;
    }
    let rss_items = rss
        .then(|| rss_items::rss_items(document))
        .filter(|r| r.len() == items.len());
    for (index, item) in items.iter_mut().enumerate() {
        if item.link.is_some() {
            continue;
        }
        let id_link = item
            .guid
            .as_deref()
            .and_then(|id| Url::parse(id).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let rss_item = rss_items.as_ref().and_then(|r| r.get(index));
        let atom_link = rss_item
            .and_then(|r| r.atom_link.as_deref())
            .and_then(|href| url_if_web(href, base));
        let permalink = !rss_item.is_some_and(|r| r.guid_not_permalink);
        item.link = atom_link.or(id_link.filter(|_| permalink));
    }
}

/// The entry's page: a link without `rel` or with `rel="alternate"`, else the first.
fn pick_link(links: &[feed_rs::model::Link], base: &Url) -> Option<Url> {
    links
        .iter()
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .chain(links.iter())
        .find_map(|l| url_if_web(&l.href, base))
}

/// `href` resolved against `base`, if that is an http(s) URL.
fn url_if_web(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = base.join(href).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

#[cfg(test)]
mod tests;
