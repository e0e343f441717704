//! A pass: `linkpost poll`'s one round over every feed, after finishing
//! what an interrupted run left, with at most `polls_in_progress` at once.

use std::collections::HashSet;
use std::sync::Arc;

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
    // Feeds are started as earlier ones finish: a task waiting for its turn
    // would hold a whole poll's state, for each of 100,000 feeds.
    let config = Arc::clone(&refresher.config);
    let mut waiting = config.feeds.iter().filter(|feed| {
        let skip = disabled.contains(&feed.name);
        if skip {
            warn!(feed = %feed.name, "feed is disabled (the server said 410 Gone); remove it or reset it to poll again");
        }
        !skip
    });
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() < refresher.polls_in_progress()
            && let Some(feed) = waiting.next()
        {
            let (refresher, feed) = (Arc::clone(&refresher), Arc::new(feed.clone()));
            tasks.spawn(async move { refresher.poll_feed(&feed).await });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
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
