//! The store: one SQLite file that remembers every feed and every entry seen.
//!
//! WAL mode with a busy timeout; the schema is versioned with SQLite's
//! `user_version` and migrated on open. Uniqueness is enforced by the
//! database, not by checks in Rust: an entry is *claimed* by inserting its
//! normalized URLs (and its feed's guid) under primary keys, so two tasks or
//! two processes can never both claim one article. Times are Unix seconds,
//! always passed in by the caller so tests control the clock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::fetch::Validators;

/// Schema migrations, applied in order; index + 1 is the version.
const MIGRATIONS: &[&str] = &[
    // 1: feeds, entries and the two dedupe indexes.
    "CREATE TABLE feeds (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_poll INTEGER,
        last_status TEXT,
        last_error TEXT,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        next_due INTEGER,
        first_poll_done INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        feed TEXT NOT NULL,
        url TEXT NOT NULL,
        guid TEXT,
        title TEXT,
        state TEXT NOT NULL,
        file TEXT UNIQUE,
        pending_content TEXT,
        first_seen INTEGER NOT NULL,
        written_at INTEGER
    );
    CREATE INDEX entries_feed_state ON entries (feed, state);
    CREATE INDEX entries_state ON entries (state);
    CREATE TABLE entry_urls (
        url TEXT PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entries (id)
    ) WITHOUT ROWID;
    CREATE TABLE entry_guids (
        feed TEXT NOT NULL,
        guid TEXT NOT NULL,
        entry_id INTEGER NOT NULL REFERENCES entries (id),
        PRIMARY KEY (feed, guid)
    ) WITHOUT ROWID;",
    // 2: a pending entry's final state in its own column (version 1 kept it
    // as the first line of `pending_content`), and what review did.
    "ALTER TABLE entries ADD COLUMN final_state TEXT;
    ALTER TABLE entries ADD COLUMN published_file TEXT;
    ALTER TABLE entries ADD COLUMN reviewed_at INTEGER;
    UPDATE entries
    SET final_state = substr(pending_content, 1, instr(pending_content, char(10)) - 1),
        pending_content = substr(pending_content, instr(pending_content, char(10)) + 1)
    WHERE state = 'pending' AND instr(pending_content, char(10)) > 0;
    CREATE INDEX entries_published_file ON entries (published_file);",
    // 3: the writer's journal: the rendered posts of a claimed batch, in one
    // row written with the claims and deleted with the marks.
    "CREATE TABLE pending_batches (
        id INTEGER PRIMARY KEY,
        posts BLOB NOT NULL
    );",
];

/// How long a writer waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or prepared.
    #[error("cannot open database {path}: {source}; check the path and its permissions")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer linkpost.
    #[error(
        "database {path} has schema version {found}, newer than this linkpost's {supported}; upgrade linkpost"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Version found in the file.
        found: usize,
        /// Newest version this build knows.
        supported: usize,
    },
    /// An entry was not in the state a change expected (another process
    /// handled it first).
    #[error("post {id} is no longer {expected}; someone else changed it, try again")]
    StateChanged {
        /// Entry id.
        id: i64,
        /// The state the change expected.
        expected: EntryState,
    },
    /// Another linkpost is polling with this database.
    #[error(
        "another linkpost{} is polling with database {path}; stop it first (`linkpost feeds` and the review commands work alongside it)",
        .pid.as_deref().map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Busy {
        /// The database file.
        path: PathBuf,
        /// The process holding the lock, as it wrote it.
        pid: Option<String>,
    },
    /// The lock file could not be created.
    #[error("cannot create lock file {path}: {source}; check the folder's permissions")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Held by the one process that polls with a database (`run` or `poll`),
/// so two pollers never race on one output folder; released on drop or exit.
#[derive(Debug)]
pub struct PollerLock {
    _file: std::fs::File,
}

