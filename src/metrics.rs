//! The daemon's metrics, in the Prometheus/OpenMetrics text exposition
//! (`prometheus-client`), served on `/metrics` by [`web`](crate::web).
//!
//! Recording is an atomic add or store on a handle made at start: no lock
//! is taken on a poll's path and nothing here awaits. What is cheaper to
//! read than to keep current (drafts waiting) is set by the scraper just
//! before encoding. This module only counts; it never reads the store.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What a poll came to, the `result` label of `linkpost_polls_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollResult {
    /// The feed was fetched and at least one post written.
    New,
    /// The feed was fetched; nothing new to write.
    NothingNew,
    /// The server answered 304 Not Modified.
    NotModified,
    /// The poll failed (network, status, parse, store or write error).
    Error,
    /// 410 Gone: the feed is disabled.
    Gone,
}

impl PollResult {
    /// Every kind, in declaration order (a kind's index in `ALL` is its
    /// discriminant).
    pub const ALL: [PollResult; 5] = [
        PollResult::New,
        PollResult::NothingNew,
        PollResult::NotModified,
        PollResult::Error,
        PollResult::Gone,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            PollResult::New => "new",
            PollResult::NothingNew => "nothing_new",
            PollResult::NotModified => "not_modified",
            PollResult::Error => "error",
            PollResult::Gone => "gone",
        }
    }
}

type PollLabels = [(&'static str, &'static str); 1];

