//! Preview: what a feed would produce now, newest first, ignoring what was
//! seen before. It fetches (the feed, and the article pages a poll would
//! fetch) and builds posts exactly as a poll does, but writes nothing and
//! touches no store. Entries the feed's filter keeps out are shown too,
//! marked with the reason, and their pages are not fetched.

use chrono::{DateTime, Utc};

use super::article::{FeedSelectors, PageDecision, decide_page, fetch_article};
use super::parse_newest_first;
use super::report::FeedError;
use crate::canon::canonicalize;
use crate::config::{Config, FeedConfig};
use crate::extract::SummarySource;
use crate::fetch::{Fetch, FetchOutcome, HostLimiter, Reach};
use crate::filter::FilterReason;
use crate::post::{Post, build_post};

/// A post as `preview` shows it.
#[derive(Debug, Clone)]
pub struct PreviewPost {
    /// The post that would be written.
    pub post: Post,
    /// Which extraction step gave the summary; `None` when nothing did.
    pub summary_source: Option<SummarySource>,
    /// Whether the article page was fetched, and why; `None` for an entry
    /// kept out by the filter, whose page is never fetched.
    pub page: Option<PageDecision>,
    /// Why the feed's filter keeps the entry out; `None` when it is kept.
    pub filtered: Option<FilterReason>,
}

/// The posts `feed` would produce at `now`: those of its newest `backfill`
/// entries with a link that its filter keeps, as on a first poll (so no
/// page is fetched for an entry not shown), with the entries the filter
/// keeps out among them, marked.
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
    let mut kept = 0;
    for item in parsed.items {
        if kept == feed.backfill {
            break;
        }
        let Some(link) = item.link.as_ref().map(canonicalize) else {
            continue;
        };
        let filtered = feed.filter.check(&item, &link);
        let (decision, entry) = match filtered {
            Some(_) => (None, None),
            None => {
                kept += 1;
                let (decision, entry) = decide_page(feed, &item);
                (Some(decision), entry)
            }
        };
        let page = if decision.is_some_and(PageDecision::fetches) {
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
            filtered,
        });
    }
    Ok(posts)
}
