//! Review: listing drafts, approving, rejecting, editing them, and undoing
//! a review; one service for the CLI and the review page.
//!
//! A reviewer may edit a draft in any way before approving it; approve
//! changes the `draft` value and no other byte. Every change follows one
//! order, so a failure or a crash at any point leaves the file and the store
//! as they were, or both changed:
//!
//! 1. everything is checked and the new text written to a temporary file
//!    (a full disk fails here, before anything changed);
//! 2. the store's state change starts, holding its write lock;
//! 3. the draft is kept under a hidden backup name (a hard link or a
//!    rename, which need no free space), then replaced, moved or removed;
//! 4. the store commits; if that fails, the backup is put back;
//! 5. the backup is removed.
//!
//! A crash between 3 and 5 leaves a backup; [`recover`] puts it back when the
//! store still says draft and removes it otherwise. A rejected draft is kept
//! for `reject_keep` in a hidden folder beside the drafts (`keep`), so a
//! rejection, like an approval, can be undone.

mod backup;
mod edit;
mod keep;
mod list;
mod verdict;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::post::front_matter::{self, FrontMatter, FrontMatterError};
use crate::store::{EntryState, PostRecord, Store, StoreError};

pub use backup::recover;
pub use edit::{Edits, edit, fingerprint};
pub use keep::{KEPT_DIR, Undone, kept_dir, recover_kept, restore, undo};
pub use list::{DraftView, Notice, list};
pub use verdict::{Approved, approve, reject};

/// Where review reads and writes posts.
#[derive(Debug, Clone, Copy)]
pub struct Folders<'a> {
    /// Where drafts are written (`output_dir`).
    pub output_dir: &'a Path,
    /// Where approved posts go (`publish_dir`), if anywhere else.
    pub publish_dir: Option<&'a Path>,
    /// The database, for messages.
    pub database: &'a Path,
    /// How long rejected drafts are kept, restorable.
    pub reject_keep: std::time::Duration,
}

impl<'a> Folders<'a> {
    /// The folders a config names.
    pub fn of(config: &'a crate::config::Config) -> Folders<'a> {
        Folders {
            output_dir: &config.output_dir,
            publish_dir: config.publish_dir.as_deref(),
            database: &config.database,
            reject_keep: config.reject_keep,
        }
    }
}

/// A review command that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No post has this id.
    #[error("no post has id {id} in {database}; `linkpost drafts` lists the drafts")]
    UnknownId {
        /// The id given.
        id: i64,
        /// The database searched.
        database: PathBuf,
    },
    /// The path names no file.
    #[error("{path}: no such file")]
    NoSuchFile {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not a post linkpost wrote.
    #[error("{path} is not a linkpost post: {why}")]
    NotLinkposts {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The post was already approved or rejected.
    #[error("post {id} ({file}) is already {state}; nothing to do")]
    AlreadyHandled {
        /// Entry id.
        id: i64,
        /// Its file name.
        file: String,
        /// What happened to it.
        state: EntryState,
    },
    /// The draft file is gone.
    #[error(
        "post {id}: its draft {path} was deleted or moved by hand; `linkpost drafts` records it as missing"
    )]
    Missing {
        /// Entry id.
        id: i64,
        /// Where the draft was.
        path: PathBuf,
    },
    /// The draft's front matter cannot be read.
    #[error("post {id}: {path} cannot be reviewed: {cause}; fix the file by hand and try again")]
    FrontMatter {
        /// Entry id.
        id: i64,
        /// The draft.
        path: PathBuf,
        /// What is wrong, printed in the message.
        cause: FrontMatterError,
    },
    /// The publish folder already has a different file of that name.
    #[error(
        "post {id}: {path} already exists and differs; move it away or rename the draft, then approve again"
    )]
    Exists {
        /// Entry id.
        id: i64,
        /// The file in the way.
        path: PathBuf,
    },
    /// The draft changed on disk since the reviewer read it.
    #[error(
        "post {id}: {path} changed on disk since it was loaded; nothing was saved: reload to see the new text, then edit again"
    )]
    Changed {
        /// Entry id.
        id: i64,
        /// The draft.
        path: PathBuf,
    },
    /// A restore was asked of a post that is not rejected.
    #[error("post {id} ({file}) is {state}, not rejected; only a rejected draft can be restored")]
    NotRejected {
        /// Entry id.
        id: i64,
        /// Its file name.
        file: String,
        /// What it is.
        state: EntryState,
    },
    /// The rejected draft is no longer kept.
    #[error(
        "post {id}: the rejected draft is no longer kept ({path} is gone; rejected drafts are kept for reject_keep = {keep}); it stays rejected"
    )]
    NotKept {
        /// Entry id.
        id: i64,
        /// Where it was kept.
        path: PathBuf,
        /// `reject_keep`, for the message.
        keep: String,
    },
    /// Undo was asked of a draft.
    #[error("post {id} ({file}) is {state}; there is no approve or reject to undo")]
    NothingToUndo {
        /// Entry id.
        id: i64,
        /// Its file name.
        file: String,
        /// What it is.
        state: EntryState,
    },
    /// An approve can no longer be undone.
    #[error("post {id}: the approve cannot be undone: {why}")]
    NotUndoable {
        /// Entry id.
        id: i64,
        /// Why, printed in the message.
        why: String,
    },
    /// A file operation failed; nothing was changed.
    #[error("post {id}: cannot {action} {path}: {cause}; nothing was changed")]
    Io {
        /// Entry id.
        id: i64,
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: io::Error,
    },
    /// The store failed; nothing was changed.
    #[error("post {id}: {cause}; nothing was changed")]
    Store {
        /// Entry id.
        id: i64,
        /// The cause, printed in the message.
        cause: StoreError,
    },
    /// Listing or recovery could not read the store.
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// A review command's target, checked and read, ready to change.
#[derive(Debug, Clone)]
pub struct Target {
    /// The post.
    pub post: PostRecord,
    /// Its draft file.
    pub path: PathBuf,
    text: String,
    front_matter: FrontMatter,
}

