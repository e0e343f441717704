//! The writer: two threads that claim, write and sync posts in batches.
//!
//! Feed polls build posts concurrently and hand them to the writer, which
//! takes whatever has queued up (until [`MAX_BATCH`] posts are taken; a
//! feed's posts are never split, and posts wait a few milliseconds for
//! others to share their commit) and, for the batch
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
//! rendered text in the store's journal, or written; [`recover`] completes
//! pending posts on the next run (a file cut short by a power loss, still a prefix of the post,
//! is replaced). With `durable_writes = false` step 3 is skipped and the
//! claims are not synced: faster, but a power loss may then lose or repeat
//! the last posts.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use crate::canon::PostUrls;
use crate::extract::SummarySource;
use crate::metrics::Metrics;
use crate::output::OutputError;
use crate::store::{PollOutcome, Store, StoreError, lock_shared};

mod claim;
mod files;
mod recovery;
#[cfg(test)]
mod tests;

pub use recovery::{holds_complete_post, recover};

/// Most posts handled in one batch.
pub const MAX_BATCH: usize = 512;

/// Items waiting for the claiming thread. An item is one outcome or one
/// chunk of a feed's posts (at most 32), so at most about two batches of
/// rendered posts wait in memory, as before chunks were queued whole.
const QUEUE_ITEMS: usize = 64;

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
    /// Every URL the article is known by.
    pub urls: PostUrls,
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

/// What became of a submitted post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Its file was written and is durable.
    New {
        /// The file's name under the output folder (the one asked for, or
        /// the next free one).
        file: String,
    },
    /// The article was known already (under another URL or guid, or
    /// earlier in the same batch): no file.
    Seen,
}

/// A post waiting for the writer, and where its answer goes.
struct Job {
    post: PostToWrite,
    reply: oneshot::Sender<Result<Written, WriteError>>,
}

/// A post claimed in the store, about to be written.
struct Claimed {
    /// Its entry id.
    id: i64,
    /// The file name the claim reserved.
    file: String,
}

/// A batch's claimed posts, on their way to the file thread.
struct ClaimedBatch {
    /// Each post with its claim.
    posts: Vec<(Job, Claimed)>,
    /// The store's journal row holding the batch's rendered posts.
    journal: i64,
}

/// Work for the claiming thread.
enum Work {
    /// Posts of one feed, claimed one after another in one batch.
    Posts(Vec<Job>),
    /// A poll's outcome, answered once its batch is committed.
    Record(PollOutcome, oneshot::Sender<()>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

/// A handle to the writer thread; cloning shares it. The thread ends when
/// the last handle is dropped, after finishing its queue.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Work>,
    /// Wait for answers from the blocking pool (see [`wait_for_writer`]).
    hold_clock: bool,
}

impl Writer {
    /// Starts the writer's two threads for posts in `dir`: one claims
    /// batches, the other writes, syncs and marks them, so the next batch is
    /// claimed while the last one is written. With `hold_clock` (a clock
    /// that moves when every task is idle), waits for the writer look busy
    /// to tokio; otherwise they are plain awaits. Batch sizes and posts
    /// written are counted in `metrics`.
    pub fn start(
        store: Arc<Mutex<Store>>,
        dir: PathBuf,
        durable: bool,
        hold_clock: bool,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel(QUEUE_ITEMS);
        // One claimed batch waits while another is written: bounded memory.
        let (claimed_tx, claimed_rx) = std::sync::mpsc::sync_channel::<ClaimedBatch>(1);
        let files_store = Arc::clone(&store);
        let files_metrics = Arc::clone(&metrics);
        std::thread::Builder::new()
            .name("linkpost-files".into())
            .spawn(move || {
                for batch in claimed_rx {
                    files::write_claimed(&files_store, &dir, durable, batch, &files_metrics);
                }
            })?;
        std::thread::Builder::new()
            .name("linkpost-writer".into())
            .spawn(move || claim::claim_batches(queue, &store, durable, &claimed_tx, &metrics))?;
        Ok(Writer { jobs, hold_clock })
    }

    /// Waits for answers from the writer's threads; `None` for an answer
    /// that never came.
    pub async fn answers<T: Send + 'static>(
        &self,
        answers: Vec<oneshot::Receiver<T>>,
    ) -> Vec<Option<T>> {
        if self.hold_clock {
            return wait_for_writer(answers).await;
        }
        let mut received = Vec::with_capacity(answers.len());
        for answer in answers {
            received.push(answer.await.ok());
        }
        received
    }

    /// Queues a feed's `posts`, to be claimed together, in order, in one
    /// batch: of two feeds that carry the same articles, the one whose posts
    /// came first writes them all. Each answer comes once its post is
    /// written or found to be seen already. Await them after queueing more.
    pub async fn submit(
        &self,
        posts: Vec<PostToWrite>,
    ) -> Result<Vec<oneshot::Receiver<Result<Written, WriteError>>>, WriteError> {
        let (jobs, answers) = posts
            .into_iter()
            .map(|post| {
                let (reply, answer) = oneshot::channel();
                (Job { post, reply }, answer)
            })
            .unzip();
        self.jobs
            .send(Work::Posts(jobs))
            .await
            .map_err(|_| WriteError::Stopped)?;
        Ok(answers)
    }

    /// Records a poll's outcome with the next batch (many polls share one
    /// transaction) and waits until the batch is committed, so the next
    /// poll of the feed reads it. A failure to store it is logged by the
    /// writer, naming the feed.
    pub async fn record(&self, outcome: PollOutcome) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Work::Record(outcome, reply))
            .await
            .map_err(|_| WriteError::Stopped)?;
        self.answers(vec![answer])
            .await
            .pop()
            .flatten()
            .ok_or(WriteError::Stopped)
    }

    /// Waits until everything queued before it is committed.
    pub async fn flush(&self) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Work::Flush(reply))
            .await
            .map_err(|_| WriteError::Stopped)?;
        self.answers(vec![answer])
            .await
            .pop()
            .flatten()
            .ok_or(WriteError::Stopped)
    }
}

/// Waits for the writer threads' answers from tokio's blocking pool rather
/// than as an idle task: to tokio, work on the writer's threads is then work
/// in progress, so a paused test clock cannot jump past it (under
/// `tokio::time::pause()` time moves when every task is idle). One hop per
/// wait, however many answers, but two thread wake-ups more than an await:
/// [`Writer::answers`] uses it only for such a clock. `None` for an answer
/// that never came.
async fn wait_for_writer<T: Send + 'static>(answers: Vec<oneshot::Receiver<T>>) -> Vec<Option<T>> {
    let count = answers.len();
    tokio::task::spawn_blocking(move || {
        answers
            .into_iter()
            .map(|answer| answer.blocking_recv().ok())
            .collect()
    })
    .await
    .unwrap_or_else(|_| (0..count).map(|_| None).collect())
}
