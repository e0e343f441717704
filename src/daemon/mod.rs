//! The daemon: keeps every feed current until told to stop.
//!
//! A pure part and a shell. The pure part is the [`DueQueue`]: every idle
//! feed ordered by its next due time, built from the store at start and on
//! reload (the store persists due times, so a restart neither hammers nor
//! forgets) and updated in memory from each poll's outcome. The shell,
//! [`run`], starts a poll task for every due feed and sleeps until the next
//! is due, a poll finishes, or a [`Signal`] arrives; it reads the time only
//! from the [`Clock`] it is given, so tests run it on paused time.
//!
//! Polls run under a cap on polls in progress and the refresher's
//! `concurrency` and per-host limits. A reload swaps the refresher; polls in
//! flight finish with the config they started with. A stop lets polls in
//! flight finish their current entry, bounded by a grace period, then returns.
//!
//! The loop records a heartbeat in [`Health`] each time round (for
//! `/healthz`) and keeps the feed gauges of [`Metrics`] current.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::clock::Clock;
use crate::config::{Config, ConfigError, FeedConfig};
use crate::metrics::Metrics;
use crate::refresh::{self, PassError, Polled, Refresher, Shared};

pub mod health;
pub mod lateness;
pub mod queue;
pub mod signals;
pub mod systemd;

pub use health::{Health, Liveness};
pub use lateness::{LatenessSummary, LatenessWindow};
pub use queue::DueQueue;

/// How long in-flight polls may take to finish after a stop signal.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
    /// Where the loop records its heartbeat for `/healthz`, if it is
    /// served: the loop then goes round at least every half
    /// [`Health::stuck_after`], even when no feed is due.
    pub health: Option<Arc<Health>>,
}

/// Longest sleep before the schedule is looked at again while feeds wait.
const MAX_IDLE: Duration = Duration::from_secs(60 * 60);

/// The longest a due feed waits for others to come due, so that they are
/// polled together: a daemon with few feeds then wakes a few times a minute
/// rather than once per feed (as systemd's `AccuracySec=` coalesces timers).
/// A feed waits at most a hundredth of its interval, and not at all once
/// enough feeds are due to fill every free poll slot. Polls are only ever
/// delayed, never started early, so `Retry-After`, `max-age` and backoff hold.
pub const MAX_GATHER: Duration = Duration::from_secs(10);

/// How often the daemon logs how late its polls started.
pub const SCHEDULE_REPORT_EVERY: Duration = Duration::from_secs(60);

/// What a poll task yields: when the poll started (Unix milliseconds) and
/// what came of it, or `None` when shutdown came before it started.
type PollTask = Option<(i64, Polled)>;

/// Runs the daemon until [`Signal::Shutdown`] arrives or `signals` closes.
pub async fn run(
    options: DaemonOptions,
    config: Config,
    shared: Shared,
    mut signals: mpsc::Receiver<Signal>,
    notifier: &mut dyn Notifier,
) -> Result<(), PassError> {
    let refresher = Arc::new(Refresher::new(Arc::new(config), &shared)?);
    let recovered = refresh::recover(&refresher).await?;
    if recovered > 0 {
        shared.metrics.posts_written(recovered);
        info!(recovered, "finished posts interrupted by an earlier run");
    }
    let mut daemon = Daemon::start(
        refresher,
        Arc::clone(&shared.clock),
        Arc::clone(&shared.metrics),
    )
    .await?;
    notifier.ready();
    info!(feeds = daemon.feeds.len(), "daemon started");
    let watchdog_every = notifier.watchdog_interval();
    let health = options.health.clone();
    if let Some(health) = &health {
        health.set_watchdog(watchdog_every);
    }
    // One tick pings systemd's watchdog and makes the loop go round (and
    // beat) when nothing else happens: a loop that stops going round stops
    // both, so /healthz says stuck when systemd stops getting pings.
    let beat_every = watchdog_every.or_else(|| health.as_ref().map(|h| h.stuck_after()));
    let mut ticks = tokio::time::interval(beat_every.map_or(MAX_IDLE, |d| d / 2));

    loop {
        if let Some(health) = &health {
            health.stall_point().await;
            health.beat();
        }
        daemon.start_due_polls();
        notifier.status(&daemon.status());
        // No feed waiting, or no room for another poll, means nothing to
        // wake for but a poll's end or a signal: no timer, so a paused test
        // clock never jumps ahead.
        let sleep = daemon.time_until_next_due();
        tokio::select! {
            signal = signals.recv() => match signal {
                Some(Signal::Reload) => daemon.reload(&options, &shared).await,
                Some(Signal::Shutdown) | None => break,
            },
            Some(joined) = daemon.tasks.join_next_with_id(), if !daemon.tasks.is_empty() => {
                daemon.finished(joined);
            }
            () = sleep_or_wait(sleep) => {}
            _ = ticks.tick(), if beat_every.is_some() => {
                if watchdog_every.is_some() {
                    notifier.watchdog();
                }
            }
        }
        daemon.report_schedule();
    }

    info!(in_flight = daemon.running.len(), "stopping");
    notifier.stopping();
    daemon.stop(options.shutdown_grace).await;
    Ok(())
}

