//! The `linkpost` binary: parse the command line, set up logging, run.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(&cli.log_level, cli.log_format);
    cli::run(cli)
}

/// Logs go to stderr. `RUST_LOG` wins over `--log-level`; other crates log
/// at `warn` unless asked. journald stamps lines itself, so timestamps are
/// left out when running under it.
fn init_tracing(level: &str, format: cli::LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("warn,linkpost={level}")))
        .unwrap_or_else(|_| EnvFilter::new("warn,linkpost=info"));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match (format, under_journald) {
        (cli::LogFormat::Json, _) => builder.json().init(),
        (cli::LogFormat::Human, true) => builder.without_time().init(),
        (cli::LogFormat::Human, false) => builder.init(),
    }
}
