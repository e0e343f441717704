//! Stage one of the writer: drain the queue into a [`Batch`], record its poll
//! outcomes and claim its posts in one store transaction, answer whatever is
//! settled there, and pass the claimed posts on to be written.

use std::sync::Mutex;
use std::sync::mpsc::SyncSender;

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use super::files::free_name;
use super::{
    Claimed, ClaimedBatch, Job, MAX_BATCH, PostToWrite, Work, WriteError, Written, lock_shared,
};
use crate::metrics::Metrics;
use crate::store::{EntryState, NewEntry, PollOutcome, Store, StoreError};

/// What one drain of the queue holds: poll outcomes to record and posts to
/// claim, all in one transaction.
pub(super) struct Batch {
    records: Vec<PollOutcome>,
    jobs: Vec<Job>,
    /// Answered once the batch is committed (or failed): recorded
    /// outcomes and flushes.
    flushes: Vec<oneshot::Sender<()>>,
}

/// What the transaction did with one post.
enum Claim {
    /// Claimed: it will be written.
    Claimed(Claimed),
    /// Known already: no file.
    Seen,
    /// The store refused it.
    Failed(StoreError),
}

/// What the batch's transaction did, item by item.
struct Committed {
    recorded: Vec<Result<(), StoreError>>,
    /// The journal row, when the batch had posts.
    journal: Option<i64>,
    claims: Vec<Claim>,
}

impl Batch {
    /// `first` and whatever else has queued up, until [`MAX_BATCH`] posts
    /// and outcomes are taken (a feed's posts are never split).
    fn drain(first: Work, queue: &mut mpsc::Receiver<Work>) -> Batch {
        let mut batch = Batch {
            records: Vec::new(),
            jobs: Vec::new(),
            flushes: Vec::new(),
        };
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(work) = next.take() {
            match work {
                Work::Posts(jobs) => {
                    taken += jobs.len();
                    batch.jobs.extend(jobs);
                }
                Work::Record(outcome, reply) => {
                    taken += 1;
                    batch.records.push(outcome);
                    batch.flushes.push(reply);
                }
                Work::Flush(reply) => batch.flushes.push(reply),
            }
            if taken < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        batch
    }

    /// Records the outcomes and claims the posts in one transaction (synced
    /// when it claims and `durable`), answers every post that needs no file
    /// and every flush, and returns the claimed posts, if any.
    fn claim(self, store: &Mutex<Store>, durable: bool) -> Option<ClaimedBatch> {
        let Batch {
            records,
            jobs,
            flushes,
        } = self;
        let claimed = Batch::commit(store, durable, &records, jobs);
        for flush in flushes {
            let _ = flush.send(());
        }
        claimed
    }

    fn commit(
        store: &Mutex<Store>,
        durable: bool,
        records: &[PollOutcome],
        jobs: Vec<Job>,
    ) -> Option<ClaimedBatch> {
        let committed = lock_shared(store).batch(durable && !jobs.is_empty(), |store| {
            let recorded = records
                .iter()
                .map(|outcome| store.record_poll(outcome))
                .collect();
            let journal = if jobs.is_empty() {
                None
            } else {
                let posts = jobs
                    .iter()
                    .map(|job| (job.post.urls.external(), job.post.content.as_str()));
                Some(store.journal_batch(posts)?)
            };
            let claims = jobs.iter().map(|job| claim(store, &job.post)).collect();
            Ok(Committed {
                recorded,
                journal,
                claims,
            })
        });
        let committed = match committed {
            Ok(committed) => committed,
            Err(e) => {
                let message = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(WriteError::Batch(message.clone())));
                }
                // The posts' failure is no reason to lose the outcomes that
                // shared their transaction: they get one of their own.
                let recorded = lock_shared(store).batch(false, |store| {
                    Ok(records
                        .iter()
                        .map(|o| store.record_poll(o).map_err(|e| e.to_string()))
                        .collect())
                });
                log_records(
                    records,
                    recorded
                        .unwrap_or_else(|e| records.iter().map(|_| Err(e.to_string())).collect()),
                );
                return None;
            }
        };
        log_records(
            records,
            committed
                .recorded
                .into_iter()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect(),
        );
        // A poll that stopped waiting (shutdown) needs no answer, so sends
        // that fail are ignored.
        let journal = committed.journal?;
        let mut posts = Vec::with_capacity(jobs.len());
        for (job, claim) in jobs.into_iter().zip(committed.claims) {
            match claim {
                Claim::Claimed(c) => posts.push((job, c)),
                Claim::Seen => {
                    let _ = job.reply.send(Ok(Written::Seen));
                }
                Claim::Failed(e) => {
                    let _ = job.reply.send(Err(e.into()));
                }
            }
        }
        if posts.is_empty() {
            if let Err(e) = lock_shared(store).drop_journal(journal) {
                warn!(error = %e, "cannot drop a writer journal row");
            }
            return None;
        }
        Some(ClaimedBatch { posts, journal })
    }
}

/// Logs each outcome that could not be recorded, naming its feed.
fn log_records(records: &[PollOutcome], results: Vec<Result<(), String>>) {
    for (outcome, result) in records.iter().zip(results) {
        if let Err(error) = result {
            warn!(feed = %outcome.feed, %error, "cannot record the poll in the store");
        }
    }
}

/// The claiming thread: drains the queue batch by batch until every
/// [`Writer`](super::Writer) handle is gone, passing claimed posts to the
/// file thread.
pub(super) fn claim_batches(
    mut queue: mpsc::Receiver<Work>,
    store: &Mutex<Store>,
    durable: bool,
    to_files: &SyncSender<ClaimedBatch>,
    metrics: &Metrics,
) {
    while let Some(first) = queue.blocking_recv() {
        let batch = Batch::drain(first, &mut queue);
        // Batches of outcomes only write no post: not a writer batch.
        if !batch.jobs.is_empty() {
            metrics.writer_batch(batch.jobs.len());
        }
        let Some(claimed) = batch.claim(store, durable) else {
            continue;
        };
        if let Err(std::sync::mpsc::SendError(batch)) = to_files.send(claimed) {
            // The file thread is gone (it panicked): the claims stay
            // pending and the next run writes them.
            for (job, _) in batch.posts {
                let _ = job.reply.send(Err(WriteError::Stopped));
            }
        }
    }
}

/// Claims one post inside the batch transaction. The name is checked
/// against the store only; a file a person left there is found when the
/// write refuses to replace it.
fn claim(store: &mut Store, post: &PostToWrite) -> Claim {
    let claimed = (|| {
        let guid = post.guid.as_deref();
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
        // The claim looks its names up first; only a refused one (the
        // article seen under another name) looks again, to record the
        // names it came with.
        if let Some(id) = store.claim(&entry, &file, None, final_state)? {
            return Ok(Some(Claimed { id, file }));
        }
        store.find_seen_and_alias(&post.feed, guid, &post.urls)?;
        debug!(item_url = %post.urls.external(), "canonical URL already seen");
        Ok(None)
    })();
    match claimed {
        Ok(Some(c)) => Claim::Claimed(c),
        Ok(None) => Claim::Seen,
        Err(e) => Claim::Failed(e),
    }
}
