//! The pipeline: one poll of one feed, and one pass over every feed.
//!
//! Per feed: fetch (conditionally) → parse → for each entry, newest first:
//! canonicalize its link → skip if seen → on a first poll, record entries
//! beyond `backfill` as skipped → fetch the article page when a selector is
//! set → extract the summary → render → **claim** in the store → write the
//! file atomically → mark it written. A crash between claim and mark leaves a
//! pending row holding the rendered post; [`recover`] finishes it on
//! the next run, so no entry is lost and none gets a second file.
//!
//! A feed that fails is logged and recorded; it never stops the others.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};
use url::Url;

use crate::canon::canonicalize;
use crate::config::{Config, FeedConfig};
use crate::extract::{self, SummarySource};
use crate::feed::{self, FeedItem, ParseError};
use crate::fetch::{self, FetchError, FetchOutcome, Fetcher, Reach};
use crate::output::{self, OutputError};
use crate::render::{self, Post};
use crate::schedule;
use crate::store::{EntryState, FeedState, NewEntry, Store, StoreError};
use crate::writer::{self, PollOutcome, PostToWrite, WriteError, Writer};

/// Why one feed's poll failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Fetching the feed failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The body is not a feed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer could not write a post.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A worker task died (a bug); the feed is retried next time.
    #[error("internal error: {0}")]
    Task(String),
}

/// A failure that stops a whole pass (the store or output folder is unusable).
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output folder cannot be used.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A worker task died.
    #[error("internal error: {0}")]
    Task(String),
}

impl From<FeedError> for PassError {
    fn from(err: FeedError) -> PassError {
        match err {
            FeedError::Store(e) | FeedError::Write(WriteError::Store(e)) => PassError::Store(e),
            FeedError::Write(WriteError::Output(e)) => PassError::Output(e),
            other => PassError::Task(other.to_string()),
        }
    }
}

/// What one feed's poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedReport {
    /// The server answered 304 Not Modified.
    pub not_modified: bool,
    /// Entries in the feed.
    pub entries: usize,
    /// Posts written.
    pub written: usize,
    /// Entries already seen.
    pub seen: usize,
    /// Entries recorded without a post (beyond `backfill` on a first poll).
    pub skipped: usize,
    /// Entries that could not be used (no link).
    pub unusable: usize,
    /// Shutdown came before every new entry was handled; the rest wait for
    /// the next poll.
    pub interrupted: bool,
}

/// What one pass over all feeds did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Feeds polled successfully.
    pub feeds_ok: usize,
    /// Feeds that failed.
    pub feeds_failed: usize,
    /// Posts written, recovered ones included.
    pub posts_written: usize,
    /// Posts finished from an earlier, interrupted run.
    pub recovered: usize,
}

