//! The schema and its migrations: each version's SQL, applied in order on
//! open, each in its own transaction. Never edit a released migration; add one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Schema migrations, applied in order; index + 1 is the version.
pub(super) const MIGRATIONS: &[&str] = &[
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

/// Brings the database at `path` to the newest schema, or refuses one
/// written by a newer linkpost.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let open_err = |cause| StoreError::Open {
        path: path.to_path_buf(),
        cause,
    };
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
    Ok(())
}
