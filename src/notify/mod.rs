//! Notifications: webhooks fired on new drafts and on feeds that need a look.
//!
//! Each `[[notify]]` target gets a bounded queue ([`QUEUE_CAPACITY`]) and
//! one sender task that drains it, one request at a time, retrying as
//! [`deliver::next_step`] says (backoff on tokio's clock). A poll only
//! enqueues, with `try_send`: it never waits for a receiver, and when a
//! target's queue is full the new notification is dropped with a warning
//! and counted ([`Notifications::dropped`]). A target that hangs delays only
//! its own queue. [`Notifications::finish`] gives what is queued a bounded
//! grace on shutdown. Deciding *when* an event happens is the poll's job
//! ([`refresh`](crate::refresh)); this module never reads the store.

pub mod deliver;
pub mod event;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};
use url::Url;

pub use deliver::{
    Answer, Deliver, EVENT_TYPE_HEADER, HttpDeliver, Next, NotifyError, Outgoing, SIGNATURE_HEADER,
    next_step, origin, sign,
};
pub use event::{Event, EventKind, NewPost};

/// Notifications waiting per target before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 256;
/// How long queued notifications may still take when `poll` ends or `run`
/// stops.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// A secret that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One validated `[[notify]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyTarget {
    /// Where the webhook posts (http or https).
    pub url: Url,
    /// Signs each body ([`SIGNATURE_HEADER`]) when set (an empty `secret`
    /// in the file is none).
    pub secret: Option<Secret>,
    /// The events sent to it.
    pub events: Vec<EventKind>,
}

/// A notification waiting for its target's sender.
struct Queued {
    kind: EventKind,
    feed: String,
    body: Vec<u8>,
}

/// One target's queue and sender task.
struct Queue {
    /// `notify[i] (origin)`, as logs name the target.
    name: String,
    events: Vec<EventKind>,
    tx: Mutex<Option<mpsc::Sender<Queued>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// The running notifications of one configuration; cheap when there are no
/// targets (nothing is started).
pub struct Notifications {
    queues: Vec<Queue>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications")
            .field("targets", &self.queues.len())
            .finish_non_exhaustive()
    }
}

impl Notifications {
    /// No targets.
    pub fn none() -> Notifications {
        Notifications {
            queues: Vec::new(),
            dropped: Arc::default(),
        }
    }

    /// Starts a sender task per target, sending through `deliver`. Call it
    /// inside a tokio runtime; outside one, targets are left out with an
    /// error logged (a bug of the caller).
    pub fn start(targets: &[NotifyTarget], deliver: Arc<dyn Deliver>) -> Notifications {
        let mut notifications = Notifications::none();
        if targets.is_empty() {
            return notifications;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!("notifications need an async runtime; none are sent");
            return notifications;
        };
        for (i, target) in targets.iter().enumerate() {
            let name = format!("notify[{i}] ({})", origin(&target.url));
            let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
            let sender = Sender {
                name: name.clone(),
                url: target.url.clone(),
                secret: target.secret.clone(),
                deliver: Arc::clone(&deliver),
            };
            notifications.queues.push(Queue {
                name,
                events: target.events.clone(),
                tx: Mutex::new(Some(tx)),
                task: Mutex::new(Some(runtime.spawn(sender.run(rx)))),
            });
        }
        notifications
    }

    /// Whether any target wants events of `kind`.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.queues.iter().any(|q| q.events.contains(&kind))
    }

    /// Queues `event` for every target that wants it, without waiting: a
    /// full queue drops it (logged and counted).
    pub fn send(&self, event: &Event) {
        let kind = event.kind();
        let mut body = None;
        for queue in self.queues.iter().filter(|q| q.events.contains(&kind)) {
            let tx = lock(&queue.tx).clone();
            let Some(tx) = tx else {
                continue; // finished: shutting down
            };
            let queued = Queued {
                kind,
                feed: event.feed().to_string(),
                body: body.get_or_insert_with(|| event.to_json()).clone(),
            };
            if let Err(e) = tx.try_send(queued) {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                let why = match e {
                    mpsc::error::TrySendError::Full(_) => "its queue is full",
                    mpsc::error::TrySendError::Closed(_) => "its sender stopped",
                };
                warn!(
                    webhook = %queue.name,
                    event = kind.as_str(),
                    feed = %event.feed(),
                    "notification dropped: {why}"
                );
            }
        }
    }

    /// Notifications dropped because a queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Closes the queues and waits, `grace` at most, for what they hold to
    /// be sent (retries included); what is left then is abandoned with a
    /// warning per target. Later [`Notifications::send`]s are ignored.
    pub async fn finish(&self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        for queue in &self.queues {
            lock(&queue.tx).take();
        }
        for queue in &self.queues {
            let Some(mut task) = lock(&queue.task).take() else {
                continue;
            };
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                warn!(
                    webhook = %queue.name,
                    grace_s = grace.as_secs_f64(),
                    "notifications still queued after the grace period; not sent"
                );
            }
        }
    }
}

impl Drop for Notifications {
    /// Closes the queues; the senders finish what they hold, then end.
    fn drop(&mut self) {
        for queue in &self.queues {
            lock(&queue.tx).take();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// One target's sender task.
struct Sender {
    name: String,
    url: Url,
    secret: Option<Secret>,
    deliver: Arc<dyn Deliver>,
}

impl Sender {
    /// Sends each queued notification in turn until the queue closes.
    async fn run(self, mut rx: mpsc::Receiver<Queued>) {
        while let Some(queued) = rx.recv().await {
            self.send(queued).await;
        }
    }

    /// Sends one notification, retrying as [`next_step`] says.
    async fn send(&self, queued: Queued) {
        let signature = self.secret.as_ref().map(|s| sign(s.expose(), &queued.body));
        let outgoing = Outgoing {
            url: self.url.clone(),
            kind: queued.kind,
            body: queued.body,
            signature,
        };
        let event = queued.kind.as_str();
        for attempt in 1.. {
            let result = self.deliver.deliver(&outgoing).await;
            match next_step(attempt, &result) {
                Next::Done => {
                    debug!(webhook = %self.name, event, feed = %queued.feed, attempt, "notification sent");
                    return;
                }
                Next::Retry(wait) => {
                    debug!(
                        webhook = %self.name, event, attempt, wait_s = wait.as_secs_f64(),
                        outcome = %describe(&result), "notification failed; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                Next::GiveUp => {
                    warn!(
                        webhook = %self.name, event, feed = %queued.feed, attempts = attempt,
                        error = %describe(&result), "giving up on a notification"
                    );
                    return;
                }
            }
        }
    }
}

/// An attempt's outcome, for the log.
fn describe(result: &Result<Answer, NotifyError>) -> String {
    match result {
        Ok(answer) => format!("answered HTTP {}", answer.status),
        Err(e) => e.to_string(),
    }
}