/// Post `id` of the store, or an error naming the store it is not in.
pub(crate) fn known_post(
    store: &Store,
    folders: Folders<'_>,
    id: i64,
) -> Result<PostRecord, ReviewError> {
    store.post(id)?.ok_or_else(|| ReviewError::UnknownId {
        id,
        database: folders.database.to_path_buf(),
    })
}

/// Finds the draft an argument names (an id, or a path to the draft file)
/// and checks it can be reviewed. Changes nothing.
pub fn resolve(store: &Store, folders: Folders<'_>, arg: &str) -> Result<Target, ReviewError> {
    let post = match arg.parse::<i64>() {
        Ok(id) => known_post(store, folders, id)?,
        Err(_) => post_at_path(store, folders, Path::new(arg))?,
    };
    draft_of(folders, post)
}

/// The draft with id `id`, checked as [`resolve`] does (the review page
/// names drafts by id only).
pub fn resolve_id(store: &Store, folders: Folders<'_>, id: i64) -> Result<Target, ReviewError> {
    draft_of(folders, known_post(store, folders, id)?)
}

/// `post` read as a draft that can be reviewed.
fn draft_of(folders: Folders<'_>, post: PostRecord) -> Result<Target, ReviewError> {
    let path = folders.output_dir.join(&post.file);
    match post.state {
        EntryState::Draft => {}
        EntryState::Missing => return Err(ReviewError::Missing { id: post.id, path }),
        state => {
            return Err(ReviewError::AlreadyHandled {
                id: post.id,
                file: post.file,
                state,
            });
        }
    }
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ReviewError::Missing { id: post.id, path });
        }
        Err(cause) => {
            return Err(ReviewError::Io {
                id: post.id,
                action: "read",
                path,
                cause,
            });
        }
    };
    let front_matter = front_matter::read(&text).map_err(|cause| ReviewError::FrontMatter {
        id: post.id,
        path: path.clone(),
        cause,
    })?;
    Ok(Target {
        post,
        path,
        text,
        front_matter,
    })
}

/// The post whose draft (or published file) is at `path`.
fn post_at_path(
    store: &Store,
    folders: Folders<'_>,
    path: &Path,
) -> Result<PostRecord, ReviewError> {
    let not_ours = |why: String| ReviewError::NotLinkposts {
        path: path.to_path_buf(),
        why,
    };
    let real = fs::canonicalize(path).map_err(|_| ReviewError::NoSuchFile {
        path: path.to_path_buf(),
    })?;
    if let Some(post) = store.post_by_file(&real.to_string_lossy())? {
        return Ok(post);
    }
    let output_dir = fs::canonicalize(folders.output_dir).map_err(|e| {
        not_ours(format!(
            "the output folder {} cannot be read ({e})",
            folders.output_dir.display()
        ))
    })?;
    let name = match real.strip_prefix(&output_dir) {
        // Directly in the output folder, or in folders of its own
        // (`filename_template` with folders); stored with `/` either way.
        Ok(rest) if rest.file_name().is_some() => rest
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        _ => {
            return Err(not_ours(format!(
                "it is not in the output folder {}",
                folders.output_dir.display()
            )));
        }
    };
    store.post_by_file(&name)?.ok_or_else(|| {
        not_ours(format!(
            "{} records no post with that file",
            folders.database.display()
        ))
    })
}
