//! What a poll reports: its errors, its counts, and the one [`PollOutcome`]
//! the store records for it (status line, error, next due time).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::schedule;
use crate::config::FeedConfig;
use crate::feed::ParseError;
use crate::fetch::{FetchError, Validators};
use crate::output::OutputError;
use crate::store::{PollOutcome, StoreError};
use crate::writer::WriteError;

/// A worker task panicked: a bug, reported rather than brought down.
#[derive(Debug, thiserror::Error)]
#[error("internal error, a worker task failed: {0}; please report it")]
pub struct Panicked(pub String);

/// Why one feed's poll failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Fetching the feed failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The body is not a feed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer could not write a post.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A worker task died (a bug); the feed is retried next time.
    #[error(transparent)]
    Panicked(#[from] Panicked),
}

/// A failure that stops a whole pass (the store or output folder is
/// unusable, or the pass could not start).
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output folder cannot be used.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Finishing an interrupted run's posts failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The pass could not be set up.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A worker task died (a bug).
    #[error(transparent)]
    Panicked(#[from] Panicked),
}

/// Why a [`Refresher`](super::Refresher) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {}", crate::fetch::request_cause(.0))]
    Http(reqwest::Error),
    /// The writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    Thread(std::io::Error),
    /// The notification client could not be built.
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
}

// By hand rather than `#[from]`, which would also make the cause a
// `source` and print it twice in a chain.
impl From<reqwest::Error> for SetupError {
    fn from(err: reqwest::Error) -> SetupError {
        SetupError::Http(err)
    }
}

impl From<std::io::Error> for SetupError {
    fn from(err: std::io::Error) -> SetupError {
        SetupError::Thread(err)
    }
}

/// What one feed's poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedReport {
    /// The server answered 304 Not Modified.
    pub not_modified: bool,
    /// Entries in the feed.
    pub entries: usize,
    /// Posts written.
    pub written: usize,
    /// Entries already seen.
    pub seen: usize,
    /// Entries recorded without a post (beyond `backfill` on a first poll).
    pub skipped: usize,
    /// New entries kept out by the feed's filters.
    pub filtered: usize,
    /// Entries that could not be used (no link).
    pub unusable: usize,
    /// Shutdown came before every new entry was handled; the rest wait for
    /// the next poll.
    pub interrupted: bool,
}

impl FeedReport {
    /// The one-line status `linkpost feeds` shows for a successful poll.
    pub fn status_line(&self) -> String {
        if self.not_modified {
            return "not modified".to_string();
        }
        let mut line = format!("ok: {} new", self.written);
        if self.filtered > 0 {
            line.push_str(&format!(", {} filtered", self.filtered));
        }
        if self.unusable > 0 {
            line.push_str(&format!(", {} without a link skipped", self.unusable));
        }
        line
    }
}

/// What one pass over all feeds did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Feeds polled successfully.
    pub feeds_ok: usize,
    /// Feeds that failed.
    pub feeds_failed: usize,
    /// Posts written, recovered ones included.
    pub posts_written: usize,
    /// Posts finished from an earlier, interrupted run.
    pub recovered: usize,
}

/// A successful poll: its counts, and what the server said about the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// What the poll did.
    pub report: FeedReport,
    /// The validators for the next conditional request (none on a 304).
    pub validators: Option<Validators>,
    /// `Cache-Control: max-age` or the feed's `<ttl>`.
    pub cache_hint: Option<Duration>,
    /// The posts written, for the `new_drafts` notification.
    pub new_posts: Vec<crate::notify::NewPost>,
}

/// What one poll came to, for whoever started it.
#[derive(Debug)]
pub struct Polled {
    /// What it did, or why it failed.
    pub report: Result<FeedReport, FeedError>,
    /// Unix time the feed is due next, as its outcome says; `None` when the
    /// poll could not even read the feed's state (the caller waits an
    /// interval, as for any poll without a usable due time).
    pub next_due: Option<i64>,
    /// The feed is disabled (410 Gone) and is not polled again.
    pub disabled: bool,
}

/// Logs what a poll came to: `info` for a poll that wrote posts, `debug`
/// for one that found nothing new (at 100,000 feeds, hundreds a second that
/// say nothing; the daemon's minutely `schedule` line counts them), `warn`
/// for a failure.
pub fn log(result: &Result<Refreshed, FeedError>, elapsed_ms: i64) {
    match result {
        Ok(done) if done.report.written > 0 => tracing::info!(
            new_items = done.report.written,
            seen = done.report.seen,
            skipped = done.report.skipped,
            filtered = done.report.filtered,
            elapsed_ms,
            "polled"
        ),
        Ok(done) => tracing::debug!(
            seen = done.report.seen,
            skipped = done.report.skipped,
            filtered = done.report.filtered,
            elapsed_ms,
            not_modified = done.report.not_modified,
            "polled, nothing new"
        ),
        Err(err) => tracing::warn!(error = %err, elapsed_ms, "poll failed"),
    }
}

