//! `feeds`: each feed's last poll, status, errors, next due time, posts,
//! entries kept out by its filters, and the feeds whose URL has moved.

use std::io::Write;

use serde::Serialize;

use super::{exit, open_store};
use linkpost::clock::{Clock, SystemClock};
use linkpost::config::Config;

/// One feed's row in `linkpost feeds`.
#[derive(Debug, Serialize)]
struct FeedRow {
    name: String,
    url: String,
    last_poll: Option<String>,
    last_status: Option<String>,
    last_error: Option<String>,
    consecutive_errors: u32,
    next_due: Option<String>,
    posts_written: u64,
    #[serde(flatten)]
    posts: linkpost::store::PostCounts,
    /// Entries kept out by the feed's `include`/`exclude` patterns.
    filtered: u64,
    disabled: bool,
    /// Where the feed has moved: its URL redirected permanently there on
    /// every poll for at least a week.
    moved_to: Option<String>,
    /// Since when every poll has seen that redirect.
    moved_since: Option<String>,
}

fn rfc3339(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

pub(super) fn feeds(config: &Config, json: bool) -> anyhow::Result<u8> {
    let store = open_store(config)?;
    let now = SystemClock.now();
    let mut rows = Vec::with_capacity(config.feeds.len());
    for feed in &config.feeds {
        let state = store.feed_state(&feed.name)?.unwrap_or_default();
        let moved = state.moved(feed.url.as_str(), now);
        let posts = store.count_posts(&feed.name)?;
        rows.push(FeedRow {
            name: feed.name.clone(),
            url: feed.url.to_string(),
            last_poll: rfc3339(state.last_poll),
            last_status: state.last_status,
            last_error: state.last_error,
            consecutive_errors: state.consecutive_errors,
            next_due: rfc3339(state.next_due),
            posts_written: posts.written(),
            posts,
            filtered: store.count_filtered(&feed.name)?,
            disabled: state.disabled,
            moved_since: moved
                .as_ref()
                .and_then(|m| rfc3339(Some(m.since.timestamp()))),
            moved_to: moved.map(|m| m.to),
        });
    }
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(exit::OK);
    }
    let dash = || "-".to_string();
    let moved: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let (to, since) = (r.moved_to.as_ref()?, r.moved_since.as_ref()?);
            Some(format!(
                "{}: moved to {to}, since {}",
                r.name,
                since.get(..10).unwrap_or(since)
            ))
        })
        .collect();
    let table: Vec<[String; 9]> = rows
        .into_iter()
        .map(|r| {
            [
                r.name,
                r.last_poll.unwrap_or_else(dash),
                if r.disabled {
                    "disabled".to_string()
                } else {
                    r.last_status.unwrap_or_else(|| "never polled".to_string())
                },
                r.consecutive_errors.to_string(),
                r.next_due.unwrap_or_else(dash),
                r.posts_written.to_string(),
                r.posts.drafts.to_string(),
                r.filtered.to_string(),
                r.last_error.unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "NAME",
        "LAST POLL",
        "STATUS",
        "ERRORS",
        "NEXT DUE",
        "POSTS",
        "DRAFTS",
        "FILTERED",
        "LAST ERROR",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&table) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    if !moved.is_empty() {
        writeln!(out)?;
        for line in &moved {
            writeln!(out, "{line}")?;
        }
        writeln!(
            out,
            "run `linkpost fix-moved --config {}` to use the new URLs",
            config.path.display()
        )?;
    }
    Ok(exit::OK)
}
