//! The command line: argument parsing, and one file per command group
//! (`poll` and `run`, `check`, `feeds`, `fix-moved`, review, `preview`). `main` → [`run`] → an
//! exit code; errors print once, as one line with their causes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use linkpost::config::Config;
use linkpost::store::Store;

mod check;
mod feeds;
mod moved;
mod poll;
mod preview;
mod review;
mod subscriptions;

/// Exit codes a script can rely on.
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// An unexpected error (store, output folder, bug).
    pub const ERROR: u8 = 1;
    /// `poll` or `check --fetch` finished, but at least one feed failed.
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
    #[command(after_help = "Example:\n  linkpost poll --config /etc/linkpost/linkpost.toml")]
    Poll(ConfigArg),
    /// Validate the configuration and exit (0 valid, 3 invalid); with
    /// `--fetch`, also fetch every feed once (2 when any failed).
    #[command(
        after_help = "Example:\n  linkpost check --fetch --config /etc/linkpost/linkpost.toml"
    )]
    Check(CheckArgs),
    /// Run as a daemon: poll each feed on its interval until SIGTERM/SIGINT;
    /// SIGHUP reloads the configuration.
    #[command(after_help = "Example:\n  linkpost run --config /etc/linkpost/linkpost.toml")]
    Run(RunArgs),
    /// Show each feed's last poll, status, errors, next due time and posts.
    #[command(
        after_help = "Example:\n  linkpost feeds --json | jq '.[] | select(.consecutive_errors > 0)'"
    )]
    Feeds(FeedsArgs),
    /// Show the posts a feed would produce, writing nothing (to tune a selector).
    #[command(after_help = "Example:\n  linkpost preview https://www.cncf.io/feed/ --limit 3")]
    Preview(PreviewArgs),
    /// List the drafts waiting for review, newest first.
    #[command(after_help = "Example:\n  linkpost drafts")]
    Drafts(DraftsArgs),
    /// Approve drafts: set `draft: false`, keeping every edit, and move them
    /// to `publish_dir` when it is set.
    #[command(after_help = "Example:\n  linkpost approve 12 13 drafts/2026-12-01-istio-day.md")]
    Approve(ReviewArgs),
    /// Reject drafts: move their files to the hidden folder
    /// `.linkpost-rejected` (kept for `reject_keep`); the articles are never
    /// written again unless restored.
    #[command(after_help = "Example:\n  linkpost reject 14")]
    Reject(ReviewArgs),
    /// Restore rejected drafts kept in `.linkpost-rejected`: drafts again.
    #[command(after_help = "Example:\n  linkpost restore 14")]
    Restore(RestoreArgs),
    /// Serve the review page: read, edit, approve and reject drafts in a
    /// browser, until SIGTERM/SIGINT.
    #[command(after_help = "Example:\n  linkpost review --listen 127.0.0.1:8787")]
    Review(ServeArgs),
    /// Add a feed from its URL, a site's or an article's: finds the feed,
    /// shows what the first poll would write, and appends a [[feed]] to the
    /// config (comments kept).
    #[command(
        after_help = "Example:\n  linkpost add https://www.cncf.io/blog/ --tags cncf,cloud-native --dry-run"
    )]
    Add(AddArgs),
    /// Add the feeds of an OPML file (another reader's export) to the
    /// config; folders become tags, feeds already there are skipped.
    #[command(
        after_help = "Example:\n  linkpost import-opml ~/Downloads/subscriptions.opml --dry-run"
    )]
    ImportOpml(ImportOpmlArgs),
    /// Print a shell's completion script for linkpost.
    #[command(
        after_help = "Example:\n  linkpost completions bash > /etc/bash_completion.d/linkpost"
    )]
    Completions(CompletionsArgs),
    /// Write the man pages (linkpost.1 and one per command) to a folder.
    #[command(hide = true, after_help = "Example:\n  linkpost manpages man")]
    Manpages(ManpagesArgs),
    /// Print the feeds as an OPML 2.0 file, tags as folders and categories.
    #[command(after_help = "Example:\n  linkpost export-opml --output feeds.opml")]
    ExportOpml(ExportOpmlArgs),
    /// Put the new URL of every moved feed (`linkpost feeds` says "moved
    /// to …") in the config file, keeping its comments.
    #[command(after_help = "Example:\n  linkpost fix-moved --dry-run")]
    FixMoved(FixMovedArgs),
}

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Also fetch every feed once and report whether it parses, its entries
    /// and its newest entry's date; writes nothing.
    #[arg(long)]
    fetch: bool,
    /// With `--fetch`, print one JSON array instead of text.
    #[arg(long, requires = "fetch")]
    json: bool,
}

/// Arguments of `fix-moved`.
#[derive(Debug, clap::Args)]
pub struct FixMovedArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Print the change as a diff and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Arguments of `manpages`.
#[derive(Debug, clap::Args)]
pub struct ManpagesArgs {
    /// The folder to write them to (created if missing).
    dir: PathBuf,
}

/// Arguments of `add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// A feed's URL, or a site's or an article's, whose page links its feeds.
    url: String,
    /// The feed's name (default: the feed's title, made unique).
    #[arg(long)]
    name: Option<String>,
    /// Tags of the feed's posts, comma-separated.
    #[arg(long, value_delimiter = ',')]
    tags: Vec<String>,
    /// Which feed, when the page has several: its number in the list or its URL.
    #[arg(long, value_name = "N|URL")]
    pick: Option<String>,
    /// Show the change to the config, and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Arguments of `import-opml`.
#[derive(Debug, clap::Args)]
pub struct ImportOpmlArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The OPML file (`-` for standard input).
    file: PathBuf,
    /// Show the change to the config, and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Arguments of `export-opml`.
