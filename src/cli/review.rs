//! `drafts`, `approve`, `reject` and `restore`: reviewing from the
//! terminal; `review`: the review page.

use std::io::Write;

use anyhow::Context;

use super::{exit, open_store};
use linkpost::config::Config;

fn review_folders(config: &Config) -> linkpost::review::Folders<'_> {
    linkpost::review::Folders::of(config)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn drafts(config: &Config, json: bool) -> anyhow::Result<u8> {
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
pub(super) enum Verdict {
    Approve,
    Reject,
}

pub(super) fn review(config: &Config, args: &[String], verdict: Verdict) -> anyhow::Result<u8> {
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
            Verdict::Reject => {
                linkpost::review::reject(&mut store, folders, target, now()).map(|()| {
                    format!(
                        "rejected {id}: moved {} to {} (`linkpost restore {id}` brings it back)",
                        target.path.display(),
                        linkpost::review::kept_dir(&config.output_dir).display()
                    )
                })
            }
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

/// `restore ID...`: rejected drafts back as drafts, one by one.
pub(super) fn restore(config: &Config, ids: &[i64]) -> anyhow::Result<u8> {
    let mut store = open_store(config)?;
    let folders = review_folders(config);
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for &id in ids {
        match linkpost::review::restore(&mut store, folders, id, now()) {
            Ok(path) => writeln!(out, "restored {id}: {}", path.display())?,
            Err(err) => {
                eprintln!("linkpost: {err}");
                failed = true;
            }
        }
    }
    Ok(if failed { exit::ERROR } else { exit::OK })
}

/// `review`: serves the page until SIGTERM or SIGINT.
pub(super) fn serve(config: &Config, listen: Option<std::net::SocketAddr>) -> anyhow::Result<u8> {
    let addr = match listen.or(config.review_listen) {
        Some(addr) => addr,
        None => linkpost::config::DEFAULT_REVIEW_LISTEN
            .parse()
            .context("the default review address")?,
    };
    let settings = linkpost::web::ReviewSettings::of(config);
    super::runtime()?.block_on(async move {
        let listener = linkpost::web::bind(addr, settings.token.as_deref()).await?;
        let local = listener
            .local_addr()
            .context("reading the listen address")?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "review page: http://{local}/")?;
            out.flush()?;
        }
        linkpost::web::serve(listener, settings, stop_signal()).await?;
        Ok(exit::OK)
    })
}

/// Completes at SIGTERM or SIGINT.
pub(super) async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM ({e}); stop with Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
