//! The store: one SQLite file that remembers every feed and every entry seen.
//!
//! WAL mode with a busy timeout; the schema is versioned with SQLite's
//! `user_version` and migrated on open (`schema.rs`). Uniqueness is enforced
//! by the database, not by checks in Rust: an entry is *claimed* by inserting
//! its normalized URLs (and its feed's guid) under primary keys, so two tasks
//! or two processes can never both claim one article. Times are Unix seconds,
//! always passed in by the caller so tests control the clock.
//!
//! One file per table group: [`feeds`] (poll outcomes and schedules),
//! [`entries`] (dedupe, claims, marks), [`journal`] (the writer's pending
//! posts), [`review`] (review states) and [`lock`] (one poller per database);
//! `keys.rs` makes the 18-byte keys names are stored as, so that an entry
//! takes about 320 bytes on disk (issue 13; `bench/store_fill.rs` measures it).
//! It fetches nothing and parses no feed; the only files it touches are the
//! database and the lock beside it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

pub mod entries;
pub mod feeds;
pub mod journal;
mod keys;
pub mod lock;
pub mod review;
mod schema;
#[cfg(test)]
mod tests;

pub use entries::{NewEntry, PendingPost};
pub use feeds::{FeedState, MOVED_AFTER, Moved, PollOutcome, ScheduleState};
pub use journal::Journal;
pub use lock::PollerLock;
pub use review::{PostCounts, PostRecord, StateChange};

/// How long a writer waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes per database page. Entry rows (about 230 bytes) fill 8 KiB pages
/// better than SQLite's default 4 KiB, by 1.5% of the file, and lookups of
/// a poll's keys read no more pages (`bench/store_fill.rs`).
const PAGE_SIZE: i64 = 8192;

/// The most memory SQLite's page cache may use, in KiB.
const CACHE_KIB: i64 = 16 * 1024;

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or prepared.
    #[error("cannot open database {path}: {cause}; check the path and its permissions")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: rusqlite::Error,
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
    #[error("cannot create lock file {path}: {cause}; check the folder's permissions")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: std::io::Error,
    },
    /// SQLite ended a batch's transaction on its own (a full disk or an
    /// I/O error); what the batch did so far is undone.
    #[error(
        "the database ended a batch's transaction after an error (a full disk or an I/O error?); its changes were undone"
    )]
    TransactionLost,
    /// A write inside a batch failed half way; the batch was undone.
    #[error("a write in a batch failed ({0}); the batch's changes were undone")]
    BatchStepFailed(String),
    /// A query failed.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

// By hand rather than `#[from]`, which would also make the error its
// `source` and print it twice in a chain.
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(err)
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
    /// Kept out by the feed's `include`/`exclude` patterns: recorded without
    /// a post, and seen from then on, in every feed.
    Filtered,
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
            EntryState::Filtered => "filtered",
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
            EntryState::Filtered,
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

