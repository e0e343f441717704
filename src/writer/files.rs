//! Stage two of the writer: put a claimed batch's files in place under their
//! reserved names, make them durable with one sync, mark them written.
//! A name a person took meanwhile moves the claim to the next free one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::info;

use super::{ClaimedBatch, WriteError, Written, lock_shared};
use crate::extract::SummarySource;
use crate::metrics::Metrics;
use crate::output::{self, OutputError};
use crate::post::file_name;
use crate::store::{Store, StoreError};

/// Attempts at a free file name before a write gives up until the next run.
const MAX_NAME_RETRIES: usize = 100;

/// Stage two: writes a claimed batch's files, syncs them, marks them
/// written, and answers. The store is locked only to mark (and to rename a
/// post whose name a person took), so claims and polls go on meanwhile.
/// Counts the posts written and recorded in `metrics`, before answering.
pub(super) fn write_claimed(
    store: &Mutex<Store>,
    dir: &Path,
    durable: bool,
    batch: ClaimedBatch,
    metrics: &Metrics,
) {
    let mut results: Vec<Result<Written, WriteError>> = Vec::with_capacity(batch.posts.len());
    let mut written: Vec<(usize, i64, PathBuf)> = Vec::new();
    for (i, (job, c)) in batch.posts.iter().enumerate() {
        let placed = place_file(dir, &c.file, &job.post.content, false, &mut |base| {
            rename_claim(&mut lock_shared(store), dir, c.id, base)
        });
        match placed {
            Ok(path) => {
                let file = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                written.push((i, c.id, path));
                results.push(Ok(Written::New { file }));
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
            lock_shared(store)
                .mark_written_many(&ids, now, done)
                .map_err(WriteError::from)
        });
        match marked {
            Ok(()) => {
                metrics.posts_written(written.len());
                for (i, _, path) in &written {
                    let post = &batch.posts[*i].0.post;
                    info!(
                        feed = %post.feed,
                        path = %path.display(),
                        item_url = %post.urls.external(),
                        summary_source = %post.source.as_ref().map_or("none".into(), SummarySource::name),
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

/// Puts a claimed post's file in place under its reserved name.
///
/// If the name holds a file already, it is ours when its content is the
/// post (a crash came after the write), or a prefix of it (a power loss cut
/// the write short; it is replaced). Otherwise a person put it there, and the
/// post moves to the name `next_name` picks and records.
pub(super) fn place_file(
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
pub(super) fn rename_claim(
    store: &mut Store,
    dir: &Path,
    id: i64,
    base: &str,
) -> Result<String, StoreError> {
    let file = free_name(store, Some(dir), base)?;
    store.set_file(id, &file)?;
    Ok(file)
}

/// The first of `base`, `base-2`, `base-3`… that no entry reserves and,
/// when `dir` is given, no file occupies.
pub(super) fn free_name(
    store: &Store,
    dir: Option<&Path>,
    base: &str,
) -> Result<String, StoreError> {
    let mut name = base.to_string();
    let mut attempt = 2;
    while store.is_file_reserved(&name)? || dir.is_some_and(|d| d.join(&name).exists()) {
        name = file_name::alternative_name(base, attempt);
        attempt += 1;
    }
    Ok(name)
}
