//! Output: atomic, never-clobbering writes of post files.
//!
//! A post is written to a temporary file in the output folder, flushed to
//! disk, then hard-linked to its final name, which fails rather than replace an
//! existing file; the temporary name is removed and the folder synced. A crash
//! at any instant leaves either no post file or a complete one, plus at worst
//! a temporary file that [`remove_stale_temp_files`] clears on the next run.
//! This module knows nothing of the store.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Folder of temporary files inside the output folder; a leading dot hides
/// it from site generators, and a folder of its own keeps the crash cleanup
/// from listing every post.
const TEMP_DIR: &str = ".linkpost-tmp";

/// An error writing a post file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output folder could not be created.
    #[error("cannot create output folder {path}: {cause}; check its permissions")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: io::Error,
    },
    /// Writing the file failed.
    #[error("cannot write {path}: {cause}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: io::Error,
    },
    /// Another file already holds the name.
    #[error("refusing to overwrite existing file {path}")]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

/// Creates the output folder if needed.
pub fn ensure_dir(dir: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(|cause| OutputError::CreateDir {
        path: dir.to_path_buf(),
        cause,
    })
}

/// Writes `content` to `dir/name` atomically, never replacing an existing
/// file, and syncs it and the folder to disk.
///
/// `name` must be a bare file name (as [`crate::post::file_name`] makes). Returns the path.
pub fn write_new(dir: &Path, name: &str, content: &str) -> Result<PathBuf, OutputError> {
    write_new_with(dir, name, content, true)
}

/// [`write_new`] without syncing; the caller syncs a whole batch with
/// [`sync_batch`] before relying on the files.
pub fn write_new_unsynced(dir: &Path, name: &str, content: &str) -> Result<PathBuf, OutputError> {
    write_new_with(dir, name, content, false)
}

