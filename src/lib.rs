//! linkpost: a feed aggregator daemon that writes one link-post draft per new
//! article.
//!
//! # Layout
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! FeedConfig ─▶ fetch ─▶ feed::parse_feed ─▶ FeedItem ─▶ canon (dedupe key) ─▶ store (seen?)
//!            ─▶ extract (summary) ─▶ render::Post ─▶ store (claim) ─▶ output (write) ─▶ store (written)
//! ```
//!
//! - [`config`]: the TOML file, validated.
//! - [`fetch`]: the polite HTTP client (and `file:` reads).
//! - [`feed`]: feed bytes to [`feed::FeedItem`]s (wraps feed-rs).
//! - [`canon`]: URL canonicalisation, the dedupe key.
//! - [`extract`]: HTML to clean text, selectors, sentence cutting.
//! - [`render`]: a [`render::Post`] to markdown with YAML front matter.
//! - [`front_matter`]: reading a post file back, and flipping its `draft` flag.
//! - [`review`]: `drafts`, `approve` and `reject`.
//! - [`output`]: file names and atomic, never-clobbering writes.
//! - [`store`]: SQLite: feeds, entries, claims.
//! - [`writer`]: claims, writes and syncs posts in batches, on its own thread.
//! - [`pipeline`]: one poll of one feed, and one pass over all feeds.
//! - [`schedule`]: when a feed is polled next (backoff, Retry-After, jitter).
//! - [`scheduler`]: the daemon loop: due feeds, limits, reload, clean stop.
//! - [`signals`], [`systemd`]: Unix signals and `sd_notify`.
//!
//! `feed`, `extract`, `canon` and `render` are pure and synchronous; the
//! store is the only shared state.

#![warn(missing_docs)]

pub mod canon;
pub mod config;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod front_matter;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod review;
pub mod schedule;
pub mod scheduler;
pub mod signals;
pub mod store;
pub mod systemd;
pub mod writer;
