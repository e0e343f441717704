//! Refresh: one poll of one feed, as named steps (Miniflux's `RefreshFeed`).
//!
//! [`Refresher::poll_feed`] reads the feed's state, then:
//!
//! 1. `fetch_feed`: a conditional GET; a 304 ends the poll;
//! 2. `read_feed`, in one blocking task: [`parse_newest_first`] (feed-rs,
//!    newest entries first), then [`classify()`] against the store, in one
//!    transaction, before any article page is fetched (new entries the
//!    feed's filter keeps out are recorded there), then [`decide_page`] for
//!    each new entry: whether its page is fetched, as its feed's config asks,
//!    or under `"auto"` when the entry's text is a [`teaser`];
//! 3. `build_and_submit`: per new entry, the article page when so decided
//!    ([`article`]), [`post::build_post`] and `render_post`, handed to the
//!    [`Writer`], which claims, writes and marks it;
//! 4. `collect_answers`: what the writer wrote;
//! 5. [`report::outcome`]: the poll's one [`PollOutcome`](crate::store::PollOutcome)
//!    (status, error, next due time from [`schedule`]), recorded by the writer.
//!
//! A feed that fails is logged and recorded; it never stops the others.
//! [`pass`] is `linkpost poll`'s round over every feed, [`preview`] the same
//! steps without a store, [`probe`] `check --fetch`'s fetch and parse of
//! every feed. This module decides what happens; it leaves bytes
//! to [`fetch`](crate::fetch), text to [`extract`](crate::extract), SQL to
//! [`store`](crate::store) and files to [`writer`](crate::writer).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, oneshot};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, FeedConfig};
use crate::feed::{self, ParseError};
use crate::fetch::{Fetch, FetchOutcome, Fetched, Fetcher, HostLimiter, Validators};
use crate::metrics::{Metrics, PollResult};
use crate::notify::{Deliver, Event, EventKind, HttpDeliver, NewPost, Notifications};
use crate::post;
use crate::store::{FeedState, Store, StoreError, lock_shared};
use crate::writer::{PostToWrite, WriteError, Writer, Written};

pub mod article;
pub mod classify;
pub mod pass;
pub mod preview;
pub mod probe;
pub mod report;
pub mod schedule;
pub mod teaser;

pub use classify::{Candidate, Classified, FeedRules, classify};
pub use pass::{poll_all, recover};
pub use preview::{PreviewPost, preview_feed};
pub use probe::{FeedProbe, Probed, probe_feeds};
pub use report::{
    FeedError, FeedReport, Panicked, PassError, PassReport, Polled, Refreshed, SetupError,
};

use article::{FeedSelectors, PageDecision, decide_page, fetch_article};

/// Candidates built per blocking task (and between shutdown checks) when no
/// article page is fetched.
const BUILD_CHUNK: usize = 32;

/// What outlives a config reload: the store, the stop flag, the clock, and
/// (in tests) the fetcher that stands in for the network.
#[derive(Clone)]
pub struct Shared {
    /// The store, used only from blocking tasks and the writer's threads.
    pub store: Arc<Mutex<Store>>,
    /// Set on shutdown: polls stop before their next entry.
    pub stopping: Arc<AtomicBool>,
    /// What time it is.
    pub clock: Arc<dyn Clock>,
    /// Fetches feeds and pages; `None` builds a [`Fetcher`] from each config.
    pub fetcher: Option<Arc<dyn Fetch>>,
    /// Sends notifications; `None` posts them over HTTP ([`HttpDeliver`]).
    pub deliver: Option<Arc<dyn Deliver>>,
    /// What polls and the writer count, for `/metrics`.
    pub metrics: Arc<Metrics>,
}