fn write_new_with(
    dir: &Path,
    name: &str,
    content: &str,
    sync: bool,
) -> Result<PathBuf, OutputError> {
    // A name with folders (`filename_template = "{yyyy}/{slug}/index.md"`):
    // the folders are made, then the file is written in the last one.
    if let Some((folders, file)) = nested_name(name) {
        let target = dir.join(folders);
        let created = create_folders(dir, folders).map_err(|cause| OutputError::CreateDir {
            path: target.clone(),
            cause,
        })?;
        let path = write_new_with(&target, file, content, sync)?;
        if sync {
            for folder in created {
                if let Some(parent) = folder.parent() {
                    sync_dir(parent).map_err(|cause| OutputError::Write {
                        path: path.clone(),
                        cause,
                    })?;
                }
            }
        }
        return Ok(path);
    }
    #[cfg(target_os = "linux")]
    if is_plain_name(name) {
        let path = dir.join(name);
        match write_anonymous(dir, &path, content, sync) {
            Ok(()) => {
                if sync {
                    sync_dir(dir).map_err(|cause| OutputError::Write {
                        path: path.clone(),
                        cause,
                    })?;
                }
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(OutputError::Exists { path });
            }
            // No O_TMPFILE on this file system, or no /proc to name the
            // file by: a named temporary file does the same job.
            Err(e) if anonymous_unsupported(&e) => {}
            Err(cause) => return Err(OutputError::Write { path, cause }),
        }
    }
    let tmp_path = write_temp_with(dir, name, content, sync)?;
    let path = dir.join(name);
    let result = publish(&tmp_path, &path);
    // The temporary name goes either way; the content now lives at `path`.
    let _ = fs::remove_file(&tmp_path);
    tidy_temp_dir(dir);
    let write_err = |cause| OutputError::Write {
        path: path.clone(),
        cause,
    };
    match result {
        Ok(()) => {
            if sync {
                sync_dir(dir).map_err(write_err)?;
            }
            Ok(path)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(OutputError::Exists { path }),
        Err(e) => Err(write_err(e)),
    }
}

/// Writes `content` to a new temporary file in `dir`, named after `name`,
/// and flushes it to disk. Returns its path; the caller renames or removes
/// it. A crash leaves it for [`remove_stale_temp_files`].
pub fn write_temp(dir: &Path, name: &str, content: &str) -> Result<PathBuf, OutputError> {
    write_temp_with(dir, name, content, true)
}

/// Whether `name` is a bare, visible file name: no folder, no parent, no
/// hidden file.
fn is_plain_name(name: &str) -> bool {
    Path::new(name).file_name() == Some(name.as_ref()) && !name.starts_with('.')
}

/// A name of visible folders and a file, `a/b/c.md`, split into its folders
/// and its file; `None` for a plain name or anything else (`..`, `/x`, a
/// hidden or empty folder), which the callers then refuse as they always
/// did.
pub fn nested_name(name: &str) -> Option<(&str, &str)> {
    let (folders, file) = name.rsplit_once('/')?;
    let visible = |part: &str| is_plain_name(part) && !part.contains('\\');
    (folders.split('/').all(visible) && visible(file)).then_some((folders, file))
}

/// Creates the folders of `relative` under `dir`, one at a time; returns
/// those it made (outermost first), whose parents need syncing.
fn create_folders(dir: &Path, relative: &str) -> io::Result<Vec<PathBuf>> {
    let mut created = Vec::new();
    let mut path = dir.to_path_buf();
    for part in relative.split('/') {
        path.push(part);
        match fs::create_dir(&path) {
            Ok(()) => created.push(path.clone()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}

/// Makes the folders of a nested `name` under `dir` exist (see
/// [`nested_name`]); nothing for a plain name.
pub fn ensure_folders_of(dir: &Path, name: &str) -> io::Result<()> {
    if let Some((folders, _)) = nested_name(name) {
        for folder in create_folders(dir, folders)? {
            if let Some(parent) = folder.parent() {
                sync_dir(parent)?;
            }
        }
    }
    Ok(())
}

/// Writes `content` to an unnamed file in `dir` (`O_TMPFILE`) and gives it
/// its name with one `linkat`, which fails rather than replace a file: no
/// temporary name to create, remove or leave behind after a crash.
#[cfg(target_os = "linux")]
fn write_anonymous(dir: &Path, path: &Path, content: &str, sync: bool) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use std::os::fd::AsRawFd;
    let fd = rustix::fs::openat(
        CWD,
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )?;
    let mut file = File::from(fd);
    file.write_all(content.as_bytes())?;
    if sync {
        file.sync_all()?;
    }
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(CWD, proc_path.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW)?;
    Ok(())
}

/// Whether an `O_TMPFILE` write failed for want of support (the file
/// system, or `/proc`), rather than for a reason a named file would share.
#[cfg(target_os = "linux")]
fn anonymous_unsupported(e: &io::Error) -> bool {
    matches!(
        rustix::io::Errno::from_io_error(e),
        Some(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::ISDIR | rustix::io::Errno::INVAL)
    ) || e.kind() == io::ErrorKind::NotFound
}

fn write_temp_with(
    dir: &Path,
    name: &str,
    content: &str,
    sync: bool,
) -> Result<PathBuf, OutputError> {
    let write_err = |cause| OutputError::Write {
        path: dir.join(name),
        cause,
    };
    let flat;
    let name = match nested_name(name) {
        // The temporary file of `a/b.md` is `a-b.md` in the temporary folder.
        Some(_) => {
            flat = name.replace('/', "-");
            flat.as_str()
        }
        None if is_plain_name(name) => name,
        None => {
            return Err(write_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a plain file name",
            )));
        }
    };
    let (tmp_path, mut tmp) = create_temp(dir, name).map_err(|e| {
        tidy_temp_dir(dir);
        write_err(e)
    })?;
    let written = tmp
        .write_all(content.as_bytes())
        .and_then(|()| if sync { tmp.sync_all() } else { Ok(()) });
    drop(tmp);
    match written {
        Ok(()) => Ok(tmp_path),
        Err(e) => {
            let _ = fs::remove_file(&tmp_path);
            tidy_temp_dir(dir);
            Err(write_err(e))
        }
    }
}

/// Replaces `dir/name` with `content` atomically (a synced temporary file
/// renamed over it). Only for a file known to be this program's own, such as
/// a post whose write a power loss cut short.
pub fn replace(dir: &Path, name: &str, content: &str) -> Result<PathBuf, OutputError> {
    let path = dir.join(name);
    let tmp = write_temp(dir, name, content)?;
    let folder = path.parent().unwrap_or(dir);
    let renamed = fs::rename(&tmp, &path).and_then(|()| sync_dir(folder));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    tidy_temp_dir(dir);
    renamed.map_err(|cause| OutputError::Write {
        path: path.clone(),
        cause,
    })?;
    Ok(path)
}

/// Gives the finished temporary file its final name without clobbering.
fn publish(tmp: &Path, path: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            // Some file systems (FAT, some FUSE mounts) have no hard links.
            // Fall back to rename after a check; the store has reserved the
            // name, so only a person racing us could slip in between.
            if path.exists() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            fs::rename(tmp, path)
        }
    }
}

fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let temp_dir = dir.join(TEMP_DIR);
    fs::create_dir_all(&temp_dir)?;
    let pid = std::process::id();
    for n in 0..1000u32 {
        let tmp = temp_dir.join(format!("{pid}-{n}-{name}"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temporary file name"))
}

/// Flushes the folder entry so a renamed or linked file survives power loss.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Makes files written by [`write_new_unsynced`] in `dir`, and their names,
/// durable: one `syncfs` of the file system holding `dir` on Linux (one
/// flush for the whole batch), otherwise an fsync of each file and the folder.
pub fn sync_batch(dir: &Path, files: &[PathBuf]) -> Result<(), OutputError> {
    let sync_err = |cause| OutputError::Write {
        path: dir.to_path_buf(),
        cause,
    };
    #[cfg(target_os = "linux")]
    {
        let _ = files;
        let folder = File::open(dir).map_err(sync_err)?;
        rustix::fs::syncfs(&folder).map_err(|e| sync_err(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut folders = std::collections::BTreeSet::new();
        for file in files {
            File::open(file)
                .and_then(|f| f.sync_all())
                .map_err(sync_err)?;
            // A file written in folders: each folder up to `dir` holds an
            // entry that must reach the disk too.
            let mut folder = file.parent();
            while let Some(f) = folder.filter(|f| f.starts_with(dir)) {
                folders.insert(f.to_path_buf());
                folder = f.parent();
            }
        }
        folders.insert(dir.to_path_buf());
        for folder in folders {
            sync_dir(&folder).map_err(sync_err)?;
        }
        Ok(())
    }
}

/// Removes the temporary folder when nothing is left in it, so a site's
/// content folder is not left with an empty hidden folder.
pub fn tidy_temp_dir(dir: &Path) {
    let _ = fs::remove_dir(dir.join(TEMP_DIR));
}

/// Removes temporary files a crash left behind; returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let entries = match fs::read_dir(dir.join(TEMP_DIR)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        fs::remove_file(entry?.path())?;
        removed += 1;
    }
    tidy_temp_dir(dir);
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_new(dir.path(), "a.md", "one").expect("first write");
        assert_eq!(fs::read_to_string(&path).expect("read back"), "one");
        let err = write_new(dir.path(), "a.md", "two").expect_err("second write refused");
        assert!(matches!(err, OutputError::Exists { .. }), "{err}");
        assert_eq!(fs::read_to_string(&path).expect("read back"), "one");
        assert_eq!(
            fs::read_dir(dir.path()).expect("list").count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn write_new_rejects_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        for bad in [
            "../x.md",
            "/etc/x.md",
            "a/../../b.md",
            "a//b.md",
            "a/.hidden/b.md",
            "a/b/",
            ".hidden.md",
            "..",
        ] {
            assert!(write_new(dir.path(), bad, "x").is_err(), "{bad}");
        }
        assert_eq!(
            fs::read_dir(dir.path()).expect("list").count(),
            0,
            "nothing made"
        );
    }

    #[test]
    fn a_nested_name_makes_its_folders_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_new(dir.path(), "2026/12/a-post/index.md", "one").expect("write");
        assert_eq!(path, dir.path().join("2026/12/a-post/index.md"));
        assert_eq!(fs::read_to_string(&path).expect("read"), "one");
        let err = write_new(dir.path(), "2026/12/a-post/index.md", "two").expect_err("taken");
        assert!(matches!(err, OutputError::Exists { .. }), "{err}");
        let replaced = replace(dir.path(), "2026/12/a-post/index.md", "three").expect("replace");
        assert_eq!(fs::read_to_string(replaced).expect("read"), "three");
        write_new_unsynced(dir.path(), "2026/12/b/index.md", "b").expect("unsynced");
        assert!(
            !dir.path().join(TEMP_DIR).exists(),
            "no temporary folder left"
        );
    }
}
