//! The writer: two threads that claim, write and sync posts in batches.
//!
//! Feed polls build posts concurrently and hand them to the writer, which
//! takes whatever has queued up (at most [`MAX_BATCH`]) and, for the batch
//! (steps 2 to 4 on a second thread, while the next batch is claimed):
//!
//! 1. claims every post in one store transaction that also journals the
//!    batch's rendered posts in one row, synced to disk (a claim, and the
//!    text it will be written with, must be durable before its file can be);
//! 2. writes each file to a temporary name and links it to its final name
//!    (never over an existing file), without syncing each one;
//! 3. syncs the batch: one `syncfs` on Linux;
//! 4. marks the batch written and drops its journal row, in one transaction.
//!
//! A crash or power loss at any point leaves each post pending with its
//! rendered text in a journal, or written; [`finish_write`] completes pending
//! posts on the next run (a file cut short by a power loss, still a prefix of the post,
//! is replaced). With `durable_writes = false` step 3 is skipped and the
//! claims are not synced: faster, but a power loss may then lose or repeat
//! the last posts.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};

use crate::extract::SummarySource;
use crate::output::{self, OutputError};
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
    /// The post's title, for the store.
    pub title: String,
    /// Whether it is written as a draft.
    pub draft: bool,
    /// The rendered file.
    pub content: String,
    /// The file name it would like (`YYYY-MM-DD-slug.md`); the next free
    /// one is taken when it is in use.
    pub file_name: String,
    /// Which extraction step gave the summary, for the log.
    pub source: Option<SummarySource>,
    /// Unix time of the poll.
    pub now: i64,
}

struct Job {
    post: PostToWrite,
    reply: oneshot::Sender<Result<bool, WriteError>>,
}

/// A poll's outcome, to record in the store with the next batch.
#[derive(Debug, Clone)]
pub struct PollOutcome {
    /// The feed's name.
    pub feed: String,
    /// Feed URL.
    pub url: String,
    /// Unix time of the poll.
    pub now: i64,
    /// Unix time of the next poll.
    pub next_due: i64,
    /// One-line result.
    pub status: String,
    /// The error, on failure.
    pub error: Option<String>,
    /// New validators, on a fetched (not 304) success.
    pub validators: Option<crate::fetch::Validators>,
    /// Disable the feed (410 Gone).
    pub disable: bool,
    /// Every entry was handled, so a first poll counts as done.
    pub complete: bool,
}

/// Work for the claiming thread.
enum Work {
    Post(Job),
    Record(PollOutcome, oneshot::Sender<Result<(), WriteError>>),
}

/// A handle to the writer thread; cloning shares it. The thread ends when
/// the last handle is dropped, after finishing its queue.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Work>,
}

impl Writer {
    /// Starts the writer's two threads for posts in `dir`: one claims
    /// batches, the other writes, syncs and marks them, so the next batch is
    /// claimed while the last one is written.
    pub fn start(store: Arc<Mutex<Store>>, dir: PathBuf, durable: bool) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 2);
        // One claimed batch waits while another is written: bounded memory.
        let (claimed_tx, claimed_rx) = std::sync::mpsc::sync_channel::<ClaimedBatch>(1);
        let files_store = Arc::clone(&store);
        std::thread::Builder::new()
            .name("linkpost-files".into())
            .spawn(move || {
                for batch in claimed_rx {
                    write_claimed(&files_store, &dir, durable, batch);
                }
            })?;
        std::thread::Builder::new()
            .name("linkpost-writer".into())
            .spawn(move || claim_batches(queue, &store, durable, &claimed_tx))?;
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
            .send(Work::Post(Job { post, reply }))
            .await
            .map_err(|_| WriteError::Stopped)?;
        Ok(answer)
    }

    /// Records a poll's outcome with the next batch (many polls share one
    /// transaction), and waits until it is recorded.
    pub async fn record(&self, outcome: PollOutcome) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Work::Record(outcome, reply))
            .await
            .map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?
    }
}

/// A batch's claimed posts, to be written.
struct ClaimedBatch {
    posts: Vec<(Job, Claimed)>,
    /// The store's journal row holding the batch's rendered posts.
    journal: i64,
}