/// Locks a store shared between threads (the writer's and the blocking
/// pool's), also after a panic elsewhere poisoned the lock: every store call
/// is its own transaction, so no half-done state can be seen through it.
pub fn lock_shared(store: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// The SQLite store.
pub struct Store {
    conn: Connection,
    /// Inside [`Store::batch`]: its transaction must still be open.
    in_batch: bool,
    /// The first error of a [`Store::write_step`] inside the open batch,
    /// whose writes may be half done: the batch is rolled back.
    batch_broken: Option<String>,
    /// Rows of the `feeds` table read so far (see [`Store::feed_rows_read`]).
    feed_rows_read: std::cell::Cell<u64>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
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

    /// Runs `sql` on the store's connection: a test's way to break the
    /// store on purpose (e.g. a TEMP trigger that fails some writes).
    #[cfg(test)]
    pub(crate) fn execute_for_tests(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// An in-memory store, for tests and `preview`.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::prepare(conn, Path::new(":memory:"))
    }

    fn prepare(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        let open_err = |cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Only a new database takes it; an older one gets it when its
        // migration compacts it (`schema::migrate`).
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(open_err)?;
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
        // Dedupe keys are hashes, so inserts land on random pages of the key
        // index: with SQLite's default 2 MB cache, a cold pass writing
        // 40,000 posts read 913,000 pages back from the file; with 16 MiB,
        // 20,000 (`bench/RESULTS.md`). The cache grows only as it is used.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)
            .map_err(open_err)?;
        // Statement journals (a statement that fires the count triggers or
        // writes a batch's journal row keeps one) stay in memory instead of
        // temporary files: 540,000 write calls became 127,000 in that pass.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(open_err)?;
        schema::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            in_batch: false,
            batch_broken: None,
            feed_rows_read: std::cell::Cell::new(0),
        })
    }

    /// Rows of the `feeds` table this store has read since it was opened:
    /// the daemon reads them all once at start and at a reload, and one per
    /// poll, never all of them per poll (a test holds it to that).
    pub fn feed_rows_read(&self) -> u64 {
        self.feed_rows_read.get()
    }

    /// Counts `rows` more rows of `feeds` read.
    fn count_feed_rows(&self, rows: usize) {
        self.feed_rows_read
            .set(self.feed_rows_read.get().saturating_add(rows as u64));
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        Ok(usize::try_from(version).unwrap_or(usize::MAX))
    }

    /// Refuses to write when a [`Store::batch`] is open but SQLite ended its
    /// transaction (a full disk): writing on in a transaction of its own
    /// would commit part of a batch that was meant to be whole.
    fn check_batch_alive(&self) -> Result<(), StoreError> {
        if self.in_batch && self.conn.is_autocommit() {
            return Err(StoreError::TransactionLost);
        }
        Ok(())
    }

    /// A write transaction: a top-level `BEGIN IMMEDIATE`, or a savepoint
    /// inside a [`Store::batch`].
    fn write_tx(&mut self) -> Result<WriteTx<'_>, StoreError> {
        self.check_batch_alive()?;
        Ok(if self.conn.is_autocommit() {
            WriteTx::Top(
                self.conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?,
            )
        } else {
            WriteTx::Nested(self.conn.savepoint()?)
        })
    }

    /// Runs `f`'s writes as one whole. At the top level that is a transaction
    /// of its own. Inside a [`Store::batch`] it is the batch's transaction,
    /// without a savepoint: a savepoint copies every page it changes (8 KiB
    /// each) into a sub-journal, which was a tenth of a cold poll's
    /// instructions (issue 13). So `f` must refuse before it writes (a
    /// claim checks its names first), and an error from `f` fails the
    /// whole batch.
    fn write_step<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.check_batch_alive()?;
        if self.conn.is_autocommit() {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            return Ok(value);
        }
        let result = f(&self.conn);
        if let Err(e) = &result {
            self.batch_broken.get_or_insert_with(|| e.to_string());
        }
        result
    }

    /// Runs `f` inside one write transaction, so many claims (or marks) cost
    /// one commit. A claim that is refused (its article seen already) writes
    /// nothing, so it does not undo the others; a store error inside fails
    /// the whole batch, even when `f` goes on. With `durable`, the commit is
    /// synced to disk before this returns (claims must be, before their
    /// files are written).
    ///
    /// The transaction is rolled back, and nothing of it kept, when `f`
    /// fails, when it panics (the panic then goes on), or when the commit
    /// fails: the connection is never left inside a transaction.
    pub fn batch<T>(
        &mut self,
        durable: bool,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if durable {
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        // Prepared once: a daemon runs a batch every few polls.
        let begun = self
            .conn
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut begin| begin.execute([]));
        let result = begun.map(|_| {
            self.in_batch = true;
            self.batch_broken = None;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
            self.in_batch = false;
            outcome
        });
        let result = match (result, self.batch_broken.take()) {
            // A step failed half way: nothing of the batch may be kept.
            (Ok(Ok(Ok(_))), Some(broken)) => Ok(Ok(Err(StoreError::BatchStepFailed(broken)))),
            (result, _) => result,
        };
        let result = match result {
            Err(e) => Err(e.into()),
            // SQLite may have ended the transaction itself (a full disk):
            // then there is nothing to commit, and the batch failed.
            Ok(Ok(Ok(_))) if self.conn.is_autocommit() => Err(StoreError::TransactionLost),
            Ok(Ok(Ok(value))) => match self
                .conn
                .prepare_cached("COMMIT")
                .and_then(|mut commit| commit.execute([]))
            {
                Ok(_) => Ok(value),
                Err(e) => {
                    self.rollback();
                    Err(e.into())
                }
            },
            Ok(Ok(Err(e))) => {
                self.rollback();
                Err(e)
            }
            Ok(Err(panic)) => {
                self.rollback();
                if durable {
                    let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
                }
                std::panic::resume_unwind(panic);
            }
        };
        if durable {
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        result
    }

    /// Ends an open transaction without keeping it.
    fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
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