impl Shared {
    /// The shared parts for `store`, on the system clock and the network.
    pub fn new(store: Store) -> Shared {
        Shared {
            store: Arc::new(Mutex::new(store)),
            stopping: Arc::new(AtomicBool::new(false)),
            clock: Arc::new(SystemClock),
            fetcher: None,
            deliver: None,
            metrics: Arc::new(Metrics::new()),
        }
    }
}

/// Everything a poll needs, shared by all feed tasks of one configuration.
pub struct Refresher {
    /// The validated configuration.
    pub config: Arc<Config>,
    fetcher: Arc<dyn Fetch>,
    store: Arc<Mutex<Store>>,
    clock: Arc<dyn Clock>,
    /// Per-host request cap, feeds and article pages alike.
    hosts: HostLimiter,
    /// Claims, writes and syncs posts in batches.
    writer: Writer,
    /// Feeds being fetched, parsed and built at once (`concurrency`). A poll
    /// gives its slot back while it waits for the writer, so the next feed
    /// is fetched while posts are written.
    working: Arc<Semaphore>,
    stopping: Arc<AtomicBool>,
    /// The `[[notify]]` targets' queues.
    notifications: Notifications,
    metrics: Arc<Metrics>,
}

impl Refresher {
    /// Builds the refresher for `config` over the `shared` parts, starting
    /// its writer, and its notification senders when a tokio runtime runs.
    pub fn new(config: Arc<Config>, shared: &Shared) -> Result<Refresher, SetupError> {
        let fetcher: Arc<dyn Fetch> = match &shared.fetcher {
            Some(fetcher) => Arc::clone(fetcher),
            None => Arc::new(Fetcher::new(&config)?),
        };
        let notifications = if config.notify.is_empty() {
            Notifications::none()
        } else {
            let deliver: Arc<dyn Deliver> = match &shared.deliver {
                Some(deliver) => Arc::clone(deliver),
                None => Arc::new(HttpDeliver::new(
                    &config.user_agent,
                    config.http.connect_timeout,
                )?),
            };
            Notifications::start(&config.notify, deliver)
        };
        let writer = Writer::start(
            Arc::clone(&shared.store),
            config.output_dir.clone(),
            config.durable_writes,
            shared.clock.moves_when_idle(),
            Arc::clone(&shared.metrics),
        )?;
        Ok(Refresher {
            fetcher,
            hosts: HostLimiter::new(config.per_host_limit),
            writer,
            working: Arc::new(Semaphore::new(config.concurrency)),
            store: Arc::clone(&shared.store),
            clock: Arc::clone(&shared.clock),
            stopping: Arc::clone(&shared.stopping),
            notifications,
            metrics: Arc::clone(&shared.metrics),
            config,
        })
    }

    /// Waits until the outcomes of finished polls are recorded.
    pub async fn flush(&self) -> Result<(), WriteError> {
        self.writer.flush().await
    }

    /// The notification queues of this configuration.
    pub fn notifications(&self) -> &Notifications {
        &self.notifications
    }

    /// Asks running polls to stop before their next entry.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether [`Refresher::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Polls in progress at once: four per `concurrency` slot, the rest of
    /// them waiting for the writer.
    pub fn polls_in_progress(&self) -> usize {
        self.config.concurrency * 4
    }

