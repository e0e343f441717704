//! The command line: argument parsing and one function per command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use std::io::Write;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use linkpost::config::Config;
use linkpost::pipeline::{self, Pipeline};
use linkpost::scheduler::{self, DaemonOptions};
use linkpost::store::Store;
use linkpost::systemd::SystemdNotifier;

/// Exit codes a script can rely on.
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// An unexpected error (store, output folder, bug).
    pub const ERROR: u8 = 1;
    /// `poll` finished, but at least one feed failed.
    pub const FEED_FAILURES: u8 = 2;
    /// The configuration is invalid.
    pub const CONFIG: u8 = 3;
}

/// Turns new feed entries into link-post markdown drafts.
#[derive(Debug, Parser)]
#[command(name = "linkpost", version, about)]
pub struct Cli {
    /// Log level when RUST_LOG is not set: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event.
    Json,
}

/// The config file argument shared by every command.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// The configuration file.
    #[arg(
        long,
        short,
        env = "LINKPOST_CONFIG",
        default_value = "/etc/linkpost/linkpost.toml"
    )]
    pub config: PathBuf,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll every feed once, write posts for new entries, and exit.
    Poll(ConfigArg),
    /// Validate the configuration and exit (0 valid, 3 invalid).
    Check(ConfigArg),
    /// Run as a daemon: poll each feed on its interval until SIGTERM/SIGINT;
    /// SIGHUP reloads the configuration.
    Run(RunArgs),
    /// Show each feed's last poll, status, errors, next due time and posts.
    Feeds(FeedsArgs),
    /// Show the posts a feed would produce, writing nothing (to tune a selector).
    Preview(PreviewArgs),
    /// List the drafts waiting for review, newest first.
    Drafts(DraftsArgs),
    /// Approve drafts: set `draft: false`, keeping every edit, and move them
    /// to `publish_dir` when it is set.
    Approve(ReviewArgs),
    /// Reject drafts: remove their files; the articles are never written again.
    Reject(ReviewArgs),
}

/// Arguments of `drafts`.
#[derive(Debug, clap::Args)]
pub struct DraftsArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Print one JSON array instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `approve` and `reject`.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Drafts, by the id `linkpost drafts` shows or by path. Every one is
    /// checked before any is changed.
    #[arg(required = true, value_name = "ID|PATH")]
    drafts: Vec<String>,
}

/// Arguments of `preview`.
#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The feed: an http(s) URL or a file.
    source: String,
    /// CSS selector for the summary on each article page (repeat to try several in order).
    #[arg(long)]
    selector: Vec<String>,
    /// Elements removed from the article page first (repeatable).
    #[arg(long)]
    exclude: Vec<String>,
    /// Fetch each article page and find its main content, without a selector.
    #[arg(long)]
    fetch_article: bool,
    /// Print one JSON array instead of text.
    #[arg(long)]
    json: bool,
    /// Show at most this many posts.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Fetch article pages from loopback, private and link-local addresses
    /// even when the feed is not served from one.
    #[arg(long)]
    allow_private_addresses: bool,
}

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Time polls in flight get to finish after SIGTERM/SIGINT.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    shutdown_grace: std::time::Duration,
}

/// Arguments of `feeds`.
#[derive(Debug, clap::Args)]
pub struct FeedsArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Print one JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

