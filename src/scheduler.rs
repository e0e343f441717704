//! The daemon: keeps every feed current until told to stop.
//!
//! One loop owns the schedule. Each turn it reads when each feed is next due
//! (the store persists it, so a restart neither hammers nor forgets), starts a
//! poll task for every due feed that is not already running, and sleeps until
//! the next feed is due, a poll finishes, or a [`Signal`] arrives. Polls run
//! under a global [`tokio::sync::Semaphore`] (`concurrency`) and the pipeline's
//! per-host limit. A reload swaps the pipeline; polls in flight finish with the
//! config they started with. A stop lets polls in flight finish their current
//! entry, bounded by a grace period, then returns.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::pipeline::{self, FeedError, FeedReport, PassError, Pipeline};
use crate::store::{ScheduleState, Store};

/// How long in-flight polls may take to finish after a stop signal.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Longest sleep between two looks at the schedule.
const MAX_IDLE: Duration = Duration::from_secs(60 * 60);

/// What the daemon is told from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Re-read the configuration (SIGHUP).
    Reload,
    /// Stop cleanly (SIGTERM, SIGINT).
    Shutdown,
}

/// Receives the daemon's state changes, e.g. for systemd's `sd_notify`.
pub trait Notifier: Send {
    /// The store is open, the config valid, polling starts.
    fn ready(&mut self) {}
    /// A one-line summary of what the daemon is doing.
    fn status(&mut self, _status: &str) {}
    /// The loop is alive.
    fn watchdog(&mut self) {}
    /// Shutting down.
    fn stopping(&mut self) {}
    /// How often [`Notifier::watchdog`] must be called, if at all.
    fn watchdog_interval(&self) -> Option<Duration> {
        None
    }
}

/// A notifier that does nothing.
pub struct NoNotifier;

impl Notifier for NoNotifier {}

/// Daemon settings that are not in the config file.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The config file, re-read on [`Signal::Reload`].
    pub config_path: PathBuf,
    /// Time in-flight polls get to finish after [`Signal::Shutdown`].
    pub shutdown_grace: Duration,
}

