//! A pass: `linkpost poll`'s one round over every feed, after finishing
//! what an interrupted run left, with at most `polls_in_progress` at once.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::warn;

use super::report::{PassError, PassReport};
use super::{Refresher, run_blocking};
use crate::store::lock_shared;

/// One pass: finish interrupted writes, then poll every feed once.
pub async fn poll_all(refresher: Arc<Refresher>) -> Result<PassReport, PassError> {
    let recovered = recover(&refresher).await?;
    let mut report = PassReport {
        recovered,
        posts_written: recovered,
        ..PassReport::default()
    };
    let disabled: HashSet<String> = refresher
        .with_store::<_, PassError, _>(|s| s.schedule_states())
        .await?
        .into_iter()
        .filter(|s| s.disabled)
        .map(|s| s.name)
        .collect();
    let limit = Arc::new(Semaphore::new(refresher.polls_in_progress()));
    let mut tasks = JoinSet::new();
    for feed in refresher.config.feeds.clone() {
        if disabled.contains(&feed.name) {
            warn!(feed = %feed.name, "feed is disabled (the server said 410 Gone); remove it or reset it to poll again");
            continue;
        }
        let (refresher, limit, feed) = (Arc::clone(&refresher), Arc::clone(&limit), Arc::new(feed));
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            refresher.poll_feed(&feed).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(polled) => match polled.report {
                Ok(feed_report) => {
                    report.feeds_ok += 1;
                    report.posts_written += feed_report.written;
                }
                Err(_) => report.feeds_failed += 1,
            },
            Err(e) => {
                warn!(error = %e, "feed task failed");
                report.feeds_failed += 1;
            }
        }
    }
    refresher.flush().await?;
    Ok(report)
}

/// Clears stale temporary files and finishes the posts a crash interrupted;
/// returns how many were finished.
pub async fn recover(refresher: &Refresher) -> Result<usize, PassError> {
    let dir = refresher.config.output_dir.clone();
    let now = refresher.clock.now().timestamp();
    let store = Arc::clone(&refresher.store);
    let recovered =
        run_blocking(move || crate::writer::recover(&mut lock_shared(&store), &dir, now)).await??;
    Ok(recovered)
}