/// Loads and validates the config, logging its warnings.
fn load_config(path: &Path) -> Result<Config, linkpost::config::ConfigError> {
    let config = Config::load(path)?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    Ok(config)
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Preview(args) => preview(&args),
        Command::Check(arg) => with_config(&arg.config, |config| {
            println!("{}: ok, {} feeds", arg.config.display(), config.feeds.len());
            Ok(exit::OK)
        }),
        Command::Poll(arg) => with_config(&arg.config, poll),
        Command::Run(args) => with_config(&args.config.config.clone(), |config| {
            run_daemon(config, args)
        }),
        Command::Feeds(args) => {
            with_config(&args.config.config, |config| feeds(&config, args.json))
        }
        Command::Drafts(args) => {
            with_config(&args.config.config, |config| drafts(&config, args.json))
        }
        Command::Approve(args) => with_config(&args.config.config, |config| {
            review(&config, &args.drafts, Verdict::Approve)
        }),
        Command::Reject(args) => with_config(&args.config.config, |config| {
            review(&config, &args.drafts, Verdict::Reject)
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("linkpost: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Loads the config and runs `command` on it; an invalid config exits 3.
fn with_config(
    path: &Path,
    command: impl FnOnce(Config) -> anyhow::Result<u8>,
) -> anyhow::Result<u8> {
    match load_config(path) {
        Ok(config) => command(config),
        Err(err) => {
            eprintln!("linkpost: {err}");
            Ok(exit::CONFIG)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database)
        .with_context(|| format!("opening the store named by {}", config.path.display()))
}

/// What `poll` and `run` start with: a warning when there is nothing to poll,
/// the one-poller lock on the database, and the store.
fn open_for_polling(config: &Config) -> anyhow::Result<(linkpost::store::PollerLock, Store)> {
    if config.feeds.is_empty() {
        tracing::warn!(
            "no feeds configured; add a [[feed]] table to {}",
            config.path.display()
        );
    }
    let lock = linkpost::store::PollerLock::acquire(&config.database)?;
    Ok((lock, open_store(config)?))
}

fn poll(config: Config) -> anyhow::Result<u8> {
    let (_lock, store) = open_for_polling(&config)?;
    let pipeline =
        Arc::new(Pipeline::new(Arc::new(config), store).context("building the HTTP client")?);
    let report = runtime()?.block_on(pipeline::poll_all(Arc::clone(&pipeline)))?;
    tracing::info!(
        feeds_ok = report.feeds_ok,
        feeds_failed = report.feeds_failed,
        posts_written = report.posts_written,
        "poll finished"
    );
    Ok(if report.feeds_failed > 0 {
        exit::FEED_FAILURES
    } else {
        exit::OK
    })
}

fn run_daemon(config: Config, args: RunArgs) -> anyhow::Result<u8> {
    let (_lock, store) = open_for_polling(&config)?;
    let options = DaemonOptions {
        config_path: config.path.clone(),
        shutdown_grace: args.shutdown_grace,
    };
    runtime()?.block_on(async move {
        let signals = linkpost::signals::listen().context("installing signal handlers")?;
        let mut notifier = SystemdNotifier::new();
        scheduler::run(options, config, store, signals, &mut notifier).await?;
        Ok(exit::OK)
    })
}

/// One feed's row in `linkpost feeds`.
#[derive(Debug, Serialize)]
struct FeedRow {
    name: String,
    url: String,
    last_poll: Option<String>,
    last_status: Option<String>,
    last_error: Option<String>,
    consecutive_errors: u32,
    next_due: Option<String>,
    posts_written: u64,
    #[serde(flatten)]
    posts: linkpost::store::PostCounts,
    disabled: bool,
}

fn rfc3339(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn feeds(config: &Config, json: bool) -> anyhow::Result<u8> {
    let store = open_store(config)?;
    let mut rows = Vec::with_capacity(config.feeds.len());
    for feed in &config.feeds {
        let state = store.feed_state(&feed.name)?.unwrap_or_default();
        let posts = store.count_posts(&feed.name)?;
        rows.push(FeedRow {
            name: feed.name.clone(),
            url: feed.url.to_string(),
            last_poll: rfc3339(state.last_poll),
            last_status: state.last_status,
            last_error: state.last_error,
            consecutive_errors: state.consecutive_errors,
            next_due: rfc3339(state.next_due),
            posts_written: posts.written(),
            posts,
            disabled: state.disabled,
        });
    }
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(exit::OK);
    }
    let dash = || "-".to_string();
    let table: Vec<[String; 8]> = rows
        .into_iter()
        .map(|r| {
            [
                r.name,
                r.last_poll.unwrap_or_else(dash),
                if r.disabled {
                    "disabled".to_string()
                } else {
                    r.last_status.unwrap_or_else(|| "never polled".to_string())
                },
                r.consecutive_errors.to_string(),
                r.next_due.unwrap_or_else(dash),
                r.posts_written.to_string(),
                r.posts.drafts.to_string(),
                r.last_error.unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "NAME",
        "LAST POLL",
        "STATUS",
        "ERRORS",
        "NEXT DUE",
        "POSTS",
        "DRAFTS",
        "LAST ERROR",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&table) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(exit::OK)
}

fn review_folders(config: &Config) -> linkpost::review::Folders<'_> {
    linkpost::review::Folders {
        output_dir: &config.output_dir,
        publish_dir: config.publish_dir.as_deref(),
        database: &config.database,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn drafts(config: &Config, json: bool) -> anyhow::Result<u8> {
    let mut store = open_store(config)?;
    let (drafts, notices) = linkpost::review::list(&mut store, review_folders(config), now())
        .context("listing drafts")?;
    for notice in &notices {
        eprintln!("linkpost: {notice}");
    }
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &drafts)?;
        writeln!(out)?;
        return Ok(exit::OK);
    }
    if drafts.is_empty() {
        writeln!(out, "no drafts waiting for review")?;
        return Ok(exit::OK);
    }
    let id_width = drafts
        .iter()
        .map(|d| d.id.to_string().len())
        .max()
        .unwrap_or(1);
    for d in &drafts {
        let day = d
            .date
            .as_deref()
            .and_then(|d| d.get(..10))
            .unwrap_or("----------");
        writeln!(out, "{:>id_width$}  {day}  {}  {}", d.id, d.source, d.title)?;
        let indent = " ".repeat(id_width + 2);
        if !d.tldr.is_empty() {
            writeln!(out, "{indent}{}", shorten(&d.tldr, 100))?;
        }
        writeln!(out, "{indent}{}", d.path.display())?;
        if let Some(problem) = &d.problem {
            writeln!(out, "{indent}! {problem}")?;
        }
    }
    writeln!(
        out,
        "\n{} draft{} waiting; `linkpost approve ID...` or `linkpost reject ID...`",
        drafts.len(),
        if drafts.len() == 1 { "" } else { "s" }
    )?;
    Ok(exit::OK)
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let cut: String = text.chars().take(max.saturating_sub(1)).collect();
            format!("{}…", cut.trim_end())
        }
    }
}

/// What `approve` and `reject` do.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Approve,
    Reject,
}

fn review(config: &Config, args: &[String], verdict: Verdict) -> anyhow::Result<u8> {
    let mut store = match open_store(config) {
        Ok(store) => store,
        Err(err) => {
            eprintln!("linkpost: {err:#}");
            eprintln!("linkpost: nothing was changed");
            return Ok(exit::ERROR);
        }
    };
    let folders = review_folders(config);
    for notice in linkpost::review::recover(&store, &config.output_dir)? {
        eprintln!("linkpost: {notice}");
    }
    // Check every argument before changing anything.
    let mut targets: Vec<linkpost::review::Target> = Vec::new();
    let mut refused = 0;
    for arg in args {
        match linkpost::review::resolve(&store, folders, arg) {
            Ok(target) if targets.iter().any(|t| t.post.id == target.post.id) => {}
            Ok(target) => targets.push(target),
            Err(err) => {
                eprintln!("linkpost: {arg}: {err}");
                refused += 1;
            }
        }
    }
    if refused > 0 {
        eprintln!("linkpost: nothing was changed");
        return Ok(exit::ERROR);
    }
    let mut out = std::io::stdout().lock();
    for (done, target) in targets.iter().enumerate() {
        let id = target.post.id;
        let result = match verdict {
            Verdict::Approve => linkpost::review::approve(&mut store, folders, target, now())
                .map(|approved| format!("approved {id}: {}", approved.path.display())),
            Verdict::Reject => linkpost::review::reject(&mut store, folders, target, now())
                .map(|()| format!("rejected {id}: removed {}", target.path.display())),
        };
        match result {
            Ok(line) => writeln!(out, "{line}")?,
            Err(err) => {
                eprintln!("linkpost: {err}");
                if done > 0 {
                    eprintln!("linkpost: the {done} before it were done");
                }
                return Ok(exit::ERROR);
            }
        }
    }
    Ok(exit::OK)
}

/// One post in `preview --json`.
#[derive(Debug, Serialize)]
struct PreviewRow {
    title: String,
    date: String,
    external_url: String,
    tldr: String,
    summary: String,
    summary_source: Option<&'static str>,
}

fn preview(args: &PreviewArgs) -> anyhow::Result<u8> {
    let url = match url::Url::parse(&args.source) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "file") => url,
        _ => {
            let path = std::path::absolute(&args.source)
                .with_context(|| format!("resolving {}", args.source))?;
            url::Url::from_file_path(&path)
                .map_err(|()| anyhow::anyhow!("cannot use {} as a feed", path.display()))?
        }
    };
    // Validate selectors the way the config does, naming the bad one.
    for css in args.selector.iter().chain(&args.exclude) {
        if linkpost::extract::parse_selector(css).is_none() {
            eprintln!("linkpost: \"{css}\" is not a valid CSS selector");
            return Ok(exit::CONFIG);
        }
    }
    let config = Config::parse(Path::new("preview"), "").context("default settings")?;
    let feed = linkpost::config::FeedConfig {
        name: url.host_str().unwrap_or("preview").to_string(),
        url,
        tags: Vec::new(),
        summary_selector: args.selector.clone(),
        summary_exclude: args.exclude.clone(),
        fetch_article: args.fetch_article,
        draft: true,
        backfill: args.limit,
        interval: linkpost::config::DEFAULT_INTERVAL,
        http: config.http,
        allow_private_addresses: args.allow_private_addresses,
    };
    let fetcher = linkpost::fetch::Fetcher::new(&config).context("building the HTTP client")?;
    let mut posts = runtime()?
        .block_on(pipeline::preview_feed(&fetcher, &config, &feed))
        .with_context(|| format!("previewing {}", feed.url))?;
    posts.truncate(args.limit);
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<PreviewRow> = posts
            .into_iter()
            .map(|p| PreviewRow {
                title: p.post.title,
                date: p
                    .post
                    .date
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                external_url: p.post.external_url.to_string(),
                tldr: p.post.tldr,
                summary: p.post.summary,
                summary_source: p.summary_source.map(|s| s.as_str()),
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for p in posts {
            writeln!(out, "{}", p.post.title)?;
            writeln!(
                out,
                "  date:    {}",
                p.post
                    .date
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            )?;
            writeln!(out, "  url:     {}", p.post.external_url)?;
            writeln!(
                out,
                "  summary: from {}",
                p.summary_source.map_or("nothing", |s| s.as_str())
            )?;
            writeln!(out, "  tldr:    {}\n", p.post.tldr)?;
        }
    }
    Ok(exit::OK)
}
