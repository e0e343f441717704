//! The command line: argument parsing and one function per command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use linkpost::config::Config;
use linkpost::pipeline::{self, Pipeline};
use linkpost::store::Store;

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
    let config_path = match &cli.command {
        Command::Poll(arg) | Command::Check(arg) => arg.config.clone(),
    };
    let config = match load_config(&config_path) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("linkpost: {err}");
            return ExitCode::from(exit::CONFIG);
        }
    };
    let result = match cli.command {
        Command::Check(_) => {
            println!(
                "{}: ok, {} feeds",
                config_path.display(),
                config.feeds.len()
            );
            Ok(exit::OK)
        }
        Command::Poll(_) => poll(config),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("linkpost: {err:#}");
            ExitCode::from(exit::ERROR)
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

fn poll(config: Config) -> anyhow::Result<u8> {
    if config.feeds.is_empty() {
        tracing::warn!(
            "no feeds configured; add a [[feed]] table to {}",
            config.path.display()
        );
    }
    let store = open_store(&config)?;
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