    /// Runs `f` on the store in a blocking task.
    pub async fn with_store<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + From<Panicked>,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        Ok(run_blocking(move || f(&mut lock_shared(&store))).await??)
    }

    /// Feed `name`'s record in the store: read right here when the store is
    /// free (a point query on a cached page, microseconds), else on the
    /// blocking pool, which waits for the writer's transaction to end.
    async fn feed_state(&self, name: &str) -> Result<Option<FeedState>, FeedError> {
        if let Ok(store) = self.store.try_lock() {
            return Ok(store.feed_state(name)?);
        }
        let name = name.to_string();
        self.with_store(move |s| s.feed_state(&name)).await
    }

    /// Polls one feed and records what came of it.
    pub async fn poll_feed(&self, feed: &Arc<FeedConfig>) -> Polled {
        let span = info_span!("poll", feed = %feed.name, url = %feed.url);
        async {
            let started = self.clock.now();
            let state = match self.feed_state(&feed.name).await {
                Ok(state) => state,
                Err(err) => {
                    warn!(error = %err, "cannot read the feed's state");
                    self.metrics
                        .poll(PollResult::Error, self.clock.now().timestamp());
                    return Polled {
                        report: Err(err),
                        next_due: None,
                        disabled: false,
                    };
                }
            };
            let errors_before = state.as_ref().map_or(0, |s| s.consecutive_errors);
            let failing = state
                .as_ref()
                .filter(|s| s.consecutive_errors > 0)
                .map(|s| (s.failing_since, s.failing_notified, s.consecutive_errors));
            let mut moved_to = None;
            let result = self.refresh(feed, state, started, &mut moved_to).await;
            let ended = self.clock.now();
            report::log(&result, (ended - started).num_milliseconds());
            let mut outcome = report::outcome(feed, errors_before, &result, started, ended);
            // Only a poll that read the feed (or got a 304) counts as seeing
            // it moved: a domain that redirects everything to a parking page
            // must not become the feed's new URL.
            outcome.moved_to = moved_to.filter(|_| result.is_ok()).map(String::from);
            outcome.failing_notified = self.notify(feed, &result, &outcome, failing, ended);
            let (next_due, disabled) = (outcome.next_due, outcome.disable);
            self.metrics
                .poll(poll_result(&result, disabled), ended.timestamp());
            if let Err(e) = self.writer.record(outcome).await {
                warn!(error = %e, "cannot record the poll in the store");
            }
            Polled {
                report: result.map(|done| done.report),
                next_due: Some(next_due),
                disabled,
            }
        }
        .instrument(span)
        .await
    }

    /// Queues the notifications a poll calls for: `new_drafts` for its new
    /// posts, `feed_disabled` on a 410, `feed_failing` once the run of
    /// failures it ends (`failing`: when it began and whether it was
    /// notified, and how many polls failed, from the state before the poll)
    /// has lasted `notify_after`.
    /// Returns whether `feed_failing` was sent, to be recorded.
    fn notify(
        &self,
        feed: &FeedConfig,
        result: &Result<Refreshed, FeedError>,
        outcome: &crate::store::PollOutcome,
        failing: Option<(Option<i64>, bool, u32)>,
        ended: DateTime<Utc>,
    ) -> bool {
        let notifications = &self.notifications;
        match result {
            Ok(done) if !done.new_posts.is_empty() => {
                // The event holds a copy of every new post: made only when a
                // target wants it.
                if notifications.wants(EventKind::NewDrafts) {
                    notifications.send(&Event::NewDrafts {
                        feed: feed.name.clone(),
                        posts: done.new_posts.clone(),
                    });
                }
                false
            }
            Ok(_) => false,
            // Only a 410 disables a feed (see `report::outcome`).
            Err(_) if outcome.disable => {
                notifications.send(&Event::FeedDisabled {
                    feed: feed.name.clone(),
                    url: feed.url.to_string(),
                    status: 410,
                    reason: "410 Gone".to_string(),
                });
                false
            }
            Err(err) => {
                let (since, notified, errors_before) = match failing {
                    Some((since, notified, errors)) => {
                        (since.unwrap_or(outcome.polled_at), notified, errors)
                    }
                    None => (outcome.polled_at, false, 0),
                };
                let after = i64::try_from(self.config.notify_after.as_secs()).unwrap_or(i64::MAX);
                if notified
                    || !notifications.wants(EventKind::FeedFailing)
                    || ended.timestamp().saturating_sub(since) < after
                {
                    return notified;
                }
                let since = DateTime::from_timestamp(since, 0).unwrap_or(ended);
                notifications.send(&Event::FeedFailing {
                    feed: feed.name.clone(),
                    url: feed.url.to_string(),
                    since: since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    last_error: err.to_string(),
                    consecutive_errors: errors_before.saturating_add(1),
                });
                true
            }
        }
    }

    /// The steps of one poll, from fetch to the writer's answers. Sets
    /// `moved_to` when the feed's URL redirected permanently, however the
    /// steps after the fetch end.
    async fn refresh(
        &self,
        feed: &Arc<FeedConfig>,
        state: Option<FeedState>,
        now: DateTime<Utc>,
        moved_to: &mut Option<url::Url>,
    ) -> Result<Refreshed, FeedError> {
        let working = Arc::clone(&self.working).acquire_owned().await.ok();
        let first_poll = !state.as_ref().is_some_and(|s| s.first_poll_done);
        let Some(fetched) = self.fetch_feed(feed, state, moved_to).await? else {
            debug!("not modified");
            return Ok(Refreshed {
                report: FeedReport {
                    not_modified: true,
                    ..FeedReport::default()
                },
                ..Refreshed::default()
            });
        };
        let Fetched {
            bytes,
            final_url,
            validators,
            max_age,
            remote_addr,
            ..
        } = fetched;
        let read = self
            .read_feed(feed, bytes, final_url, first_poll, now)
            .await?;
        let mut report = read.report;
        let selectors = FeedSelectors::of(feed, Arc::clone(&self.config.rules), remote_addr);
        let submitted = self
            .build_and_submit(feed, selectors, read.decided, now)
            .await?;
        report.interrupted = submitted.interrupted;
        // Written posts are waited for without a working slot.
        drop(working);
        let (new_posts, seen) =
            collect_answers(&self.writer, submitted.answers, submitted.posts).await?;
        report.written = new_posts.len();
        report.seen += seen;
        Ok(Refreshed {
            report,
            validators: Some(validators),
            cache_hint: max_age.max(read.ttl),
            new_posts,
        })
    }

    /// Fetches the feed, conditionally when the state holds validators for
    /// this URL; `None` when the server answered 304. Sets `moved_to` to
    /// where a permanent redirect sent it.
    async fn fetch_feed(
        &self,
        feed: &FeedConfig,
        state: Option<FeedState>,
        moved_to: &mut Option<url::Url>,
    ) -> Result<Option<Fetched>, FeedError> {
        // Validators only count when they belong to this URL.
        let validators: Option<Validators> = state
            .filter(|s| s.url == feed.url.as_str() && s.first_poll_done)
            .map(|s| s.validators);
        let _host = self.hosts.acquire(&feed.url).await;
        let started = tokio::time::Instant::now();
        let fetched = self
            .fetcher
            .fetch_feed(&feed.url, &feed.http, validators.as_ref())
            .await;
        self.metrics.fetch_duration(started.elapsed());
        let fetched = fetched?;
        *moved_to = fetched.moved_to().cloned();
        match fetched.outcome {
            FetchOutcome::NotModified => Ok(None),
            FetchOutcome::Fetched(fetched) => Ok(Some(*fetched)),
        }
    }

    /// Reads a fetched feed in one blocking task: parses it, sorts its
    /// entries into new and known in one store transaction (its lookups and
    /// the entries it records take the database's locks once), and decides
    /// for each new one whether its page is fetched (under "auto" that reads
    /// the entry's HTML). One hop to the blocking pool instead of one per
    /// step: each hop is two thread wake-ups, and a cold poll of 2,000 feeds
    /// made 27,900 voluntary context switches (issue 13).
    async fn read_feed(
        &self,
        feed: &Arc<FeedConfig>,
        bytes: Vec<u8>,
        final_url: url::Url,
        first_poll: bool,
        now: DateTime<Utc>,
    ) -> Result<ReadFeed, FeedError> {
        let feed = Arc::clone(feed);
        let store = Arc::clone(&self.store);
        run_blocking(move || {
            let parsed = parse_newest_first(&bytes, &final_url)?;
            // The body is not needed past parsing: not held while classify
            // waits for the store.
            drop((bytes, final_url));
            let entries = parsed.items.len();
            let rules = FeedRules {
                name: &feed.name,
                backfill: feed.backfill,
                filter: &feed.filter,
            };
            let classified = lock_shared(&store)
                .batch(false, |s| classify(s, rules, parsed.items, first_poll, now))?;
            let decided = classified
                .candidates
                .into_iter()
                .map(|c| {
                    let (decision, entry) = decide_page(&feed, &c.item);
                    (c, decision, entry)
                })
                .collect();
            Ok(ReadFeed {
                report: FeedReport {
                    entries,
                    seen: classified.seen,
                    skipped: classified.skipped,
                    filtered: classified.filtered,
                    unusable: classified.unusable,
                    ..FeedReport::default()
                },
                ttl: parsed.ttl,
                decided,
            })
        })
        .await?
    }

    /// Builds each candidate's post (fetching its page when
    /// [`decide_page`] says so) and queues it for the writer, stopping
    /// between chunks on shutdown.
    async fn build_and_submit(
        &self,
        feed: &Arc<FeedConfig>,
        selectors: FeedSelectors,
        decided: Vec<Decided>,
        now: DateTime<Utc>,
    ) -> Result<Submitted, FeedError> {
        let selectors = Arc::new(selectors);
        let mut submitted = Submitted {
            answers: Vec::with_capacity(decided.len()),
            posts: Vec::with_capacity(decided.len()),
            interrupted: false,
        };
        // A page fetch can take seconds: a chunk holds one entry whose page
        // is fetched, so a shutdown waits for one page, or up to BUILD_CHUNK
        // entries that need none.
        let mut pending = decided.into_iter().peekable();
        loop {
            if self.is_stopping() {
                if pending.peek().is_some() {
                    info!("shutting down; the remaining new entries wait for the next poll");
                    submitted.interrupted = true;
                }
                break;
            }
            let Some(first) = pending.next() else {
                break;
            };
            let fetches = first.1.fetches();
            let mut chunk = vec![first];
            while !fetches
                && chunk.len() < BUILD_CHUNK
                && let Some(next) = pending.next_if(|(_, decision, _)| !decision.fetches())
            {
                chunk.push(next);
            }
            let (posts, summaries): (Vec<_>, Vec<_>) = self
                .build_posts(feed, &selectors, chunk, now)
                .await?
                .into_iter()
                .unzip();
            submitted.answers.extend(self.writer.submit(posts).await?);
            submitted.posts.extend(summaries);
        }
        Ok(submitted)
    }

    /// Fetches the article page of each candidate whose decision says so
    /// and builds the posts, HTML parsing and rendering in one blocking task;
    /// each with what a `new_drafts` notification says of it.
    async fn build_posts(
        &self,
        feed: &Arc<FeedConfig>,
        selectors: &Arc<FeedSelectors>,
        chunk: Vec<Decided>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(PostToWrite, NewPost)>, FeedError> {
        let mut pages = Vec::with_capacity(chunk.len());
        for (candidate, decision, _) in &chunk {
            let page = if decision.fetches() {
                debug!(item_url = %candidate.link, reason = decision.as_str(), "fetching the article page");
                let fetcher = self.fetcher.as_ref();
                fetch_article(fetcher, &self.hosts, feed, selectors, &candidate.link).await
            } else {
                debug!(item_url = %candidate.link, reason = decision.as_str(), "using the feed's text");
                None
            };
            pages.push(page);
        }
        let config = Arc::clone(&self.config);
        let (feed, selectors) = (Arc::clone(feed), Arc::clone(selectors));
        Ok(run_blocking(move || {
            chunk
                .into_iter()
                .zip(pages)
                .map(|((candidate, _, entry), page)| {
                    let sources = post::TextSources {
                        page: page.as_ref(),
                        entry,
                    };
                    let built = post::build_post(
                        &feed,
                        &config,
                        &candidate.item,
                        &candidate.link,
                        sources,
                        &selectors.options(),
                        now,
                    );
                    let file_name = config.post_format.file_name(&built.post);
                    let summary = NewPost {
                        title: built.post.title.clone(),
                        url: built.urls.external().to_string(),
                        file: file_name.clone(),
                        date: built
                            .post
                            .date
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                        draft: built.post.draft,
                    };
                    let post = PostToWrite {
                        feed: feed.name.clone(),
                        guid: candidate.item.guid,
                        urls: built.urls,
                        content: config.post_format.render(&built.post),
                        file_name,
                        title: built.post.title,
                        draft: built.post.draft,
                        source: built.source,
                        now: now.timestamp(),
                    };
                    (post, summary)
                })
                .collect()
        })
        .await?)
    }
}

