//! The writer's journal: the rendered posts of a claimed batch, kept in one
//! row written in the claims' transaction and dropped with their marks, so a
//! crash between claim and file leaves the text to finish the post with.
//!
//! The row's format is this module's alone: per post, a header line
//! `"<url bytes> <content bytes>\n"`, then the URL and the content.

use std::collections::HashMap;
use std::io::Write as _;

use super::{Store, StoreError};

/// What the journal still holds: what an interrupted run left to finish.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Journal {
    /// Rendered posts by their external URL.
    pub posts: HashMap<String, String>,
    /// The journaled batches' ids, to drop once their posts are finished.
    pub batches: Vec<i64>,
}

impl Store {
    /// Keeps a claimed batch's rendered posts, given as (external URL,
    /// content), until [`Store::mark_written_many`] drops them; returns the
    /// batch's id. Call inside the [`Store::batch`] that claims them.
    pub fn journal_batch<'a>(
        &mut self,
        posts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<i64, StoreError> {
        let bytes = encode(posts);
        self.conn
            .prepare_cached("INSERT INTO pending_batches (posts) VALUES (?1)")?
            .execute([bytes])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every post the journal still holds, and the batches holding them.
    pub fn journal(&self) -> Result<Journal, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, posts FROM pending_batches ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut journal = Journal::default();
        while let Some(row) = rows.next()? {
            journal.batches.push(row.get(0)?);
            let bytes: Vec<u8> = row.get(1)?;
            decode(&bytes, &mut journal.posts);
        }
        Ok(journal)
    }

    /// Drops a journaled batch.
    pub fn drop_journal(&mut self, batch: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM pending_batches WHERE id = ?1", [batch])?;
        Ok(())
    }
}

fn encode<'a>(posts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (url, content) in posts {
        let _ = writeln!(out, "{} {}", url.len(), content.len());
        out.extend_from_slice(url.as_bytes());
        out.extend_from_slice(content.as_bytes());
    }
    out
}

/// Reads the posts of one batch into `posts`; a damaged record ends it.
fn decode(mut bytes: &[u8], posts: &mut HashMap<String, String>) {
    while let Some(newline) = bytes.iter().position(|&b| b == b'\n') {
        let header = String::from_utf8_lossy(&bytes[..newline]).into_owned();
        let mut lengths = header.split(' ').map(str::parse::<usize>);
        let (Some(Ok(url_len)), Some(Ok(content_len))) = (lengths.next(), lengths.next()) else {
            return;
        };
        let rest = &bytes[newline + 1..];
        let Some(end) = url_len
            .checked_add(content_len)
            .filter(|&e| e <= rest.len())
        else {
            return;
        };
        let (Ok(url), Ok(content)) = (
            std::str::from_utf8(&rest[..url_len]),
            std::str::from_utf8(&rest[url_len..end]),
        ) else {
            return;
        };
        posts.insert(url.to_string(), content.to_string());
        bytes = &rest[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_and_is_dropped_with_the_marks() {
        let mut store = Store::open_in_memory().expect("store");
        let posts = [
            ("https://e.com/a", "---\nä\n"),
            ("https://e.com/b", "x 1\n2"),
        ];
        let batch = store
            .batch(false, |s| s.journal_batch(posts))
            .expect("journal");
        let journal = store.journal().expect("read");
        assert_eq!(journal.batches, vec![batch]);
        assert_eq!(
            journal.posts.get("https://e.com/a").map(String::as_str),
            Some("---\nä\n")
        );
        assert_eq!(
            journal.posts.get("https://e.com/b").map(String::as_str),
            Some("x 1\n2")
        );
        let bytes = encode(posts);
        let mut cut = HashMap::new();
        decode(&bytes[..bytes.len() - 2], &mut cut);
        assert_eq!(cut.len(), 1, "a damaged record is dropped");
        store.mark_written_many(&[], 1, Some(batch)).expect("mark");
        assert!(store.journal().expect("read").batches.is_empty());
    }
}
