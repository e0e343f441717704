//! Feeds: what each poll came to, when each feed is next due, and whether
//! its URL has moved.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::fetch::Validators;

/// The store's record of one feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedState {
    /// Configured name.
    pub name: String,
    /// URL at the last poll.
    pub url: String,
    /// Validators of the last successful fetch.
    pub validators: Validators,
    /// Unix time of the last poll.
    pub last_poll: Option<i64>,
    /// One-line result of the last poll.
    pub last_status: Option<String>,
    /// Last error, kept until a poll succeeds.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_errors: u32,
    /// Unix time of the next poll.
    pub next_due: Option<i64>,
    /// Whether a poll has ever succeeded (so `backfill` no longer applies).
    pub first_poll_done: bool,
    /// Disabled, e.g. after 410 Gone.
    pub disabled: bool,
    /// Where the URL redirected permanently (301, 308) on every poll since
    /// `moved_since`.
    pub moved_to: Option<String>,
    /// Unix time of the first poll of the current run that saw the
    /// permanent redirect to `moved_to`.
    pub moved_since: Option<i64>,
    /// Unix time of the first failed poll of the current run of failures;
    /// `None` while the feed succeeds.
    pub failing_since: Option<i64>,
    /// `feed_failing` was sent for the current run of failures.
    pub failing_notified: bool,
}

/// How long a feed's URL must redirect permanently, on every poll, before
/// the feed counts as moved: a week rides out a site's migration gone
/// wrong and rolled back.
pub const MOVED_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// A feed whose URL has redirected permanently to one target on every poll
/// for at least [`MOVED_AFTER`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The URL the feed has moved to.
    pub to: String,
    /// Since when every poll has seen the redirect.
    pub since: DateTime<Utc>,
}

impl FeedState {
    /// Where the feed at `url` (the config's URL) has moved, if it has: the
    /// record must be about `url` (not a URL the config has since replaced)
    /// and at least [`MOVED_AFTER`] old at `now`.
    pub fn moved(&self, url: &str, now: DateTime<Utc>) -> Option<Moved> {
        let to = self.moved_to.as_ref().filter(|_| self.url == url)?;
        let since = DateTime::from_timestamp(self.moved_since?, 0)?;
        (now - since >= MOVED_AFTER).then(|| Moved {
            to: to.clone(),
            since,
        })
    }
}

/// When a feed is next due, as the daemon reads it at start and on reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleState {
    /// Configured name.
    pub name: String,
    /// Unix time of the next poll; `None` before the first.
    pub next_due: Option<i64>,
    /// Disabled, e.g. after 410 Gone.
    pub disabled: bool,
    /// The last poll failed (the feed is in backoff).
    pub failing: bool,
}

/// What one poll of a feed came to: built by the poll, recorded by the
/// writer with others in one transaction, read back as [`FeedState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOutcome {
    /// The feed's name.
    pub feed: String,
    /// The feed's URL at this poll.
    pub url: String,
    /// Unix time of the poll.
    pub polled_at: i64,
    /// Unix time of the next poll.
    pub next_due: i64,
    /// One-line result, as `linkpost feeds` shows it.
    pub status: String,
    /// The error, on failure.
    pub error: Option<String>,
    /// New validators, on a fetched (not 304) success.
    pub validators: Option<Validators>,
    /// Disable the feed (410 Gone).
    pub disable: bool,
    /// Every entry was handled (not interrupted by shutdown), so a first
    /// poll counts as done.
    pub complete: bool,
    /// Where the feed's URL redirected permanently at this poll; `None`
    /// (no redirect, a temporary one, a failed fetch) ends a run of them.
    pub moved_to: Option<String>,
    /// `feed_failing` was sent at this (failed) poll; kept until a poll
    /// succeeds, so it is sent once per run of failures.
    pub failing_notified: bool,
}

