//! Review states: written posts as review sees them, counts per feed, and
//! state changes that hold the store's lock while a file changes.

use rusqlite::{Connection, OptionalExtension, params};

use super::entries::URL_SQL;
use super::{EntryState, Store, StoreError};

/// A written post as the store knows it, for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRecord {
    /// Entry id: the short, stable id reviewers use.
    pub id: i64,
    /// The feed's name.
    pub feed: String,
    /// Title when it was written.
    pub title: String,
    /// The normalized article URL.
    pub url: String,
    /// Where it stands.
    pub state: EntryState,
    /// File name inside the output folder.
    pub file: String,
    /// Where `approve` moved it, when a `publish_dir` is set.
    pub published_file: Option<String>,
    /// Unix time first seen.
    pub first_seen: i64,
    /// Unix time of its last review change (approve, reject, restore).
    pub reviewed_at: Option<i64>,
}

/// Posts of one feed by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PostCounts {
    /// Waiting for review.
    pub drafts: u64,
    /// Approved by a reviewer, or written with `draft: false`.
    pub approved: u64,
    /// Rejected by a reviewer.
    pub rejected: u64,
    /// Drafts deleted or moved away by hand.
    pub missing: u64,
}

impl PostCounts {
    /// Every post ever written, whatever became of it.
    pub fn written(&self) -> u64 {
        self.drafts + self.approved + self.rejected + self.missing
    }
}

/// A state change in progress: a write transaction holding the store's lock.
/// [`StateChange::commit`] makes it permanent, synced to disk; dropping it
/// undoes it, so a caller can do its file work in between and back out on
/// failure. Either way the connection is back to `synchronous=NORMAL` after.
pub struct StateChange<'s> {
    conn: &'s Connection,
    committed: bool,
}

impl StateChange<'_> {
    /// Makes the change permanent.
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StateChange<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
    }
}

impl Store {
    /// Posts written for `feed`, counted by what became of them.
    pub fn count_posts(&self, feed: &str) -> Result<PostCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached(COUNT_POSTS)?;
        counts_by_state(stmt.query([feed])?)
    }

    /// Entries of `feed` kept out by its filters (state
    /// [`EntryState::Filtered`]).
    pub fn count_filtered(&self, feed: &str) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(COUNT_FILTERED)?;
        let count: i64 = stmt.query_row([feed], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Written posts in any of `states`, newest first by when they were seen.
    pub fn posts(&self, states: &[EntryState]) -> Result<Vec<PostRecord>, StoreError> {
        // The names are this module's constants, never user text.
        let names: Vec<String> = states.iter().map(|s| format!("'{s}'")).collect();
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} WHERE written_at IS NOT NULL AND state IN ({})
             ORDER BY first_seen DESC, id DESC",
            post_columns(),
            names.join(", ")
        ))?;
        let rows = stmt.query_map([], post_record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The written post with entry id `id`.
    pub fn post(&self, id: i64) -> Result<Option<PostRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&post_sql())?;
        Ok(stmt.query_row([id], post_record).optional()?)
    }

    /// The written post whose file in the output folder is `file`, or whose
    /// published file is `file`.
    pub fn post_by_file(&self, file: &str) -> Result<Option<PostRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&post_by_file_sql())?;
        Ok(stmt.query_row([file], post_record).optional()?)
    }

    /// Starts moving post `id` from state `from` to `to`, recording where it
    /// was published. Fails with [`StoreError::StateChanged`] when the post
    /// is not in `from`. Nothing is permanent until [`StateChange::commit`].
    pub fn change_state(
        &mut self,
        id: i64,
        from: EntryState,
        to: EntryState,
        published_file: Option<&str>,
        now: i64,
    ) -> Result<StateChange<'_>, StoreError> {
        self.start_change(id, from, to, Published::Set(published_file), now)
    }

    /// Starts moving post `id` from `from` back to a draft, forgetting
    /// where it was published (an undone approve or reject). Nothing is
    /// permanent until [`StateChange::commit`].
    pub fn reopen(
        &mut self,
        id: i64,
        from: EntryState,
        now: i64,
    ) -> Result<StateChange<'_>, StoreError> {
        self.start_change(id, from, EntryState::Draft, Published::Clear, now)
    }

    /// Posts written, in all feeds, counted by what became of them.
    pub fn count_all_posts(&self) -> Result<PostCounts, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, sum(posts) FROM post_counts GROUP BY state")?;
        counts_by_state(stmt.query([])?)
    }

    /// A value that changes whenever a post is written or changes state:
    /// the counts by state and the newest entry id. Cheap enough to poll.
    pub fn review_stamp(&self) -> Result<String, StoreError> {
        let counts = self.count_all_posts()?;
        let newest: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(id) FROM entries")?
            .query_row([], |row| row.get(0))?;
        Ok(format!(
            "{}-{}-{}-{}-{}",
            counts.drafts,
            counts.approved,
            counts.rejected,
            counts.missing,
            newest.unwrap_or(0)
        ))
    }

    fn start_change(
        &mut self,
        id: i64,
        from: EntryState,
        to: EntryState,
        published: Published<'_>,
        now: i64,
    ) -> Result<StateChange<'_>, StoreError> {
        let (published_file, clear) = match published {
            Published::Set(file) => (file, false),
            Published::Clear => (None, true),
        };
        // The review has changed a file by the time this commits: the commit
        // is synced so that after a power loss the store agrees with the file.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
            return Err(e.into());
        }
        let change = StateChange {
            conn: &self.conn,
            committed: false,
        };
        let changed = change.conn.execute(
            "UPDATE entries SET state = ?3,
                    published_file = CASE WHEN ?6 THEN NULL ELSE coalesce(?4, published_file) END,
                    reviewed_at = ?5
             WHERE id = ?1 AND state = ?2",
            params![id, from.as_str(), to.as_str(), published_file, now, clear],
        )?;
        if changed != 1 {
            return Err(StoreError::StateChanged { id, expected: from });
        }
        Ok(change)
    }

    /// Moves post `id` from state `from` to `to` at once: a
    /// [`Store::change_state`] with no file work in between.
    pub fn set_state(
        &mut self,
        id: i64,
        from: EntryState,
        to: EntryState,
        published_file: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.change_state(id, from, to, published_file, now)?
            .commit()
    }
}

