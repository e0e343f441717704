//! `approve` and `reject`: one draft's state change, in the order the module
//! doc gives.
//!
//! Never changes a byte of the draft but its `draft` value, and never
//! writes over any file but the draft.

use std::fs;
use std::path::{Path, PathBuf};

use super::backup::{Backup, TempGuard, output_error, replace_and_commit, sync, write_temp};
use super::keep::keep_rejected;
use super::{Folders, ReviewError, Target};
use crate::output::{self, OutputError};
use crate::post::front_matter;
use crate::store::{EntryState, Store};

/// What [`approve`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// Where the approved post is now.
    pub path: PathBuf,
}

/// Approves a draft: `draft: false`, every other byte as the reviewer left
/// it; moved to the publish folder when one is set, never over another file.
pub fn approve(
    store: &mut Store,
    folders: Folders<'_>,
    target: &Target,
    now: i64,
) -> Result<Approved, ReviewError> {
    let id = target.post.id;
    let text = if target.front_matter.draft {
        front_matter::set_draft(&target.text, &target.front_matter, false)
    } else {
        target.text.clone()
    };
    match folders.publish_dir {
        Some(dir) if !same_dir(dir, folders.output_dir) => {
            publish(store, folders.output_dir, dir, target, &text, now)
        }
        _ => {
            // In place: replace the draft with the approved text.
            let dir = folders.output_dir;
            let tmp = TempGuard(Some(write_temp(id, dir, &target.post.file, &text)?));
            let change = store
                .change_state(id, EntryState::Draft, EntryState::Approved, None, now)
                .map_err(|cause| ReviewError::Store { id, cause })?;
            replace_and_commit(id, tmp, &target.path, change)?;
            output::tidy_temp_dir(dir);
            sync(id, dir);
            Ok(Approved {
                path: target.path.clone(),
            })
        }
    }
}

fn publish(
    store: &mut Store,
    output_dir: &Path,
    publish_dir: &Path,
    target: &Target,
    text: &str,
    now: i64,
) -> Result<Approved, ReviewError> {
    let id = target.post.id;
    output::ensure_dir(publish_dir).map_err(|e| output_error(id, e))?;
    let dest_dir = fs::canonicalize(publish_dir).map_err(|cause| ReviewError::Io {
        id,
        action: "open",
        path: publish_dir.to_path_buf(),
        cause,
    })?;
    let dest = dest_dir.join(&target.post.file);
    let change = store
        .change_state(
            id,
            EntryState::Draft,
            EntryState::Approved,
            Some(&dest.to_string_lossy()),
            now,
        )
        .map_err(|cause| ReviewError::Store { id, cause })?;
    // Written first, so a full disk fails before the draft is touched.
    let created = match output::write_new(&dest_dir, &target.post.file, text) {
        Ok(_) => true,
        Err(OutputError::Exists { path }) => {
            // The same text there already is an approve a crash interrupted.
            if fs::read_to_string(&path).ok().as_deref() != Some(text) {
                return Err(ReviewError::Exists { id, path });
            }
            false
        }
        Err(e) => return Err(output_error(id, e)),
    };
    let undo_publish = || {
        if created {
            let _ = fs::remove_file(&dest);
        }
    };
    let backup = match Backup::rename(id, &target.path) {
        Ok(backup) => backup,
        Err(e) => {
            undo_publish();
            return Err(e);
        }
    };
    if let Err(cause) = change.commit() {
        backup.restore();
        undo_publish();
        return Err(ReviewError::Store { id, cause });
    }
    backup.remove();
    sync(id, output_dir);
    Ok(Approved { path: dest })
}

/// Rejects a draft: its file is moved to the kept folder (restorable for
/// `reject_keep`) and the article is never written again, whichever feed
/// brings it back, unless it is restored.
pub fn reject(
    store: &mut Store,
    folders: Folders<'_>,
    target: &Target,
    now: i64,
) -> Result<(), ReviewError> {
    let id = target.post.id;
    let change = store
        .change_state(id, EntryState::Draft, EntryState::Rejected, None, now)
        .map_err(|cause| ReviewError::Store { id, cause })?;
    keep_rejected(
        change,
        id,
        folders.output_dir,
        &target.path,
        &target.post.file,
    )
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