#[derive(Debug, clap::Args)]
pub struct ExportOpmlArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Arguments of `restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Rejected posts, by id.
    #[arg(required = true, value_name = "ID")]
    ids: Vec<i64>,
}

/// Arguments of `review`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Address and port to listen on (default: `review_listen`, else
    /// 127.0.0.1:8787). Anything but loopback needs `review_token`.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<std::net::SocketAddr>,
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
    /// Elements removed from the article page first (repeatable). A CSS
    /// selector, as `summary_exclude`; the config's `exclude` filter is
    /// `--filter-exclude`.
    #[arg(long)]
    exclude: Vec<String>,
    /// Keep only entries matching one of these patterns, as the config's
    /// `include` (repeatable): a case-insensitive regular expression,
    /// optionally after `title:`, `summary:`, `category:` or `url:`. Named
    /// `--filter-…` because `--exclude` already removes page elements.
    #[arg(long, value_name = "PATTERN")]
    filter_include: Vec<String>,
    /// Keep out entries matching any of these patterns, as the config's
    /// `exclude` (repeatable), e.g. `--filter-exclude title:sponsor`.
    #[arg(long, value_name = "PATTERN")]
    filter_exclude: Vec<String>,
    /// A config file whose `[[feed]]` with this URL gives the `include` and
    /// `exclude` patterns (top-level ones included); `--filter-…` patterns
    /// add to them. Without it, preview uses no config.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Fetch every article page and find its main content, without a
    /// selector (as `fetch_article = true`). By default only the pages of
    /// entries whose feed text is a teaser are fetched (`"auto"`).
    #[arg(long, conflicts_with = "no_fetch_article")]
    fetch_article: bool,
    /// Fetch no article page without a selector (as `fetch_article = false`).
    #[arg(long)]
    no_fetch_article: bool,
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
        Command::Preview(args) => preview::preview(&args),
        Command::Check(args) => {
            with_config(&args.config.config, |config| check::check(config, &args))
        }
        Command::Poll(arg) => with_config(&arg.config, poll::poll),
        Command::Run(args) => with_config(&args.config.config.clone(), |config| {
            poll::run_daemon(config, args)
        }),
        Command::Feeds(args) => with_config(&args.config.config, |config| {
            feeds::feeds(&config, args.json)
        }),
        Command::Drafts(args) => with_config(&args.config.config, |config| {
            review::drafts(&config, args.json)
        }),
        Command::Approve(args) => with_config(&args.config.config, |config| {
            review::review(&config, &args.drafts, review::Verdict::Approve)
        }),
        Command::Reject(args) => with_config(&args.config.config, |config| {
            review::review(&config, &args.drafts, review::Verdict::Reject)
        }),
        Command::Restore(args) => with_config(&args.config.config, |config| {
            review::restore(&config, &args.ids)
        }),
        Command::Review(args) => with_config(&args.config.config, |config| {
            review::serve(&config, args.listen)
        }),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into memory first: `generate` panics when its writer fails
            // (`linkpost completions bash | head`).
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, "linkpost", &mut script);
            std::io::stdout()
                .lock()
                .write_all(&script)
                .map(|()| exit::OK)
                .map_err(anyhow::Error::from)
        }
        Command::Manpages(args) => write_manpages(&args.dir),
        Command::Add(args) => with_config(&args.config.config, |config| {
            subscriptions::add(&config, &args)
        }),
        Command::ImportOpml(args) => with_config(&args.config.config, |config| {
            subscriptions::import_opml(&config, &args)
        }),
        Command::ExportOpml(args) => with_config(&args.config.config, |config| {
            subscriptions::export_opml(&config, &args)
        }),
        Command::FixMoved(args) => with_config(&args.config.config, |config| {
            moved::fix_moved(&config, args.dry_run)
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`linkpost drafts | head -1`): what it read
        // was all it wanted, so that is no failure.
        Err(err) if is_broken_pipe(&err) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!("linkpost: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Writes `linkpost.1` and a page per command (`linkpost-poll.1`…) to `dir`;
/// `man/` in the repository holds them, and a test keeps them current.
fn write_manpages(dir: &Path) -> anyhow::Result<u8> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let command = <Cli as clap::CommandFactory>::command();
    clap_mangen::generate_to(command, dir)
        .with_context(|| format!("writing man pages to {}", dir.display()))?;
    Ok(exit::OK)
}

/// Whether `err` comes from writing to a closed pipe.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
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

/// The runtime of every command: one thread for the schedule, the polls'
/// network I/O and their hand-offs to the writer, beside the writer's
/// threads and the blocking pool that parses feeds and builds posts (the
/// CPU-heavy part). Polls that are mostly 304s cost little each, so on a
/// multi-thread runtime the wake-ups between its workers and the thread
/// running the loop cost more than the polls: per poll, 6 context switches
/// against about 3 on the daemon, and a third less CPU for a warm `poll`
/// (`bench/RESULTS.md`).
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(super) fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database)
        .with_context(|| format!("opening the store named by {}", config.path.display()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn every_command_is_valid_and_its_help_ends_with_an_example() {
        let command = Cli::command();
        command.clone().debug_assert();
        for sub in command.get_subcommands() {
            let after = sub.get_after_help().map(ToString::to_string);
            let example = after
                .as_deref()
                .and_then(|a| a.strip_prefix("Example:\n  "));
            assert!(
                example.is_some_and(|e| e.starts_with("linkpost ")),
                "`linkpost {} --help` must end with an example, found {after:?}",
                sub.get_name()
            );
        }
    }
}
