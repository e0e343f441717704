//! Review: listing drafts, approving and rejecting them.
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
//! store still says draft and removes it otherwise.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use crate::front_matter::{self, FrontMatter, FrontMatterError};
use crate::output::{self, OutputError};
use crate::store::{EntryState, PostRecord, Store, StoreError};

/// Prefix of a draft's backup while a review change is in flight.
const BACKUP_PREFIX: &str = ".linkpost-backup-";

/// Where review reads and writes posts.
#[derive(Debug, Clone, Copy)]
pub struct Folders<'a> {
    /// Where drafts are written (`output_dir`).
    pub output_dir: &'a Path,
    /// Where approved posts go (`publish_dir`), if anywhere else.
    pub publish_dir: Option<&'a Path>,
    /// The database, for messages.
    pub database: &'a Path,
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
    #[error("post {id}: {path} cannot be reviewed: {source}; fix the file by hand and try again")]
    FrontMatter {
        /// Entry id.
        id: i64,
        /// The draft.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: FrontMatterError,
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
    /// A file operation failed; nothing was changed.
    #[error("post {id}: cannot {action} {path}: {source}; nothing was changed")]
    Io {
        /// Entry id.
        id: i64,
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The store failed; nothing was changed.
    #[error("post {id}: {source}; nothing was changed")]
    Store {
        /// Entry id.
        id: i64,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// Listing or recovery could not read the store.
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// One post in `linkpost drafts`, as its file now reads.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DraftView {
    /// The short, stable id to approve or reject it by.
    pub id: i64,
    /// Where the file is.
    pub path: PathBuf,
    /// Title (as edited, when the file reads).
    pub title: String,
    /// The feed's configured `source`.
    pub source: String,
    /// Publication date from the front matter, RFC 3339.
    pub date: Option<String>,
    /// The article's URL.
    pub external_url: String,
    /// The first line of the tldr.
    pub tldr: String,
    /// `draft`, or `missing` when its file was deleted or moved by hand.
    pub state: EntryState,
    /// The feed it came from.
    pub feed: String,
    /// Why its front matter could not be read, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip)]
    sort_key: (Option<DateTime<FixedOffset>>, i64),
}

/// Something `drafts` noticed and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The draft file is gone: recorded as missing, never written again.
    Missing {
        /// Entry id.
        id: i64,
        /// Where it was.
        path: PathBuf,
    },
    /// The draft was set to `draft: false` by hand, or moved to the
    /// publish folder by hand: recorded as approved.
    ApprovedByHand {
        /// Entry id.
        id: i64,
        /// Where it is.
        path: PathBuf,
    },
    /// A draft recorded as missing is back.
    Returned {
        /// Entry id.
        id: i64,
        /// Where it is.
        path: PathBuf,
    },
    /// A review interrupted by a crash was undone or finished.
    Recovered {
        /// The backup file handled.
        path: PathBuf,
    },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Missing { id, path } => write!(
                f,
                "post {id}: draft {} was deleted or moved by hand; recorded as missing, it will not be written again",
                path.display()
            ),
            Notice::ApprovedByHand { id, path } => write!(
                f,
                "post {id}: {} was published by hand; recorded as approved",
                path.display()
            ),
            Notice::Returned { id, path } => write!(
                f,
                "post {id}: draft {} is back; listed as a draft again",
                path.display()
            ),
            Notice::Recovered { path } => write!(
                f,
                "finished a review interrupted by a crash ({})",
                path.display()
            ),
        }
    }
}

