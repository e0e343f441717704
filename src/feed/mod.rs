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
//! - `json`: JSON Feed, read leniently (not by feed-rs).
//! - `repair`: byte-level repairs tried when feed-rs refuses a document.
//! - `rss_items`: what feed-rs drops from RSS items (Atom links, a guid's
//!   `isPermaLink`), read with quick-xml.
//! - `text`: titles as the text a reader sees.

mod charset;
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
    if feed.entries.is_empty()
        && let Some(patched) = repair::rss_090_as_rss_10(&document)
        && let Ok(reread) = parse(&patched)
    {
        feed = reread;
    }
    // Atom types its text; RSS does not, and its HTML titles are guessed.
    let guess_html = feed.feed_type != FeedType::Atom;
    let mut items = Vec::with_capacity(feed.entries.len());
    let mut id_links = Vec::with_capacity(feed.entries.len());
    for entry in feed.entries {
        // An RSS guid (or an Atom id) is often the entry's URL; only an
        // absolute one is taken, since a plain id such as "post-42" would
        // resolve to a page that does not exist.
        id_links.push(
            Url::parse(entry.id.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https")),
        );
        items.push(feed_item(entry, base, guess_html));
    }
    let rss = matches!(
        feed.feed_type,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
    );
    fill_missing_links(&mut items, id_links, &document, base, rss);
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
    }
}

