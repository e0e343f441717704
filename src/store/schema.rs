//! The schema and its migrations: each version's SQL (and, where SQL cannot
//! do it, Rust), applied in order on open, each in its own transaction.
//! Never edit a released migration; add one.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::keys::{guid_key, split_url, url_key};
use super::{PAGE_SIZE, StoreError};

/// One schema version: its SQL, then its Rust step if it has one.
pub(super) struct Migration {
    /// Run first.
    pub sql: &'static str,
    /// Run after `sql`, in the same transaction.
    pub then: Option<fn(&Connection) -> rusqlite::Result<()>>,
}

/// The first version whose entries live in the compact layout: a store
/// migrated from an older one is compacted once after (see [`migrate`]).
const COMPACT_VERSION: usize = 4;

/// Schema migrations, applied in order; index + 1 is the version.
pub(super) const MIGRATIONS: &[Migration] = &[
    // 1: feeds, entries and the two dedupe indexes.
    Migration {
        sql: "CREATE TABLE feeds (
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
        then: None,
    },
    // 2: a pending entry's final state in its own column (version 1 kept it
    // as the first line of `pending_content`), and what review did.
    Migration {
        sql: "ALTER TABLE entries ADD COLUMN final_state TEXT;
    ALTER TABLE entries ADD COLUMN published_file TEXT;
    ALTER TABLE entries ADD COLUMN reviewed_at INTEGER;
    UPDATE entries
    SET final_state = substr(pending_content, 1, instr(pending_content, char(10)) - 1),
        pending_content = substr(pending_content, instr(pending_content, char(10)) + 1)
    WHERE state = 'pending' AND instr(pending_content, char(10)) > 0;
    CREATE INDEX entries_published_file ON entries (published_file);",
        then: None,
    },
    // 3: the writer's journal: the rendered posts of a claimed batch, in one
    // row written with the claims and deleted with the marks.
    Migration {
        sql: "CREATE TABLE pending_batches (
        id INTEGER PRIMARY KEY,
        posts BLOB NOT NULL
    );",
        then: None,
    },
    // 4: entries in under half the space (issue 13). Each name is an 18-byte
    // key (`keys.rs`) in one table; a URL's origin and a feed's name are
    // stored once and referred to by number; posts are counted per feed and
    // state by triggers instead of an index over every entry; the indexes
    // left hold only what a query looks up (a file name's first 16
    // characters, pending entries, published files). The rows are copied by
    // `entries_v4`.
    Migration {
        sql: V4_TABLES,
        then: Some(entries_v4),
    },
    // 5: entries kept out by a feed's filters (state 'filtered', issue 15)
    // counted per feed by `linkpost feeds`: a partial index holds only them,
    // so counting one feed's reads its own rows and adds nothing to the
    // other entries' inserts. (The `post_counts` triggers count written
    // posts only; a filtered entry is never written.)
    Migration {
        sql: "CREATE INDEX entries_filtered ON entries (feed_id) WHERE state = 'filtered';",
        then: None,
    },
    // 6: moved feeds (issue 15): where the feed's URL last redirected
    // permanently, and since when every poll has seen that redirect.
    Migration {
        sql: "ALTER TABLE feeds ADD COLUMN moved_to TEXT;
    ALTER TABLE feeds ADD COLUMN moved_since INTEGER;",
        then: None,
    },
    // 7: notifications (issue 16): when the feed's current run of failed
    // polls began, and whether `feed_failing` was sent for it.
    Migration {
        sql: "ALTER TABLE feeds ADD COLUMN failing_since INTEGER;
    ALTER TABLE feeds ADD COLUMN failing_notified INTEGER NOT NULL DEFAULT 0;",
        then: None,
    },
    // 8: a file name is looked up by its first 16 characters and its
    // length (issue 13). The first 16 are the date and five letters of the
    // slug, shared by dozens of a busy day's posts, each of which the lookup
    // had to read from the table; with the length, one or two are. One byte
    // more per post in the index.
    Migration {
        sql: "DROP INDEX entries_file;
    CREATE INDEX entries_file ON entries (substr(file, 1, 16), length(file))
        WHERE file IS NOT NULL;",
        then: None,
    },
    // 9: no count trigger on insert (issue 13). An insert into `entries`
    // evaluates the file index's functions, which makes SQLite ready to
    // undo the statement half way; with a trigger on insert that took a
    // statement journal, into which each page the insert changed (8 KiB)
    // was copied first: 6% of a cold poll's instructions. linkpost inserts
    // entries unwritten (a claim is pending, a skipped entry is never
    // written), so that trigger never fired; a post is counted when it is
    // marked written, by the update trigger, and uncounted by the delete one.
    Migration {
        sql: "DROP TRIGGER IF EXISTS entries_count_insert;",
        then: None,
    },
];

