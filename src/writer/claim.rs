//! Stage one of the writer: drain the queue into a [`Batch`], record its poll
//! outcomes and claim its posts in one store transaction, answer whatever is
//! settled there, and pass the claimed posts on to be written.

use std::sync::Mutex;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

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
#[derive(Default)]
pub(super) struct Batch {
    records: Vec<PollOutcome>,
    jobs: Vec<Job>,
    /// Answered once the batch is committed (or failed): recorded
    /// outcomes and flushes.
    flushes: Vec<oneshot::Sender<()>>,
    /// Posts and outcomes taken, against [`MAX_BATCH`].
    taken: usize,
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
        let mut batch = Batch::default();
        batch.take(first);
        batch.fill(queue);
        batch
    }

    /// Adds what has queued up since, until [`MAX_BATCH`] are taken.
    fn fill(&mut self, queue: &mut mpsc::Receiver<Work>) {
        while self.taken < MAX_BATCH
            && let Ok(work) = queue.try_recv()
        {
            self.take(work);
        }
    }

    fn take(&mut self, work: Work) {
        match work {
            Work::Posts(jobs) => {
                self.taken += jobs.len();
                self.jobs.extend(jobs);
            }
            Work::Record(outcome, reply) => {
                self.taken += 1;
                self.records.push(outcome);
                self.flushes.push(reply);
            }
            Work::Flush(reply) => self.flushes.push(reply),
        }
    }

    /// Whether the batch waits [`GATHER`] for more posts: it has posts, and
    /// room for more.
    fn gathers(&self) -> bool {
        !self.jobs.is_empty() && self.taken < MAX_BATCH
    }

    /// Records the outcomes and claims the posts in one transaction (synced
    /// when it claims and `durable`), answers every post that needs no file
    /// and every flush, and returns the claimed posts, if any.
    fn claim(self, store: &Mutex<Store>, durable: bool) -> Option<ClaimedBatch> {
        let Batch {
            records,
            jobs,
            flushes,
            ..
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

/// How long a batch with posts waits for other polls' posts to join it
/// before it is claimed (group commit). A commit writes every page its
/// claims changed, and dedupe keys are hashes spread over the whole key
/// index, so a commit of a few posts rewrites nearly as many pages as one
/// of hundreds: a cold poll of 2,000 feeds committed ~150 posts at a time
/// and wrote its 13 MB store ~25 times over to the WAL. Waiting 10 ms, a
/// delay no reader of a draft notices, cut that poll's CPU by a tenth
/// (`bench/RESULTS.md`). Outcomes alone do not wait: a poll answered 304
/// is done as soon as its outcome is committed.
const GATHER: Duration = Duration::from_millis(10);

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
        let mut batch = Batch::drain(first, &mut queue);
        if batch.gathers() {
            std::thread::sleep(GATHER);
            batch.fill(&mut queue);
        }
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

#[cfg(test)]
mod tests {
    use tokio::sync::{mpsc, oneshot};

    use super::{Batch, MAX_BATCH};
    use crate::canon::PostUrls;
    use crate::store::PollOutcome;
    use crate::writer::{Job, PostToWrite, Work};

    fn posts(feed: &str, count: usize) -> Work {
        let jobs = (0..count)
            .map(|i| {
                let url = url::Url::parse(&format!("https://e.com/{feed}/{i}")).expect("url");
                Job {
                    post: PostToWrite {
                        feed: feed.into(),
                        guid: None,
                        urls: PostUrls::new(&url),
                        title: format!("{i}"),
                        draft: true,
                        content: String::new(),
                        file_name: format!("2026-12-05-{feed}-{i}.md"),
                        source: None,
                        now: 1,
                    },
                    reply: oneshot::channel().0,
                }
            })
            .collect();
        Work::Posts(jobs)
    }

    #[test]
    fn a_batch_takes_what_queued_up_to_its_cap_and_only_posts_wait_for_more() {
        let (queue, mut queued) = mpsc::channel(8);
        // A flush or an outcome alone is committed at once.
        let batch = Batch::drain(Work::Flush(oneshot::channel().0), &mut queued);
        assert!(!batch.gathers(), "nothing to claim: no wait");
        let outcome = PollOutcome {
            feed: "a".into(),
            url: "https://e.com/a.xml".into(),
            polled_at: 1,
            next_due: 2,
            status: "304".into(),
            error: None,
            validators: None,
            disable: false,
            complete: true,
            moved_to: None,
            failing_notified: false,
        };
        let batch = Batch::drain(Work::Record(outcome, oneshot::channel().0), &mut queued);
        assert!(!batch.gathers(), "an outcome alone: no wait");

        // Posts with room left wait, and take what came meanwhile.
        queue.try_send(posts("b", 300)).expect("queued");
        let mut batch = Batch::drain(posts("a", 1), &mut queued);
        assert_eq!(batch.jobs.len(), 301);
        assert!(batch.gathers(), "room for more posts: it waits");
        queue.try_send(posts("c", 300)).expect("queued");
        queue.try_send(posts("d", 5)).expect("queued");
        batch.fill(&mut queued);
        // A feed's posts are never split, so the cap is passed by one feed's.
        assert_eq!(batch.jobs.len(), 601);
        assert!(batch.taken >= MAX_BATCH);
        assert!(!batch.gathers(), "full: it is claimed now");
        assert!(
            matches!(queued.try_recv(), Ok(Work::Posts(jobs)) if jobs.len() == 5),
            "the rest waits for the next batch"
        );
    }
}
