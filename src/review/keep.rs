//! Undo: rejected drafts kept in a hidden folder beside the drafts for
//! `reject_keep`, restored on request; approved posts put back as drafts
//! while their file is where approve left it.
//!
//! A rejection and a restore both work by hard link, so that at every
//! point the draft exists under at least one name: link to the new place,
//! commit the store, remove the old name. A crash in between leaves the
//! same file under both names; [`recover_kept`] keeps the one the store's
//! state says (a draft's in the output folder, a rejection's in the kept
//! folder) and removes the other.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::backup::{
    Backup, TempGuard, link_new, output_error, replace_and_commit, sync, write_temp,
};
use super::{Folders, Notice, ReviewError};
use crate::output;
use crate::post::front_matter;
use crate::store::{EntryState, PostRecord, Store};

/// The hidden folder, inside the output folder, where rejected drafts are
/// kept for `reject_keep`.
pub const KEPT_DIR: &str = ".linkpost-rejected";

/// What [`undo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undone {
    /// A rejected draft is a draft again, at this path.
    Restored(PathBuf),
    /// An approved post is a draft again, at this path.
    Unapproved(PathBuf),
}

/// Where rejected drafts are kept.
pub fn kept_dir(output_dir: &Path) -> PathBuf {
    output_dir.join(KEPT_DIR)
}

/// Moves a draft into the kept folder: link there, commit, unlink here.
/// The caller has started the store change; it is committed here.
pub(super) fn keep_rejected(
    change: crate::store::StateChange<'_>,
    id: i64,
    output_dir: &Path,
    draft: &Path,
    file: &str,
) -> Result<(), ReviewError> {
    let dir = kept_dir(output_dir);
    output::ensure_dir(&dir).map_err(|e| output_error(id, e))?;
    let kept = dir.join(file);
    output::ensure_folders_of(&dir, file).map_err(|cause| ReviewError::Io {
        id,
        action: "keep",
        path: kept.clone(),
        cause,
    })?;
    // A kept copy of an older rejection of this file name goes first.
    let _ = fs::remove_file(&kept);
    fs::hard_link(draft, &kept).map_err(|cause| ReviewError::Io {
        id,
        action: "keep",
        path: draft.to_path_buf(),
        cause,
    })?;
    if let Err(cause) = change.commit() {
        let _ = fs::remove_file(&kept);
        return Err(ReviewError::Store { id, cause });
    }
    if let Err(e) = fs::remove_file(draft) {
        tracing::warn!(post = id, path = %draft.display(), "cannot remove the rejected draft; the next review command will: {e}");
    }
    sync(id, kept.parent().unwrap_or(&dir));
    if let Some(folder) = draft.parent() {
        sync(id, folder);
    }
    sync(id, output_dir);
    Ok(())
}

/// Undoes a review: a rejected draft is restored, an approved one put back
/// as a draft.
pub fn undo(
    store: &mut Store,
    folders: Folders<'_>,
    id: i64,
    now: i64,
) -> Result<Undone, ReviewError> {
    let post = super::known_post(store, folders, id)?;
    match post.state {
        EntryState::Rejected => restore_post(store, folders, &post, now).map(Undone::Restored),
        EntryState::Approved => unapprove(store, folders, &post, now).map(Undone::Unapproved),
        state => Err(ReviewError::NothingToUndo {
            id,
            file: post.file,
            state,
        }),
    }
}

/// `linkpost restore ID`: a rejected draft, kept, becomes a draft again.
pub fn restore(
    store: &mut Store,
    folders: Folders<'_>,
    id: i64,
    now: i64,
) -> Result<PathBuf, ReviewError> {
    let post = super::known_post(store, folders, id)?;
    if post.state != EntryState::Rejected {
        return Err(ReviewError::NotRejected {
            id,
            file: post.file,
            state: post.state,
        });
    }
    restore_post(store, folders, &post, now)
}

fn restore_post(
    store: &mut Store,
    folders: Folders<'_>,
    post: &PostRecord,
    now: i64,
) -> Result<PathBuf, ReviewError> {
    let id = post.id;
    let kept = kept_dir(folders.output_dir).join(&post.file);
    let draft = folders.output_dir.join(&post.file);
    if !kept.is_file() {
        return Err(ReviewError::NotKept {
            id,
            path: kept,
            keep: humantime::format_duration(folders.reject_keep).to_string(),
        });
    }
    output::ensure_folders_of(folders.output_dir, &post.file).map_err(|cause| ReviewError::Io {
        id,
        action: "restore",
        path: draft.clone(),
        cause,
    })?;
    let change = store
        .reopen(id, EntryState::Rejected, now)
        .map_err(|cause| ReviewError::Store { id, cause })?;
    link_new(id, &kept, &draft, "restore")?;
    if let Err(cause) = change.commit() {
        let _ = fs::remove_file(&draft);
        return Err(ReviewError::Store { id, cause });
    }
    if let Err(e) = fs::remove_file(&kept) {
        tracing::warn!(post = id, path = %kept.display(), "cannot remove the kept copy; the next review command will: {e}");
    }
    sync(id, draft.parent().unwrap_or(folders.output_dir));
    Ok(draft)
}

