//! Table tests of the summary chain and of every post field, in-process.
//! One file over the usual size: the three realistic pages the tables share
//! sit at its top, and splitting the tables from them would only scatter them.

use std::path::Path;

use chrono::TimeZone;
use scraper::Selector;

use super::*;
use crate::extract::parse_selector;

/// Two feeds: one with tags, a name and `draft = false`; one with
/// defaults. Lengths are small so the cuts show.
const CONFIG: &str = r#"
tldr_length = 40
summary_length = 120

[[feed]]
name = "Example Blog"
url = "https://blog.example.com/feed.xml"
tags = ["rust", "scheduling"]
draft = false

[[feed]]
name = "Plain Feed"
url = "https://plain.example.org/rss"
"#;

/// The same feed with the default lengths, for texts that must not be cut.
const LONG_CONFIG: &str = r#"
[[feed]]
name = "Example Blog"
url = "https://blog.example.com/feed.xml"
"#;

/// An article page with every source the chain reads: a canonical link
/// (relative, with tracking parameters), meta descriptions, site
/// navigation, a promo inside the article, a lede, an empty byline and
/// enough paragraph text for the main-content heuristic.
const FULL_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Why we rewrote the scheduler | Example Blog</title>
  <meta property="og:description" content="Meta: the og description of the scheduler rewrite.">
  <meta name="description" content="Plain meta description.">
  <link rel="canonical" href="/2025/09/scheduler-rewrite/?utm_source=rss&amp;utm_medium=feed&amp;id=7#top">
</head>
<body>
  <header class="site-header">
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/archive">Archive</a></nav>
  </header>
  <div class="byline"><img src="/avatar.png" alt=""></div>
  <article>
<div class="promo">Subscribe to our newsletter for more posts like this one.</div>
<h1>Why we rewrote the scheduler</h1>
<p class="lede">Lede: the scheduler now runs every job on a single timer wheel.</p>
<p>For years the scheduler kept one timer per job, which meant thousands of
   wakeups a second on a busy host and a lot of wasted work in between.</p>
<p>The new design keeps a single wheel of slots and advances it once per
   tick, so the cost no longer grows with the number of jobs.</p>
  </article>
  <aside class="sidebar"><p>Related posts: a much older article about timers and queues.</p></aside>
  <footer>Copyright 2025 Example Blog. All rights reserved.</footer>
</body>
</html>"#;

/// A page too thin for the heuristic, with only an og:description.
const THIN_PAGE: &str = r#"<!doctype html>
<html><head>
  <title>Scheduler</title>
  <meta property="og:description" content="Meta: the og description of a thin page.">
  <meta name="description" content="Plain meta description of a thin page.">
</head><body>
  <nav><a href="/">Home</a></nav>
  <p>Too short to be an article, honestly.</p>
</body></html>"#;

/// A page with nothing to take: no meta, no canonical, no article.
const BARE_PAGE: &str =
    "<!doctype html><html><head><title>x</title></head><body><p>Hi.</p></body></html>";

const CONTENT: &str = "<p>Feed content: the <b>full</b> post as the feed carries it.</p>\
                       <p>Second paragraph of the content.</p>";
const SUMMARY: &str = "<p>Feed summary: a teaser of the post. […]</p>";

fn config(text: &str) -> Config {
    Config::parse(Path::new("/etc/linkpost/linkpost.toml"), text).expect("valid config")
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL parses")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 10, 12, 0, 0)
        .single()
        .expect("valid time")
}

/// The entry link, as the caller passes it (already canonical).
const LINK: &str = "https://blog.example.com/?p=7";
/// Where the article page was fetched from, after redirects.
const PAGE_URL: &str = "https://blog.example.com/2025/09/scheduler-rewrite/";
/// The page's canonical link, canonicalized.
const CANONICAL: &str = "https://blog.example.com/2025/09/scheduler-rewrite/?id=7";

