//! Preview: what a feed would produce now, newest first, ignoring what was
//! seen before. It fetches (the feed, and the article pages a poll would
//! fetch) and builds posts exactly as a poll does, but writes nothing and
//! touches no store.

use chrono::{DateTime, Utc};

use super::article::{FeedSelectors, PageDecision, decide_page, fetch_article};
use super::parse_newest_first;
use super::report::FeedError;
use crate::canon::canonicalize;
use crate::config::{Config, FeedConfig};
use crate::extract::SummarySource;
use crate::fetch::{Fetch, FetchOutcome, HostLimiter, Reach};
use crate::post::{Post, build_post};

/// A post as `preview` shows it.
#[derive(Debug, Clone)]
pub struct PreviewPost {
    /// The post that would be written.
    pub post: Post,
    /// Which extraction step gave the summary; `None` when nothing did.
    pub summary_source: Option<SummarySource>,
    /// Whether the article page was fetched, and why.
    pub page: PageDecision,
}

/// The posts `feed` would produce at `now`: those of its newest `backfill`
/// entries with a link, as on a first poll (so no page is fetched for an
/// entry not shown).
pub async fn preview_feed(
    fetcher: &dyn Fetch,
    config: &Config,
    feed: &FeedConfig,
    now: DateTime<Utc>,
) -> Result<Vec<PreviewPost>, FeedError> {
    let hosts = HostLimiter::new(config.per_host_limit);
    let fetched = match fetcher
        .fetch(&feed.url, &feed.http, None, Reach::Any)
        .await?
    {
        FetchOutcome::Fetched(fetched) => *fetched,
        FetchOutcome::NotModified => return Ok(Vec::new()),
    };
    let parsed = parse_newest_first(&fetched.bytes, &fetched.final_url)?;
    let selectors = FeedSelectors::of(
        feed,
        std::sync::Arc::clone(&config.rules),
        fetched.remote_addr,
    );
    let mut posts = Vec::with_capacity(parsed.items.len().min(feed.backfill));
    for item in parsed.items {
        if posts.len() == feed.backfill {
            break;
        }
        let Some(link) = item.link.as_ref().map(canonicalize) else {
            continue;
        };
        let (decision, entry) = decide_page(feed, &item);
        let page = if decision.fetches() {
            fetch_article(fetcher, &hosts, feed, &selectors, &link).await
        } else {
            None
        };
        let built = build_post(
            feed,
            config,
            &item,
            &link,
            crate::post::TextSources {
                page: page.as_ref(),
                entry,
            },
            &selectors.options(),
            now,
        );
        posts.push(PreviewPost {
            post: built.post,
            summary_source: built.source,
            page: decision,
        });
    }
    Ok(posts)
}