/// Caps requests in flight per host.
#[derive(Debug)]
pub struct HostLimiter {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimiter {
    /// A limiter allowing `per_host` requests in flight to each host.
    pub fn new(per_host: usize) -> HostLimiter {
        HostLimiter {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `url`'s host; `None` for URLs without a host.
    pub async fn acquire(&self, url: &Url) -> Option<OwnedSemaphorePermit> {
        let host = url.host_str()?.to_string();
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

/// Everything a poll needs, shared by all feed tasks.
pub struct Pipeline {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The HTTP client.
    pub fetcher: Fetcher,
    /// The store, behind a mutex; used only from blocking tasks.
    pub store: Arc<Mutex<Store>>,
    /// Per-host request cap.
    pub hosts: HostLimiter,
    /// Claims, writes and syncs posts in batches.
    writer: Writer,
    /// Feeds being fetched, parsed and built at once (`concurrency`). A poll
    /// gives its slot back while it waits for the writer, so the next feed
    /// is fetched while posts are written.
    working: Arc<Semaphore>,
    /// Set on shutdown: polls stop before their next entry.
    stopping: Arc<AtomicBool>,
}

/// Why a pipeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    Thread(#[from] std::io::Error),
}

impl Pipeline {
    /// Builds the pipeline for `config` over an open store.
    pub fn new(config: Arc<Config>, store: Store) -> Result<Pipeline, SetupError> {
        Pipeline::with_shared_store(
            config,
            Arc::new(Mutex::new(store)),
            Arc::new(AtomicBool::new(false)),
        )
    }

    /// Builds a pipeline over a store (and stop flag) shared with an
    /// earlier pipeline, as a config reload does.
    pub fn with_shared_store(
        config: Arc<Config>,
        store: Arc<Mutex<Store>>,
        stopping: Arc<AtomicBool>,
    ) -> Result<Pipeline, SetupError> {
        let writer = Writer::start(
            Arc::clone(&store),
            config.output_dir.clone(),
            config.durable_writes,
        )?;
        Ok(Pipeline {
            fetcher: Fetcher::new(&config)?,
            hosts: HostLimiter::new(config.per_host_limit),
            writer,
            working: Arc::new(Semaphore::new(config.concurrency)),
            store,
            config,
            stopping,
        })
    }

    /// Asks running polls to stop before their next entry.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether [`Pipeline::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Runs `f` on the store in a blocking task.
    pub async fn with_store<T, E, F>(&self, f: F) -> Result<T, FeedError>
    where
        T: Send + 'static,
        E: Send + 'static,
        FeedError: From<E>,
        F: FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut store)
        })
        .await
        .map_err(|e| FeedError::Task(e.to_string()))?
        .map_err(FeedError::from)
    }
}

/// Polls in progress at once for `config`: four per `concurrency` slot, the
/// rest of them waiting for the writer.
pub fn polls_in_progress(config: &Config) -> usize {
    config.concurrency * 4
}

/// One pass: finish interrupted writes, then poll every feed once.
pub async fn poll_all(pipeline: Arc<Pipeline>) -> Result<PassReport, PassError> {
    let recovered = recover(&pipeline).await?;
    let mut report = PassReport {
        recovered,
        posts_written: recovered,
        ..PassReport::default()
    };
    let limit = Arc::new(Semaphore::new(polls_in_progress(&pipeline.config)));
    let mut tasks = JoinSet::new();
    let disabled: HashSet<String> = pipeline
        .with_store(|s| s.schedule_states())
        .await
        .map_err(PassError::from)?
        .into_iter()
        .filter(|s| s.disabled)
        .map(|s| s.name)
        .collect();
    for feed in pipeline.config.feeds.clone() {
        if disabled.contains(&feed.name) {
            warn!(feed = %feed.name, "feed is disabled (the server said 410 Gone); remove it or reset it to poll again");
            continue;
        }
        let pipeline = Arc::clone(&pipeline);
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            poll_feed(&pipeline, &feed, Utc::now()).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(feed_report)) => {
                report.feeds_ok += 1;
                report.posts_written += feed_report.written;
            }
            Ok(Err(_)) => report.feeds_failed += 1,
            Err(e) => {
                warn!(error = %e, "feed task failed");
                report.feeds_failed += 1;
            }
        }
    }
    Ok(report)
}

/// Clears stale temporary files and finishes posts a crash interrupted.
pub async fn recover(pipeline: &Pipeline) -> Result<usize, PassError> {
    let dir = pipeline.config.output_dir.clone();
    let store = Arc::clone(&pipeline.store);
    tokio::task::spawn_blocking(move || -> Result<usize, PassError> {
        output::ensure_dir(&dir)?;
        let removed = output::remove_stale_temp_files(&dir).map_err(|source| OutputError::Write {
            path: dir.clone(),
            source,
        })?;
        if removed > 0 {
            info!(removed, path = %dir.display(), "removed temporary files left by an interrupted run");
        }
        let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
        let pending = store.pending()?;
        let (journaled, journals) = writer::read_journals(&store)?;
        let mut done = 0;
        for post in pending {
            let now = Utc::now().timestamp();
            let content = post.content.or_else(|| journaled.get(&post.url).cloned());
            match content {
                Some(content) => {
                    let path = writer::finish_write(&mut store, &dir, post.id, &post.file, &content, now)
                        .map_err(|e| PassError::from(FeedError::Write(e)))?;
                    info!(path = %path.display(), "finished a post interrupted by a crash");
                }
                None if writer::holds_complete_post(&dir, &post.file, &post.url) => {
                    store.mark_written(post.id, now)?;
                    info!(file = %post.file, "a post interrupted by a crash was complete");
                }
                None => {
                    // Its text is gone (only a power loss between removing
                    // a journal and a lost mark could do it): the entry is
                    // new again, and its feed's next poll writes it.
                    store.release(post.id)?;
                    warn!(item_url = %post.url, "a post interrupted by a crash is written again on its feed's next poll");
                    continue;
                }
            }
            done += 1;
        }
        for journal in journals {
            store.drop_journal(journal)?;
        }
        Ok(done)
    })
    .await
    .map_err(|e| PassError::Task(e.to_string()))?
}

