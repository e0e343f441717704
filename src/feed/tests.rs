//! parse_feed on real fixtures and small documents, one test per behaviour.

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
            i.link.as_ref().map(Url::as_str) == Some("http://scripting.com/2017/06/26.html#a080605")
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
            i.link.as_ref().map(Url::as_str) == Some("http://scripting.com/2017/06/26.html#a020604")
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
    let misspelt = b"<rss version=\"2.0\"><channel><item><title>a</titl></item></channel></rss>";
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
        Some("Bright, Spacious Beautiful Victorian (oakland north / temescal) $4300 3bd 1930ft2")
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
    let xml =
        b"<rss><channel><item><title>x</title><link>https://e.com/x</link></item></channel></rss>";
    let feed = parse_feed(xml, &base()).expect("parses");
    assert_eq!(feed.items.len(), 1);
    assert_eq!(
        feed.items[0].link.as_ref().map(Url::as_str),
        Some("https://e.com/x")
    );
}

#[test]
fn html_is_not_a_feed() {
    assert!(parse_feed(b"<html><body>hi</body></html>", &base()).is_err());
    assert!(parse_feed(b"", &base()).is_err());
}

/// Pieces of feeds, pages and JSON, so random documents reach the repairs.
const PIECES: &[&[u8]] = &[
    b"<?xml version=\"1.0\"?>",
    b"<?xml version='1.0' encoding='utf-8'?>",
    b"<rss>",
    b"<rss version=\"2.0\">",
    b"</rss>",
    b"<channel>",
    b"</channel>",
    b"<item>",
    b"</item>",
    b"<title>",
    b"</title>",
    b"</titl>",
    b"<link>https://e.com/a</link>",
    b"<guid isPermaLink=\"false\">https://e.com/g</guid>",
    b"<a10:link xmlns:a10=\"http://www.w3.org/2005/Atom\" href=\"/x\"/>",
    b"<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    b"</feed>",
    b"<entry>",
    b"</entry>",
    b"<html xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
    b"<body>",
    b"</body>",
    b"<br>",
    b"<![CDATA[1<sup>2</sup>]]>",
    b"x &amp; y",
    b"\xe9\xff",
    b"\xc3\xa9",
    b"{\"items\": [",
    b"{\"url\": \"/j\", \"title\": 1}",
    b"]}",
];

proptest::proptest! {
    #[test]
    fn repairs_and_parsing_never_panic(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..40)
    ) {
        let document = pieces.concat();
        let _ = repair::close_open_elements(&document);
        let _ = repair::embedded_feed(&document);
        let _ = parse_feed(&document, &base());
    }
}

#[test]
fn categories_are_read_from_rss_atom_and_json_feed() {
    let rss = br#"<rss version="2.0"><channel><title>T</title>
        <item><title>A</title><link>https://e.com/a</link>
        <category>Go</category><category domain="x"> Cloud Native </category></item>
        <item><title>B</title><link>https://e.com/b</link></item></channel></rss>"#;
    let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>t</id>
        <updated>2025-01-01T00:00:00Z</updated>
        <entry><title>A</title><id>a</id><link href="https://e.com/a"/>
        <updated>2025-01-01T00:00:00Z</updated>
        <category term="rust" label="Rust"/><category term="k8s"/></entry></feed>"#;
    let json = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
        "items": [{"id": "a", "url": "https://e.com/a", "content_text": "x",
                   "tags": ["Go", 7, "Web"]}]}"#;
    let categories = |bytes: &[u8]| -> Vec<Vec<String>> {
        let feed = parse_feed(bytes, &base()).expect("parse");
        feed.items.into_iter().map(|i| i.categories).collect()
    };
    assert_eq!(
        categories(rss),
        [vec!["Go".to_string(), "Cloud Native".to_string()], vec![]]
    );
    assert_eq!(categories(atom), [["rust", "k8s"]]);
    assert_eq!(categories(json), [["Go", "Web"]]);
}