/// The drafts waiting for review, newest first, after noticing drafts that
/// were deleted, moved or published by hand (recorded, and returned as
/// notices).
pub fn list(
    store: &mut Store,
    folders: Folders<'_>,
    now: i64,
) -> Result<(Vec<DraftView>, Vec<Notice>), ReviewError> {
    let mut notices = recover(store, folders.output_dir)?;
    let mut drafts = Vec::new();
    for post in store.posts(&[EntryState::Draft, EntryState::Missing])? {
        let path = folders.output_dir.join(&post.file);
        let text = match fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                // Unreadable is not gone: list it with what the store knows.
                drafts.push(view(&post, path, None, Some(e.to_string())));
                continue;
            }
        };
        let front_matter = text.as_deref().map(front_matter::read);
        match (post.state, front_matter) {
            (EntryState::Draft, None) => {
                let published = folders.publish_dir.map(|dir| dir.join(&post.file));
                match published.filter(|p| reads_as_approved(p)) {
                    Some(published) => {
                        let file = published.to_string_lossy();
                        store.set_state(
                            post.id,
                            EntryState::Draft,
                            EntryState::Approved,
                            Some(&file),
                            now,
                        )?;
                        notices.push(Notice::ApprovedByHand {
                            id: post.id,
                            path: published,
                        });
                    }
                    None => {
                        store.set_state(
                            post.id,
                            EntryState::Draft,
                            EntryState::Missing,
                            None,
                            now,
                        )?;
                        notices.push(Notice::Missing { id: post.id, path });
                    }
                }
            }
            (EntryState::Draft, Some(Ok(fm))) if !fm.draft => {
                store.set_state(post.id, EntryState::Draft, EntryState::Approved, None, now)?;
                notices.push(Notice::ApprovedByHand { id: post.id, path });
            }
            (EntryState::Draft, Some(parsed)) => {
                let (fm, problem) = match parsed {
                    Ok(fm) => (Some(fm), None),
                    Err(e) => (None, Some(format!("cannot be reviewed: {e}"))),
                };
                drafts.push(view(&post, path, fm.as_ref(), problem));
            }
            (_, Some(Ok(fm))) if fm.draft => {
                // Recorded missing, but a draft is back under its name.
                store.set_state(post.id, EntryState::Missing, EntryState::Draft, None, now)?;
                notices.push(Notice::Returned {
                    id: post.id,
                    path: path.clone(),
                });
                let mut back = post.clone();
                back.state = EntryState::Draft;
                drafts.push(view(&back, path, Some(&fm), None));
            }
            _ => {}
        }
    }
    drafts.sort_by_key(|d| std::cmp::Reverse(d.sort_key));
    Ok((drafts, notices))
}

fn reads_as_approved(path: &Path) -> bool {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| front_matter::read(&text).ok())
        .is_some_and(|fm| !fm.draft)
}