/// The metrics' kind of a poll that came to `result`.
fn poll_result(result: &Result<Refreshed, FeedError>, disabled: bool) -> PollResult {
    match result {
        Ok(done) if done.report.not_modified => PollResult::NotModified,
        Ok(done) if done.report.written > 0 => PollResult::New,
        Ok(_) => PollResult::NothingNew,
        Err(_) if disabled => PollResult::Gone,
        Err(_) => PollResult::Error,
    }
}

/// A new entry, whether its page is fetched, and its own text when deciding
/// read it ([`decide_page`]).
type Decided = (Candidate, PageDecision, Option<Option<post::EntryText>>);

/// A fetched feed as [`Refresher::read_feed`] leaves it: the poll's report
/// so far (what its entries came to), and its new entries with their page
/// decisions, newest first.
struct ReadFeed {
    report: FeedReport,
    /// How long the feed asks to be cached (RSS `<ttl>`).
    ttl: Option<std::time::Duration>,
    decided: Vec<Decided>,
}

/// The posts a poll handed to the writer, and whether shutdown cut it short.
struct Submitted {
    answers: Vec<oneshot::Receiver<Result<Written, WriteError>>>,
    /// What a notification says of each post, in the order of `answers`.
    posts: Vec<NewPost>,
    interrupted: bool,
}

