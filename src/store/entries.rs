//! Entries: dedupe lookups, claims, marks and the pending posts a crash left.
//!
//! An entry is claimed by inserting every name it is known by (its URLs and
//! its feed's guid), as 18-byte keys (`keys.rs`), under a primary key; one
//! name already taken makes the claim refuse, so the database, not Rust,
//! keeps each article to one post.

use rusqlite::{Connection, OptionalExtension, params};

use super::keys::{Key, guid_key, split_url, url_key};
use super::schema::{feed_id, origin_id};
use super::{EntryState, Store, StoreError};
use crate::canon::PostUrls;

/// An entry's full URL, from its origin and the rest (`keys::split_url`).
pub(super) const URL_SQL: &str = "(coalesce((SELECT origin FROM origins WHERE id = entries.url_origin), '') || entries.url_rest)";

/// The entry holding a name's key.
pub(super) const ENTRY_BY_KEY: &str = "SELECT entry_id FROM entry_keys WHERE key = ?1";

/// Whether an entry holds a file name. The index holds the names' first 16
/// characters (date and slug) and length: the query says so, to be allowed
/// to use it.
pub(super) const FILE_RESERVED: &str =
    "SELECT 1 FROM entries WHERE substr(file, 1, 16) = substr(?1, 1, 16)
         AND length(file) = length(?1) AND file = ?1";

/// Entries claimed but not yet marked written, oldest first.
pub(super) fn pending_sql() -> String {
    format!(
        "SELECT id, file, pending_content, final_state, {URL_SQL} FROM entries
         WHERE state = 'pending' ORDER BY id"
    )
}

/// An entry about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The feed's name.
    pub feed: &'a str,
    /// The guid the feed gave it, if any.
    pub guid: Option<&'a str>,
    /// Every URL it is known by.
    pub urls: &'a PostUrls,
    /// Title, for review: kept for posts only, as their URL is; an entry
    /// recorded unwritten keeps only its names' keys.
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
    /// writer keep theirs in the [`journal`](super::journal) instead.
    pub content: Option<String>,
    /// State to set once the file exists.
    pub final_state: EntryState,
}

impl Store {
    /// The id of an entry already seen under any of `urls`, or under `guid`
    /// in `feed`.
    pub fn find_seen(
        &self,
        feed: &str,
        guid: Option<&str>,
        urls: &PostUrls,
    ) -> Result<Option<i64>, StoreError> {
        Ok(holders(&self.conn, &names(feed, guid, urls))?
            .into_iter()
            .flatten()
            .next())
    }

