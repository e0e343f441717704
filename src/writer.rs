//! The writer: one thread that claims, writes and syncs posts in batches.
//!
//! Feed polls build posts concurrently and hand them to the writer, which
//! takes whatever has queued up (at most [`MAX_BATCH`]) and, for the batch:
//!
//! 1. claims every post in one store transaction, synced to disk (a claim
//!    must be durable before its file can be);
//! 2. writes each file to a temporary name and links it to its final name
//!    (never over an existing file), without syncing each one;
//! 3. syncs the batch: one `syncfs` on Linux;
//! 4. marks the batch written in one transaction.
//!
//! A crash or power loss at any point leaves each post pending with its
//! rendered text, or written; [`finish_write`] completes pending posts on the
//! next run (a file cut short by a power loss, still a prefix of the post,
//! is replaced). With `durable_writes = false` step 3 is skipped and the
//! claims are not synced: faster, but a power loss may then lose or repeat
//! the last posts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};

use crate::extract::SummarySource;
use crate::output::{self, OutputError};
use crate::render::{self, Post};
use crate::store::{EntryState, NewEntry, Store, StoreError};

/// Most posts handled in one batch.
pub const MAX_BATCH: usize = 512;

/// Attempts at a free file name before a write gives up until the next run.
const MAX_NAME_RETRIES: usize = 100;

/// Why a post could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing or syncing the file failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The batch this post was in could not be claimed or made durable.
    #[error("{0}; the post is retried on the next poll")]
    Batch(String),
    /// The writer thread is gone (a bug, or shutdown).
    #[error("the writer stopped")]
    Stopped,
}

/// A post built by a feed poll, ready to claim and write.
#[derive(Debug)]
pub struct PostToWrite {
    /// The feed's name.
    pub feed: String,
    /// The feed's guid for the entry.
    pub guid: Option<String>,
    /// Normalized URLs; the first is the post's `external_url`.
    pub urls: Vec<String>,
    /// The post.
    pub post: Post,
    /// Which extraction step gave the summary, for the log.
    pub source: Option<SummarySource>,
    /// Unix time of the poll.
    pub now: i64,
}

struct Job {
    post: PostToWrite,
    reply: oneshot::Sender<Result<bool, WriteError>>,
}

/// A handle to the writer thread; cloning shares it. The thread ends when
/// the last handle is dropped, after finishing its queue.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread for posts in `dir`.
    pub fn start(store: Arc<Mutex<Store>>, dir: PathBuf, durable: bool) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 2);
        std::thread::Builder::new()
            .name("linkpost-writer".into())
            .spawn(move || run(queue, &store, &dir, durable))?;
        Ok(Writer { jobs })
    }

    /// Queues `post`; the answer comes once it is written (`true`) or found
    /// to be seen already (`false`). Await the answer after queueing more.
    pub async fn submit(
        &self,
        post: PostToWrite,
    ) -> Result<oneshot::Receiver<Result<bool, WriteError>>, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { post, reply })
            .await
            .map_err(|_| WriteError::Stopped)?;
        Ok(answer)
    }
}

fn run(mut queue: mpsc::Receiver<Job>, store: &Mutex<Store>, dir: &Path, durable: bool) {
    while let Some(first) = queue.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let posts: Vec<&PostToWrite> = jobs.iter().map(|j| &j.post).collect();
        let results = {
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            write_batch(&mut store, dir, durable, &posts)
        };
        for (job, result) in jobs.into_iter().zip(results) {
            // A poll that stopped waiting (shutdown) needs no answer.
            let _ = job.reply.send(result);
        }
    }
}

/// A post claimed in the store, about to be written.
struct Claimed {
    id: i64,
    file: String,
    content: String,
}

