//! Article pages: whether an entry's page is fetched ([`decide_page`]: its
//! feed's `summary_selector` and `fetch_article`, and under `"auto"` whether
//! the entry's own text is a [teaser](super::teaser)), and fetching it under
//! the host limit and the private-address guard. Any failure is logged and
//! the post falls back to the feed's own text.

use std::net::IpAddr;

use tracing::{info, warn};
use url::Url;

use super::teaser::{Teaser, detect_teaser};
use crate::config::{FeedConfig, FetchArticle};
use crate::extract::{self, PageOptions};
use crate::feed::FeedItem;
use crate::fetch::{self, Fetch, FetchError, FetchOutcome, HostLimiter, Reach};
use crate::post::{ArticlePage, EntryText};

/// Whether an entry's article page is fetched, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageDecision {
    /// Fetched: the feed has a `summary_selector`.
    Selector,
    /// Fetched: `fetch_article = true`.
    Always,
    /// Fetched: `fetch_article = "auto"`, and the entry's text is a teaser.
    Teaser(Teaser),
    /// Not fetched: `fetch_article = "auto"`, and the entry's text looks whole.
    Whole,
    /// Not fetched: `fetch_article = false`.
    Never,
}

impl PageDecision {
    /// Whether the page is fetched.
    pub fn fetches(self) -> bool {
        !matches!(self, PageDecision::Whole | PageDecision::Never)
    }

    /// The stable lower-case name used in logs and JSON output: `selector`,
    /// `always`, the teaser's name (`read-more`, `short`, `empty`), `whole`
    /// or `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            PageDecision::Selector => "selector",
            PageDecision::Always => "always",
            PageDecision::Teaser(teaser) => teaser.as_str(),
            PageDecision::Whole => "whole",
            PageDecision::Never => "never",
        }
    }
}

/// Whether the article page of `item`, an entry of `feed`, is fetched, and
/// the entry's own text when deciding read it, for [`build_post`](crate::post::build_post)
/// to use rather than read again. Only `"auto"` reads the entry (its HTML is
/// parsed, so call this off the async workers when there are many).
pub fn decide_page(
    feed: &FeedConfig,
    item: &FeedItem,
) -> (PageDecision, Option<Option<EntryText>>) {
    if !feed.summary_selector.is_empty() {
        return (PageDecision::Selector, None);
    }
    match feed.fetch_article {
        FetchArticle::Always => (PageDecision::Always, None),
        FetchArticle::Never => (PageDecision::Never, None),
        FetchArticle::Auto => {
            let entry = EntryText::read(item);
            let decision =
                detect_teaser(entry.as_ref()).map_or(PageDecision::Whole, PageDecision::Teaser);
            (decision, Some(entry))
        }
    }
}

/// A feed's CSS selectors, parsed once per poll (config validation has
/// already refused invalid ones), and where its article pages may be fetched.
#[derive(Debug)]
pub struct FeedSelectors {
    selectors: Vec<scraper::Selector>,
    excludes: Vec<scraper::Selector>,
    heuristic: bool,
    /// The config's own extraction rules.
    rules: std::sync::Arc<[extract::Rule]>,
    /// Entry links come from the feed, so by default they may not lead into
    /// the local network, unless the feed itself is served from there.
    reach: Reach,
}

impl FeedSelectors {
    /// The selectors of `feed`, whose feed document came from `feed_addr`,
    /// with the config's own extraction `rules`.
    pub fn of(
        feed: &FeedConfig,
        rules: std::sync::Arc<[extract::Rule]>,
        feed_addr: Option<IpAddr>,
    ) -> FeedSelectors {
        let parse = |list: &[String]| -> Vec<_> {
            list.iter()
                .filter_map(|css| extract::parse_selector(css))
                .collect()
        };
        FeedSelectors {
            selectors: parse(&feed.summary_selector),
            excludes: parse(&feed.summary_exclude),
            // A page fetched without a selector is read by heuristic.
            heuristic: feed.summary_selector.is_empty(),
            rules,
            reach: fetch::article_reach(feed.allow_private_addresses, feed_addr),
        }
    }

    /// How extraction reads a page with these selectors.
    pub fn options(&self) -> PageOptions<'_> {
        PageOptions {
            selectors: &self.selectors,
            excludes: &self.excludes,
            heuristic: self.heuristic,
            rules: &self.rules,
        }
    }
}

/// Fetches the article page at `link` for an entry of `feed`; `None`
/// (logged) on any failure, so extraction falls back to the feed's own text.
pub async fn fetch_article(
    fetcher: &dyn Fetch,
    hosts: &HostLimiter,
    feed: &FeedConfig,
    selectors: &FeedSelectors,
    link: &Url,
) -> Option<ArticlePage> {
    let _host = hosts.acquire(link).await;
    match fetcher.fetch(link, &feed.http, None, selectors.reach).await {
        Ok(FetchOutcome::Fetched(page)) => {
            let is_html = page
                .content_type
                .as_deref()
                .is_none_or(|ct| ct.contains("html") || ct.contains("xml"));
            if !is_html {
                info!(item_url = %link, "article page is not HTML; using the feed's text");
                return None;
            }
            Some(ArticlePage {
                html: extract::decode_html(&page.bytes, page.content_type.as_deref()),
                url: page.final_url,
            })
        }
        Ok(FetchOutcome::NotModified) => None,
        Err(e @ FetchError::PrivateAddress { .. }) => {
            warn!(item_url = %link, error = %e, "article page refused; using the feed's text");
            None
        }
        Err(e) => {
            info!(item_url = %link, error = %e, "article page unavailable; using the feed's text");
            None
        }
    }
}