/// Version 4's new tables, before the entries are copied into them.
const V4_TABLES: &str = "CREATE TABLE feed_names (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE origins (
        id INTEGER PRIMARY KEY,
        origin TEXT NOT NULL UNIQUE
    );
    CREATE TABLE entries_v4 (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feed_names (id),
        url_origin INTEGER REFERENCES origins (id),
        url_rest TEXT,
        title TEXT,
        state TEXT NOT NULL,
        file TEXT,
        pending_content TEXT,
        final_state TEXT,
        first_seen INTEGER NOT NULL,
        written_at INTEGER,
        published_file TEXT,
        reviewed_at INTEGER
    );
    CREATE TABLE entry_keys (
        key BLOB PRIMARY KEY,
        entry_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE post_counts (
        feed_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        posts INTEGER NOT NULL,
        PRIMARY KEY (feed_id, state)
    ) WITHOUT ROWID;";

/// Version 4's indexes and triggers, once `entries_v4` is `entries`.
///
/// `entry_keys.entry_id` has no foreign key: checking one would scan the
/// keys on every delete of an entry (they have no index by entry, which
/// would cost as much again as the keys). The triggers keep `post_counts`
/// equal to `SELECT feed_id, state, count(*) FROM entries WHERE written_at
/// IS NOT NULL GROUP BY feed_id, state` through every update and delete,
/// whoever makes them. Since migration 9 an insert is not counted: linkpost
/// never inserts an entry already written.
const V4_INDEXES: &str = "CREATE INDEX entries_file ON entries (substr(file, 1, 16))
        WHERE file IS NOT NULL;
    CREATE INDEX entries_pending ON entries (id) WHERE state = 'pending';
    CREATE INDEX entries_published_file ON entries (published_file)
        WHERE published_file IS NOT NULL;
    CREATE TRIGGER entries_count_insert AFTER INSERT ON entries
    WHEN NEW.written_at IS NOT NULL BEGIN
        INSERT INTO post_counts (feed_id, state, posts) VALUES (NEW.feed_id, NEW.state, 1)
        ON CONFLICT DO UPDATE SET posts = posts + 1;
    END;
    CREATE TRIGGER entries_count_delete AFTER DELETE ON entries
    WHEN OLD.written_at IS NOT NULL BEGIN
        UPDATE post_counts SET posts = posts - 1
        WHERE feed_id = OLD.feed_id AND state = OLD.state;
    END;
    CREATE TRIGGER entries_count_update AFTER UPDATE OF feed_id, state, written_at ON entries
    WHEN OLD.written_at IS NOT NULL OR NEW.written_at IS NOT NULL BEGIN
        UPDATE post_counts SET posts = posts - 1
        WHERE OLD.written_at IS NOT NULL AND feed_id = OLD.feed_id AND state = OLD.state;
        INSERT INTO post_counts (feed_id, state, posts)
        SELECT NEW.feed_id, NEW.state, 1 WHERE NEW.written_at IS NOT NULL
        ON CONFLICT DO UPDATE SET posts = posts + 1;
    END;";

/// Version 4's Rust step: copies version 3's entries and names into the
/// new tables, every field kept but the URL and title of entries recorded
/// unwritten (their keys dedupe them; nothing reads the texts), then puts
/// the new tables in the old ones' place.
fn entries_v4(tx: &Connection) -> rusqlite::Result<()> {
    let mut feeds: HashMap<String, i64> = HashMap::new();
    let mut origins: HashMap<String, i64> = HashMap::new();
    {
        let mut read = tx.prepare(
            "SELECT id, feed, url, title, state, file, pending_content, final_state,
                    first_seen, written_at, published_file, reviewed_at
             FROM entries ORDER BY id",
        )?;
        let mut write = tx.prepare(
            "INSERT INTO entries_v4 (id, feed_id, url_origin, url_rest, title, state, file,
                    pending_content, final_state, first_seen, written_at, published_file, reviewed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let feed: String = row.get(1)?;
            let url: String = row.get(2)?;
            let state: String = row.get(4)?;
            let written_at: Option<i64> = row.get(9)?;
            let unwritten = written_at.is_none() && state != "pending";
            let title: Option<String> = if unwritten { None } else { row.get(3)? };
            let feed_id = match feeds.get(&feed) {
                Some(&id) => id,
                None => {
                    let id = feed_id(tx, &feed)?;
                    feeds.insert(feed, id);
                    id
                }
            };
            let (origin, rest) = if unwritten {
                (None, None)
            } else {
                let (origin, rest) = split_url(&url);
                (origin, Some(rest))
            };
            let origin_id = match origin {
                None => None,
                Some(origin) => Some(match origins.get(origin) {
                    Some(&id) => id,
                    None => {
                        let id = origin_id(tx, origin)?;
                        origins.insert(origin.to_string(), id);
                        id
                    }
                }),
            };
            write.execute(params![
                row.get::<_, i64>(0)?,
                feed_id,
                origin_id,
                rest,
                title,
                state,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, Option<String>>(7)?,
                row.get::<_, i64>(8)?,
                written_at,
                row.get::<_, Option<String>>(10)?,
                row.get::<_, Option<i64>>(11)?,
            ])?;
        }
    }
    {
        // A key already taken would be a collision of two names (see
        // `keys.rs`): the second name joins the first's entry.
        let mut write = tx.prepare(
            "INSERT INTO entry_keys (key, entry_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        let mut urls = tx.prepare("SELECT url, entry_id FROM entry_urls")?;
        let mut rows = urls.query([])?;
        while let Some(row) = rows.next()? {
            let url: String = row.get(0)?;
            write.execute(params![url_key(&url), row.get::<_, i64>(1)?])?;
        }
        let mut guids = tx.prepare("SELECT feed, guid, entry_id FROM entry_guids")?;
        let mut rows = guids.query([])?;
        while let Some(row) = rows.next()? {
            let (feed, guid): (String, String) = (row.get(0)?, row.get(1)?);
            write.execute(params![guid_key(&feed, &guid), row.get::<_, i64>(2)?])?;
        }
    }
    tx.execute_batch(
        "INSERT INTO post_counts (feed_id, state, posts)
            SELECT feed_id, state, count(*) FROM entries_v4
            WHERE written_at IS NOT NULL GROUP BY feed_id, state;
        DROP TABLE entry_urls;
        DROP TABLE entry_guids;
        DROP TABLE entries;
        ALTER TABLE entries_v4 RENAME TO entries;",
    )?;
    tx.execute_batch(V4_INDEXES)
}

/// The id of feed `name` in `feed_names`, added if new.
pub(super) fn feed_id(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
    interned_id(
        conn,
        "SELECT id FROM feed_names WHERE name = ?1",
        "INSERT INTO feed_names (name) VALUES (?1)",
        name,
    )
}

/// The id of `origin` in `origins`, added if new.
pub(super) fn origin_id(conn: &Connection, origin: &str) -> rusqlite::Result<i64> {
    interned_id(
        conn,
        "SELECT id FROM origins WHERE origin = ?1",
        "INSERT INTO origins (origin) VALUES (?1)",
        origin,
    )
}

/// The id `select` finds for `value`, else the id of the row `insert` adds.
fn interned_id(
    conn: &Connection,
    select: &str,
    insert: &str,
    value: &str,
) -> rusqlite::Result<i64> {
    let found = conn
        .prepare_cached(select)?
        .query_row([value], |row| row.get(0))
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => {
            conn.prepare_cached(insert)?.execute([value])?;
            Ok(conn.last_insert_rowid())
        }
    }
}

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
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(open_err)?;
        tx.execute_batch(migration.sql).map_err(open_err)?;
        if let Some(step) = migration.then {
            step(&tx).map_err(open_err)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(open_err)?;
        tx.commit().map_err(open_err)?;
    }
    if (1..COMPACT_VERSION).contains(&version) {
        compact(conn);
    }
    Ok(())
}

/// Gives the space the old layout took back to the file system, once, after
/// an existing store moved to the compact one: without it the file would
/// keep its old size until the store had grown into it. The pages become
/// [`PAGE_SIZE`] bytes on the way, which needs the database out of WAL mode
/// for the while, so no other connection may have it open; when one has,
/// the pages keep their size. Best effort: the store is whole and correct
/// either way, so a failure (a full disk) is only logged, and the next open
/// does not try again.
fn compact(conn: &Connection) {
    let resized = conn
        .pragma_update_and_check(None, "journal_mode", "DELETE", |row| {
            row.get::<_, String>(0)
        })
        .is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"));
    let vacuumed = if resized {
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .and_then(|()| conn.execute_batch("VACUUM"))
    } else {
        conn.execute_batch("VACUUM")
    };
    if let Err(error) = vacuumed {
        tracing::warn!(%error, "cannot compact the database after its migration; it works, but keeps its old size");
    }
    if resized && let Err(error) = conn.pragma_update(None, "journal_mode", "WAL") {
        tracing::warn!(%error, "cannot put the database back in WAL mode after compacting it");
    }
}