/// An entry that passed dedupe and will get a post.
struct Candidate {
    item: FeedItem,
    link: Url,
}

/// Polls one feed; records the outcome in the store.
pub async fn poll_feed(
    pipeline: &Pipeline,
    feed: &FeedConfig,
    now: DateTime<Utc>,
) -> Result<FeedReport, FeedError> {
    let span = info_span!("poll", feed = %feed.name, url = %feed.url);
    async {
        let started = std::time::Instant::now();
        let name = feed.name.clone();
        let state = match pipeline.with_store(move |s| s.feed_state(&name)).await {
            Ok(state) => state,
            Err(err) => {
                warn!(error = %err, "cannot read the feed's state");
                return Err(err);
            }
        };
        let errors = state.as_ref().map_or(0, |s| s.consecutive_errors);
        let result = poll_feed_inner(pipeline, feed, state, now).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (record_result, report) = match result {
            Ok((report, validators, hint)) => {
                let status = if report.not_modified {
                    "not modified".to_string()
                } else if report.unusable > 0 {
                    format!(
                        "ok: {} new, {} without a link skipped",
                        report.written, report.unusable
                    )
                } else {
                    format!("ok: {} new", report.written)
                };
                let outcome = if report.interrupted {
                    // Keep the old validators and come back at once: a 304
                    // next time would hide the entries not handled yet.
                    Recorded {
                        next: Duration::ZERO,
                        error: None,
                        validators: None,
                        disable: false,
                        complete: false,
                    }
                } else {
                    let next = schedule::after_success(feed.interval, hint);
                    Recorded {
                        next: next + schedule::jitter(next),
                        error: None,
                        validators,
                        disable: false,
                        complete: true,
                    }
                };
                let record = record(pipeline, feed, now, status, outcome).await;
                info!(
                    new_items = report.written,
                    seen = report.seen,
                    skipped = report.skipped,
                    elapsed_ms,
                    not_modified = report.not_modified,
                    "polled"
                );
                (record, Ok(report))
            }
            Err(err) => {
                let retry_after = match &err {
                    FeedError::Fetch(f) => f.retry_after(),
                    _ => None,
                };
                let gone = matches!(&err, FeedError::Fetch(f) if f.status() == Some(410));
                let next = schedule::after_failure(feed.interval, errors + 1, retry_after);
                let status = if gone {
                    "gone: disabled".to_string()
                } else {
                    "error".to_string()
                };
                warn!(error = %err, elapsed_ms, "poll failed");
                let outcome = Recorded {
                    next: next + schedule::jitter(next),
                    error: Some(err.to_string()),
                    validators: None,
                    disable: gone,
                    complete: false,
                };
                let record = record(pipeline, feed, now, status, outcome).await;
                (record, Err(err))
            }
        };
        if let Err(e) = record_result {
            warn!(error = %e, "cannot record the poll in the store");
        }
        report
    }
    .instrument(span)
    .await
}

/// What a finished poll stores about its feed.
struct Recorded {
    next: Duration,
    error: Option<String>,
    validators: Option<crate::fetch::Validators>,
    disable: bool,
    complete: bool,
}

