//! The file side of a review change: the temporary text, the draft's hidden
//! backup, folder syncs, and recovery after a crash.
//!
//! Reads the store but never changes it; approve and reject decide a post's
//! state.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{Notice, ReviewError};
use crate::output::{self, OutputError};
use crate::store::{EntryState, StateChange, Store};

/// Prefix of a draft's backup while a review change is in flight.
const BACKUP_PREFIX: &str = ".linkpost-backup-";

/// Undoes or finishes review changes a crash interrupted: a backup whose post
/// the store still calls a draft is put back; any other backup is removed.
pub fn recover(store: &Store, output_dir: &Path) -> Result<Vec<Notice>, ReviewError> {
    let mut notices = Vec::new();
    let entries = match fs::read_dir(output_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(notices),
        Err(cause) => {
            return Err(ReviewError::Io {
                id: 0,
                action: "list",
                path: output_dir.to_path_buf(),
                cause,
            });
        }
    };
    // A backup sits beside its draft, in a folder too when the draft is.
    for (name, backup) in super::keep::files_under(entries, "") {
        let (folder, leaf) = match name.rsplit_once('/') {
            Some((folder, leaf)) => (format!("{folder}/"), leaf),
            None => (String::new(), name.as_str()),
        };
        let Some(file) = leaf
            .strip_prefix(BACKUP_PREFIX)
            .map(|f| format!("{folder}{f}"))
        else {
            continue;
        };
        let Some(post) = store.post_by_file(&file)? else {
            continue;
        };
        let result = if post.state == EntryState::Draft {
            fs::rename(&backup, output_dir.join(&file))
        } else {
            fs::remove_file(&backup)
        };
        match result {
            Ok(()) => notices.push(Notice::Recovered { path: backup }),
            Err(e) => {
                tracing::warn!(path = %backup.display(), "cannot recover a review backup: {e}")
            }
        }
    }
    Ok(notices)
}

/// A draft kept under a hidden name while a change is in flight.
pub(super) struct Backup {
    id: i64,
    original: PathBuf,
    backup: PathBuf,
}

impl Backup {
    fn path_for(original: &Path) -> PathBuf {
        let name = original
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        original.with_file_name(format!("{BACKUP_PREFIX}{name}"))
    }

    /// A second name for the draft; the draft stays where it is.
    pub(super) fn link(id: i64, original: &Path) -> Result<Backup, ReviewError> {
        Backup::keep(id, original, "keep a backup of", |from, to| {
            let _ = fs::remove_file(to);
            fs::hard_link(from, to)
        })
    }

    /// Moves the draft out of the way.
    pub(super) fn rename(id: i64, original: &Path) -> Result<Backup, ReviewError> {
        Backup::keep(id, original, "move", |from, to| fs::rename(from, to))
    }

    fn keep(
        id: i64,
        original: &Path,
        action: &'static str,
        op: impl FnOnce(&Path, &Path) -> io::Result<()>,
    ) -> Result<Backup, ReviewError> {
        let backup = Backup::path_for(original);
        op(original, &backup).map_err(|cause| ReviewError::Io {
            id,
            action,
            path: original.to_path_buf(),
            cause,
        })?;
        Ok(Backup {
            id,
            original: original.to_path_buf(),
            backup,
        })
    }

    /// Puts the draft back as it was.
    pub(super) fn restore(self) {
        if let Err(e) = fs::rename(&self.backup, &self.original) {
            tracing::error!(
                post = self.id,
                backup = %self.backup.display(),
                "cannot restore the draft; the next review command will: {e}"
            );
        }
    }

    /// The change is committed; the old draft goes.
    pub(super) fn remove(self) {
        if let Err(e) = fs::remove_file(&self.backup) {
            tracing::warn!(post = self.id, backup = %self.backup.display(), "cannot remove backup: {e}");
        }
    }
}

/// Removes a temporary file unless disarmed.
pub(super) struct TempGuard(pub(super) Option<PathBuf>);

impl TempGuard {
    pub(super) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_file(&path);
            // The temporary folder inside the output folder, if now empty.
            if let Some(dir) = path.parent().and_then(Path::parent) {
                output::tidy_temp_dir(dir);
            }
        }
    }
}

/// Renames the temporary `tmp` over the draft at `path` and commits
/// `change`; on any failure the draft is put back as it was and the change
/// is rolled back (dropped). The draft keeps a backup name until then.
pub(super) fn replace_and_commit(
    id: i64,
    tmp: TempGuard,
    path: &Path,
    change: StateChange<'_>,
) -> Result<(), ReviewError> {
    let backup = Backup::link(id, path)?;
    let renamed = tmp
        .0
        .as_deref()
        .map_or(Ok(()), |from| fs::rename(from, path));
    if let Err(cause) = renamed {
        backup.remove();
        return Err(ReviewError::Io {
            id,
            action: "replace",
            path: path.to_path_buf(),
            cause,
        });
    }
    tmp.disarm();
    if let Err(cause) = change.commit() {
        backup.restore();
        return Err(ReviewError::Store { id, cause });
    }
    backup.remove();
    Ok(())
}

/// Gives `from` the second name `to`, never over an existing file: `to`
/// already there is [`ReviewError::Exists`].
pub(super) fn link_new(
    id: i64,
    from: &Path,
    to: &Path,
    action: &'static str,
) -> Result<(), ReviewError> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(ReviewError::Exists {
            id,
            path: to.to_path_buf(),
        }),
        Err(cause) => Err(ReviewError::Io {
            id,
            action,
            path: to.to_path_buf(),
            cause,
        }),
    }
}

pub(super) fn write_temp(
    id: i64,
    dir: &Path,
    name: &str,
    text: &str,
) -> Result<PathBuf, ReviewError> {
    output::write_temp(dir, name, text).map_err(|e| output_error(id, e))
}

pub(super) fn output_error(id: i64, e: OutputError) -> ReviewError {
    match e {
        OutputError::Exists { path } => ReviewError::Exists { id, path },
        OutputError::CreateDir { path, cause } => ReviewError::Io {
            id,
            action: "create folder",
            path,
            cause,
        },
        OutputError::Write { path, cause } => ReviewError::Io {
            id,
            action: "write",
            path,
            cause,
        },
    }
}

pub(super) fn sync(id: i64, dir: &Path) {
    // The change is already committed; a failed folder sync only weakens
    // durability against power loss, so it is reported, not undone.
    if let Err(e) = output::sync_dir(dir) {
        tracing::warn!(post = id, dir = %dir.display(), "cannot sync folder: {e}");
    }
}
