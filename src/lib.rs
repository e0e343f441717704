//! linkpost: a feed aggregator daemon that writes one link-post draft per new
//! article.
//!
//! # Layout
//!
//! Data flows one way, a folder per stage, a file per concern:
//!
//! ```text
//! FeedConfig ─▶ fetch ─▶ feed::parse_feed ─▶ FeedItem ─▶ refresh::classify (canon, store: seen?)
//!            ─▶ post::build_post (extract) ─▶ Post ─▶ post::render ─▶ writer (store: claim,
//!               file, mark) ─▶ store: the poll's PollOutcome
//! ```
//!
//! - [`config`]: the TOML file, validated (raw serde structs, then checks),
//!   and rewritten keeping its comments and layout (`edit`: `add`,
//!   `import-opml`, `fix-moved`).
//! - [`opml`]: OPML files read (folders and categories as tags; size, depth
//!   and count capped) and written, for `import-opml` and `export-opml`.
//! - [`discover`]: a site's or article's feeds, from its `rel="alternate"`
//!   links or the common feed paths, and the main one, for `linkpost add`.
//! - [`fetch`]: the polite HTTP client (and `file:` reads), which follows
//!   redirects itself and reports a feed's; `guard` keeps
//!   article pages out of private networks, `headers` reads statuses and
//!   `Retry-After`, `limiter` caps requests per host.
//! - [`feed`]: feed bytes to [`feed::FeedItem`]s: RSS and Atom through
//!   feed-rs, JSON Feed by its own lenient reader (`json`), with fallbacks
//!   for what feed-rs misses (`rss_items`), repairs of broken XML tried only
//!   after a failure (`repair`), undeclared legacy bytes (`charset`), and
//!   titles as text (`text`).
//! - [`canon`]: URL canonicalisation, the dedupe key, and [`canon::PostUrls`].
//! - [`filter`]: the `include` and `exclude` patterns, compiled at config
//!   load and matched against an entry's title, summary, categories and URL.
//! - [`extract`]: HTML to clean text: selectors, platform and site rules
//!   (`rules`, `rules.toml`), the main-content heuristic over text blocks
//!   (`main_content`, `blocks`), where the article starts (`lead`), charsets,
//!   sentences.
//! - [`refresh`]: one poll of one feed as named steps (`mod.rs`), dedupe
//!   (`classify`), article pages (`article`) and whether an entry's text is
//!   only a teaser of its page (`teaser`), what a poll reports and records
//!   (`report`), when it is due next (`schedule`), `linkpost poll`'s pass
//!   (`pass`), `preview`, and `check --fetch`'s `probe`.
//! - [`post`]: the summary chain (`build`), rendering with YAML front matter
//!   (`render`) or TOML and Zola's and a body template (`format`), tags
//!   from categories (`tags`), reading a post file back (`front_matter`),
//!   file names.
//! - [`writer`]: claims posts in batches (`claim`), writes and syncs their
//!   files (`files`), finishes what a crash left (`recovery`), on two threads.
//! - [`output`]: atomic, never-clobbering file writes.
//! - [`store`]: SQLite: schema and migrations, feeds (and whether they
//!   moved), entries, the writer's journal, review states, the one-poller lock.
//! - [`review`]: `drafts`, `approve`, `reject`, edits, and undo
//!   (`restore`, rejected drafts kept for `reject_keep`); one service for
//!   the CLI and the page.
//! - [`web`]: the review page (axum): routes, the `Host`/token/CSRF checks
//!   and headers (`security`), templates (`page`, `templates/`), with its
//!   script and style from `static/`; `/metrics` and `/healthz`
//!   (`telemetry`), on `http_listen` and on the page's listener in `run`.
//! - [`notify`]: `[[notify]]` webhooks: the events and their JSON bodies
//!   (`event`), the signed POST and its retry rule (`deliver`), a bounded
//!   queue and sender task per target that no poll waits for.
//! - [`metrics`]: what polls and the writer count (`prometheus-client`).
//! - [`daemon`]: the due queue (pure), the scheduler shell, Unix signals,
//!   systemd notify, the loop's heartbeat (`health`).
//! - [`clock`]: the time, passed in so tests can pause it.
//!
//! `feed`, `extract`, `canon`, `post` and the schedule maths are pure and
//! synchronous; the store is the only shared state.

#![warn(missing_docs)]

pub mod canon;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod discover;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod filter;
pub mod metrics;
pub mod notify;
pub mod opml;
pub mod output;
pub mod post;
pub mod refresh;
pub mod review;
pub mod store;
pub mod web;
pub mod writer;