impl PollerLock {
    /// Takes the lock beside `database` (`<database>.lock`), or fails at
    /// once with [`StoreError::Busy`] naming the holder.
    pub fn acquire(database: &Path) -> Result<PollerLock, StoreError> {
        use std::io::{Read, Seek, Write};
        let mut path = database.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let lock_err = |source| StoreError::Lock {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(lock_err)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = Some(pid.trim().to_string()).filter(|p| !p.is_empty());
                return Err(StoreError::Busy {
                    path: database.to_path_buf(),
                    pid,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
        }
        // The pid is for the message above; the lock is what counts.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(PollerLock { _file: file })
    }
}

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Claimed; its file may or may not exist yet (a crash happened or a
    /// write is in progress).
    Pending,
    /// Written as a draft waiting for review.
    Draft,
    /// Written with `draft: false`, or approved by a reviewer.
    Approved,
    /// Rejected by a reviewer; never written again.
    Rejected,
    /// Recorded without a post, e.g. beyond `backfill` on a first poll.
    Skipped,
    /// Its draft was deleted or moved away by hand; never written again.
    Missing,
}

impl EntryState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Draft => "draft",
            EntryState::Approved => "approved",
            EntryState::Rejected => "rejected",
            EntryState::Skipped => "skipped",
            EntryState::Missing => "missing",
        }
    }

    /// Reads a name stored in the database.
    pub fn parse(name: &str) -> Option<EntryState> {
        [
            EntryState::Pending,
            EntryState::Draft,
            EntryState::Approved,
            EntryState::Rejected,
            EntryState::Skipped,
            EntryState::Missing,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for EntryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
}

/// When a feed is next due, as the scheduler reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleState {
    /// Configured name.
    pub name: String,
    /// Unix time of the next poll; `None` before the first.
    pub next_due: Option<i64>,
    /// Disabled, e.g. after 410 Gone.
    pub disabled: bool,
}

/// An entry about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The feed's name.
    pub feed: &'a str,
    /// The guid the feed gave it, if any.
    pub guid: Option<&'a str>,
    /// Normalized URLs; the first is the post's `external_url`.
    pub urls: &'a [String],
    /// Title, for `feeds` and review listings.
    pub title: &'a str,
    /// Unix time first seen.
    pub now: i64,
}

/// A claimed entry whose file may not have been written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPost {
    /// Entry id.
    pub id: i64,
    /// File name reserved for it inside the output folder.
    pub file: String,
    /// The entry's normalized URL (its `external_url`).
    pub url: String,
    /// The rendered post, when the claim holds it; claims made by the
    /// writer keep theirs in a journal file beside the database instead.
    pub content: Option<String>,
    /// State to set once the file exists.
    pub final_state: EntryState,
}

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

/// Outcome of a poll, as recorded for a feed.
#[derive(Debug, Clone)]
pub struct PollRecord<'a> {
    /// Feed URL.
    pub url: &'a str,
    /// Unix time of the poll.
    pub now: i64,
    /// Unix time of the next poll.
    pub next_due: i64,
    /// One-line result.
    pub status: &'a str,
    /// The error, on failure.
    pub error: Option<&'a str>,
    /// New validators, on a fetched (not 304) success.
    pub validators: Option<&'a Validators>,
    /// Disable the feed (410 Gone).
    pub disable: bool,
    /// Every entry was handled (not interrupted by shutdown), so a first
    /// poll counts as done.
    pub complete: bool,
}

