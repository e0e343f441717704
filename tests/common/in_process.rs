//! The daemon in this process, on paused time: a scripted server stands in
//! for the network (answers pass through linkpost's own status and header
//! handling), a [`PausedClock`] follows tokio's clock, and a notifier
//! reports the daemon's status lines, so a test waits for "idle" instead of
//! sleeping. Under `tokio::time::pause()` time only moves when every task
//! waits on a timer, so a schedule of hours runs in milliseconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::mpsc;
use url::Url;

use linkpost::clock::{Clock, PausedClock};
use linkpost::config::HttpLimits;
use linkpost::daemon::{self, DaemonOptions, Health, Notifier, Signal};
use linkpost::fetch::{
    self, BoxFuture, Fetch, FetchError, FetchOutcome, Reach, StatusMeaning, Validators,
};
use linkpost::metrics::Metrics;
use linkpost::refresh::{PassError, Shared};
use linkpost::store::Store;

/// A scripted answer: status, headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn rss(body: String) -> Answer {
        Answer {
            status: 200,
            headers: vec![("content-type", "application/rss+xml".to_string())],
            body,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Answer {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// One request the scripted server saw, at the daemon's time.
#[derive(Debug, Clone)]
pub struct ScriptedHit {
    pub path: String,
    pub at: DateTime<Utc>,
}

type Script = dyn Fn(&Url, usize) -> Answer + Send + Sync;

/// Answers requests by a script: `(url, n)`, n counting from 1 per path.
pub struct ScriptedServer {
    script: Box<Script>,
    clock: Arc<PausedClock>,
    hits: Mutex<Vec<ScriptedHit>>,
    seen: mpsc::UnboundedSender<ScriptedHit>,
}

impl ScriptedServer {
    pub fn new(
        clock: Arc<PausedClock>,
        script: impl Fn(&Url, usize) -> Answer + Send + Sync + 'static,
    ) -> (Arc<ScriptedServer>, mpsc::UnboundedReceiver<ScriptedHit>) {
        let (seen, hits_rx) = mpsc::unbounded_channel();
        let server = ScriptedServer {
            script: Box::new(script),
            clock,
            hits: Mutex::new(Vec::new()),
            seen,
        };
        (Arc::new(server), hits_rx)
    }

    /// How many requests it has answered.
    #[allow(dead_code)] // used by some test binaries only
    pub fn hit_count(&self) -> usize {
        self.hits.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The requests to `path` so far.
    pub fn hits_to(&self, path: &str) -> Vec<ScriptedHit> {
        let hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        hits.iter().filter(|h| h.path == path).cloned().collect()
    }

    fn answer(&self, url: &Url) -> Result<FetchOutcome, FetchError> {
        let hit = ScriptedHit {
            path: url.path().to_string(),
            at: self.clock.now(),
        };
        let n = {
            let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
            hits.push(hit.clone());
            hits.iter().filter(|h| h.path == hit.path).count()
        };
        let _ = self.seen.send(hit);
        let answer = (self.script)(url, n);
        let mut headers = HeaderMap::new();
        for (name, value) in &answer.headers {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        let now = SystemTime::from(self.clock.now());
        match fetch::check_status(url, answer.status, &headers, now)? {
            StatusMeaning::NotModified => Ok(FetchOutcome::NotModified),
            StatusMeaning::Body => Ok(FetchOutcome::Fetched(Box::new(fetch::headers::fetched(
                answer.body.into_bytes(),
                url.clone(),
                &headers,
                None,
            )))),
        }
    }
}

impl Fetch for ScriptedServer {
    fn fetch<'a>(
        &'a self,
        url: &'a Url,
        _limits: &'a HttpLimits,
        _validators: Option<&'a Validators>,
        _reach: Reach,
    ) -> BoxFuture<'a, Result<FetchOutcome, FetchError>> {
        Box::pin(async move { self.answer(url) })
    }
}

/// Sends each status line the daemon reports.
struct StatusNotifier(mpsc::UnboundedSender<String>);

impl Notifier for StatusNotifier {
    fn status(&mut self, status: &str) {
        let _ = self.0.send(status.to_string());
    }
}

/// A daemon running in this process.
pub struct InProcessDaemon {
    store: Arc<Mutex<Store>>,
    signals: mpsc::Sender<Signal>,
    statuses: mpsc::UnboundedReceiver<String>,
    task: tokio::task::JoinHandle<Result<(), PassError>>,
    /// Most polls running at once in any status line read so far.
    most_polling: usize,
    metrics: Arc<Metrics>,
}

impl InProcessDaemon {
    /// Starts `linkpost run` on `config_path`, fetching from `server` on `clock`.
    pub fn start(
        config_path: &std::path::Path,
        clock: Arc<PausedClock>,
        server: Arc<ScriptedServer>,
    ) -> InProcessDaemon {
        InProcessDaemon::start_with(config_path, clock, server, None, None)
    }

    /// As [`InProcessDaemon::start`], sending notifications through
    /// `deliver` (over HTTP when `None`).
    #[allow(dead_code)] // used by some test binaries only
    pub fn start_with_deliver(
        config_path: &std::path::Path,
        clock: Arc<PausedClock>,
        server: Arc<ScriptedServer>,
        deliver: Option<Arc<dyn linkpost::notify::Deliver>>,
    ) -> InProcessDaemon {
        InProcessDaemon::start_with(config_path, clock, server, deliver, None)
    }

    /// [`InProcessDaemon::start`], the loop recording its heartbeat in `health`.
    #[allow(dead_code)] // used by some test binaries only
    pub fn start_with_health(
        config_path: &std::path::Path,
        clock: Arc<PausedClock>,
        server: Arc<ScriptedServer>,
        health: Option<Arc<Health>>,
    ) -> InProcessDaemon {
        InProcessDaemon::start_with(config_path, clock, server, None, health)
    }

    /// [`InProcessDaemon::start`] with a notification sender and a heartbeat.
    pub fn start_with(
        config_path: &std::path::Path,
        clock: Arc<PausedClock>,
        server: Arc<ScriptedServer>,
        deliver: Option<Arc<dyn linkpost::notify::Deliver>>,
        health: Option<Arc<Health>>,
    ) -> InProcessDaemon {
        let config = linkpost::config::Config::load(config_path).expect("valid config");
        let store = Store::open(&config.database).expect("open store");
        let shared = Shared {
            fetcher: Some(server),
            clock,
            deliver,
            ..Shared::new(store)
        };
        let store = Arc::clone(&shared.store);
        let metrics = Arc::clone(&shared.metrics);
        let (signals, signals_rx) = mpsc::channel(8);
        let (status_tx, statuses) = mpsc::unbounded_channel();
        let options = DaemonOptions {
            config_path: config_path.to_path_buf(),
            shutdown_grace: Duration::from_secs(10),
            health,
        };
        let task = tokio::spawn(async move {
            let mut notifier = StatusNotifier(status_tx);
            daemon::run(options, config, shared, signals_rx, &mut notifier).await
        });
        InProcessDaemon {
            store,
            signals,
            statuses,
            task,
            most_polling: 0,
            metrics,
        }
    }

    /// What the daemon counts, for `/metrics`.
    #[allow(dead_code)] // used by some test binaries only
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Drops the status lines reported so far: the next one read comes
    /// from a later time round the loop.
    #[allow(dead_code)] // used by some test binaries only
    pub fn skip_statuses(&mut self) {
        while self.statuses.try_recv().is_ok() {}
    }

    /// The next status line, noting how many polls it says are running.
    async fn status(&mut self) -> Option<String> {
        let status = self.statuses.recv().await?;
        let polling = status
            .split(", ")
            .find_map(|part| part.strip_suffix(" polling"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        self.most_polling = self.most_polling.max(polling);
        Some(status)
    }

    /// Most polls running at once in any status line read so far.
    #[allow(dead_code)] // used by some test binaries only
    pub fn most_polling(&self) -> usize {
        self.most_polling
    }

    /// Waits until a poll that was started has ended: a status with polls
    /// running, then one with none (an earlier idle status is stale).
    pub async fn poll_done(&mut self) {
        while let Some(status) = self.status().await {
            if !status.contains(" 0 polling") {
                return self.idle().await;
            }
        }
        panic!("the daemon ended before a poll ended");
    }

    /// Waits until no poll is running (the status says "0 polling").
    pub async fn idle(&mut self) {
        while let Some(status) = self.status().await {
            if status.contains(" 0 polling") {
                return;
            }
        }
        panic!("the daemon ended before it was idle");
    }

    /// Rows of the `feeds` table the daemon's store has read so far.
    #[allow(dead_code)] // used by some test binaries only
    pub fn feed_rows_read(&self) -> u64 {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .feed_rows_read()
    }

    /// Asks it to re-read its config, as SIGHUP does.
    pub async fn reload(&self) {
        self.signals
            .send(Signal::Reload)
            .await
            .expect("daemon running");
    }

    /// The next status line it reports.
    pub async fn next_status(&mut self) -> String {
        self.status().await.expect("the daemon is running")
    }

    /// Stops it as SIGTERM does and checks that it ended cleanly.
    pub async fn stop(self) {
        self.signals
            .send(Signal::Shutdown)
            .await
            .expect("daemon running");
        self.task
            .await
            .expect("daemon task")
            .expect("daemon ends cleanly");
    }
}

/// Waits for the next request the server sees.
pub async fn next_hit(hits: &mut mpsc::UnboundedReceiver<ScriptedHit>) -> ScriptedHit {
    hits.recv().await.expect("the server is alive")
}

/// Ends the test process if a test is still running after `limit` of real
/// time: on paused time a broken daemon waits forever instead of failing.
pub struct HangGuard(Arc<AtomicBool>);

impl HangGuard {
    pub fn new(test: &'static str, limit: Duration) -> HangGuard {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + limit;
            while std::time::Instant::now() < deadline {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::park_timeout(Duration::from_millis(100));
            }
            eprintln!("{test}: still running after {limit:?} of real time; a daemon is stuck");
            std::process::exit(101);
        });
        HangGuard(done)
    }
}

impl Drop for HangGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
