//! `drafts`: the drafts waiting for review, as their files now read.
//!
//! Records in the store what was done by hand (deleted, moved, published);
//! changes no file itself (putting back crash backups is `recover`'s).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::{Folders, ReviewError, recover, recover_kept};
use crate::post::front_matter::{self, FrontMatter};
use crate::store::{EntryState, PostRecord, Store};

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
    /// Tags from the front matter.
    pub tags: Vec<String>,
    /// `draft`, or `missing` when its file was deleted or moved by hand.
    pub state: EntryState,
    /// The feed it came from.
    pub feed: String,
    /// Why its front matter could not be read, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The whole tldr.
    #[serde(skip)]
    pub full_tldr: String,
    /// The summary.
    #[serde(skip)]
    pub summary: String,
    /// The file's [`fingerprint`](super::fingerprint) when it was read.
    #[serde(skip)]
    pub fingerprint: String,
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
    notices.extend(recover_kept(store, folders, now)?);
    let mut drafts = Vec::new();
    for post in store.posts(&[EntryState::Draft, EntryState::Missing])? {
        let path = folders.output_dir.join(&post.file);
        let text = match fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                // Unreadable is not gone: list it with what the store knows.
                drafts.push(view(&post, path, None, "", Some(e.to_string())));
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
                let text = text.as_deref().unwrap_or_default();
                drafts.push(view(&post, path, fm.as_ref(), text, problem));
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
                let text = text.as_deref().unwrap_or_default();
                drafts.push(view(&back, path, Some(&fm), text, None));
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
    text: &str,
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
        tags: fm
            .and_then(|fm| fm.list("tags"))
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
        full_tldr: tldr.clone(),
        summary: field("summary").unwrap_or_default(),
        fingerprint: super::fingerprint(text),
        state: post.state,
        feed: post.feed.clone(),
        problem,
        sort_key: (parsed, post.id),
    }
}