fn item(content: Option<&str>, summary: Option<&str>) -> FeedItem {
    FeedItem {
        guid: Some("post-7".to_string()),
        link: Some(url(LINK)),
        title: Some("Why we rewrote the scheduler".to_string()),
        published: Some(now() - chrono::Duration::hours(5)),
        updated: Some(now() - chrono::Duration::hours(1)),
        content_html: content.map(str::to_string),
        summary_html: summary.map(str::to_string),
        categories: Vec::new(),
        author: None,
    }
}

fn page(html: &str) -> ArticlePage {
    ArticlePage {
        html: html.to_string(),
        url: url(PAGE_URL),
    }
}

fn parsed(list: &[&str]) -> Vec<Selector> {
    list.iter()
        .map(|css| parse_selector(css).expect("valid test selector"))
        .collect()
}

/// Builds with the first feed of `config`, no page options.
fn build_plain(
    config: &Config,
    item: &FeedItem,
    link: &Url,
    page: Option<&ArticlePage>,
) -> BuiltPost {
    build_post(
        &config.feeds[0],
        config,
        item,
        link,
        page,
        &PageOptions::default(),
        now(),
    )
}

/// One row of the summary chain.
struct Case {
    name: &'static str,
    content: Option<&'static str>,
    summary: Option<&'static str>,
    page: Option<&'static str>,
    selectors: &'static [&'static str],
    excludes: &'static [&'static str],
    heuristic: bool,
    source: Option<SummarySource>,
    /// How the summary (and the tldr) must start; "" with `None`.
    starts: &'static str,
    /// Text the summary must not contain.
    lacks: &'static [&'static str],
}

const SEL: Option<SummarySource> = Some(SummarySource::Selector);
const ART: Option<SummarySource> = Some(SummarySource::Article);
const CON: Option<SummarySource> = Some(SummarySource::Content);
const SUM: Option<SummarySource> = Some(SummarySource::Summary);
const META: Option<SummarySource> = Some(SummarySource::Meta);