/// The outcome to record for a poll of `feed` that started at `polled_at`,
/// ended at `ended` and came to `result`, after `errors_before` consecutive
/// failures. The next poll counts from the end, so Retry-After and backoff
/// hold from the server's answer however long the poll took; it is rounded
/// up to a whole second, so a feed is never due before its time.
pub fn outcome(
    feed: &FeedConfig,
    errors_before: u32,
    result: &Result<Refreshed, FeedError>,
    polled_at: DateTime<Utc>,
    ended: DateTime<Utc>,
) -> PollOutcome {
    let mut outcome = PollOutcome {
        feed: feed.name.clone(),
        url: feed.url.to_string(),
        polled_at: polled_at.timestamp(),
        next_due: 0,
        status: String::new(),
        error: None,
        validators: None,
        disable: false,
        complete: false,
        moved_to: None,
        failing_notified: false,
    };
    let next = match result {
        // Shutdown came mid-poll: keep the old validators and come back at
        // once, since a 304 next time would hide the entries not handled yet.
        Ok(done) if done.report.interrupted => {
            outcome.status = done.report.status_line();
            Duration::ZERO
        }
        Ok(done) => {
            outcome.status = done.report.status_line();
            outcome.validators = done.validators.clone();
            outcome.complete = true;
            let next = schedule::after_success(feed.interval, done.cache_hint);
            next + schedule::jitter(next)
        }
        Err(err) => {
            let (retry_after, gone) = match err {
                FeedError::Fetch(f) => (f.retry_after(), f.status() == Some(410)),
                _ => (None, false),
            };
            outcome.disable = gone;
            outcome.status = if gone { "gone: disabled" } else { "error" }.to_string();
            outcome.error = Some(err.to_string());
            let next = schedule::after_failure(feed.interval, errors_before + 1, retry_after);
            next + schedule::jitter(next)
        }
    };
    let next_ms = i64::try_from(next.as_millis()).unwrap_or(i64::MAX);
    outcome.next_due = ended
        .max(polled_at)
        .timestamp_millis()
        .saturating_add(next_ms)
        .saturating_add(999)
        .div_euclid(1000);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_error_names_its_cause_once() {
        use std::error::Error as _;
        let err = reqwest::Client::builder()
            .user_agent("bad\u{1}agent")
            .build()
            .expect_err("a control character is no header value");
        let cause = err.source().map(ToString::to_string).expect("a cause");
        let setup = SetupError::from(err);
        let message = setup.to_string();
        assert!(
            message.starts_with("cannot build the HTTP client: builder error: "),
            "{message}"
        );
        assert_eq!(
            message.matches(&cause).count(),
            1,
            "{message}: {cause} once"
        );
        assert!(setup.source().is_none(), "the cause is in the message only");
    }

    fn feed() -> FeedConfig {
        let config = crate::config::Config::parse(
            std::path::Path::new("t.toml"),
            "[[feed]]\nname = \"F\"\nurl = \"https://e.com/feed.xml\"\ninterval = \"10m\"\n",
        )
        .expect("config");
        config.feeds[0].clone()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("time")
    }

    fn status_error(status: u16, retry_after: Option<Duration>) -> FeedError {
        FeedError::Fetch(FetchError::Status {
            url: url::Url::parse("https://e.com/feed.xml").expect("url"),
            status,
            retry_after,
        })
    }

    #[test]
    #[expect(
        clippy::type_complexity,
        reason = "a table of cases, one tuple per row, reads best inline"
    )]
    fn outcomes_of_each_kind_of_poll() {
        let feed = feed();
        let ok = |report: FeedReport| -> Result<Refreshed, FeedError> {
            Ok(Refreshed {
                report,
                validators: Some(Validators {
                    etag: Some("\"v1\"".into()),
                    last_modified: None,
                }),
                cache_hint: None,
                new_posts: Vec::new(),
            })
        };
        let min = 60;
        // (case, result, errors before, status, error?, disable, complete, next due range)
        let cases: Vec<(
            &str,
            Result<Refreshed, FeedError>,
            u32,
            &str,
            bool,
            bool,
            bool,
            (i64, i64),
        )> = vec![
            (
                "new posts",
                ok(FeedReport {
                    written: 2,
                    ..FeedReport::default()
                }),
                0,
                "ok: 2 new",
                false,
                false,
                true,
                (1000 + 10 * min, 1000 + 11 * min),
            ),
            (
                "not modified",
                ok(FeedReport {
                    not_modified: true,
                    ..FeedReport::default()
                }),
                0,
                "not modified",
                false,
                false,
                true,
                (1000 + 10 * min, 1000 + 11 * min),
            ),
            (
                "links missing",
                ok(FeedReport {
                    written: 1,
                    unusable: 2,
                    ..FeedReport::default()
                }),
                0,
                "ok: 1 new, 2 without a link skipped",
                false,
                false,
                true,
                (1000 + 10 * min, 1000 + 11 * min),
            ),
            (
                "interrupted by shutdown",
                ok(FeedReport {
                    written: 1,
                    interrupted: true,
                    ..FeedReport::default()
                }),
                0,
                "ok: 1 new",
                false,
                false,
                false,
                (1000, 1000),
            ),
            (
                "third failure backs off 2^3",
                Err(status_error(500, None)),
                2,
                "error",
                true,
                false,
                false,
                (1000 + 80 * min, 1000 + 88 * min),
            ),
            (
                "retry-after beyond the backoff",
                Err(status_error(429, Some(Duration::from_secs(3 * 3600)))),
                0,
                "error",
                true,
                false,
                false,
                (1000 + 3 * 3600, 1000 + 3 * 3600 + 5 * min),
            ),
            (
                "gone",
                Err(status_error(410, None)),
                0,
                "gone: disabled",
                true,
                true,
                false,
                (1000 + 20 * min, 1000 + 22 * min),
            ),
        ];
        for (case, result, errors, status, has_error, disable, complete, (low, high)) in cases {
            let o = outcome(&feed, errors, &result, at(990), at(1000));
            assert_eq!(o.status, status, "{case}");
            assert_eq!(o.error.is_some(), has_error, "{case}");
            assert_eq!(o.disable, disable, "{case}");
            assert_eq!(o.complete, complete, "{case}");
            assert_eq!(
                o.validators.is_some(),
                complete,
                "{case}: validators only when complete"
            );
            assert!(
                (low..=high).contains(&o.next_due),
                "{case}: {} not in {low}..={high}",
                o.next_due
            );
            assert_eq!(o.polled_at, 990, "{case}");
        }
    }
}
