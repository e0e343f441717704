//! One poller per database: a lock file beside it, held by `run` or `poll`.

use std::path::{Path, PathBuf};

use super::StoreError;

/// Held by the one process that polls with a database (`run` or `poll`),
/// so two pollers never race on one output folder; released on drop or exit.
#[derive(Debug)]
pub struct PollerLock {
    _file: std::fs::File,
}

impl PollerLock {
    /// Takes the lock beside `database` (`<database>.lock`), or fails at
    /// once with [`StoreError::Busy`] naming the holder.
    pub fn acquire(database: &Path) -> Result<PollerLock, StoreError> {
        use std::io::{Read, Seek, Write};
        let mut path = database.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let lock_err = |cause| StoreError::Lock {
            path: path.clone(),
            cause,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(lock_err)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = Some(pid.trim().to_string()).filter(|p| !p.is_empty());
                return Err(StoreError::Busy {
                    path: database.to_path_buf(),
                    pid,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
        }
        // The pid is for the message above; the lock is what counts.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(PollerLock { _file: file })
    }
}