const CASES: &[Case] = &[
    Case {
        name: "selector on the page wins over main content and feed text",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: Some(FULL_PAGE),
        selectors: &[".lede"],
        excludes: &[],
        heuristic: true,
        source: SEL,
        starts: "Lede: the scheduler now runs every job on a single timer wheel.",
        lacks: &["Why we rewrote", "For years"],
    },
    Case {
        name: "first selector with text wins; unmatched ones before it are skipped",
        content: Some(CONTENT),
        summary: None,
        page: Some(FULL_PAGE),
        selectors: &[".no-such-class", ".lede", "article"],
        excludes: &[],
        heuristic: false,
        source: SEL,
        starts: "Lede:",
        lacks: &["Why we rewrote"],
    },
    Case {
        name: "excluded elements are removed before the selector reads",
        content: Some(CONTENT),
        summary: None,
        page: Some(FULL_PAGE),
        selectors: &["article"],
        excludes: &[".promo"],
        heuristic: false,
        source: SEL,
        starts: "Why we rewrote the scheduler Lede:",
        lacks: &["Subscribe", "newsletter"],
    },
    Case {
        name: "without the exclude the selector keeps the promo",
        content: Some(CONTENT),
        summary: None,
        page: Some(FULL_PAGE),
        selectors: &["article"],
        excludes: &[],
        heuristic: false,
        source: SEL,
        starts: "Subscribe to our newsletter",
        lacks: &[],
    },
    Case {
        name: "main content (heuristic, no selector) wins over feed content",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: Some(FULL_PAGE),
        selectors: &[],
        excludes: &[],
        heuristic: true,
        source: ART,
        starts: "Lede: the scheduler",
        lacks: &[
            "Why we rewrote",
            "Home",
            "Subscribe",
            "Related posts",
            "Copyright",
            "Feed content",
        ],
    },
    Case {
        name: "a selector that matches nothing falls through to main content",
        content: Some(CONTENT),
        summary: None,
        page: Some(FULL_PAGE),
        selectors: &[".no-such-class"],
        excludes: &[],
        heuristic: true,
        source: ART,
        starts: "Lede:",
        lacks: &[],
    },
    Case {
        name: "a selector that matches nothing falls through to feed content",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: Some(FULL_PAGE),
        selectors: &[".no-such-class"],
        excludes: &[],
        heuristic: false,
        source: CON,
        starts: "Feed content: the full post as the feed carries it. Second paragraph",
        lacks: &["<p>", "<b>"],
    },
    Case {
        name: "a selector matching only markup (an image) falls through",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: Some(FULL_PAGE),
        selectors: &[".byline"],
        excludes: &[],
        heuristic: false,
        source: CON,
        starts: "Feed content:",
        lacks: &[],
    },
    Case {
        name: "a page without selector or heuristic gives no text",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: Some(FULL_PAGE),
        selectors: &[],
        excludes: &[],
        heuristic: false,
        source: CON,
        starts: "Feed content:",
        lacks: &[],
    },
    Case {
        name: "a page too thin for the heuristic falls through to feed content",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: Some(THIN_PAGE),
        selectors: &[],
        excludes: &[],
        heuristic: true,
        source: CON,
        starts: "Feed content:",
        lacks: &["Meta:"],
    },
    Case {
        name: "no page: feed content wins over the summary",
        content: Some(CONTENT),
        summary: Some(SUMMARY),
        page: None,
        selectors: &[],
        excludes: &[],
        heuristic: true,
        source: CON,
        starts: "Feed content:",
        lacks: &["Feed summary"],
    },
    Case {
        name: "content that is only white space and markup falls through to the summary",
        content: Some("<p>&nbsp;</p>\n<br/>\u{200b}<div> <img src=\"/x.png\"> </div>"),
        summary: Some(SUMMARY),
        page: None,
        selectors: &[],
        excludes: &[],
        heuristic: false,
        source: SUM,
        starts: "Feed summary: a teaser of the post.",
        lacks: &[],
    },
    Case {
        name: "content that is only a 'Read more' link falls through to the summary",
        content: Some("<p><a href=\"https://blog.example.com/?p=7\">Read more</a></p>"),
        summary: Some(SUMMARY),
        page: None,
        selectors: &[],
        excludes: &[],
        heuristic: false,
        source: SUM,
        starts: "Feed summary:",
        lacks: &["Read more"],
    },
    Case {
        name: "the feed summary wins over the page's meta description",
        content: None,
        summary: Some(SUMMARY),
        page: Some(THIN_PAGE),
        selectors: &[],
        excludes: &[],
        heuristic: true,
        source: SUM,
        starts: "Feed summary: a teaser of the post.",
        lacks: &["[…]", "Meta:"],
    },
    Case {
        name: "meta description (og first) when nothing else has text",
        content: None,
        summary: None,
        page: Some(THIN_PAGE),
        selectors: &[".no-such-class"],
        excludes: &[],
        heuristic: true,
        source: META,
        starts: "Meta: the og description of a thin page.",
        lacks: &["Plain meta"],
    },
    Case {
        name: "meta description when the feed text is only markup",
        content: Some("<div><img src=\"/x.png\" alt=\"\"></div>"),
        summary: Some("  <p> </p>  "),
        page: Some(FULL_PAGE),
        selectors: &[".no-such-class"],
        excludes: &[],
        heuristic: false,
        source: META,
        starts: "Meta: the og description of the scheduler rewrite.",
        lacks: &[],
    },
    Case {
        name: "no page and no feed text: no source, empty summary",
        content: None,
        summary: None,
        page: None,
        selectors: &[],
        excludes: &[],
        heuristic: true,
        source: None,
        starts: "",
        lacks: &[],
    },
    Case {
        name: "a bare page and feed text that is only markup: no source, empty summary",
        content: Some("<p> </p>"),
        summary: Some("<br>"),
        page: Some(BARE_PAGE),
        selectors: &["article"],
        excludes: &[],
        heuristic: true,
        source: None,
        starts: "",
        lacks: &[],
    },
];