impl Store {
    /// The record of feed `name`, if it was ever polled.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, StoreError> {
        let state = self
            .conn
            .prepare_cached(
                "SELECT name, url, etag, last_modified, last_poll, last_status, last_error,
                        consecutive_errors, next_due, first_poll_done, disabled,
                        moved_to, moved_since, failing_since, failing_notified
                 FROM feeds WHERE name = ?1",
            )?
            .query_row([name], |row| {
                Ok(FeedState {
                    name: row.get(0)?,
                    url: row.get(1)?,
                    validators: Validators {
                        etag: row.get(2)?,
                        last_modified: row.get(3)?,
                    },
                    last_poll: row.get(4)?,
                    last_status: row.get(5)?,
                    last_error: row.get(6)?,
                    consecutive_errors: row.get(7)?,
                    next_due: row.get(8)?,
                    first_poll_done: row.get(9)?,
                    disabled: row.get(10)?,
                    moved_to: row.get(11)?,
                    moved_since: row.get(12)?,
                    failing_since: row.get(13)?,
                    failing_notified: row.get(14)?,
                })
            })
            .optional()?;
        self.count_feed_rows(usize::from(state.is_some()));
        Ok(state)
    }

    /// Records the outcome of one poll, in one statement (an upsert, so the
    /// first poll of a feed makes its row).
    ///
    /// A success (no `error`) resets the error count, marks the first poll
    /// done and, on a fetched body, replaces the validators. A failure keeps
    /// the validators and counts one more consecutive error. A permanent
    /// redirect to the target the last poll of the same URL saw keeps its
    /// `moved_since`; any other poll starts a new run, or none. A failure
    /// starts a run of failures (`failing_since`) unless one is going on; a
    /// success ends it and forgets that `feed_failing` was sent.
    pub fn record_poll(&mut self, poll: &PollOutcome) -> Result<(), StoreError> {
        self.check_batch_alive()?;
        // A success clears the error and resets the count, a failure counts
        // one more; fresh validators (a fetched body) replace the old ones.
        let (etag, last_modified) = poll.validators.as_ref().map_or((None, None), |v| {
            (v.etag.as_deref(), v.last_modified.as_deref())
        });
        self.conn
            .prepare_cached(
                "INSERT INTO feeds (name, url, last_poll, next_due, last_status, last_error,
                                    consecutive_errors, first_poll_done, disabled, etag, last_modified,
                                    moved_to, moved_since, failing_since, failing_notified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, iif(?6 IS NULL, 0, 1), ?7, ?8, ?9, ?10,
                         ?12, iif(?12 IS NULL, NULL, ?3), iif(?6 IS NULL, NULL, ?3), ?13)
                 ON CONFLICT (name) DO UPDATE SET
                    failing_since = iif(excluded.last_error IS NULL, NULL,
                                        coalesce(failing_since, excluded.failing_since)),
                    failing_notified = iif(excluded.last_error IS NULL, 0,
                                           failing_notified OR excluded.failing_notified),
                    moved_since = iif(excluded.moved_to IS NOT NULL AND moved_to IS excluded.moved_to
                                        AND url IS excluded.url,
                                      coalesce(moved_since, excluded.moved_since),
                                      excluded.moved_since),
                    moved_to = excluded.moved_to,
                    url = excluded.url, last_poll = excluded.last_poll,
                    next_due = excluded.next_due, last_status = excluded.last_status,
                    last_error = excluded.last_error,
                    consecutive_errors = iif(excluded.last_error IS NULL, 0, consecutive_errors + 1),
                    first_poll_done = first_poll_done OR excluded.first_poll_done,
                    disabled = disabled OR excluded.disabled,
                    etag = iif(?11, excluded.etag, etag),
                    last_modified = iif(?11, excluded.last_modified, last_modified)",
            )?
            .execute(params![
                poll.feed,
                poll.url,
                poll.polled_at,
                poll.next_due,
                poll.status,
                poll.error,
                poll.error.is_none() && poll.complete,
                poll.error.is_some() && poll.disable,
                etag,
                last_modified,
                poll.error.is_none() && poll.validators.is_some(),
                poll.moved_to,
                poll.error.is_some() && poll.failing_notified,
            ])?;
        Ok(())
    }

    /// What the daemon needs of every feed to build its due queue.
    pub fn schedule_states(&self) -> Result<Vec<ScheduleState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, next_due, disabled, consecutive_errors > 0 FROM feeds")?;
        let rows = stmt.query_map([], |row| {
            Ok(ScheduleState {
                name: row.get(0)?,
                next_due: row.get(1)?,
                disabled: row.get(2)?,
                failing: row.get(3)?,
            })
        })?;
        let states: Vec<ScheduleState> = rows.collect::<Result<_, _>>()?;
        self.count_feed_rows(states.len());
        Ok(states)
    }
}