/// Stage one: takes whatever has queued up (at most [`MAX_BATCH`]), records
/// the poll outcomes and claims the posts in one transaction; posts seen
/// already and failed claims are answered here, the rest go on to be written.
fn claim_batches(
    mut queue: mpsc::Receiver<Work>,
    store: &Mutex<Store>,
    durable: bool,
    to_files: &std::sync::mpsc::SyncSender<ClaimedBatch>,
) {
    while let Some(first) = queue.blocking_recv() {
        let mut work = vec![first];
        while work.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(item) => work.push(item),
                Err(_) => break,
            }
        }
        let mut jobs = Vec::with_capacity(work.len());
        let mut records = Vec::new();
        for item in work {
            match item {
                Work::Post(job) => jobs.push(job),
                Work::Record(outcome, reply) => records.push((outcome, reply)),
            }
        }
        let journal = (!jobs.is_empty())
            .then(|| encode_journal(&jobs.iter().map(|j| &j.post).collect::<Vec<_>>()));
        // Only claims need their commit synced.
        let outcome = lock(store)
            .batch(journal.is_some() && durable, |store| {
                let recorded: Vec<Result<(), String>> = records
                    .iter()
                    .map(|(o, _)| record_poll(store, o).map_err(|e| e.to_string()))
                    .collect();
                let claimed = match &journal {
                    Some(journal) => {
                        let batch = store.journal_batch(journal)?;
                        let claims: Vec<_> =
                            jobs.iter().map(|job| claim(store, &job.post)).collect();
                        Some((batch, claims))
                    }
                    None => None,
                };
                Ok::<_, StoreError>((recorded, claimed))
            })
            .and_then(|inner| inner);
        let (recorded, claimed) = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                let message = e.to_string();
                for (_, reply) in records {
                    let _ = reply.send(Err(WriteError::Batch(message.clone())));
                }
                for job in jobs {
                    let _ = job.reply.send(Err(WriteError::Batch(message.clone())));
                }
                continue;
            }
        };
        // A poll that stopped waiting (shutdown) needs no answer, so sends
        // that fail are ignored.
        for ((_, reply), result) in records.into_iter().zip(recorded) {
            let _ = reply.send(result.map_err(WriteError::Batch));
        }
        let Some((journal, claims)) = claimed else {
            continue;
        };
        let mut posts = Vec::with_capacity(jobs.len());
        for (job, claim) in jobs.into_iter().zip(claims) {
            match claim {
                Ok(Some(c)) => posts.push((job, c)),
                Ok(None) => {
                    let _ = job.reply.send(Ok(false));
                }
                Err(e) => {
                    let _ = job.reply.send(Err(e.into()));
                }
            }
        }
        if posts.is_empty() {
            if let Err(e) = lock(store).drop_journal(journal) {
                tracing::warn!("cannot drop a writer journal row: {e}");
            }
            continue;
        }
        if let Err(std::sync::mpsc::SendError(batch)) =
            to_files.send(ClaimedBatch { posts, journal })
        {
            // The file thread is gone (it panicked): the claims stay
            // pending and the next run writes them.
            for (job, _) in batch.posts {
                let _ = job.reply.send(Err(WriteError::Stopped));
            }
        }
    }
}

