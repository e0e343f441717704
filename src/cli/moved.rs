//! `fix-moved`: puts the new URL of every moved feed in the config file,
//! keeping its comments and layout ([`ConfigEdit`]). A feed keeps its name,
//! so its history in the store stays with it.

use std::io::Write;

use anyhow::{Context, bail};

use super::{exit, open_store};
use linkpost::clock::{Clock, SystemClock};
use linkpost::config::Config;
use linkpost::config::edit::ConfigEdit;

pub(super) fn fix_moved(config: &Config, dry_run: bool) -> anyhow::Result<u8> {
    let store = open_store(config)?;
    let now = SystemClock.now();
    let mut edit = ConfigEdit::open(&config.path)?;
    let mut changes = Vec::new();
    for feed in &config.feeds {
        let state = store
            .feed_state(&feed.name)
            .with_context(|| format!("reading the state of feed {:?}", feed.name))?;
        let Some(moved) = state.and_then(|s| s.moved(feed.url.as_str(), now)) else {
            continue;
        };
        if !edit.set_feed_url(&feed.name, &moved.to) {
            bail!(
                "cannot set the url of feed {:?} in {}: it needs a `url = \"…\"` key in its [[feed]] table; nothing was changed",
                feed.name,
                config.path.display()
            );
        }
        changes.push((feed, moved));
    }
    let mut out = std::io::stdout().lock();
    if changes.is_empty() {
        writeln!(
            out,
            "no feed has moved; {} is unchanged",
            config.path.display()
        )?;
        return Ok(exit::OK);
    }
    if dry_run {
        write!(out, "{}", edit.diff())?;
        writeln!(
            out,
            "dry run: {} is unchanged; run without --dry-run to write it",
            config.path.display()
        )?;
        return Ok(exit::OK);
    }
    edit.commit()?;
    for (feed, moved) in &changes {
        writeln!(
            out,
            "{}: {} -> {} (moved since {})",
            feed.name,
            feed.url,
            moved.to,
            moved.since.format("%Y-%m-%d")
        )?;
    }
    writeln!(
        out,
        "updated {}; a running `linkpost run` uses the new URLs after SIGHUP (systemctl reload linkpost)",
        config.path.display()
    )?;
    Ok(exit::OK)
}