/// The SQLite store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                open_err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(format!("cannot create folder {}: {e}", parent.display())),
                ))
            })?;
        }
        let conn = Connection::open(path).map_err(open_err)?;
        Store::prepare(conn, path)
    }

    /// An in-memory store, for tests and `preview`.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::prepare(conn, Path::new(":memory:"))
    }

    fn prepare(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        // NORMAL: in WAL mode a commit is atomic and consistent, and is made
        // durable by the next sync. Commits that must survive power loss
        // before a file operation follows (claims, review changes) sync
        // themselves; see `durable`.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(open_err)?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                supported: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(open_err)?;
            tx.execute_batch(sql).map_err(open_err)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(open_err)?;
            tx.commit().map_err(open_err)?;
        }
        Ok(Store { conn })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        Ok(usize::try_from(version).unwrap_or(usize::MAX))
    }

    /// The record of feed `name`, if it was ever polled.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, StoreError> {
        let state = self
            .conn
            .query_row(
                "SELECT name, url, etag, last_modified, last_poll, last_status, last_error,
                        consecutive_errors, next_due, first_poll_done, disabled
                 FROM feeds WHERE name = ?1",
                [name],
                |row| {
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
                    })
                },
            )
            .optional()?;
        Ok(state)
    }

    /// Records the outcome of one poll of feed `name`.
    ///
    /// A success (no `error`) resets the error count, marks the first poll
    /// done and, on a fetched body, replaces the validators. A failure keeps
    /// the validators and counts one more consecutive error.
    pub fn record_poll(&mut self, name: &str, poll: &PollRecord<'_>) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO feeds (name, url) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET url = excluded.url",
            params![name, poll.url],
        )?;
        match poll.error {
            None => {
                tx.execute(
                    "UPDATE feeds SET last_poll = ?2, next_due = ?3, last_status = ?4, last_error = NULL,
                            consecutive_errors = 0, first_poll_done = first_poll_done OR ?5
                     WHERE name = ?1",
                    params![name, poll.now, poll.next_due, poll.status, poll.complete],
                )?;
                if let Some(v) = poll.validators {
                    tx.execute(
                        "UPDATE feeds SET etag = ?2, last_modified = ?3 WHERE name = ?1",
                        params![name, v.etag, v.last_modified],
                    )?;
                }
            }
            Some(error) => {
                tx.execute(
                    "UPDATE feeds SET last_poll = ?2, next_due = ?3, last_status = ?4, last_error = ?5,
                            consecutive_errors = consecutive_errors + 1, disabled = disabled OR ?6
                     WHERE name = ?1",
                    params![name, poll.now, poll.next_due, poll.status, error, poll.disable],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// What the scheduler needs of every feed.
    pub fn schedule_states(&self) -> Result<Vec<ScheduleState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, next_due, disabled FROM feeds")?;
        let rows = stmt.query_map([], |row| {
            Ok(ScheduleState {
                name: row.get(0)?,
                next_due: row.get(1)?,
                disabled: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The id of an entry already seen under any of `urls`, or under `guid`
    /// in `feed`.
    pub fn find_seen(
        &self,
        feed: &str,
        guid: Option<&str>,
        urls: &[String],
    ) -> Result<Option<i64>, StoreError> {
        let mut by_url = self
            .conn
            .prepare_cached("SELECT entry_id FROM entry_urls WHERE url = ?1")?;
        for url in urls {
            if let Some(id) = by_url.query_row([url], |row| row.get(0)).optional()? {
                return Ok(Some(id));
            }
        }
        if let Some(guid) = guid {
            let mut by_guid = self
                .conn
                .prepare_cached("SELECT entry_id FROM entry_guids WHERE feed = ?1 AND guid = ?2")?;
            if let Some(id) = by_guid
                .query_row([feed, guid], |row| row.get(0))
                .optional()?
            {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Records more URLs and a guid under an entry already seen, so every
    /// name it is known by dedupes from now on.
    pub fn add_aliases(
        &mut self,
        entry_id: i64,
        feed: &str,
        guid: Option<&str>,
        urls: &[String],
    ) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        insert_aliases(&tx, entry_id, feed, guid, urls)?;
        tx.commit()?;
        Ok(())
    }

    /// Records an entry that gets no post (e.g. beyond `backfill`).
    /// Returns `None` when it was seen already.
    pub fn record_unwritten(
        &mut self,
        entry: &NewEntry<'_>,
        state: EntryState,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_entry(entry, state, None, None)
    }

    /// Claims an entry for writing to `file` with `content`, in state
    /// [`EntryState::Pending`]; `final_state` is what it becomes once written.
    /// Returns `None` when any of its URLs or its guid is already claimed.
    pub fn claim(
        &mut self,
        entry: &NewEntry<'_>,
        file: &str,
        content: &str,
        final_state: EntryState,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_entry(
            entry,
            EntryState::Pending,
            Some(file),
            Some((Some(content), final_state)),
        )
    }

    /// Like [`Store::claim`], for a post whose rendered text the caller has
    /// made durable elsewhere (the writer's journal).
    pub fn claim_journaled(
        &mut self,
        entry: &NewEntry<'_>,
        file: &str,
        final_state: EntryState,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_entry(
            entry,
            EntryState::Pending,
            Some(file),
            Some((None, final_state)),
        )
    }

    /// Forgets a pending claim whose post cannot be finished, so the entry
    /// is new again and the next poll of its feed writes it.
    pub fn release(&mut self, id: i64) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        let pending = tx.execute(
            "DELETE FROM entries WHERE id = ?1 AND state = 'pending'",
            [id],
        )?;
        if pending == 1 {
            tx.execute("DELETE FROM entry_urls WHERE entry_id = ?1", [id])?;
            tx.execute("DELETE FROM entry_guids WHERE entry_id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn insert_entry(
        &mut self,
        entry: &NewEntry<'_>,
        state: EntryState,
        file: Option<&str>,
        pending: Option<(Option<&str>, EntryState)>,
    ) -> Result<Option<i64>, StoreError> {
        let tx = self.write_tx()?;
        let url = entry.urls.first().map(String::as_str).unwrap_or_default();
        tx.prepare_cached(
            "INSERT INTO entries (feed, url, guid, title, state, file, pending_content, final_state, first_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(
            params![
                entry.feed,
                url,
                entry.guid,
                entry.title,
                state.as_str(),
                file,
                pending.and_then(|(content, _)| content),
                pending.map(|(_, final_state)| final_state.as_str()),
                entry.now
            ],
        )?;
        let id = tx.last_insert_rowid();
        let claimed = insert_aliases(&tx, id, entry.feed, entry.guid, entry.urls)?;
        let expected = entry.urls.len() + usize::from(entry.guid.is_some());
        if claimed != expected {
            // Some name of this article is taken: it is not new. Dropping the
            // transaction rolls the insert back.
            return Ok(None);
        }
        tx.commit()?;
        Ok(Some(id))
    }

    /// A write transaction: a top-level `BEGIN IMMEDIATE`, or a savepoint
    /// inside a [`Store::batch`].
    fn write_tx(&mut self) -> Result<WriteTx<'_>, StoreError> {
        Ok(if self.conn.is_autocommit() {
            WriteTx::Top(
                self.conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?,
            )
        } else {
            WriteTx::Nested(self.conn.savepoint()?)
        })
    }

    /// Runs `f` inside one write transaction, so many claims (or marks) cost
    /// one commit. Each store call inside gets its own savepoint, so one
    /// refused claim does not undo the others. With `durable`, the commit is
    /// synced to disk before this returns (claims must be, before their
    /// files are written). Fails without committing when the commit fails.
    pub fn batch<T>(
        &mut self,
        durable: bool,
        f: impl FnOnce(&mut Store) -> T,
    ) -> Result<T, StoreError> {
        if durable {
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        let result = self.batch_inner(f);
        if durable {
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        result
    }

    fn batch_inner<T>(&mut self, f: impl FnOnce(&mut Store) -> T) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let value = f(self);
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        Ok(value)
    }

    /// Keeps a claimed batch's rendered posts (in the writer's journal
    /// format) until [`Store::mark_written_many`] drops them; returns its id.
    /// Call inside the [`Store::batch`] that claims them.
    pub fn journal_batch(&mut self, posts: &[u8]) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("INSERT INTO pending_batches (posts) VALUES (?1)")?
            .execute([posts])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every journaled batch still held, oldest first.
    pub fn journaled_batches(&self) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, posts FROM pending_batches ORDER BY id")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Drops a journaled batch.
    pub fn drop_journal(&mut self, batch: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM pending_batches WHERE id = ?1", [batch])?;
        Ok(())
    }

    /// Marks pending entries as written, in one transaction, dropping the
    /// journaled batch that held their text when every post of it is done.
    pub fn mark_written_many(
        &mut self,
        ids: &[i64],
        now: i64,
        done_batch: Option<i64>,
    ) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        if let Some(batch) = done_batch {
            tx.prepare_cached("DELETE FROM pending_batches WHERE id = ?1")?
                .execute([batch])?;
        }
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE entries SET state = coalesce(final_state, 'draft'), final_state = NULL,
                        pending_content = NULL, written_at = ?2
                 WHERE id = ?1 AND state = 'pending'",
            )?;
            for id in ids {
                stmt.execute(params![id, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether a file name is reserved by any entry.
    pub fn is_file_reserved(&self, file: &str) -> Result<bool, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM entries WHERE file = ?1")?;
        Ok(stmt.exists([file])?)
    }

    /// Moves a pending entry's reservation to another file name.
    pub fn set_file(&mut self, id: i64, file: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE entries SET file = ?2 WHERE id = ?1 AND state = 'pending'",
            params![id, file],
        )?;
        Ok(())
    }

    /// Marks a pending entry as written.
    pub fn mark_written(&mut self, id: i64, now: i64) -> Result<(), StoreError> {
        self.mark_written_many(&[id], now, None)
    }

    /// Entries claimed but not yet marked written, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingPost>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, file, pending_content, final_state, url FROM entries
             WHERE state = 'pending' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            let final_state: Option<String> = row.get(3)?;
            Ok(PendingPost {
                id: row.get(0)?,
                file: row.get(1)?,
                url: row.get(4)?,
                content: row.get(2)?,
                final_state: final_state
                    .as_deref()
                    .and_then(EntryState::parse)
                    .unwrap_or(EntryState::Draft),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Posts written for `feed`, counted by what became of them.
    pub fn count_posts(&self, feed: &str) -> Result<PostCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT state, count(*) FROM entries WHERE feed = ?1 AND written_at IS NOT NULL
             GROUP BY state",
        )?;
        let mut counts = PostCounts::default();
        let mut rows = stmt.query([feed])?;
        while let Some(row) = rows.next()? {
            let state: String = row.get(0)?;
            let count = row.get::<_, i64>(1)?.unsigned_abs();
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

    /// Written posts in any of `states`, newest first by when they were seen.
    pub fn posts(&self, states: &[EntryState]) -> Result<Vec<PostRecord>, StoreError> {
        // The names are this module's constants, never user text.
        let names: Vec<String> = states.iter().map(|s| format!("'{s}'")).collect();
        let mut stmt = self.conn.prepare_cached(&format!(
            "{POST_COLUMNS} WHERE written_at IS NOT NULL AND state IN ({})
             ORDER BY first_seen DESC, id DESC",
            names.join(", ")
        ))?;
        let rows = stmt.query_map([], post_record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The written post with entry id `id`.
    pub fn post(&self, id: i64) -> Result<Option<PostRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{POST_COLUMNS} WHERE id = ?1 AND written_at IS NOT NULL"
        ))?;
        Ok(stmt.query_row([id], post_record).optional()?)
    }

    /// The written post whose file in the output folder is `file`, or whose
    /// published file is `file`.
    pub fn post_by_file(&self, file: &str) -> Result<Option<PostRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{POST_COLUMNS} WHERE (file = ?1 OR published_file = ?1) AND written_at IS NOT NULL"
        ))?;
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
            "UPDATE entries SET state = ?3, published_file = coalesce(?4, published_file),
                    reviewed_at = ?5
             WHERE id = ?1 AND state = ?2",
            params![id, from.as_str(), to.as_str(), published_file, now],
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

/// A write transaction at the top level or nested in a batch.
enum WriteTx<'c> {
    Top(rusqlite::Transaction<'c>),
    Nested(rusqlite::Savepoint<'c>),
}

impl WriteTx<'_> {
    fn commit(self) -> Result<(), rusqlite::Error> {
        match self {
            WriteTx::Top(tx) => tx.commit(),
            WriteTx::Nested(sp) => sp.commit(),
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Top(tx) => tx,
            WriteTx::Nested(sp) => sp,
        }
    }
}

/// The columns [`post_record`] reads.
const POST_COLUMNS: &str = "SELECT id, feed, coalesce(title, ''), url, state, file, published_file, first_seen FROM entries";

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
    })
}

/// Records `urls` and `guid` under `entry_id` where no entry holds them yet;
/// returns how many were new.
fn insert_aliases(
    tx: &Connection,
    entry_id: i64,
    feed: &str,
    guid: Option<&str>,
    urls: &[String],
) -> Result<usize, StoreError> {
    let mut inserted = 0;
    for url in urls {
        inserted += tx
            .prepare_cached(
                "INSERT INTO entry_urls (url, entry_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![url, entry_id])?;
    }
    if let Some(guid) = guid {
        inserted += tx
            .prepare_cached(
                "INSERT INTO entry_guids (feed, guid, entry_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(
            params![feed, guid, entry_id],
        )?;
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(feed: &'a str, guid: Option<&'a str>, urls: &'a [String]) -> NewEntry<'a> {
        NewEntry {
            feed,
            guid,
            urls,
            title: "t",
            now: 1,
        }
    }

    #[test]
    fn one_poller_per_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("state/linkpost.db");
        let lock = PollerLock::acquire(&db).expect("first");
        let err = PollerLock::acquire(&db).expect_err("second refused");
        let message = err.to_string();
        assert!(
            message.contains(&format!("(pid {})", std::process::id())),
            "{message}"
        );
        drop(lock);
        PollerLock::acquire(&db).expect("free again");
    }

    #[test]
    fn migrates_from_empty_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/linkpost.db");
        let store = Store::open(&path).expect("open new");
        assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len());
        drop(store);
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", 99)
            .expect("set version");
        drop(conn);
        let err = Store::open(&path).err().expect("refused");
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn claim_is_unique_by_url_and_by_feed_guid() {
        let mut store = Store::open_in_memory().expect("store");
        let a = vec!["https://e.com/a".to_string()];
        let b = vec!["https://e.com/b".to_string()];
        let id = store
            .claim(
                &entry("F", Some("g1"), &a),
                "a.md",
                "post",
                EntryState::Draft,
            )
            .expect("claim");
        assert!(id.is_some());
        assert_eq!(
            store
                .claim(&entry("G", None, &a), "a2.md", "post", EntryState::Draft)
                .expect("claim"),
            None
        );
        assert_eq!(
            store
                .claim(
                    &entry("F", Some("g1"), &b),
                    "b.md",
                    "post",
                    EntryState::Draft
                )
                .expect("claim"),
            None
        );
        assert!(
            store
                .claim(
                    &entry("G", Some("g1"), &b),
                    "b.md",
                    "post",
                    EntryState::Draft
                )
                .expect("claim")
                .is_some(),
            "guids are per feed"
        );
        assert_eq!(
            store.find_seen("X", None, &b).expect("find"),
            store.find_seen("G", Some("g1"), &[]).expect("find")
        );
        assert!(
            !store.is_file_reserved("a2.md").expect("lookup"),
            "a refused claim reserves nothing"
        );
    }

    #[test]
    fn migration_2_moves_the_final_state_out_of_pending_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(MIGRATIONS[0]).expect("schema 1");
        conn.execute(
            "INSERT INTO entries (feed, url, state, file, pending_content, first_seen)
             VALUES ('F', 'https://e.com/a', 'pending', 'a.md', 'approved\n---\ntitle: a\n', 1)",
            [],
        )
        .expect("v1 pending row");
        conn.pragma_update(None, "user_version", 1)
            .expect("version");
        drop(conn);
        let mut store = Store::open(&path).expect("migrate");
        let pending = store.pending().expect("pending");
        assert_eq!(pending[0].content.as_deref(), Some("---\ntitle: a\n"));
        assert_eq!(pending[0].final_state, EntryState::Approved);
        store.mark_written(pending[0].id, 2).expect("mark");
        assert_eq!(store.count_posts("F").expect("count").approved, 1);
    }

    #[test]
    fn a_state_change_holds_until_committed() {
        let mut store = Store::open_in_memory().expect("store");
        let a = vec!["https://e.com/a".to_string()];
        let id = store
            .claim(&entry("F", None, &a), "a.md", "post", EntryState::Draft)
            .expect("claim")
            .expect("claimed");
        store.mark_written(id, 2).expect("mark");
        let change = store
            .change_state(
                id,
                EntryState::Draft,
                EntryState::Approved,
                Some("/p/a.md"),
                3,
            )
            .expect("change");
        drop(change);
        let post = store.post(id).expect("post").expect("exists");
        assert_eq!(post.state, EntryState::Draft, "dropping rolls back");
        assert_eq!(post.published_file, None);
        store
            .change_state(
                id,
                EntryState::Draft,
                EntryState::Approved,
                Some("/p/a.md"),
                3,
            )
            .expect("change")
            .commit()
            .expect("commit");
        let post = store
            .post_by_file("/p/a.md")
            .expect("post")
            .expect("exists");
        assert_eq!((post.id, post.state), (id, EntryState::Approved));
        assert!(matches!(
            store.change_state(id, EntryState::Draft, EntryState::Rejected, None, 4),
            Err(StoreError::StateChanged { .. })
        ));
        assert_eq!(store.posts(&[EntryState::Draft]).expect("posts"), vec![]);
        assert_eq!(
            store.posts(&[EntryState::Approved]).expect("posts").len(),
            1
        );
    }

    #[test]
    fn pending_until_marked_written() {
        let mut store = Store::open_in_memory().expect("store");
        let a = vec!["https://e.com/a".to_string()];
        let id = store
            .claim(
                &entry("F", None, &a),
                "a.md",
                "line1\nline2",
                EntryState::Approved,
            )
            .expect("claim")
            .expect("claimed");
        let pending = store.pending().expect("pending");
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].content.as_deref(), Some("line1\nline2"));
        assert_eq!(pending[0].final_state, EntryState::Approved);
        store.mark_written(id, 2).expect("mark");
        assert!(store.pending().expect("pending").is_empty());
        assert_eq!(store.count_posts("F").expect("count").approved, 1);
    }
}