#[test]
fn summary_chain_order() {
    let config = config(LONG_CONFIG);
    let link = url(LINK);
    for case in CASES {
        let item = item(case.content, case.summary);
        let page = case.page.map(page);
        let selectors = parsed(case.selectors);
        let excludes = parsed(case.excludes);
        let options = PageOptions {
            selectors: &selectors,
            excludes: &excludes,
            heuristic: case.heuristic,
            rules: &[],
        };
        let built = build_post(
            &config.feeds[0],
            &config,
            &item,
            &link,
            page.as_ref(),
            &options,
            now(),
        );
        let name = case.name;
        assert_eq!(built.source, case.source, "{name}: source");
        let summary = &built.post.summary;
        if case.source.is_none() {
            assert_eq!(summary, "", "{name}: summary");
            assert_eq!(built.post.tldr, "", "{name}: tldr");
        } else {
            assert!(
                summary.starts_with(case.starts),
                "{name}: summary {summary:?} should start with {:?}",
                case.starts
            );
            // The texts are shorter than the default lengths: no cut.
            assert_eq!(&built.post.tldr, summary, "{name}: tldr");
        }
        for lack in case.lacks {
            assert!(
                !summary.contains(lack),
                "{name}: summary {summary:?} should not contain {lack:?}"
            );
        }
    }
}

#[test]
fn options_from_the_feed_config_drive_the_chain() {
    use crate::refresh::article::FeedSelectors;
    let config = config(
        r#"
[[feed]]
name = "Selected"
url = "https://blog.example.com/feed.xml"
summary_selector = [".no-such-class", "article"]
summary_exclude = ".promo"

[[feed]]
name = "Heuristic"
url = "https://blog.example.com/feed.xml"
fetch_article = true
"#,
    );
    let (item, link, page) = (item(Some(CONTENT), None), url(LINK), page(FULL_PAGE));
    let cases = [
        (0, SEL, "Why we rewrote the scheduler Lede:"),
        (1, ART, "Lede:"),
    ];
    for (i, source, starts) in cases {
        let feed = &config.feeds[i];
        let feed_selectors = FeedSelectors::of(feed, std::sync::Arc::clone(&config.rules), None);
        let built = build_post(
            feed,
            &config,
            &item,
            &link,
            Some(&page),
            &feed_selectors.options(),
            now(),
        );
        assert_eq!(built.source, source, "{}", feed.name);
        assert!(
            built.post.summary.starts_with(starts),
            "{}: {:?}",
            feed.name,
            built.post.summary
        );
        assert!(!built.post.summary.contains("Subscribe"), "{}", feed.name);
    }
}

#[test]
fn page_canonical_becomes_external_url_and_link_an_alias() {
    let config = config(CONFIG);
    let link = url(LINK);
    let item = item(Some(CONTENT), None);
    let page = page(FULL_PAGE);
    let built = build_plain(&config, &item, &link, Some(&page));
    assert_eq!(built.post.external_url.as_str(), CANONICAL);
    assert_eq!(built.urls.external(), CANONICAL);
    assert_eq!(built.urls.iter().collect::<Vec<_>>(), [CANONICAL, LINK]);
    assert_eq!(built.urls.iter().count(), 2);
}

