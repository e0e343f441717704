//! Finding a site's feeds from any URL a person pastes (`linkpost add`): a
//! feed, a site's home page or one of its articles.
//!
//! A URL whose body parses as a feed is that feed. Otherwise the page's
//! `<link rel="alternate">` elements of a feed type are the candidates, in
//! page order, at most [`MAX_CANDIDATES`] of them (a page that links more is
//! capped, and says so); a page that links none has the site's common feed
//! paths ([`COMMON_PATHS`]) tried in turn. [`main_feed`] picks the one a
//! person most likely means: the first that is no comments feed, on the
//! page's own site.

use scraper::{Html, Selector};
use url::Url;

use crate::config::HttpLimits;
use crate::extract::decode_html;
use crate::feed::{ParseError, ParsedFeed, parse_feed};
use crate::fetch::{Fetch, FetchError, FetchOutcome, Fetched, Reach};

/// Most feeds taken from one page's links.
pub const MAX_CANDIDATES: usize = 50;

/// Paths tried on the site when a page links no feed, in order.
pub const COMMON_PATHS: &[&str] = &[
    "/feed/",
    "/index.xml",
    "/atom.xml",
    "/rss.xml",
    "/feed.json",
];

/// `type` values of a `<link rel="alternate">` that is a feed.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/x.atom+xml",
    "application/x-atom+xml",
    "text/xml",
];

/// Why no feed could be looked for.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The URL could not be fetched.
    #[error("cannot fetch {url}: {cause}")]
    Fetch {
        /// The URL given.
        url: Url,
        /// Why.
        cause: FetchError,
    },
    /// The server answered 304 to a request that had no validators.
    #[error("{0} answered 304 Not Modified to a plain request")]
    NotModified(Url),
}

/// How a candidate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// The URL given is a feed.
    Given,
    /// A `<link rel="alternate">` of the page.
    Link,
    /// One of [`COMMON_PATHS`] on the site.
    CommonPath,
}

/// A feed that was found.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where to fetch it.
    pub url: Url,
    /// Its title: the link's `title`, or the feed's own when it was fetched.
    pub title: Option<String>,
    /// How it was found.
    pub found_by: FoundBy,
}

/// What looking for feeds found.
#[derive(Debug)]
pub struct Discovery {
    /// Where the URL given led, after redirects: the page whose site the
    /// main feed is on.
    pub page_url: Url,
    /// The feeds, in the order found.
    pub candidates: Vec<Candidate>,
    /// Feed links of the page beyond [`MAX_CANDIDATES`], left out.
    pub links_left_out: usize,
    /// The feeds that were fetched on the way (the URL given when it is a
    /// feed, common paths that answered): their response and parse, so
    /// that they need not be fetched again.
    pub fetched: Vec<(Url, Box<Fetched>, ParsedFeed)>,
}

/// Looks for the feeds of `url` (see the module doc).
pub async fn discover(
    fetcher: &dyn Fetch,
    limits: &HttpLimits,
    url: &Url,
) -> Result<Discovery, DiscoverError> {
    let fetched = match fetcher.fetch(url, limits, None, Reach::Any).await {
        Ok(FetchOutcome::Fetched(fetched)) => fetched,
        Ok(FetchOutcome::NotModified) => return Err(DiscoverError::NotModified(url.clone())),
        Err(cause) => {
            return Err(DiscoverError::Fetch {
                url: url.clone(),
                cause,
            });
        }
    };
    if let Ok(parsed) = parse_feed(&fetched.bytes, &fetched.final_url) {
        return Ok(Discovery {
            page_url: fetched.final_url.clone(),
            candidates: vec![Candidate {
                url: url.clone(),
                title: parsed.title.clone(),
                found_by: FoundBy::Given,
            }],
            links_left_out: 0,
            fetched: vec![(url.clone(), fetched, parsed)],
        });
    }
    let html = decode_html(&fetched.bytes, fetched.content_type.as_deref());
    let (candidates, total) = alternate_links(&html, &fetched.final_url);
    if !candidates.is_empty() {
        return Ok(Discovery {
            page_url: fetched.final_url.clone(),
            links_left_out: total - candidates.len(),
            candidates,
            fetched: Vec::new(),
        });
    }
    let mut discovery = Discovery {
        page_url: fetched.final_url.clone(),
        candidates: Vec::new(),
        links_left_out: 0,
        fetched: Vec::new(),
    };
    for path in COMMON_PATHS {
        let Ok(candidate) = fetched.final_url.join(path) else {
            continue;
        };
        if let Ok((fetched, parsed)) = fetch_feed(fetcher, limits, &candidate).await {
            discovery.candidates.push(Candidate {
                url: candidate.clone(),
                title: parsed.title.clone(),
                found_by: FoundBy::CommonPath,
            });
            discovery.fetched.push((candidate, fetched, parsed));
        }
    }
    Ok(discovery)
}

/// Fetches and parses the feed at `url`.
pub async fn fetch_feed(
    fetcher: &dyn Fetch,
    limits: &HttpLimits,
    url: &Url,
) -> Result<(Box<Fetched>, ParsedFeed), FetchFeedError> {
    match fetcher.fetch(url, limits, None, Reach::Any).await? {
        FetchOutcome::Fetched(fetched) => {
            let parsed = parse_feed(&fetched.bytes, &fetched.final_url)?;
            Ok((fetched, parsed))
        }
        FetchOutcome::NotModified => Err(FetchFeedError::NotModified),
    }
}