/// Runs the daemon until [`Signal::Shutdown`] arrives or `signals` closes.
pub async fn run(
    options: DaemonOptions,
    config: Config,
    store: Store,
    mut signals: mpsc::Receiver<Signal>,
    notifier: &mut dyn Notifier,
) -> Result<(), PassError> {
    let store = Arc::new(Mutex::new(store));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut pipeline = Arc::new(build_pipeline(config, &store, &stop)?);
    let recovered = pipeline::recover(&pipeline).await?;
    if recovered > 0 {
        info!(recovered, "finished posts interrupted by an earlier run");
    }
    let mut limit = Arc::new(Semaphore::new(pipeline::polls_in_progress(
        &pipeline.config,
    )));
    // A poll task yields its report, or `None` when shutdown came first.
    let mut tasks: JoinSet<Option<Result<FeedReport, FeedError>>> = JoinSet::new();
    let mut running: HashSet<String> = HashSet::new();
    // Which feed each task polls, also for tasks that panic.
    let mut task_feeds: HashMap<tokio::task::Id, String> = HashMap::new();
    // When each feed's last poll finished: a guard against polling again at
    // once if its result could not be stored.
    let mut finished_at: HashMap<String, i64> = HashMap::new();
    let mut written_since_start = 0usize;
    let mut failures_since_start = 0usize;

    notifier.ready();
    info!(feeds = pipeline.config.feeds.len(), "daemon started");
    let watchdog_every = notifier.watchdog_interval();
    let mut watchdog = tokio::time::interval(watchdog_every.map_or(MAX_IDLE, |d| d / 2));

    loop {
        let states: HashMap<String, ScheduleState> = pipeline
            .with_store(|s| s.schedule_states())
            .await
            .map_err(PassError::from)?
            .into_iter()
            .map(|state| (state.name.clone(), state))
            .collect();
        let now = Utc::now().timestamp();
        let mut next_due: Option<i64> = None;
        let mut started = 0;
        for feed in &pipeline.config.feeds {
            if running.contains(&feed.name) {
                continue;
            }
            let (due, disabled) = states
                .get(&feed.name)
                .map_or((None, false), |s| (s.next_due, s.disabled));
            if disabled {
                continue;
            }
            let mut due = due.unwrap_or(0);
            if let Some(&done) = finished_at.get(&feed.name)
                && due <= done
            {
                let interval = i64::try_from(feed.interval.as_secs()).unwrap_or(i64::MAX);
                due = done.saturating_add(interval.max(1));
            }
            if due > now {
                next_due = Some(next_due.map_or(due, |n: i64| n.min(due)));
                continue;
            }
            running.insert(feed.name.clone());
            started += 1;
            let pipeline = Arc::clone(&pipeline);
            let limit = Arc::clone(&limit);
            let feed = feed.clone();
            let name = feed.name.clone();
            let handle = tasks.spawn(async move {
                // A closed semaphore means shutdown: give up before starting.
                let _permit = limit.acquire_owned().await.ok()?;
                Some(pipeline::poll_feed(&pipeline, &feed, Utc::now()).await)
            });
            task_feeds.insert(handle.id(), name);
        }
        let status = format!(
            "{} feeds, {} polling, {} posts written and {} failed polls since start",
            pipeline.config.feeds.len(),
            running.len(),
            written_since_start,
            failures_since_start
        );
        notifier.status(&status);
        let sleep_for = next_due.map_or(MAX_IDLE, |due| {
            let ms = due
                .saturating_mul(1000)
                .saturating_sub(Utc::now().timestamp_millis());
            Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(MAX_IDLE)
        });
        debug!(
            started,
            running = running.len(),
            sleep_ms = sleep_for.as_millis() as u64,
            "scheduled"
        );

        tokio::select! {
            signal = signals.recv() => match signal {
                Some(Signal::Reload) => {
                    if let Some(new) = reload(&options, &pipeline, &store, &stop) {
                        if new.config.concurrency != pipeline.config.concurrency {
                            limit = Arc::new(Semaphore::new(pipeline::polls_in_progress(&new.config)));
                        }
                        pipeline = Arc::new(new);
                    }
                }
                Some(Signal::Shutdown) | None => break,
            },
            Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let id = joined.as_ref().map_or_else(|e| e.id(), |(id, _)| *id);
                let name = task_feeds.remove(&id).unwrap_or_default();
                match joined {
                    Ok((_, Some(Ok(report)))) => written_since_start += report.written,
                    Ok((_, Some(Err(_)))) => failures_since_start += 1,
                    Ok((_, None)) => {}
                    Err(e) => {
                        // A panic in a poll is a bug; the feed is retried after its interval.
                        error!(feed = %name, error = %e, "a poll task failed");
                        failures_since_start += 1;
                    }
                }
                running.remove(&name);
                finished_at.insert(name, Utc::now().timestamp());
            }
            _ = tokio::time::sleep(sleep_for) => {}
            _ = watchdog.tick(), if watchdog_every.is_some() => notifier.watchdog(),
        }
    }

    info!(in_flight = running.len(), "stopping");
    notifier.stopping();
    pipeline.stop();
    limit.close();
    let drained = tokio::time::timeout(options.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(
            grace_s = options.shutdown_grace.as_secs(),
            "polls still running after the grace period; abandoning them"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    info!(posts_written = written_since_start, "stopped");
    Ok(())
}

fn build_pipeline(
    config: Config,
    store: &Arc<Mutex<Store>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Result<Pipeline, PassError> {
    Pipeline::with_shared_store(Arc::new(config), Arc::clone(store), Arc::clone(stop))
        .map_err(|e| PassError::Task(format!("cannot build the HTTP client: {e}")))
}

/// Re-reads the config; `None` (after logging why) keeps the old one.
fn reload(
    options: &DaemonOptions,
    current: &Pipeline,
    store: &Arc<Mutex<Store>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Option<Pipeline> {
    let config = match Config::load(&options.config_path) {
        Ok(config) => config,
        Err(e) => {
            error!(error = %e, "reload refused; keeping the running configuration");
            return None;
        }
    };
    for warning in &config.warnings {
        warn!("{warning}");
    }
    if config.database != current.config.database {
        warn!(
            path = %config.database.display(),
            "a new database path takes effect on restart; the open database stays in use"
        );
    }
    let feeds = config.feeds.len();
    match build_pipeline(config, store, stop) {
        Ok(pipeline) => {
            info!(feeds, "configuration reloaded");
            Some(pipeline)
        }
        Err(e) => {
            error!(error = %e, "reload refused; keeping the running configuration");
            None
        }
    }
}