fn view(
    post: &PostRecord,
    path: PathBuf,
    fm: Option<&FrontMatter>,
    problem: Option<String>,
) -> DraftView {
    let field = |key: &str| fm.and_then(|fm| fm.get(key)).map(str::to_string);
    let date = field("date");
    let parsed = date
        .as_deref()
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .or_else(|| DateTime::from_timestamp(post.first_seen, 0).map(|t| t.fixed_offset()));
    let tldr = field("tldr").unwrap_or_default();
    DraftView {
        id: post.id,
        path,
        title: field("title").unwrap_or_else(|| post.title.clone()),
        source: field("source").unwrap_or_else(|| post.feed.clone()),
        date,
        external_url: field("external_url").unwrap_or_else(|| post.url.clone()),
        tldr: tldr.lines().next().unwrap_or_default().to_string(),
        state: post.state,
        feed: post.feed.clone(),
        problem,
        sort_key: (parsed, post.id),
    }
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

/// Finds the draft an argument names (an id, or a path to the draft file)
/// and checks it can be reviewed. Changes nothing.
pub fn resolve(store: &Store, folders: Folders<'_>, arg: &str) -> Result<Target, ReviewError> {
    let post = match arg.parse::<i64>() {
        Ok(id) => store.post(id)?.ok_or_else(|| ReviewError::UnknownId {
            id,
            database: folders.database.to_path_buf(),
        })?,
        Err(_) => post_at_path(store, folders, Path::new(arg))?,
    };
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
        Err(source) => {
            return Err(ReviewError::Io {
                id: post.id,
                action: "read",
                path,
                source,
            });
        }
    };
    let front_matter = front_matter::read(&text).map_err(|source| ReviewError::FrontMatter {
        id: post.id,
        path: path.clone(),
        source,
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
        Ok(rest) if rest.parent() == Some(Path::new("")) => rest.to_string_lossy().into_owned(),
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
            let tmp = write_temp(id, dir, &target.post.file, &text)?;
            let guard = TempGuard(Some(tmp.clone()));
            let change = store
                .change_state(id, EntryState::Draft, EntryState::Approved, None, now)
                .map_err(|source| ReviewError::Store { id, source })?;
            let backup = Backup::link(id, &target.path)?;
            if let Err(source) = fs::rename(&tmp, &target.path) {
                backup.remove();
                return Err(ReviewError::Io {
                    id,
                    action: "replace",
                    path: target.path.clone(),
                    source,
                });
            }
            guard.disarm();
            if let Err(source) = change.commit() {
                backup.restore();
                return Err(ReviewError::Store { id, source });
            }
            backup.remove();
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
    let dest_dir = fs::canonicalize(publish_dir).map_err(|source| ReviewError::Io {
        id,
        action: "open",
        path: publish_dir.to_path_buf(),
        source,
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
        .map_err(|source| ReviewError::Store { id, source })?;
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
    if let Err(source) = change.commit() {
        backup.restore();
        undo_publish();
        return Err(ReviewError::Store { id, source });
    }
    backup.remove();
    sync(id, output_dir);
    Ok(Approved { path: dest })
}

/// Rejects a draft: its file is removed and the article is never written
/// again, whichever feed brings it back.
pub fn reject(
    store: &mut Store,
    folders: Folders<'_>,
    target: &Target,
    now: i64,
) -> Result<(), ReviewError> {
    let id = target.post.id;
    let change = store
        .change_state(id, EntryState::Draft, EntryState::Rejected, None, now)
        .map_err(|source| ReviewError::Store { id, source })?;
    let backup = Backup::rename(id, &target.path)?;
    if let Err(source) = change.commit() {
        backup.restore();
        return Err(ReviewError::Store { id, source });
    }
    backup.remove();
    sync(id, folders.output_dir);
    Ok(())
}

/// Undoes or finishes review changes a crash interrupted: a backup whose post
/// the store still calls a draft is put back; any other backup is removed.
pub fn recover(store: &Store, output_dir: &Path) -> Result<Vec<Notice>, ReviewError> {
    let mut notices = Vec::new();
    let entries = match fs::read_dir(output_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(notices),
        Err(source) => {
            return Err(ReviewError::Io {
                id: 0,
                action: "list",
                path: output_dir.to_path_buf(),
                source,
            });
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(file) = name.strip_prefix(BACKUP_PREFIX) else {
            continue;
        };
        let Some(post) = store.post_by_file(file)? else {
            continue;
        };
        let backup = entry.path();
        let result = if post.state == EntryState::Draft {
            fs::rename(&backup, output_dir.join(file))
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
struct Backup {
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
    fn link(id: i64, original: &Path) -> Result<Backup, ReviewError> {
        Backup::keep(id, original, "keep a backup of", |from, to| {
            let _ = fs::remove_file(to);
            fs::hard_link(from, to)
        })
    }

    /// Moves the draft out of the way.
    fn rename(id: i64, original: &Path) -> Result<Backup, ReviewError> {
        Backup::keep(id, original, "move", |from, to| fs::rename(from, to))
    }

    fn keep(
        id: i64,
        original: &Path,
        action: &'static str,
        op: impl FnOnce(&Path, &Path) -> io::Result<()>,
    ) -> Result<Backup, ReviewError> {
        let backup = Backup::path_for(original);
        op(original, &backup).map_err(|source| ReviewError::Io {
            id,
            action,
            path: original.to_path_buf(),
            source,
        })?;
        Ok(Backup {
            id,
            original: original.to_path_buf(),
            backup,
        })
    }

    /// Puts the draft back as it was.
    fn restore(self) {
        if let Err(e) = fs::rename(&self.backup, &self.original) {
            tracing::error!(
                post = self.id,
                backup = %self.backup.display(),
                "cannot restore the draft; the next review command will: {e}"
            );
        }
    }

    /// The change is committed; the old draft goes.
    fn remove(self) {
        if let Err(e) = fs::remove_file(&self.backup) {
            tracing::warn!(post = self.id, backup = %self.backup.display(), "cannot remove backup: {e}");
        }
    }
}

/// Removes a temporary file unless disarmed.
struct TempGuard(Option<PathBuf>);

impl TempGuard {
    fn disarm(mut self) {
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

fn write_temp(id: i64, dir: &Path, name: &str, text: &str) -> Result<PathBuf, ReviewError> {
    output::write_temp(dir, name, text).map_err(|e| output_error(id, e))
}

fn output_error(id: i64, e: OutputError) -> ReviewError {
    match e {
        OutputError::Exists { path } => ReviewError::Exists { id, path },
        OutputError::CreateDir { path, source } => ReviewError::Io {
            id,
            action: "create folder",
            path,
            source,
        },
        OutputError::Write { path, source } => ReviewError::Io {
            id,
            action: "write",
            path,
            source,
        },
    }
}

fn sync(id: i64, dir: &Path) {
    // The change is already committed; a failed folder sync only weakens
    // durability against power loss, so it is reported, not undone.
    if let Err(e) = output::sync_dir(dir) {
        tracing::warn!(post = id, dir = %dir.display(), "cannot sync folder: {e}");
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