/// What a state change does to the published file.
enum Published<'a> {
    /// Records it, when given; keeps the old one otherwise.
    Set(Option<&'a str>),
    /// Forgets it.
    Clear,
}

/// A feed's posts by state, as triggers on `entries` keep them.
pub(super) const COUNT_POSTS: &str = "SELECT state, posts FROM post_counts
    WHERE feed_id = (SELECT id FROM feed_names WHERE name = ?1)";

/// A feed's filtered entries, counted in the partial index that holds only
/// them (schema version 5).
pub(super) const COUNT_FILTERED: &str = "SELECT count(*) FROM entries
    WHERE state = 'filtered' AND feed_id = (SELECT id FROM feed_names WHERE name = ?1)";

/// The written post with entry id `?1`.
pub(super) fn post_sql() -> String {
    format!(
        "{} WHERE id = ?1 AND written_at IS NOT NULL",
        post_columns()
    )
}

/// The written post with file or published file `?1`. The file index holds
/// the names' first 16 characters and length: the query says so, to be
/// allowed to use it.
pub(super) fn post_by_file_sql() -> String {
    format!(
        "{} WHERE ((substr(file, 1, 16) = substr(?1, 1, 16) AND length(file) = length(?1)
                AND file = ?1)
            OR published_file = ?1) AND written_at IS NOT NULL",
        post_columns()
    )
}

/// The columns [`post_record`] reads.
fn post_columns() -> String {
    format!(
        "SELECT id, (SELECT name FROM feed_names WHERE id = entries.feed_id), coalesce(title, ''),
                {URL_SQL}, state, file, published_file, first_seen, reviewed_at FROM entries"
    )
}

fn post_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<PostRecord> {
    let state: String = row.get(4)?;
    Ok(PostRecord {
        id: row.get(0)?,
        feed: row.get(1)?,
        title: row.get(2)?,
        url: row.get(3)?,
        state: EntryState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown entry state {state:?}").into(),
            )
        })?,
        file: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
        published_file: row.get(6)?,
        first_seen: row.get(7)?,
        reviewed_at: row.get(8)?,
    })
}

/// Post counts from rows of (state, count); a state with no posts may count
/// as NULL.
fn counts_by_state(mut rows: rusqlite::Rows<'_>) -> Result<PostCounts, StoreError> {
    let mut counts = PostCounts::default();
    while let Some(row) = rows.next()? {
        let state: String = row.get(0)?;
        let count = row.get::<_, Option<i64>>(1)?.unwrap_or(0).unsigned_abs();
        match EntryState::parse(&state) {
            Some(EntryState::Draft) => counts.drafts = count,
            Some(EntryState::Approved) => counts.approved = count,
            Some(EntryState::Rejected) => counts.rejected = count,
            Some(EntryState::Missing) => counts.missing = count,
            _ => {}
        }
    }
    Ok(counts)
}