/// Sleeps for `duration`, or forever when there is nothing to wait for.
async fn sleep_or_wait(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// The daemon's state between two events.
struct Daemon {
    refresher: Arc<Refresher>,
    clock: Arc<dyn Clock>,
    /// The configured feeds by name.
    feeds: HashMap<String, Arc<FeedConfig>>,
    /// Feeds waiting for their next poll.
    queue: DueQueue,
    /// Feeds being polled: the names in `task_feeds`, as a set, since a
    /// start or a reload asks it of every feed while thousands of polls may
    /// be waiting for a slot.
    running: HashSet<String>,
    tasks: JoinSet<PollTask>,
    /// Which feed each task polls (for tasks that panic) and when it was due.
    task_feeds: HashMap<tokio::task::Id, (String, i64)>,
    written_since_start: usize,
    failures_since_start: usize,
    /// Unix milliseconds the daemon started: feeds due before it (never
    /// polled, or due while it was down) count as due at start.
    started_ms: i64,
    /// How late the polls finished since the last schedule report started.
    lateness: LatenessWindow,
    /// Unix milliseconds of the last schedule report.
    reported_ms: i64,
    metrics: Arc<Metrics>,
    /// Configured feeds whose last poll failed, and disabled ones: kept
    /// from each poll's outcome, read from the store at start and reload.
    in_backoff: HashSet<String>,
    disabled: HashSet<String>,
}

/// What the daemon reads of a feed at start and on reload.
#[derive(Debug, Clone, Copy, Default)]
struct Scheduled {
    next_due: Option<i64>,
    disabled: bool,
    failing: bool,
}

impl Daemon {
    /// The daemon for `refresher`'s config, its queue read from the store.
    async fn start(
        refresher: Arc<Refresher>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Result<Daemon, PassError> {
        let mut daemon = Daemon {
            feeds: HashMap::new(),
            queue: DueQueue::new(),
            running: HashSet::new(),
            tasks: JoinSet::new(),
            task_feeds: HashMap::new(),
            written_since_start: 0,
            failures_since_start: 0,
            started_ms: clock.now().timestamp_millis(),
            lateness: LatenessWindow::default(),
            reported_ms: clock.now().timestamp_millis(),
            metrics,
            in_backoff: HashSet::new(),
            disabled: HashSet::new(),
            refresher,
            clock,
        };
        let schedule = Daemon::read_schedule(&daemon.refresher).await?;
        daemon.load_feeds(&schedule);
        Ok(daemon)
    }

    /// Reads every feed's stored due time and disabled flag: the one store
    /// read of a start or a reload.
    async fn read_schedule(refresher: &Refresher) -> Result<HashMap<String, Scheduled>, PassError> {
        Ok(refresher
            .with_store::<_, PassError, _>(|s| s.schedule_states())
            .await?
            .into_iter()
            .map(|s| {
                let scheduled = Scheduled {
                    next_due: s.next_due,
                    disabled: s.disabled,
                    failing: s.failing,
                };
                (s.name, scheduled)
            })
            .collect())
    }

    /// Takes the feeds from the refresher's config and queues each idle one
    /// at the due time it has in memory, else the one `schedule` holds for
    /// it (now, if never polled); disabled feeds and feeds no longer
    /// configured leave the queue.
    fn load_feeds(&mut self, schedule: &HashMap<String, Scheduled>) {
        self.feeds = self
            .refresher
            .config
            .feeds
            .iter()
            .map(|f| (f.name.clone(), Arc::new(f.clone())))
            .collect();
        let mut queue = DueQueue::new();
        self.in_backoff.clear();
        self.disabled.clear();
        for name in self.feeds.keys() {
            let stored = schedule.get(name).copied().unwrap_or_default();
            if stored.disabled {
                self.disabled.insert(name.clone());
            } else if stored.failing {
                self.in_backoff.insert(name.clone());
            }
            if stored.disabled || self.running.contains(name) {
                continue;
            }
            let due = self.queue.due(name).or(stored.next_due).unwrap_or(0);
            queue.set(name, due);
        }
        self.queue = queue;
        self.update_feed_gauges();
    }

    /// Sets the metrics' feeds in backoff and disabled.
    fn update_feed_gauges(&self) {
        self.metrics
            .feeds(self.in_backoff.len(), self.disabled.len());
    }

    /// Notes whether `name`'s last poll failed or disabled it.
    fn note_health(&mut self, name: &str, failed: bool, disabled: bool) {
        if !self.feeds.contains_key(name) {
            return; // removed by a reload while it was polled
        }
        if disabled {
            self.in_backoff.remove(name);
            self.disabled.insert(name.to_string());
        } else if failed {
            self.in_backoff.insert(name.to_string());
        } else {
            self.in_backoff.remove(name);
        }
        self.update_feed_gauges();
    }

    /// Starts a poll task for every feed due now, as long as fewer than
    /// [`Refresher::polls_in_progress`] run: the others stay queued (a task
    /// per waiting feed would hold a poll's whole state in memory, for
    /// 100,000 feeds due at a first start) and start as polls finish.
    fn start_due_polls(&mut self) {
        let now_ms = self.clock.now().timestamp_millis();
        if self.start_at_ms().is_none_or(|at| at > now_ms) {
            return;
        }
        let now = now_ms.div_euclid(1000);
        let mut started = 0;
        while self.running.len() < self.refresher.polls_in_progress()
            && let Some((due, name)) = self.queue.pop_due(now)
        {
            let Some(feed) = self.feeds.get(&name).cloned() else {
                continue;
            };
            self.running.insert(name.clone());
            started += 1;
            let refresher = Arc::clone(&self.refresher);
            let clock = Arc::clone(&self.clock);
            let handle = self.tasks.spawn(async move {
                // Shutdown came before the task ran: give up before starting.
                if refresher.is_stopping() {
                    return None;
                }
                let started_ms = clock.now().timestamp_millis();
                Some((started_ms, refresher.poll_feed(&feed).await))
            });
            self.task_feeds.insert(handle.id(), (name, due));
        }
        debug!(
            started,
            running = self.running.len(),
            sleep_ms = self
                .time_until_next_due()
                .map_or(u64::MAX, |d| d.as_millis() as u64),
            "scheduled"
        );
    }

    /// When (Unix milliseconds) the next polls start: when the soonest
    /// queued feed is due, plus the time it waits for others to gather (see
    /// [`MAX_GATHER`]), unless enough are due by then to fill the free poll
    /// slots. `None` when none is queued or no slot is free.
    fn start_at_ms(&self) -> Option<i64> {
        let free = self
            .refresher
            .polls_in_progress()
            .checked_sub(self.running.len())
            .filter(|&free| free > 0)?;
        let (due, feed) = self.queue.first()?;
        let due_ms = due.saturating_mul(1000);
        let interval = self.feeds.get(feed).map_or(Duration::ZERO, |f| f.interval);
        let gather = (interval / 100).min(MAX_GATHER);
        let gathered_ms = due_ms.saturating_add(i64::try_from(gather.as_millis()).unwrap_or(0));
        let slots_filled_ms = self
            .queue
            .nth_due(free - 1)
            .map_or(i64::MAX, |due| due.saturating_mul(1000));
        Some(gathered_ms.min(slots_filled_ms).max(due_ms))
    }

    /// How long until the next polls start (see [`Daemon::start_at_ms`]);
    /// `None` when none is queued or no more polls may start until one
    /// finishes.
    fn time_until_next_due(&self) -> Option<Duration> {
        let ms = self
            .start_at_ms()?
            .saturating_sub(self.clock.now().timestamp_millis());
        Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(MAX_IDLE))
    }

    /// Takes a finished poll task's result and queues its feed again at the
    /// due time the poll computed (kept in memory even when storing it failed).
    fn finished(&mut self, joined: Result<(tokio::task::Id, PollTask), tokio::task::JoinError>) {
        let id = joined.as_ref().map_or_else(|e| e.id(), |(id, _)| *id);
        let (name, due) = self.task_feeds.remove(&id).unwrap_or_default();
        self.running.remove(&name);
        let now = self.clock.now().timestamp();
        let next_due = match joined {
            Ok((_, Some((started_ms, polled)))) => {
                let due_ms = due.saturating_mul(1000).max(self.started_ms);
                self.lateness.record(started_ms.saturating_sub(due_ms));
                match &polled.report {
                    Ok(report) => self.written_since_start += report.written,
                    Err(_) => self.failures_since_start += 1,
                }
                self.note_health(&name, polled.report.is_err(), polled.disabled);
                if polled.disabled {
                    return;
                }
                polled.next_due
            }
            Ok((_, None)) => None,
            Err(e) => {
                // A panic in a poll is a bug; the feed is retried after its interval.
                error!(feed = %name, error = %e, "a poll task failed");
                self.failures_since_start += 1;
                self.note_health(&name, true, false);
                None
            }
        };
        let Some(feed) = self.feeds.get(&name) else {
            return; // removed by a reload while it was polled
        };
        // A poll that asked to come back at once (shutdown cut it short) or
        // never ran waits an interval, so nothing is polled in a loop.
        let interval = i64::try_from(feed.interval.as_secs()).unwrap_or(i64::MAX);
        let due = next_due
            .filter(|&due| due > now)
            .unwrap_or_else(|| now.saturating_add(interval.max(1)));
        self.queue.set(&name, due);
    }

    /// Re-reads the config and the schedule; on any error the running
    /// config and schedule stay, whole.
    async fn reload(&mut self, options: &DaemonOptions, shared: &Shared) {
        // Parsing a config of 100,000 feeds takes a second: off the thread
        // that runs the polls.
        let path = options.config_path.clone();
        let loaded = match refresh::run_blocking(move || Config::load(&path)).await {
            Ok(loaded) => loaded,
            Err(e) => {
                error!(error = %e, "reload refused; keeping the running configuration");
                return;
            }
        };
        let Some(refresher) = reload(loaded, &self.refresher, shared) else {
            return;
        };
        let schedule = match Daemon::read_schedule(&refresher).await {
            Ok(schedule) => schedule,
            Err(e) => {
                error!(error = %e, "reload refused: cannot read the feeds' schedule; keeping the running configuration");
                return;
            }
        };
        info!(
            feeds = refresher.config.feeds.len(),
            "configuration reloaded"
        );
        self.refresher = Arc::new(refresher);
        self.load_feeds(&schedule);
    }

    /// Logs how late the polls of the last [`SCHEDULE_REPORT_EVERY`]
    /// started, once that much time has passed since the last report.
    fn report_schedule(&mut self) {
        let now_ms = self.clock.now().timestamp_millis();
        let every_ms = i64::try_from(SCHEDULE_REPORT_EVERY.as_millis()).unwrap_or(i64::MAX);
        if now_ms.saturating_sub(self.reported_ms) < every_ms {
            return;
        }
        let window_s = (now_ms - self.reported_ms) as f64 / 1000.0;
        self.reported_ms = now_ms;
        if let Some(late) = self.lateness.take() {
            info!(
                polls = late.polls,
                window_s,
                late_median_ms = late.median_ms,
                late_p99_ms = late.p99_ms,
                late_max_ms = late.max_ms,
                queued = self.queue.len(),
                running = self.running.len(),
                "schedule"
            );
        }
    }

    /// The one-line status systemd shows.
    fn status(&self) -> String {
        format!(
            "{} feeds, {} polling, {} posts written and {} failed polls since start",
            self.feeds.len(),
            self.running.len(),
            self.written_since_start,
            self.failures_since_start
        )
    }

    /// Stops polls in flight before their next entry and waits for them
    /// and for the writer to record their outcomes, `grace` in all, then
    /// gives queued notifications [`DEFAULT_GRACE`](crate::notify::DEFAULT_GRACE). What is
    /// abandoned is safe: claims are durable, and the next run finishes them.
    async fn stop(mut self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        let refresher = Arc::clone(&self.refresher);
        self.refresher.stop();
        let tasks = &mut self.tasks;
        let drained = tokio::time::timeout_at(deadline, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                grace_s = grace.as_secs(),
                "polls still running after the grace period; abandoning them"
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        match tokio::time::timeout_at(deadline, refresher.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "the last polls' outcomes may not be recorded"),
            Err(_) => warn!(
                "the writer was still busy after the grace period; the next run finishes its posts"
            ),
        }
        // Notifications of the last polls get their own short grace.
        refresher
            .notifications()
            .finish(crate::notify::DEFAULT_GRACE)
            .await;
        info!(posts_written = self.written_since_start, "stopped");
    }
}

/// The refresher for a re-read config; `None` (after logging why) keeps the
/// old one.
fn reload(
    loaded: Result<Config, ConfigError>,
    current: &Refresher,
    shared: &Shared,
) -> Option<Refresher> {
    let config = match loaded {
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
    match Refresher::new(Arc::new(config), shared) {
        Ok(refresher) => Some(refresher),
        Err(e) => {
            error!(error = %e, "reload refused; keeping the running configuration");
            None
        }
    }
}