/// Claims, writes, syncs and marks a batch; one result per post.
fn write_batch(
    store: &mut Store,
    dir: &Path,
    durable: bool,
    posts: &[&PostToWrite],
) -> Vec<Result<bool, WriteError>> {
    let claims = match store.batch(durable, |store| {
        posts
            .iter()
            .map(|post| claim(store, dir, post))
            .collect::<Vec<_>>()
    }) {
        Ok(claims) => claims,
        Err(e) => {
            let message = e.to_string();
            return posts
                .iter()
                .map(|_| Err(WriteError::Batch(message.clone())))
                .collect();
        }
    };
    let mut results: Vec<Result<bool, WriteError>> = Vec::with_capacity(posts.len());
    let mut written: Vec<(usize, i64, PathBuf)> = Vec::new();
    for (i, claim) in claims.into_iter().enumerate() {
        match claim {
            Ok(Some(c)) => match place_file(store, dir, c.id, &c.file, &c.content, false) {
                Ok(path) => {
                    written.push((i, c.id, path));
                    results.push(Ok(true));
                }
                // The claim stays pending; the next run writes it.
                Err(e) => results.push(Err(e)),
            },
            Ok(None) => results.push(Ok(false)),
            Err(e) => results.push(Err(e.into())),
        }
    }
    if written.is_empty() {
        return results;
    }
    let paths: Vec<PathBuf> = written.iter().map(|(_, _, p)| p.clone()).collect();
    let synced = if durable {
        output::sync_batch(dir, &paths).map_err(WriteError::from)
    } else {
        Ok(())
    };
    let ids: Vec<i64> = written.iter().map(|(_, id, _)| *id).collect();
    let marked = synced.and_then(|()| {
        let now = posts.first().map_or(0, |p| p.now);
        store.mark_written_many(&ids, now).map_err(WriteError::from)
    });
    match marked {
        Ok(()) => {
            for (i, _, path) in &written {
                let post = posts[*i];
                info!(
                    feed = %post.feed,
                    path = %path.display(),
                    item_url = %post.urls[0],
                    summary_source = post.source.map_or("none", SummarySource::as_str),
                    "post written"
                );
            }
        }
        Err(e) => {
            // Not known to be durable: the posts stay pending and the next
            // run finishes them.
            let message = e.to_string();
            for (i, _, _) in &written {
                results[*i] = Err(WriteError::Batch(message.clone()));
            }
        }
    }
    results
}

/// Claims one post inside the batch transaction: `None` when the article is
/// known already (under another URL or guid, or earlier in this batch).
fn claim(store: &mut Store, dir: &Path, post: &PostToWrite) -> Result<Option<Claimed>, StoreError> {
    let guid = post.guid.as_deref();
    if let Some(id) = store.find_seen(&post.feed, guid, &post.urls)? {
        store.add_aliases(id, &post.feed, guid, &post.urls)?;
        debug!(item_url = %post.urls[0], "canonical URL already seen");
        return Ok(None);
    }
    let content = render::render_post(&post.post);
    let base = output::file_name(&post.post.date, &output::slugify(&post.post.title));
    let file = free_name(store, dir, &base)?;
    let entry = NewEntry {
        feed: &post.feed,
        guid,
        urls: &post.urls,
        title: &post.post.title,
        now: post.now,
    };
    let final_state = if post.post.draft {
        EntryState::Draft
    } else {
        EntryState::Approved
    };
    Ok(store
        .claim(&entry, &file, &content, final_state)?
        .map(|id| Claimed { id, file, content }))
}

/// Writes a claimed post's file (synced) and marks it written: how a run
/// finishes the posts an earlier one left pending.
pub fn finish_write(
    store: &mut Store,
    dir: &Path,
    id: i64,
    file: &str,
    content: &str,
    now: i64,
) -> Result<PathBuf, WriteError> {
    let path = place_file(store, dir, id, file, content, true)?;
    store.mark_written(id, now)?;
    Ok(path)
}

/// Puts a claimed post's file in place under its reserved name.
///
/// If the name holds a file already, it is ours when its content is the
/// post (a crash came after the write), or a prefix of it (a power loss cut
/// the write short; it is replaced). Otherwise a person put it there, and the
/// post moves to the next free name.
fn place_file(
    store: &mut Store,
    dir: &Path,
    id: i64,
    file: &str,
    content: &str,
    sync: bool,
) -> Result<PathBuf, WriteError> {
    let base = file;
    let mut file = file.to_string();
    // Each retry follows a person creating the chosen name in between:
    // bounded, so a folder that refuses every name cannot loop forever.
    for _ in 0..MAX_NAME_RETRIES {
        let written = if sync {
            output::write_new(dir, &file, content)
        } else {
            output::write_new_unsynced(dir, &file, content)
        };
        match written {
            Ok(path) => return Ok(path),
            Err(OutputError::Exists { path }) => {
                let existing = std::fs::read(&path).unwrap_or_default();
                if existing == content.as_bytes() {
                    return Ok(path);
                }
                if content.as_bytes().starts_with(&existing) {
                    output::replace(dir, &file, content)?;
                    return Ok(path);
                }
                // Our own reservation counts as taken, so this is the next name.
                file = free_name(store, dir, base)?;
                store.set_file(id, &file)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(OutputError::Exists {
        path: dir.join(file),
    }
    .into())
}

/// The first of `base`, `base-2`, `base-3`… that no entry reserves and no
/// file occupies.
fn free_name(store: &Store, dir: &Path, base: &str) -> Result<String, StoreError> {
    let mut name = base.to_string();
    let mut attempt = 2;
    while store.is_file_reserved(&name)? || dir.join(&name).exists() {
        name = output::alternative_name(base, attempt);
        attempt += 1;
    }
    Ok(name)
}
