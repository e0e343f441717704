//! Probe: what `linkpost check --fetch` learns of every feed by fetching it
//! once as a poll would (the same client, `concurrency`, `per_host_limit`,
//! timeouts and body caps) and parsing it: whether it parses, how many
//! entries it has, its newest entry's date, and where a permanent redirect
//! sends it. It sends no validators, touches no store and writes nothing.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use url::Url;

use super::report::{FeedError, Panicked};
use super::{parse_newest_first, run_blocking};
use crate::config::{Config, FeedConfig};
use crate::fetch::{Fetch, FetchOutcome, HostLimiter};

/// What fetching and parsing one feed found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// Entries in the feed.
    pub entries: usize,
    /// The newest entry's date; `None` when no entry has one.
    pub newest: Option<DateTime<Utc>>,
    /// Where the feed's URL redirected permanently, if it did.
    pub moved_to: Option<Url>,
}

/// One feed's probe.
#[derive(Debug)]
pub struct FeedProbe {
    /// The feed's name.
    pub name: String,
    /// The feed's URL.
    pub url: Url,
    /// What it found, or why the feed failed.
    pub result: Result<Probed, FeedError>,
}

/// Fetches and parses every feed of `config` once with `fetcher`, at most
/// `concurrency` at a time and `per_host_limit` per host; returns one probe
/// per feed, in config order.
pub async fn probe_feeds(config: Arc<Config>, fetcher: Arc<dyn Fetch>) -> Vec<FeedProbe> {
    let hosts = Arc::new(HostLimiter::new(config.per_host_limit));
    let mut results: Vec<Option<Result<Probed, FeedError>>> =
        config.feeds.iter().map(|_| None).collect();
    let mut waiting = 0..config.feeds.len();
    let mut tasks = JoinSet::new();
    let mut task_feeds = HashMap::new();
    loop {
        while tasks.len() < config.concurrency.max(1)
            && let Some(i) = waiting.next()
        {
            let (config, fetcher, hosts) = (
                Arc::clone(&config),
                Arc::clone(&fetcher),
                Arc::clone(&hosts),
            );
            let task = tasks.spawn(async move {
                let feed = &config.feeds[i];
                (i, probe_feed(fetcher.as_ref(), &hosts, feed).await)
            });
            task_feeds.insert(task.id(), i);
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined {
            Ok((i, result)) => results[i] = Some(result),
            Err(e) => {
                if let Some(&i) = task_feeds.get(&e.id()) {
                    results[i] = Some(Err(FeedError::Panicked(Panicked(e.to_string()))));
                }
            }
        }
    }
    config
        .feeds
        .iter()
        .zip(results)
        .map(|(feed, result)| FeedProbe {
            name: feed.name.clone(),
            url: feed.url.clone(),
            result: result.unwrap_or_else(|| {
                Err(FeedError::Panicked(Panicked(
                    "the feed's task ended without an answer".to_string(),
                )))
            }),
        })
        .collect()
}

/// Fetches and parses one feed.
async fn probe_feed(
    fetcher: &dyn Fetch,
    hosts: &HostLimiter,
    feed: &FeedConfig,
) -> Result<Probed, FeedError> {
    let fetched = {
        let _host = hosts.acquire(&feed.url).await;
        fetcher.fetch_feed(&feed.url, &feed.http, None).await?
    };
    let moved_to = fetched.moved_to().cloned();
    let (entries, newest) = match fetched.outcome {
        // Only an answer to validators, which a probe never sends.
        FetchOutcome::NotModified => (0, None),
        FetchOutcome::Fetched(body) => {
            let parsed =
                run_blocking(move || parse_newest_first(&body.bytes, &body.final_url)).await??;
            let newest = parsed.items.iter().filter_map(|i| i.date()).max();
            (parsed.items.len(), newest)
        }
    };
    Ok(Probed {
        entries,
        newest,
        moved_to,
    })
}
