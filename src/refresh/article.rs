//! Article pages: fetched for a post when its feed has a selector or
//! `fetch_article`, under the host limit and the private-address guard.
//! Any failure is logged and the post falls back to the feed's own text.

use std::net::IpAddr;

use tracing::{info, warn};
use url::Url;

use crate::config::FeedConfig;
use crate::extract::{self, PageOptions};
use crate::fetch::{self, Fetch, FetchError, FetchOutcome, HostLimiter, Reach};
use crate::post::ArticlePage;

/// Whether posts of `feed` read the article page.
pub fn wants_article_page(feed: &FeedConfig) -> bool {
    !feed.summary_selector.is_empty() || feed.fetch_article
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
            heuristic: feed.fetch_article && feed.summary_selector.is_empty(),
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

/// Fetches the article page at `link` when `feed` wants it; `None` (logged)
/// on any failure, so extraction falls back to the feed's own text.
pub async fn fetch_article(
    fetcher: &dyn Fetch,
    hosts: &HostLimiter,
    feed: &FeedConfig,
    selectors: &FeedSelectors,
    link: &Url,
) -> Option<ArticlePage> {
    if !wants_article_page(feed) {
        return None;
    }
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