async fn record(
    pipeline: &Pipeline,
    feed: &FeedConfig,
    now: DateTime<Utc>,
    status: String,
    outcome: Recorded,
) -> Result<(), FeedError> {
    let Recorded {
        next,
        error,
        validators,
        disable,
        complete,
    } = outcome;
    let name = feed.name.clone();
    let url = feed.url.to_string();
    // Round up, so a feed is never due before its interval has passed.
    let next_ms = i64::try_from(next.as_millis()).unwrap_or(i64::MAX);
    // Counted from when the poll ended, so Retry-After and backoff delays
    // hold from the server's answer, however long the poll took.
    let ended = Utc::now().max(now);
    let next_due = ended
        .timestamp_millis()
        .saturating_add(next_ms)
        .saturating_add(999)
        .div_euclid(1000);
    pipeline
        .writer
        .record(PollOutcome {
            feed: name,
            url,
            now: now.timestamp(),
            next_due,
            status,
            error,
            validators,
            disable,
            complete,
        })
        .await
        .map_err(FeedError::from)
}

type PollResult = (
    FeedReport,
    Option<crate::fetch::Validators>,
    Option<Duration>,
);

async fn poll_feed_inner(
    pipeline: &Pipeline,
    feed: &FeedConfig,
    state: Option<FeedState>,
    now: DateTime<Utc>,
) -> Result<PollResult, FeedError> {
    let working = Arc::clone(&pipeline.working).acquire_owned().await.ok();
    let first_poll = !state.as_ref().is_some_and(|s| s.first_poll_done);
    // Validators only count when they belong to this URL.
    let validators = state
        .filter(|s| s.url == feed.url.as_str() && s.first_poll_done)
        .map(|s| s.validators);

    let outcome = {
        let _host = pipeline.hosts.acquire(&feed.url).await;
        pipeline
            .fetcher
            .fetch(&feed.url, &feed.http, validators.as_ref())
            .await?
    };
    let fetched = match outcome {
        FetchOutcome::NotModified => {
            debug!("not modified");
            let report = FeedReport {
                not_modified: true,
                ..FeedReport::default()
            };
            return Ok((report, None, None));
        }
        FetchOutcome::Fetched(fetched) => *fetched,
    };
    let base = fetched.final_url.clone();
    let feed_addr = fetched.remote_addr;
    let bytes = fetched.bytes;
    let mut parsed = tokio::task::spawn_blocking(move || parse_newest_first(&bytes, &base))
        .await
        .map_err(|e| FeedError::Task(e.to_string()))??;
    let mut report = FeedReport {
        entries: parsed.items.len(),
        ..FeedReport::default()
    };

    let candidates = {
        let feed_name = feed.name.clone();
        let backfill = feed.backfill;
        let items = std::mem::take(&mut parsed.items);
        let (candidates, seen, skipped, unusable) = pipeline
            // One transaction for the whole feed: its lookups and the
            // entries it records take the database's locks once.
            .with_store(move |s| {
                s.batch(false, |s| {
                    classify(s, &feed_name, items, first_poll, backfill, now)
                })?
            })
            .await?;
        report.seen = seen;
        report.skipped = skipped;
        report.unusable = unusable;
        candidates
    };

    let feed = Arc::new(feed.clone());
    let selectors = Arc::new(FeedSelectors::of(&feed, feed_addr));
    // Build each post (fetching its page when configured) and queue it for
    // the writer; then collect the answers, so the writer can batch them.
    let mut answers = Vec::with_capacity(candidates.len());
    let mut pending = candidates.into_iter();
    // A page fetch can take seconds: then build one post at a time, so a
    // shutdown waits for one page, not a chunk of them.
    let chunk_size = if wants_article_page(&feed) {
        1
    } else {
        BUILD_CHUNK
    };
    loop {
        if pipeline.is_stopping() {
            if pending.len() > 0 {
                info!("shutting down; the remaining new entries wait for the next poll");
                report.interrupted = true;
            }
            break;
        }
        let chunk: Vec<Candidate> = pending.by_ref().take(chunk_size).collect();
        if chunk.is_empty() {
            break;
        }
        for post in build_posts(pipeline, &feed, &selectors, chunk, now).await? {
            answers.push(pipeline.writer.submit(post).await?);
        }
    }
    drop(working);
    let mut first_error = None;
    for answer in answers {
        match answer.await {
            Ok(Ok(true)) => report.written += 1,
            Ok(Ok(false)) => report.seen += 1,
            Ok(Err(e)) => {
                first_error.get_or_insert(FeedError::Write(e));
            }
            Err(_) => {
                first_error.get_or_insert(FeedError::Write(WriteError::Stopped));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let hint = fetched.max_age.max(parsed.ttl);
    Ok((report, Some(fetched.validators), hint))
}

/// Splits entries into new candidates and the rest, recording the rest.
fn classify(
    store: &mut Store,
    feed: &str,
    items: Vec<FeedItem>,
    first_poll: bool,
    backfill: usize,
    now: DateTime<Utc>,
) -> Result<(Vec<Candidate>, usize, usize, usize), StoreError> {
    let mut candidates = Vec::new();
    let (mut seen, mut skipped, mut unusable) = (0, 0, 0);
    // Duplicates within one document, by link and by guid.
    let mut urls_this_poll: HashSet<String> = HashSet::new();
    let mut guids_this_poll: HashSet<String> = HashSet::new();
    let mut position = 0;
    for item in items {
        let Some(link) = item.link.as_ref() else {
            debug!(
                title = item.title.as_deref().unwrap_or(""),
                "entry has no link; skipped"
            );
            unusable += 1;
            continue;
        };
        let link = canonicalize(link);
        let url = link.to_string();
        let new_url = urls_this_poll.insert(url.clone());
        let new_guid = item
            .guid
            .as_ref()
            .is_none_or(|g| guids_this_poll.insert(g.clone()));
        if !(new_url && new_guid) {
            seen += 1;
            continue;
        }
        let urls = [url];
        let index = position;
        position += 1;
        if let Some(id) = store.find_seen(feed, item.guid.as_deref(), &urls)? {
            // Known under another name too: remember this one as well.
            store.add_aliases(id, feed, item.guid.as_deref(), &urls)?;
            debug!(item_url = %urls[0], "already seen");
            seen += 1;
            continue;
        }
        if first_poll && index >= backfill {
            let title = item.title.clone().unwrap_or_default();
            let entry = NewEntry {
                feed,
                guid: item.guid.as_deref(),
                urls: &urls,
                title: &title,
                now: now.timestamp(),
            };
            store.record_unwritten(&entry, EntryState::Skipped)?;
            skipped += 1;
            continue;
        }
        candidates.push(Candidate { item, link });
    }
    Ok((candidates, seen, skipped, unusable))
}

/// An article page, fetched for its selected text, meta and canonical URL.
struct ArticlePage {
    html: String,
    url: Url,
}

/// Fetches the article page when the feed has a selector; `None` (logged) on
/// any failure, so extraction falls back to the feed's own text.
async fn fetch_article(
    fetcher: &Fetcher,
    hosts: &HostLimiter,
    feed: &FeedConfig,
    selectors: &FeedSelectors,
    link: &Url,
) -> Option<ArticlePage> {
    if !wants_article_page(feed) {
        return None;
    }
    let _host = hosts.acquire(link).await;
    match fetcher
        .fetch_within(link, &feed.http, None, selectors.article_reach)
        .await
    {
        Ok(FetchOutcome::Fetched(page)) => {
            let is_html = page
                .content_type
                .as_deref()
                .is_none_or(|ct| ct.contains("html") || ct.contains("xml"));
            if !is_html {
                info!(item_url = %link, "article page is not HTML; using the feed's text");
                return None;
            }
            Some(ArticlePage {
                html: extract::decode_html(&page.bytes, page.content_type.as_deref()),
                url: page.final_url,
            })
        }
        Ok(FetchOutcome::NotModified) => None,
        Err(e @ FetchError::PrivateAddress { .. }) => {
            warn!(item_url = %link, error = %e, "article page refused; using the feed's text");
            None
        }
        Err(e) => {
            info!(item_url = %link, error = %e, "article page unavailable; using the feed's text");
            None
        }
    }
}

/// Whether posts of `feed` read the article page.
fn wants_article_page(feed: &FeedConfig) -> bool {
    !feed.summary_selector.is_empty() || feed.fetch_article
}

/// A feed's CSS selectors, parsed once per poll (config validation has
/// already refused invalid ones), and where its article pages may be fetched.
struct FeedSelectors {
    selectors: Vec<scraper::Selector>,
    excludes: Vec<scraper::Selector>,
    heuristic: bool,
    /// Entry links come from the feed, so by default they may not lead into
    /// the local network, unless the feed itself is served from there.
    article_reach: Reach,
}

impl FeedSelectors {
    fn of(feed: &FeedConfig, feed_addr: Option<std::net::IpAddr>) -> FeedSelectors {
        let article_reach = fetch::article_reach(feed.allow_private_addresses, feed_addr);
        let parse = |list: &[String]| -> Vec<_> {
            list.iter()
                .filter_map(|css| extract::parse_selector(css))
                .collect()
        };
        FeedSelectors {
            selectors: parse(&feed.summary_selector),
            excludes: parse(&feed.summary_exclude),
            heuristic: feed.fetch_article && feed.summary_selector.is_empty(),
            article_reach,
        }
    }

    fn options(&self) -> extract::PageOptions<'_> {
        extract::PageOptions {
            selectors: &self.selectors,
            excludes: &self.excludes,
            heuristic: self.heuristic,
        }
    }
}

/// Parses a feed and orders its entries newest first, so `backfill` keeps
/// the newest; undated entries keep their document order after the dated ones.
fn parse_newest_first(bytes: &[u8], base: &Url) -> Result<feed::ParsedFeed, ParseError> {
    let mut parsed = feed::parse_feed(bytes, base)?;
    parsed
        .items
        .sort_by_key(|item| std::cmp::Reverse(item.date()));
    Ok(parsed)
}

/// A post ready to claim.
struct BuiltPost {
    post: Post,
    source: Option<SummarySource>,
    /// Every normalized URL the article is known by; the first is `external_url`.
    urls: Vec<String>,
}

/// Extracts the summary and renders the post. Pure and synchronous.
fn build_post(
    feed: &FeedConfig,
    selectors: &FeedSelectors,
    item: &FeedItem,
    link: &Url,
    page: Option<&ArticlePage>,
    config: &Config,
    now: DateTime<Utc>,
) -> BuiltPost {
    let page_extract = page.map(|p| extract::extract_page(&p.html, &p.url, &selectors.options()));
    let feed_text = |html: &Option<String>| {
        html.as_deref()
            .map(|h| extract::clean_feed_text(&extract::html_to_text(h)))
            .filter(|t| !t.is_empty())
    };
    let (text, source) = page_extract
        .as_ref()
        .and_then(|p| p.selected_text.clone())
        .map(|t| (t, SummarySource::Selector))
        .or_else(|| {
            page_extract
                .as_ref()
                .and_then(|p| p.article_text.clone())
                .map(|t| (t, SummarySource::Article))
        })
        .or_else(|| feed_text(&item.content_html).map(|t| (t, SummarySource::Content)))
        .or_else(|| feed_text(&item.summary_html).map(|t| (t, SummarySource::Summary)))
        .or_else(|| {
            page_extract
                .as_ref()
                .and_then(|p| p.meta_description.clone())
                .map(|t| (t, SummarySource::Meta))
        })
        .map_or((String::new(), None), |(t, s)| (t, Some(s)));
    let canonical = page_extract
        .and_then(|p| p.canonical)
        .map(|u| canonicalize(&u));
    let external_url = canonical.unwrap_or_else(|| link.clone());
    let mut urls = vec![external_url.to_string()];
    if link.as_str() != urls[0] {
        urls.push(link.to_string());
    }
    // A date more than a day ahead is a feed's mistake (or a trick to stay
    // on top); the post gets the time it was first seen instead.
    let date = item
        .date()
        .filter(|d| *d <= now + chrono::Duration::days(1))
        .unwrap_or(now)
        .fixed_offset();
    let post = Post {
        title: item
            .title
            .clone()
            .unwrap_or_else(|| external_url.to_string()),
        date,
        tags: feed.tags.clone(),
        source: feed.name.clone(),
        external_url,
        draft: feed.draft,
        tldr: extract::cut_text(&text, config.tldr_length),
        summary: extract::cut_text(&text, config.summary_length),
    };
    BuiltPost { post, source, urls }
}

/// Candidates built per blocking task (and between shutdown checks) when no
/// article page is fetched.
const BUILD_CHUNK: usize = 32;

/// Fetches each candidate's article page (when the feed wants it) and builds
/// the posts, HTML parsing and rendering in one blocking task per chunk.
async fn build_posts(
    pipeline: &Pipeline,
    feed: &Arc<FeedConfig>,
    selectors: &Arc<FeedSelectors>,
    candidates: Vec<Candidate>,
    now: DateTime<Utc>,
) -> Result<Vec<PostToWrite>, FeedError> {
    let mut pages = Vec::with_capacity(candidates.len());
    for candidate in &candidates {
        pages.push(
            fetch_article(
                &pipeline.fetcher,
                &pipeline.hosts,
                feed,
                selectors,
                &candidate.link,
            )
            .await,
        );
    }
    let config = Arc::clone(&pipeline.config);
    let (feed, selectors) = (Arc::clone(feed), Arc::clone(selectors));
    tokio::task::spawn_blocking(move || {
        candidates
            .into_iter()
            .zip(pages)
            .map(|(candidate, page)| {
                let built = build_post(
                    &feed,
                    &selectors,
                    &candidate.item,
                    &candidate.link,
                    page.as_ref(),
                    &config,
                    now,
                );
                PostToWrite {
                    feed: feed.name.clone(),
                    guid: candidate.item.guid,
                    urls: built.urls,
                    content: render::render_post(&built.post),
                    file_name: output::file_name(
                        &built.post.date,
                        &output::slugify(&built.post.title),
                    ),
                    title: built.post.title,
                    draft: built.post.draft,
                    source: built.source,
                    now: now.timestamp(),
                }
            })
            .collect()
    })
    .await
    .map_err(|e| FeedError::Task(e.to_string()))
}

/// A post as `preview` shows it.
#[derive(Debug, Clone)]
pub struct PreviewPost {
    /// The post that would be written.
    pub post: Post,
    /// Which extraction step gave the summary; `None` when nothing did.
    pub summary_source: Option<SummarySource>,
}

/// What `feed` would produce now, newest first, ignoring what was seen
/// before: fetches the feed (and article pages when configured), writes
/// nothing and touches no store.
pub async fn preview_feed(
    fetcher: &Fetcher,
    config: &Config,
    feed: &FeedConfig,
) -> Result<Vec<PreviewPost>, FeedError> {
    let hosts = HostLimiter::new(config.per_host_limit);
    let fetched = match fetcher.fetch(&feed.url, &feed.http, None).await? {
        FetchOutcome::Fetched(fetched) => *fetched,
        FetchOutcome::NotModified => return Ok(Vec::new()),
    };
    let parsed = parse_newest_first(&fetched.bytes, &fetched.final_url)?;
    let selectors = FeedSelectors::of(feed, fetched.remote_addr);
    let now = Utc::now();
    let mut posts = Vec::with_capacity(parsed.items.len());
    for item in parsed.items {
        let Some(link) = item.link.as_ref().map(canonicalize) else {
            continue;
        };
        let page = fetch_article(fetcher, &hosts, feed, &selectors, &link).await;
        let built = build_post(feed, &selectors, &item, &link, page.as_ref(), config, now);
        posts.push(PreviewPost {
            post: built.post,
            summary_source: built.source,
        });
    }
    Ok(posts)
}