#[test]
fn external_url_cases() {
    let config = config(CONFIG);
    let link = url(LINK);
    let item = item(Some(CONTENT), None);
    let page_with = |canonical: &str| {
        page(&format!(
            "<html><head><link rel=\"canonical\" href=\"{canonical}\"></head>\
             <body><p>x</p></body></html>"
        ))
    };
    // (name, page, external URL, every URL)
    let cases: [(&str, Option<ArticlePage>, &str, &[&str]); 6] = [
        ("no page: the link, no alias", None, LINK, &[LINK]),
        (
            "a page without a canonical: the link, no alias",
            Some(page(BARE_PAGE)),
            LINK,
            &[LINK],
        ),
        (
            "an absolute canonical, tracking parameters and fragment dropped",
            Some(page_with(
                "https://BLOG.example.com:443/a/?fbclid=1&amp;utm_campaign=x&amp;q=2#c",
            )),
            "https://blog.example.com/a/?q=2",
            &["https://blog.example.com/a/?q=2", LINK],
        ),
        (
            "a canonical equal to the link is not repeated as an alias",
            Some(page_with(
                "https://blog.example.com/?p=7&amp;utm_source=rss",
            )),
            LINK,
            &[LINK],
        ),
        (
            "a canonical on another host is ignored",
            Some(page_with("https://elsewhere.example.net/a/")),
            LINK,
            &[LINK],
        ),
        (
            "a canonical with a non-web scheme is ignored",
            Some(page_with("javascript:alert(1)")),
            LINK,
            &[LINK],
        ),
    ];
    for (name, page, external, all) in cases {
        let built = build_plain(&config, &item, &link, page.as_ref());
        assert_eq!(built.post.external_url.as_str(), external, "{name}");
        assert_eq!(built.urls.external(), external, "{name}");
        assert_eq!(built.urls.iter().collect::<Vec<_>>(), all, "{name}");
    }
}

#[test]
fn dates() {
    let config = config(CONFIG);
    let link = url(LINK);
    let hours = chrono::Duration::hours;
    let days = chrono::Duration::days;
    // (name, published, updated, expected date)
    let cases = [
        (
            "published wins over updated",
            Some(now() - days(2)),
            Some(now() - hours(3)),
            now() - days(2),
        ),
        (
            "updated when there is no published",
            None,
            Some(now() - hours(3)),
            now() - hours(3),
        ),
        ("an undated entry gets now", None, None, now()),
        (
            "less than a day ahead is kept",
            Some(now() + hours(23)),
            None,
            now() + hours(23),
        ),
        (
            "exactly a day ahead is kept",
            Some(now() + days(1)),
            None,
            now() + days(1),
        ),
        (
            "more than a day ahead is replaced by now",
            Some(now() + days(1) + chrono::Duration::seconds(1)),
            None,
            now(),
        ),
        (
            "a far-future updated date is replaced by now",
            None,
            Some(now() + days(365)),
            now(),
        ),
        (
            "a future published date gives now, not the updated date",
            Some(now() + days(3)),
            Some(now() - days(1)),
            now(),
        ),
    ];
    for (name, published, updated, want) in cases {
        let item = FeedItem {
            published,
            updated,
            ..item(Some(CONTENT), None)
        };
        let built = build_plain(&config, &item, &link, None);
        assert_eq!(built.post.date, want.fixed_offset(), "{name}");
        assert_eq!(built.post.date.offset().local_minus_utc(), 0, "{name}");
    }
}

#[test]
fn title_falls_back_to_the_external_url() {
    let config = config(CONFIG);
    let link = url(LINK);
    let untitled = FeedItem {
        title: None,
        ..item(Some(CONTENT), None)
    };
    let built = build_plain(&config, &untitled, &link, None);
    assert_eq!(built.post.title, LINK);
    let built = build_plain(&config, &untitled, &link, Some(&page(FULL_PAGE)));
    assert_eq!(built.post.title, CANONICAL, "the canonical, not the link");
    let titled = item(Some(CONTENT), None);
    let built = build_plain(&config, &titled, &link, Some(&page(FULL_PAGE)));
    assert_eq!(built.post.title, "Why we rewrote the scheduler");
}