/// Waits for the writer's answers: the posts written (`posts` holds each
/// submitted one, in order) and how many turned out to be known already;
/// the first failure fails the poll (its posts stay claimed, and the next
/// run finishes them).
async fn collect_answers(
    writer: &Writer,
    answers: Vec<oneshot::Receiver<Result<Written, WriteError>>>,
    posts: Vec<NewPost>,
) -> Result<(Vec<NewPost>, usize), FeedError> {
    let mut written = Vec::new();
    let mut seen = 0;
    let mut first_error = None;
    for (answer, post) in writer.answers(answers).await.into_iter().zip(posts) {
        match answer {
            Some(Ok(Written::New { file })) => written.push(NewPost { file, ..post }),
            Some(Ok(Written::Seen)) => seen += 1,
            Some(Err(e)) => {
                first_error.get_or_insert(FeedError::Write(e));
            }
            None => {
                first_error.get_or_insert(FeedError::Write(WriteError::Stopped));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok((written, seen)),
    }
}

/// Parses a feed and orders its entries newest first, so `backfill` keeps
/// the newest; undated entries keep their document order after the dated ones.
pub fn parse_newest_first(bytes: &[u8], base: &url::Url) -> Result<feed::ParsedFeed, ParseError> {
    let mut parsed = feed::parse_feed(bytes, base)?;
    parsed
        .items
        .sort_by_key(|item| std::cmp::Reverse(item.date()));
    Ok(parsed)
}

/// Runs `f` on tokio's blocking pool; a panic in it becomes [`Panicked`].
pub(crate) async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Panicked> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Panicked(e.to_string()))
}