/// A post claimed in the store, about to be written.
struct Claimed {
    id: i64,
    file: String,
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stage two: writes a claimed batch's files, syncs them, marks them
/// written, and answers. The store is locked only to mark (and to rename a
/// post whose name a person took), so claims and polls go on meanwhile.
fn write_claimed(store: &Mutex<Store>, dir: &Path, durable: bool, batch: ClaimedBatch) {
    let mut results: Vec<Result<bool, WriteError>> = Vec::with_capacity(batch.posts.len());
    let mut written: Vec<(usize, i64, PathBuf)> = Vec::new();
    for (i, (job, c)) in batch.posts.iter().enumerate() {
        let placed = place_file(dir, &c.file, &job.post.content, false, &mut |base| {
            rename_claim(&mut lock(store), dir, c.id, base)
        });
        match placed {
            Ok(path) => {
                written.push((i, c.id, path));
                results.push(Ok(true));
            }
            // The claim stays pending; the next run writes it.
            Err(e) => results.push(Err(e)),
        }
    }
    if !written.is_empty() {
        let paths: Vec<PathBuf> = written.iter().map(|(_, _, p)| p.clone()).collect();
        let synced = if durable {
            output::sync_batch(dir, &paths).map_err(WriteError::from)
        } else {
            Ok(())
        };
        let ids: Vec<i64> = written.iter().map(|(_, id, _)| *id).collect();
        let now = batch.posts.first().map_or(0, |(j, _)| j.post.now);
        // Posts still pending keep their text journaled.
        let done = (written.len() == batch.posts.len()).then_some(batch.journal);
        let marked = synced.and_then(|()| {
            lock(store)
                .mark_written_many(&ids, now, done)
                .map_err(WriteError::from)
        });
        match marked {
            Ok(()) => {
                for (i, _, path) in &written {
                    let post = &batch.posts[*i].0.post;
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
                // Not known to be durable: the posts stay pending and the
                // next run finishes them.
                let message = e.to_string();
                for (i, _, _) in &written {
                    results[*i] = Err(WriteError::Batch(message.clone()));
                }
            }
        }
    }
    for ((job, _), result) in batch.posts.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

fn record_poll(store: &mut Store, o: &PollOutcome) -> Result<(), StoreError> {
    store.record_poll(
        &o.feed,
        &crate::store::PollRecord {
            url: &o.url,
            now: o.now,
            next_due: o.next_due,
            status: &o.status,
            error: o.error.as_deref(),
            validators: o.validators.as_ref(),
            disable: o.disable,
            complete: o.complete,
        },
    )
}

/// Claims one post inside the batch transaction: `None` when the article is
/// known already (under another URL or guid, or earlier in this batch).
/// The name is checked against the store only; a file a person left there
/// is found when the write refuses to replace it.
fn claim(store: &mut Store, post: &PostToWrite) -> Result<Option<Claimed>, StoreError> {
    let guid = post.guid.as_deref();
    if let Some(id) = store.find_seen(&post.feed, guid, &post.urls)? {
        store.add_aliases(id, &post.feed, guid, &post.urls)?;
        debug!(item_url = %post.urls[0], "canonical URL already seen");
        return Ok(None);
    }
    let file = free_name(store, None, &post.file_name)?;
    let entry = NewEntry {
        feed: &post.feed,
        guid,
        urls: &post.urls,
        title: &post.title,
        now: post.now,
    };
    let final_state = if post.draft {
        EntryState::Draft
    } else {
        EntryState::Approved
    };
    Ok(store
        .claim_journaled(&entry, &file, final_state)?
        .map(|id| Claimed { id, file }))
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
    let path = place_file(dir, file, content, true, &mut |base| {
        rename_claim(store, dir, id, base)
    })?;
    store.mark_written(id, now)?;
    Ok(path)
}

/// Puts a claimed post's file in place under its reserved name.
///
/// If the name holds a file already, it is ours when its content is the
/// post (a crash came after the write), or a prefix of it (a power loss cut
/// the write short; it is replaced). Otherwise a person put it there, and the
/// post moves to the name `next_name` picks and records.
fn place_file(
    dir: &Path,
    file: &str,
    content: &str,
    sync: bool,
    next_name: &mut dyn FnMut(&str) -> Result<String, StoreError>,
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
                file = next_name(base)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(OutputError::Exists {
        path: dir.join(file),
    }
    .into())
}

/// Moves claim `id` to the next free name after `base` (a person took the
/// one it had) and returns it.
fn rename_claim(store: &mut Store, dir: &Path, id: i64, base: &str) -> Result<String, StoreError> {
    let file = free_name(store, Some(dir), base)?;
    store.set_file(id, &file)?;
    Ok(file)
}

/// The first of `base`, `base-2`, `base-3`… that no entry reserves and,
/// when `dir` is given, no file occupies.
fn free_name(store: &Store, dir: Option<&Path>, base: &str) -> Result<String, StoreError> {
    let mut name = base.to_string();
    let mut attempt = 2;
    while store.is_file_reserved(&name)? || dir.is_some_and(|d| d.join(&name).exists()) {
        name = output::alternative_name(base, attempt);
        attempt += 1;
    }
    Ok(name)
}

/// A batch's rendered posts, keyed by URL, as the store journals them:
/// `"<url bytes> <content bytes>\n<url><content>"` per post.
fn encode_journal(posts: &[&PostToWrite]) -> Vec<u8> {
    let mut out = Vec::with_capacity(posts.iter().map(|p| p.content.len() + 128).sum());
    for post in posts {
        let url = post.urls.first().map(String::as_str).unwrap_or_default();
        let _ = writeln!(out, "{} {}", url.len(), post.content.len());
        out.extend_from_slice(url.as_bytes());
        out.extend_from_slice(post.content.as_bytes());
    }
    out
}

/// The rendered posts of every batch the store still journals, by URL,
/// and the batches' ids: what an interrupted run left to finish.
pub fn read_journals(store: &Store) -> Result<(HashMap<String, String>, Vec<i64>), StoreError> {
    let mut posts = HashMap::new();
    let mut ids = Vec::new();
    for (id, bytes) in store.journaled_batches()? {
        parse_journal(&bytes, &mut posts);
        ids.push(id);
    }
    Ok((posts, ids))
}

fn parse_journal(mut bytes: &[u8], posts: &mut HashMap<String, String>) {
    while let Some(newline) = bytes.iter().position(|&b| b == b'\n') {
        let header = String::from_utf8_lossy(&bytes[..newline]).into_owned();
        let mut lengths = header.split(' ').map(str::parse::<usize>);
        let (Some(Ok(url_len)), Some(Ok(content_len))) = (lengths.next(), lengths.next()) else {
            return;
        };
        let rest = &bytes[newline + 1..];
        let Some(end) = url_len
            .checked_add(content_len)
            .filter(|&e| e <= rest.len())
        else {
            return;
        };
        let (Ok(url), Ok(content)) = (
            std::str::from_utf8(&rest[..url_len]),
            std::str::from_utf8(&rest[url_len..end]),
        ) else {
            return;
        };
        posts.insert(url.to_string(), content.to_string());
        bytes = &rest[end..];
    }
}

/// Whether `dir/file` holds a complete post for `url`: what a pending
/// claim's file looks like when the crash came after the batch was synced
/// (the journal already removed, the mark lost).
pub fn holds_complete_post(dir: &Path, file: &str, url: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
        return false;
    };
    crate::front_matter::read(&text).is_ok_and(|fm| fm.get("external_url") == Some(url))
        && text.ends_with('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_and_is_dropped_with_the_marks() {
        let mut store = Store::open_in_memory().expect("store");
        let post = |url: &str, content: &str| PostToWrite {
            feed: "F".into(),
            guid: None,
            urls: vec![url.into()],
            title: "t".into(),
            draft: true,
            content: content.into(),
            file_name: "f.md".into(),
            source: None,
            now: 0,
        };
        let (a, b) = (
            post("https://e.com/a", "---\nä\n"),
            post("https://e.com/b", "x 1\n2"),
        );
        let bytes = encode_journal(&[&a, &b]);
        let batch = store.journal_batch(&bytes).expect("journal");
        let (posts, ids) = read_journals(&store).expect("read");
        assert_eq!(ids, vec![batch]);
        assert_eq!(
            posts.get("https://e.com/a").map(String::as_str),
            Some("---\nä\n")
        );
        assert_eq!(
            posts.get("https://e.com/b").map(String::as_str),
            Some("x 1\n2")
        );
        let mut cut = HashMap::new();
        parse_journal(&bytes[..bytes.len() - 2], &mut cut);
        assert_eq!(cut.len(), 1, "a damaged record is dropped");
        store.mark_written_many(&[], 1, Some(batch)).expect("mark");
        assert!(read_journals(&store).expect("read").1.is_empty());
    }
}