#[test]
fn tags_source_and_draft_come_from_the_feed_config() {
    let config = config(CONFIG);
    let link = url(LINK);
    let item = item(Some(CONTENT), None);
    let build = |feed: &FeedConfig| {
        build_post(
            feed,
            &config,
            &item,
            &link,
            None,
            &PageOptions::default(),
            now(),
        )
        .post
    };
    let post = build(&config.feeds[0]);
    assert_eq!(post.tags, ["rust", "scheduling"]);
    assert_eq!(post.source, "Example Blog");
    assert!(!post.draft);
    let post = build(&config.feeds[1]);
    assert!(post.tags.is_empty());
    assert_eq!(post.source, "Plain Feed");
    assert!(post.draft, "draft is the default");
}

#[test]
fn tldr_and_summary_are_cut_to_the_configured_lengths() {
    let config = config(CONFIG);
    assert_eq!((config.tldr_length, config.summary_length), (40, 120));
    let link = url(LINK);
    // (name, content HTML, tldr, summary)
    let cases = [
        (
            "no sentence end within the tldr length: cut at a word, with an ellipsis",
            "<p>The scheduler now runs every job on one wheel. It wakes once per tick \
             instead of once per job.</p><p>Busy hosts see far fewer wakeups, and the \
             latency of short jobs drops by half in our tests.</p>",
            "The scheduler now runs every job on one…",
            "The scheduler now runs every job on one wheel. It wakes once per tick \
             instead of once per job.",
        ),
        (
            "a sentence end within both lengths",
            "<p>Jobs share one wheel. It wakes once per tick, not once per job, so busy \
             hosts sleep more and the latency of short jobs drops by half in our tests \
             across the whole fleet of build machines.</p>",
            "Jobs share one wheel.",
            "Jobs share one wheel.",
        ),
        (
            "a text that fits is kept whole in both",
            "<p>Short and sweet.</p>",
            "Short and sweet.",
            "Short and sweet.",
        ),
    ];
    for (name, content, tldr, summary) in cases {
        let item = item(Some(content), None);
        let built = build_plain(&config, &item, &link, None);
        let post = &built.post;
        assert_eq!(built.source, CON, "{name}");
        assert_eq!(post.tldr, tldr, "{name}");
        assert_eq!(post.summary, summary, "{name}");
        assert!(post.tldr.chars().count() <= 40, "{name}");
        assert!(post.summary.chars().count() <= 120, "{name}");
        // Both are cuts of the same text: the tldr (less its ellipsis)
        // is a prefix of the summary.
        let stem = post.tldr.trim_end_matches('…');
        assert!(post.summary.starts_with(stem), "{name}");
    }
}

#[test]
fn page_text_is_cut_too() {
    let config = config(CONFIG);
    let link = url(LINK);
    let item = item(None, None);
    let options = PageOptions {
        selectors: &[],
        excludes: &[],
        heuristic: true,
        rules: &[],
    };
    let page = page(FULL_PAGE);
    let built = build_post(
        &config.feeds[0],
        &config,
        &item,
        &link,
        Some(&page),
        &options,
        now(),
    );
    assert_eq!(built.source, ART);
    assert_eq!(built.post.tldr, "Lede: the scheduler now runs every job…");
    assert_eq!(
        built.post.summary,
        "Lede: the scheduler now runs every job on a single timer wheel."
    );
}

#[test]
fn a_link_that_names_its_entry_by_a_fragment_keeps_it() {
    // scripting.com: each item is an anchor in one day page, whose
    // canonical URL is the page; the items must not become one post.
    let config = config(CONFIG);
    let link = url("http://scripting.com/2017/06/26.html#a080605");
    let item = item(Some(CONTENT), None);
    let page = page(
        "<html><head><link rel=\"canonical\" href=\"http://scripting.com/2017/06/26.html\"></head>\
         <body><p>x</p></body></html>",
    );
    let built = build_plain(&config, &item, &link, Some(&page));
    assert_eq!(
        built.post.external_url.as_str(),
        "http://scripting.com/2017/06/26.html#a080605"
    );
    assert_eq!(
        built.urls.iter().collect::<Vec<_>>(),
        ["http://scripting.com/2017/06/26.html#a080605"],
        "the day page is no alias of one of its entries"
    );
}