/// Every metric the daemon exposes, registered under the `linkpost_` prefix.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// One counter per [`PollResult`], indexed by its discriminant.
    polls: [Counter; 5],
    posts_written: Counter,
    fetch_duration: Histogram,
    feeds_in_backoff: Gauge,
    feeds_disabled: Gauge,
    drafts_waiting: Gauge,
    writer_batch_posts: Histogram,
    last_success: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("linkpost");
        let polls_family = Family::<PollLabels, Counter>::default();
        let polls = PollResult::ALL.map(|kind| {
            polls_family
                .get_or_create(&[("result", kind.as_str())])
                .clone()
        });
        registry.register(
            "polls",
            "Feed polls by result: new, nothing_new, not_modified, error, gone",
            polls_family,
        );
        let posts_written = Counter::default();
        registry.register(
            "posts_written",
            "Posts written (drafts or not), finished posts of an interrupted run included",
            posts_written.clone(),
        );
        // 5 ms to about 82 s: a local file to a feed at the timeout.
        let fetch_duration = Histogram::new(exponential_buckets(0.005, 2.0, 15));
        registry.register_with_unit(
            "fetch_duration",
            "Time to fetch a feed (the request and its body, redirects included)",
            Unit::Seconds,
            fetch_duration.clone(),
        );
        let feeds_in_backoff = Gauge::default();
        registry.register(
            "feeds_in_backoff",
            "Configured feeds whose last poll failed, polled again after a growing delay",
            feeds_in_backoff.clone(),
        );
        let feeds_disabled = Gauge::default();
        registry.register(
            "feeds_disabled",
            "Configured feeds disabled (410 Gone), no longer polled",
            feeds_disabled.clone(),
        );
        let drafts_waiting = Gauge::default();
        registry.register(
            "drafts_waiting",
            "Drafts waiting for review",
            drafts_waiting.clone(),
        );
        // 1 to 512 posts (the writer's MAX_BATCH).
        let writer_batch_posts = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        registry.register(
            "writer_batch_posts",
            "Posts in each batch the writer claimed and wrote in one transaction",
            writer_batch_posts.clone(),
        );
        let last_success = Gauge::default();
        registry.register(
            "last_successful_poll_timestamp",
            "Unix time in seconds when a poll last succeeded (0: none yet)",
            last_success.clone(),
        );
        Metrics {
            registry,
            polls,
            posts_written,
            fetch_duration,
            feeds_in_backoff,
            feeds_disabled,
            drafts_waiting,
            writer_batch_posts,
            last_success,
        }
    }

    /// Counts a finished poll; a successful one (fetched or 304) at Unix
    /// time `ended` also sets the last successful poll time.
    pub fn poll(&self, result: PollResult, ended: i64) {
        self.polls[result as usize].inc();
        if matches!(
            result,
            PollResult::New | PollResult::NothingNew | PollResult::NotModified
        ) {
            self.last_success.set(ended);
        }
    }

    /// Records how long one feed fetch took.
    pub fn fetch_duration(&self, elapsed: std::time::Duration) {
        self.fetch_duration.observe(elapsed.as_secs_f64());
    }

    /// Counts posts whose files were written and recorded.
    pub fn posts_written(&self, posts: usize) {
        self.posts_written
            .inc_by(u64::try_from(posts).unwrap_or(u64::MAX));
    }

    /// Records the number of posts in a batch the writer claimed.
    pub fn writer_batch(&self, posts: usize) {
        self.writer_batch_posts.observe(posts as f64);
    }

    /// Sets how many configured feeds are in backoff and disabled.
    pub fn feeds(&self, in_backoff: usize, disabled: usize) {
        self.feeds_in_backoff
            .set(i64::try_from(in_backoff).unwrap_or(i64::MAX));
        self.feeds_disabled
            .set(i64::try_from(disabled).unwrap_or(i64::MAX));
    }

    /// Sets the number of drafts waiting, as the store counts them.
    pub fn drafts_waiting(&self, drafts: u64) {
        self.drafts_waiting
            .set(i64::try_from(drafts).unwrap_or(i64::MAX));
    }

    /// Polls counted so far with `result`.
    pub fn polls(&self, result: PollResult) -> u64 {
        self.polls[result as usize].get()
    }

    /// The whole exposition, `# EOF` included, as [`CONTENT_TYPE`].
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail; an encoder error would be a bug
        // in a metric, and the scrape then gets what was written.
        if let Err(e) = encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "encoding the metrics failed");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_exposed_with_its_prefix() {
        let metrics = Metrics::new();
        metrics.poll(PollResult::Error, 0);
        metrics.poll(PollResult::New, 1_700_000_000);
        metrics.posts_written(3);
        metrics.writer_batch(3);
        metrics.fetch_duration(std::time::Duration::from_millis(20));
        metrics.feeds(1, 2);
        metrics.drafts_waiting(7);
        let text = metrics.encode();
        for line in [
            "linkpost_polls_total{result=\"error\"} 1",
            "linkpost_polls_total{result=\"new\"} 1",
            "linkpost_polls_total{result=\"gone\"} 0",
            "linkpost_posts_written_total 3",
            "linkpost_fetch_duration_seconds_count 1",
            "linkpost_writer_batch_posts_count 1",
            "linkpost_feeds_in_backoff 1",
            "linkpost_feeds_disabled 2",
            "linkpost_drafts_waiting 7",
            "linkpost_last_successful_poll_timestamp 1700000000",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert_eq!(metrics.polls(PollResult::Error), 1);
    }

    #[test]
    fn each_kind_counts_on_its_own_label() {
        let metrics = Metrics::new();
        for (i, kind) in PollResult::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "ALL is in declaration order");
            for _ in 0..=i {
                metrics.poll(kind, 0);
            }
        }
        let text = metrics.encode();
        for (i, kind) in PollResult::ALL.into_iter().enumerate() {
            let line = format!(
                "linkpost_polls_total{{result=\"{}\"}} {}",
                kind.as_str(),
                i + 1
            );
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn a_failed_poll_leaves_the_last_success_time() {
        let metrics = Metrics::new();
        metrics.poll(PollResult::NotModified, 5);
        metrics.poll(PollResult::Error, 9);
        assert!(
            metrics
                .encode()
                .contains("linkpost_last_successful_poll_timestamp 5\n")
        );
    }
}
