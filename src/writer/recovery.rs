//! Recovery: what a crash left half done is finished before a run polls.
//!
//! Stale temporary files go; each pending claim is written from its
//! journaled text, accepted when its complete file is already there, or
//! released (its feed's next poll writes it) when its text is gone.

use std::path::{Path, PathBuf};

use tracing::{info, warn};

use super::WriteError;
use super::files::{place_file, rename_claim};
use crate::output::{self, OutputError};
use crate::store::Store;

/// Clears stale temporary files in `dir` and finishes the posts a crash
/// interrupted; returns how many were finished.
pub fn recover(store: &mut Store, dir: &Path, now: i64) -> Result<usize, WriteError> {
    output::ensure_dir(dir)?;
    let removed = output::remove_stale_temp_files(dir).map_err(|cause| OutputError::Write {
        path: dir.to_path_buf(),
        cause,
    })?;
    if removed > 0 {
        info!(removed, path = %dir.display(), "removed temporary files left by an interrupted run");
    }
    let pending = store.pending()?;
    let journal = store.journal()?;
    let mut done = 0;
    for post in pending {
        let content = post
            .content
            .or_else(|| journal.posts.get(&post.url).cloned());
        match content {
            Some(content) => {
                let path = finish_write(store, dir, post.id, &post.file, &content, now)?;
                info!(path = %path.display(), "finished a post interrupted by a crash");
            }
            None if holds_complete_post(dir, &post.file, &post.url) => {
                store.mark_written(post.id, now)?;
                info!(file = %post.file, "a post interrupted by a crash was complete");
            }
            None => {
                // Its text is gone (only a power loss between removing
                // a journal and a lost mark could do it): the entry is
                // new again, and its feed's next poll writes it.
                store.release(post.id)?;
                warn!(item_url = %post.url, "a post interrupted by a crash is written again on its feed's next poll");
                continue;
            }
        }
        done += 1;
    }
    for batch in journal.batches {
        store.drop_journal(batch)?;
    }
    Ok(done)
}

/// Writes a claimed post's file (synced) and marks it written: how a run
/// finishes the posts an earlier one left pending.
fn finish_write(
    store: &mut Store,
    dir: &Path,
    id: i64,
    file: &str,
    content: &str,
    now: i64,
) -> Result<PathBuf, WriteError> {
    let path = place_file(dir, file, content, true, &mut |base| {
        rename_claim(store, dir, id, base)
    })?;
    store.mark_written(id, now)?;
    Ok(path)
}

/// Whether `dir/file` holds a complete post for `url`: what a pending
/// claim's file looks like when the crash came after the batch was synced
/// (the journal already removed, the mark lost).
pub fn holds_complete_post(dir: &Path, file: &str, url: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
        return false;
    };
    crate::post::front_matter::read(&text).is_ok_and(|fm| fm.get("external_url") == Some(url))
        && text.ends_with('\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canon::PostUrls;
    use crate::store::{EntryState, NewEntry};

    #[test]
    fn a_pending_post_whose_text_is_gone_is_released_for_its_next_poll() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open_in_memory().expect("store");
        let urls = PostUrls::new(&url::Url::parse("https://e.com/a").expect("url"));
        let entry = NewEntry {
            feed: "F",
            guid: Some("g"),
            urls: &urls,
            title: "A",
            now: 1,
        };
        // Claimed by the writer (its text in a journal row since dropped),
        // its file never written.
        store
            .claim(&entry, "a.md", None, EntryState::Draft)
            .expect("claim")
            .expect("claimed");
        assert_eq!(recover(&mut store, dir.path(), 2).expect("recover"), 0);
        assert!(store.pending().expect("pending").is_empty());
        assert_eq!(
            store.find_seen("F", Some("g"), &urls).expect("find"),
            None,
            "new again: its feed's next poll writes it"
        );
    }
}