/// An approved post back to a draft, while its file is still where
/// approve left it and still reads as approved.
fn unapprove(
    store: &mut Store,
    folders: Folders<'_>,
    post: &PostRecord,
    now: i64,
) -> Result<PathBuf, ReviewError> {
    let id = post.id;
    let draft = folders.output_dir.join(&post.file);
    let approved = match &post.published_file {
        Some(published) => PathBuf::from(published),
        None => draft.clone(),
    };
    let not_undoable = |why: String| ReviewError::NotUndoable { id, why };
    let text = fs::read_to_string(&approved).map_err(|e| {
        not_undoable(format!(
            "{} cannot be read ({e}); it was moved or published since",
            approved.display()
        ))
    })?;
    let fm = front_matter::read(&text)
        .map_err(|e| not_undoable(format!("{}: {e}", approved.display())))?;
    if fm.draft {
        return Err(not_undoable(format!(
            "{} already reads `draft: true`",
            approved.display()
        )));
    }
    let text = front_matter::set_draft(&text, &fm, true);
    let dir = folders.output_dir;
    let tmp = write_temp(id, dir, &post.file, &text)?;
    let guard = TempGuard(Some(tmp.clone()));
    let change = store
        .reopen(id, EntryState::Approved, now)
        .map_err(|cause| ReviewError::Store { id, cause })?;
    if approved == draft {
        replace_and_commit(id, guard, &draft, change)?;
    } else {
        // Back from the publish folder: the draft is written first, never
        // over another file, then the published file goes.
        link_new(id, &tmp, &draft, "write")?;
        drop(guard);
        let backup = match Backup::rename(id, &approved) {
            Ok(backup) => backup,
            Err(e) => {
                let _ = fs::remove_file(&draft);
                return Err(e);
            }
        };
        if let Err(cause) = change.commit() {
            backup.restore();
            let _ = fs::remove_file(&draft);
            return Err(ReviewError::Store { id, cause });
        }
        backup.remove();
        if let Some(published_dir) = approved.parent() {
            sync(id, published_dir);
        }
    }
    output::tidy_temp_dir(dir);
    sync(id, dir);
    Ok(draft)
}

/// The files below a listed folder, each with its name relative to it
/// (`2026/12/a/index.md` for a post written in folders), at most 16 folders
/// deep.
pub(super) fn files_under(entries: fs::ReadDir, prefix: &str) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut stack = vec![(entries, prefix.to_string(), 0usize)];
    while let Some((entries, prefix, depth)) = stack.pop() {
        for entry in entries.flatten() {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => {
                    if depth < 16
                        && let Ok(inner) = fs::read_dir(entry.path())
                    {
                        stack.push((inner, format!("{name}/"), depth + 1));
                    }
                }
                Ok(_) => found.push((name, entry.path())),
                Err(_) => {}
            }
        }
    }
    found
}

/// Finishes rejections and restores a crash interrupted (see the module
/// doc), and removes kept drafts rejected longer than `reject_keep` ago.
pub fn recover_kept(
    store: &Store,
    folders: Folders<'_>,
    now: i64,
) -> Result<Vec<Notice>, ReviewError> {
    let dir = kept_dir(folders.output_dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(cause) => {
            return Err(ReviewError::Io {
                id: 0,
                action: "list",
                path: dir,
                cause,
            });
        }
    };
    let keep = i64::try_from(folders.reject_keep.as_secs()).unwrap_or(i64::MAX);
    let mut notices = Vec::new();
    for (name, kept) in files_under(entries, "") {
        let draft = folders.output_dir.join(&name);
        let post = store.post_by_file(&name)?;
        let state = post.as_ref().map(|p| p.state);
        let both = same_file(&kept, &draft);
        let result = match (state, both) {
            // A rejection or restore cut short: the state decides.
            (Some(EntryState::Draft), Some(true)) => fs::remove_file(&kept),
            (Some(EntryState::Rejected), Some(true)) => fs::remove_file(&draft),
            // Two different files: a person's doing; leave both.
            (_, Some(false)) => continue,
            (Some(EntryState::Draft), None) => fs::rename(&kept, &draft),
            (Some(EntryState::Rejected), None) => {
                let rejected_at = post.as_ref().and_then(|p| p.reviewed_at).unwrap_or(0);
                if now.saturating_sub(rejected_at) > keep {
                    match fs::remove_file(&kept) {
                        Ok(()) => {
                            tracing::info!(path = %kept.display(), "rejected longer than reject_keep ago; removed")
                        }
                        Err(e) => {
                            tracing::warn!(path = %kept.display(), "cannot remove an expired rejected draft: {e}")
                        }
                    }
                }
                continue;
            }
            // Approved or missing since, or unknown to the store.
            _ => continue,
        };
        match result {
            Ok(()) => notices.push(Notice::Recovered { path: kept }),
            Err(e) => {
                tracing::warn!(path = %kept.display(), "cannot tidy a kept draft: {e}")
            }
        }
    }
    Ok(notices)
}

/// Whether `a` and `b` are one file (`None` when `b` does not exist).
fn same_file(a: &Path, b: &Path) -> Option<bool> {
    let b = fs::metadata(b).ok()?;
    let a = fs::metadata(a).ok()?;
    Some(a.dev() == b.dev() && a.ino() == b.ino())
}