    /// The id of an entry already seen under any of `urls`, or under `guid`
    /// in `feed`, with the names it was not yet known by recorded under it,
    /// so each dedupes from now on. Writes only when a name is new: an
    /// article polled again, under the names it was stored with, costs its
    /// lookups and nothing more.
    pub fn find_seen_and_alias(
        &mut self,
        feed: &str,
        guid: Option<&str>,
        urls: &PostUrls,
    ) -> Result<Option<i64>, StoreError> {
        let keys = names(feed, guid, urls);
        let holders = holders(&self.conn, &keys)?;
        let Some(id) = holders.iter().flatten().next().copied() else {
            return Ok(None);
        };
        if holders.contains(&None) {
            self.write_step(|conn| alias_free_names(conn, id, &keys, &holders))?;
        }
        Ok(Some(id))
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

    /// Claims an entry for writing to `file`, in state
    /// [`EntryState::Pending`]; `final_state` is what it becomes once written.
    /// `content` is the rendered post, unless the caller made it durable
    /// elsewhere (the writer's [`journal`](super::journal)). Returns `None`
    /// when any of its URLs or its guid is already claimed (and records
    /// nothing: [`Store::find_seen_and_alias`] adds its other names).
    pub fn claim(
        &mut self,
        entry: &NewEntry<'_>,
        file: &str,
        content: Option<&str>,
        final_state: EntryState,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_entry(
            entry,
            EntryState::Pending,
            Some(file),
            Some((content, final_state)),
        )
    }

    /// Forgets a pending claim whose post cannot be finished, so the entry
    /// is new again and the next poll of its feed writes it.
    ///
    /// Its names are found by reading every key (they are not indexed by
    /// entry, which would double their size): a crash recovery's rare case.
    pub fn release(&mut self, id: i64) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        let pending: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM entries WHERE id = ?1 AND state = 'pending')",
            [id],
            |row| row.get(0),
        )?;
        if pending {
            tx.execute("DELETE FROM entry_keys WHERE entry_id = ?1", [id])?;
            tx.execute("DELETE FROM entries WHERE id = ?1", [id])?;
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
        let keys = names(entry.feed, entry.guid, entry.urls);
        // Nothing is written before every name is known free, so a refused
        // claim needs no savepoint to undo it (see `write_step`).
        self.write_step(|conn| {
            if holders(conn, &keys)?.iter().any(Option::is_some) {
                return Ok(None);
            }
            // Only a post's URL and title are ever read (by review and
            // recovery); an entry recorded unwritten is known by its keys.
            let (origin, rest, title) = match pending {
                Some(_) => {
                    let (origin, rest) = split_url(entry.urls.external());
                    let origin = origin.map(|o| origin_id(conn, o)).transpose()?;
                    (origin, Some(rest), Some(entry.title))
                }
                None => (None, None, None),
            };
            // Unwritten (`written_at` unset): no trigger counts inserts
            // (migration 9).
            conn.prepare_cached(
                "INSERT INTO entries (feed_id, url_origin, url_rest, title, state, file,
                        pending_content, final_state, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                feed_id(conn, entry.feed)?,
                origin,
                rest,
                title,
                state.as_str(),
                file,
                pending.and_then(|(content, _)| content),
                pending.map(|(_, final_state)| final_state.as_str()),
                entry.now
            ])?;
            let id = conn.last_insert_rowid();
            // Every name is free (checked above, in this transaction): a
            // conflict here is an error, not a seen article.
            let mut insert =
                conn.prepare_cached("INSERT INTO entry_keys (key, entry_id) VALUES (?1, ?2)")?;
            for key in &keys {
                insert.execute(params![key, id])?;
            }
            Ok(Some(id))
        })
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
        // One statement for the batch: each statement that fires the post
        // count triggers copies every page it changes to a statement
        // journal, so one per post was 7% of a cold poll (issue 13).
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        let ids = format!("[{}]", ids.join(","));
        tx.prepare_cached(
            "UPDATE entries SET state = coalesce(final_state, 'draft'), final_state = NULL,
                    pending_content = NULL, written_at = ?2
             WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'pending'",
        )?
        .execute(params![ids, now])?;
        tx.commit()?;
        Ok(())
    }

    /// Whether a file name is reserved by any entry.
    pub fn is_file_reserved(&self, file: &str) -> Result<bool, StoreError> {
        let mut stmt = self.conn.prepare_cached(FILE_RESERVED)?;
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
        let mut stmt = self.conn.prepare(&pending_sql())?;
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
}

/// The keys of every name of an entry, each once: its URLs, then its guid
/// in `feed`.
fn names(feed: &str, guid: Option<&str>, urls: &PostUrls) -> Vec<Key> {
    let mut keys: Vec<Key> = Vec::with_capacity(4);
    for key in urls
        .iter()
        .map(url_key)
        .chain(guid.map(|guid| guid_key(feed, guid)))
    {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The entry holding each of `keys`, if any.
fn holders(conn: &Connection, keys: &[Key]) -> Result<Vec<Option<i64>>, StoreError> {
    let mut by_key = conn.prepare_cached(ENTRY_BY_KEY)?;
    keys.iter()
        .map(|key| Ok(by_key.query_row([key], |row| row.get(0)).optional()?))
        .collect()
}

/// Records under `entry_id` each of `keys` that no entry held when
/// [`holders`] looked (one that another writer took since stays its).
fn alias_free_names(
    conn: &Connection,
    entry_id: i64,
    keys: &[Key],
    holders: &[Option<i64>],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO entry_keys (key, entry_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for (key, _) in keys.iter().zip(holders).filter(|(_, h)| h.is_none()) {
        insert.execute(params![key, entry_id])?;
    }
    Ok(())
}