/// A link for each entry that has none among its links: an RSS item's Atom
/// link, else its guid or Atom id when that is a web URL (`id_links`, one
/// per item), unless the guid says `isPermaLink="false"`. RSS items are
/// read again with quick-xml for what feed-rs drops, and used only when
/// every item was found, so no link lands on another item.
fn fill_missing_links(
    items: &mut [FeedItem],
    id_links: Vec<Option<Url>>,
    document: &[u8],
    base: &Url,
    rss: bool,
) {
    if items.iter().all(|i| i.link.is_some()) {
        return;
    }
    let rss_items = if rss {
        rss_items::rss_items(document)
    } else {
        Vec::new()
    };
    let rss_items = (rss_items.len() == items.len()).then_some(rss_items);
    for (index, (item, id_link)) in items.iter_mut().zip(id_links).enumerate() {
        if item.link.is_some() {
            continue;
        }
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
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.com/feed/").expect("valid url")
    }

    #[test]
    fn entries_without_a_title_are_titled_from_their_text() {
        // scripting.com: a microblog whose items are mostly untitled.
        let bytes = include_bytes!("../../tests/fixtures/feeds/scripting-news.rss");
        let feed = parse_feed(bytes, &base()).expect("parse");
        assert_eq!(feed.items.len(), 50);
        for item in &feed.items {
            let title = item.title.as_deref().expect("every item has a title");
            assert!(!title.starts_with("http"), "{title}");
            assert!(title.chars().count() <= MAX_DERIVED_TITLE + 1, "{title}");
        }
        let untitled = feed
            .items
            .iter()
            .find(|i| {
                i.link.as_ref().map(Url::as_str)
                    == Some("http://scripting.com/2017/06/26.html#a080605")
            })
            .expect("item");
        assert_eq!(
            untitled.title.as_deref(),
            Some("Good morning students and teachers! 🍏")
        );
        let long = feed
            .items
            .iter()
            .find(|i| {
                i.link.as_ref().map(Url::as_str)
                    == Some("http://scripting.com/2017/06/26.html#a020604")
            })
            .expect("item");
        let title = long.title.as_deref().expect("title");
        assert!(
            title.starts_with("Interesting Politico piece posits that Trump acts as if he's mayor")
                && title.ends_with('…')
                && !title.ends_with(" …"),
            "{title}"
        );
    }

    #[test]
    fn an_rss_090_feed_is_read_as_rss_10() {
        // heise online, in the RSS 0.90 namespace (miniflux's rdf_UTF8.xml).
        let bytes = include_bytes!("../../tests/fixtures/feeds/heise-rss090.xml");
        let feed = parse_feed(bytes, &base()).expect("parse");
        assert_eq!(feed.items.len(), 60);
        assert!(
            feed.items
                .iter()
                .all(|i| i.link.is_some() && i.title.is_some())
        );
        assert_eq!(
            feed.items[0].title.as_deref(),
            Some("OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen")
        );
        assert_eq!(
            feed.items[0].link.as_ref().map(Url::as_str),
            Some(
                "https://www.heise.de/newsticker/meldung/OLED-TVs-Vorsichtsmassnahmen-gegen-Einbrennen-4205274.html?wt_mc=rss.ho.beitrag.rdf"
            )
        );
    }

    #[test]
    fn atom_links_inside_rss_items_are_read() {
        // .NET's SyndicationFeed writes `<a10:link href>` in RSS items
        // (feedjira's a10.xml).
        let bytes = include_bytes!("../../tests/fixtures/feeds/a10-links.xml");
        let feed = parse_feed(bytes, &base()).expect("parse");
        let links: Vec<&str> = feed
            .items
            .iter()
            .filter_map(|i| i.link.as_ref().map(Url::as_str))
            .collect();
        assert_eq!(
            links,
            [
                "http://www.example.com/5",
                "http://www.example.com/4",
                "http://www.example.com/3",
                "http://www.example.com/2",
                "http://www.example.com/1",
            ]
        );
    }

    #[test]
    fn a_feed_inside_an_xhtml_page_is_read() {
        // regression: #12. feedjira's DuplicateContentAtomFeed (tablix.org).
        let bytes = include_bytes!("../../tests/fixtures/feeds/atom-in-xhtml-page.xml");
        let feed = parse_feed(bytes, &base()).expect("parse");
        assert_eq!(feed.title.as_deref(), Some("Avian’s Blog"));
        assert_eq!(feed.items.len(), 10);
        assert_eq!(feed.items[0].title.as_deref(), Some("Down time"));
        assert_eq!(
            feed.items[0].link.as_ref().map(Url::as_str),
            Some("http://www.tablix.org/~avian/blog/archives/2014/07/down_time/")
        );
    }

    #[test]
    fn an_element_left_open_is_closed_as_feedparser_reads_it() {
        // regression: #12. feedjira's ITunesWithSingleQuotedAttributes: an
        // `<itunes:category>` is never closed, so the items sit inside it.
        let bytes = include_bytes!("../../tests/fixtures/feeds/itunes-unclosed-category.xml");
        let feed = parse_feed(bytes, &base()).expect("parse");
        let read: Vec<(Option<&str>, Option<&str>)> = feed
            .items
            .iter()
            .map(|i| (i.title.as_deref(), i.link.as_ref().map(Url::as_str)))
            .collect();
        assert_eq!(
            read,
            [
                (
                    Some("Shake Shake Shake Your Spices"),
                    Some("http://example.com/podcasts/archive/aae20050615.m4a")
                ),
                (
                    Some("Socket Wrench Shootout"),
                    Some("http://example.com/podcasts/archive/aae20050608.mp3")
                ),
                (
                    Some("Red, Whine, & Blue"),
                    Some("http://example.com/podcasts/archive/aae20050601.mp3")
                ),
            ]
        );
        // A misspelt end tag and a truncated body stay errors.
        let misspelt =
            b"<rss version=\"2.0\"><channel><item><title>a</titl></item></channel></rss>";
        assert!(parse_feed(misspelt, &base()).is_err());
        let truncated = b"<rss version=\"2.0\"><channel><item><title>a</title></item><item>";
        assert!(parse_feed(truncated, &base()).is_err());
    }

    #[test]
    fn html_in_rss_titles_is_read_as_a_reader_sees_it() {
        // regression: #12. HTML in CDATA titles was shown as tags.
        let bytes = include_bytes!("../../tests/fixtures/feeds/craigslist-html-titles.rss");
        let feed = parse_feed(bytes, &base()).expect("parse");
        assert_eq!(feed.items.len(), 25);
        assert_eq!(
            feed.items[0].title.as_deref(),
            Some(
                "Bright, Spacious Beautiful Victorian (oakland north / temescal) $4300 3bd 1930ft2"
            )
        );
        assert!(
            feed.items
                .iter()
                .all(|i| !i.title.as_deref().is_some_and(|t| t.contains('<')))
        );
        let bytes = include_bytes!("../../tests/fixtures/feeds/livemint-html-title.xml");
        let feed = parse_feed(bytes, &base()).expect("parse");
        assert_eq!(
            feed.items[17].title.as_deref(),
            Some("SmartCity Kochi to raise ₹4,000 crore from investors")
        );
        // Text that only looks like markup stays text, and Atom's
        // type="text" is taken at its word.
        let rss = br#"<rss version="2.0"><channel><item><title>Vec&lt;T&gt; in Rust</title></item></channel></rss>"#;
        let feed = parse_feed(rss, &base()).expect("parse");
        assert_eq!(feed.items[0].title.as_deref(), Some("Vec<T> in Rust"));
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text">x&lt;sup&gt;2&lt;/sup&gt;</title></entry></feed>"#;
        let feed = parse_feed(atom, &base()).expect("parse");
        assert_eq!(feed.items[0].title.as_deref(), Some("x<sup>2</sup>"));
    }

    #[test]
    fn a_document_that_made_feed_rs_panic_is_a_parse_error() {
        // The first attempt fails mid-entry; the retry with a version added
        // used to reuse the parser and hit feed-rs's assertion.
        let bytes = include_bytes!("../../tests/fixtures/fuzz/feed-rs-mediarss-assert.xml");
        let err = parse_feed(bytes, &base()).expect_err("refused, not a panic");
        assert!(
            err.to_string().contains("not a feed linkpost can read"),
            "{err}"
        );
    }

    #[test]
    fn a_guid_that_is_not_an_absolute_url_is_not_a_link() {
        let xml = br#"<rss version="2.0"><channel><title>T</title>
            <item><title>a</title><guid isPermaLink="false">post-42</guid></item>
            <item><title>b</title><guid>https://example.com/b</guid></item>
            </channel></rss>"#;
        let feed = parse_feed(xml, &base()).expect("parses");
        assert_eq!(feed.items[0].link, None);
        assert_eq!(feed.items[0].guid.as_deref(), Some("post-42"));
        assert_eq!(
            feed.items[1].link.as_ref().map(Url::as_str),
            Some("https://example.com/b")
        );
    }

    #[test]
    fn a_guid_that_is_no_permalink_is_never_the_link() {
        // regression: #12. feedjira's Permalinks.xml: the first guid is an
        // absolute URL with isPermaLink="false", so that item has no link.
        let bytes = include_bytes!("../../tests/fixtures/feeds/guid-permalinks.xml");
        let feed = parse_feed(bytes, &base()).expect("parse");
        let links: Vec<Option<&str>> = feed
            .items
            .iter()
            .map(|i| i.link.as_ref().map(Url::as_str))
            .collect();
        assert_eq!(
            links,
            [
                None,
                Some("http://example.com/2"),
                Some("http://example.com/3"),
                Some("http://example.com/4"),
            ]
        );
        assert_eq!(feed.items[0].guid.as_deref(), Some("http://example.com/1"));
    }

    #[test]
    fn rss_items_keep_feed_guid_and_resolve_links() {
        let xml = br#"<rss version="2.0"><channel><title>T</title>
            <item><title>A &amp;#8217; b</title><link>/post/a?utm_source=x</link><guid>g1</guid>
              <pubDate>Tue, 09 Sep 2025 13:21:00 +0000</pubDate><description>&lt;p&gt;Hi&lt;/p&gt;</description></item>
            <item><title>No guid</title><link>https://example.com/b</link></item>
            </channel></rss>"#;
        let feed = parse_feed(xml, &base()).expect("parses");
        assert_eq!(feed.items.len(), 2);
        let a = &feed.items[0];
        assert_eq!(a.guid.as_deref(), Some("g1"));
        assert_eq!(a.title.as_deref(), Some("A ’ b"));
        assert_eq!(
            a.link.as_ref().map(Url::as_str),
            Some("https://example.com/post/a?utm_source=x")
        );
        assert_eq!(a.summary_html.as_deref(), Some("<p>Hi</p>"));
        assert!(a.published.is_some());
        assert_eq!(feed.items[1].guid, None, "no invented guid");
    }

    #[test]
    fn rss_without_version_parses() {
        // feed-rs #275: <rss> without a version attribute.
        let xml = b"<rss><channel><item><title>x</title><link>https://e.com/x</link></item></channel></rss>";
        assert!(parse_feed(xml, &base()).is_ok());
    }

    #[test]
    fn html_is_not_a_feed() {
        assert!(parse_feed(b"<html><body>hi</body></html>", &base()).is_err());
        assert!(parse_feed(b"", &base()).is_err());
    }
}
