//! `check`: validates the config and, with `--fetch`, fetches and parses
//! every feed once ([`probe_feeds`]), writing nothing: no store, no post.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;

use super::{CheckArgs, exit, runtime};
use linkpost::config::Config;
use linkpost::fetch::Fetcher;
use linkpost::refresh::{FeedProbe, probe_feeds};

/// One feed's line in `check --fetch --json`.
#[derive(Debug, Serialize)]
struct ProbeRow {
    name: String,
    url: String,
    ok: bool,
    entries: Option<usize>,
    newest: Option<String>,
    moved_to: Option<String>,
    error: Option<String>,
}

impl From<FeedProbe> for ProbeRow {
    fn from(probe: FeedProbe) -> ProbeRow {
        let (ok, entries, newest, moved_to, error) = match probe.result {
            Ok(p) => (
                true,
                Some(p.entries),
                p.newest
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                p.moved_to.map(String::from),
                None,
            ),
            Err(e) => (false, None, None, None, Some(e.to_string())),
        };
        ProbeRow {
            name: probe.name,
            url: probe.url.to_string(),
            ok,
            entries,
            newest,
            moved_to,
            error,
        }
    }
}

pub(super) fn check(config: Config, args: &CheckArgs) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "{}: ok, {} feeds",
            args.config.config.display(),
            config.feeds.len()
        )?;
    }
    if !args.fetch {
        return Ok(exit::OK);
    }
    let fetcher = Arc::new(Fetcher::new(&config).context("building the HTTP client")?);
    let probes = runtime()?.block_on(probe_feeds(Arc::new(config), fetcher));
    let rows: Vec<ProbeRow> = probes.into_iter().map(ProbeRow::from).collect();
    let failed = rows.iter().filter(|r| !r.ok).count();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for row in &rows {
            match &row.error {
                Some(error) => writeln!(out, "{}: error: {error}", row.name)?,
                None => {
                    let newest = row.newest.as_deref().map_or_else(
                        || "no entry has a date".to_string(),
                        |t| format!("newest {t}"),
                    );
                    let moved = row
                        .moved_to
                        .as_deref()
                        .map_or_else(String::new, |to| format!(", redirects permanently to {to}"));
                    writeln!(
                        out,
                        "{}: ok, {} entries, {newest}{moved}",
                        row.name,
                        row.entries.unwrap_or_default()
                    )?;
                }
            }
        }
        if failed > 0 {
            writeln!(out, "{failed} of {} feeds failed", rows.len())?;
        }
    }
    Ok(if failed > 0 {
        exit::FEED_FAILURES
    } else {
        exit::OK
    })
}