/// A feed that could not be fetched or read.
#[derive(Debug, thiserror::Error)]
pub enum FetchFeedError {
    /// The fetch failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The body is no feed.
    #[error("it is not a feed: {0}")]
    Parse(#[from] ParseError),
    /// 304 to a plain request.
    #[error("it answered 304 Not Modified to a plain request")]
    NotModified,
}

/// The feed links of a page: `<link rel="alternate">` of a feed type with
/// an `href`, resolved against the page (or its `<base href>`), without
/// repeats, at most [`MAX_CANDIDATES`]; and how many there were in all.
pub fn alternate_links(html: &str, page_url: &Url) -> (Vec<Candidate>, usize) {
    let doc = Html::parse_document(html);
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let Ok(links) = Selector::parse("link[rel][href]") else {
        return (Vec::new(), 0);
    };
    let mut found: Vec<Candidate> = Vec::new();
    let mut total = 0;
    for link in doc.select(&links) {
        let element = link.value();
        let is_alternate = element.attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let is_feed = element.attr("type").is_some_and(|t| {
            let t = t.split(';').next().unwrap_or_default().trim();
            FEED_TYPES.iter().any(|f| f.eq_ignore_ascii_case(t))
        });
        let Some(url) = element
            .attr("href")
            .and_then(|href| base.join(href.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            continue;
        };
        // WordPress links each page's REST API JSON as an alternate
        // `application/json`: no feed.
        let is_api = url.path().contains("/wp-json/");
        if !is_alternate || !is_feed || is_api || found.iter().any(|c| c.url == url) {
            continue;
        }
        total += 1;
        if found.len() < MAX_CANDIDATES {
            let title = element
                .attr("title")
                .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|t| !t.is_empty());
            found.push(Candidate {
                url,
                title,
                found_by: FoundBy::Link,
            });
        }
    }
    (found, total)
}

/// Whether a candidate is a comments feed (WordPress links one per
/// article and one for the site).
pub fn is_comments_feed(candidate: &Candidate) -> bool {
    let mentions = |text: &str| text.to_lowercase().contains("comment");
    mentions(candidate.url.path()) || candidate.title.as_deref().is_some_and(mentions)
}

/// The index of the feed a person most likely means, if one stands out:
/// the only candidate; else the first that is no comments feed and is on
/// `page`'s site (`www.` aside); else the only one that is no comments
/// feed. `None` when the choice is the person's.
pub fn main_feed(candidates: &[Candidate], page: &Url) -> Option<usize> {
    if candidates.len() == 1 {
        return Some(0);
    }
    let site = |url: &Url| {
        url.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    let feeds: Vec<usize> = (0..candidates.len())
        .filter(|&i| !is_comments_feed(&candidates[i]))
        .collect();
    feeds
        .iter()
        .copied()
        .find(|&i| site(&candidates[i].url) == site(page))
        .or(match feeds.as_slice() {
            [only] => Some(*only),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://blog.example/2026/12/a-post/").unwrap()
    }

    #[test]
    fn alternate_links_of_feed_types_resolved_without_repeats() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed" href="/feed/">
            <link rel="alternate" type="application/rss+xml" title="Blog &raquo; A post Comments Feed" href="/2026/12/a-post/feed/">
            <link rel="ALTERNATE home" type="application/atom+xml; charset=utf-8" href="atom.xml">
            <link rel="alternate" type="application/feed+json" href="https://blog.example/feed.json">
            <link rel="alternate" type="application/json" href="https://blog.example/wp-json/wp/v2/posts/7">
            <link rel="alternate" type="application/rss+xml" href="/feed/">
            <link rel="alternate" hreflang="de" href="/de/">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
        </head></html>"#;
        let (found, total) = alternate_links(html, &page());
        let urls: Vec<&str> = found.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://blog.example/feed/",
                "https://blog.example/2026/12/a-post/feed/",
                "https://blog.example/2026/12/a-post/atom.xml",
                "https://blog.example/feed.json",
            ]
        );
        assert_eq!(total, 4);
        assert_eq!(found[0].title.as_deref(), Some("Blog \u{bb} Feed"));
        assert!(is_comments_feed(&found[1]));
        assert_eq!(main_feed(&found, &page()), Some(0));
    }

    #[test]
    fn a_base_href_is_honoured() {
        let html = r#"<head><base href="https://cdn.example/site/">
            <link rel="alternate" type="application/atom+xml" href="atom.xml"></head>"#;
        let (found, _) = alternate_links(html, &page());
        assert_eq!(found[0].url.as_str(), "https://cdn.example/site/atom.xml");
    }

    #[test]
    fn a_page_of_a_thousand_feeds_is_capped() {
        let links: String = (0..1000)
            .map(|i| format!("<link rel=alternate type=application/rss+xml href=/f{i}.xml>"))
            .collect();
        let (found, total) = alternate_links(&format!("<head>{links}</head>"), &page());
        assert_eq!(found.len(), MAX_CANDIDATES);
        assert_eq!(total, 1000);
    }

    #[test]
    fn the_main_feed_is_on_the_site_and_no_comments_feed() {
        let candidate = |url: &str, title: Option<&str>| Candidate {
            url: Url::parse(url).unwrap(),
            title: title.map(str::to_string),
            found_by: FoundBy::Link,
        };
        let comments = candidate("https://blog.example/comments/feed/", None);
        let elsewhere = candidate("https://feeds.feedburner.com/blog", None);
        let own = candidate("https://www.blog.example/rss", Some("Blog"));
        assert_eq!(
            main_feed(&[comments.clone(), elsewhere.clone(), own], &page()),
            Some(2)
        );
        assert_eq!(
            main_feed(&[comments.clone(), elsewhere.clone()], &page()),
            Some(1)
        );
        let other = candidate("https://other.example/feed", None);
        assert_eq!(main_feed(&[elsewhere, other], &page()), None);
        assert_eq!(main_feed(&[comments], &page()), Some(0));
    }
}
