//! `poll` and `run`: one pass over every feed, or the daemon.

use std::sync::Arc;

use anyhow::Context;

use super::{RunArgs, exit, open_store, runtime};
use linkpost::config::Config;
use linkpost::daemon::systemd::SystemdNotifier;
use linkpost::daemon::{self, DaemonOptions, Health, signals};
use linkpost::refresh::{self, Refresher, Shared};
use linkpost::store::{PollerLock, Store};
use linkpost::web::Telemetry;

/// What `poll` and `run` start with: a warning when there is nothing to poll,
/// the one-poller lock on the database, and the store.
fn open_for_polling(config: &Config) -> anyhow::Result<(PollerLock, Store)> {
    if config.feeds.is_empty() {
        tracing::warn!(
            "no feeds configured; add a [[feed]] table to {}",
            config.path.display()
        );
    }
    let lock = PollerLock::acquire(&config.database)?;
    Ok((lock, open_store(config)?))
}

pub(super) fn poll(config: Config) -> anyhow::Result<u8> {
    let (_lock, store) = open_for_polling(&config)?;
    let shared = Shared::new(store);
    let report = runtime()?.block_on(async move {
        // Built inside the runtime: it starts the notification senders.
        let refresher = Arc::new(Refresher::new(Arc::new(config), &shared)?);
        let report = refresh::poll_all(Arc::clone(&refresher)).await;
        // The pass's notifications go out before the exit, within a grace.
        refresher
            .notifications()
            .finish(linkpost::notify::DEFAULT_GRACE)
            .await;
        anyhow::Ok(report?)
    })?;
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

pub(super) fn run_daemon(config: Config, args: RunArgs) -> anyhow::Result<u8> {
    let (_lock, store) = open_for_polling(&config)?;
    let shared = Shared::new(store);
    let telemetry = Telemetry {
        metrics: Arc::clone(&shared.metrics),
        health: Arc::new(Health::new()),
    };
    let served = config.review_listen.is_some() || config.http_listen.is_some();
    let options = DaemonOptions {
        config_path: config.path.clone(),
        shutdown_grace: args.shutdown_grace,
        health: served.then(|| Arc::clone(&telemetry.health)),
    };
    let runtime = runtime()?;
    let result = runtime.block_on(async move {
        let signals = signals::listen().context("installing signal handlers")?;
        // The review page and the metrics, when configured, run beside the
        // daemon and stop with it; they fail the start, not the daemon later.
        let (stop_servers, servers_stopped) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut stopped = servers_stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        let mut servers = Vec::new();
        if let Some(addr) = config.review_listen {
            let mut settings = linkpost::web::ReviewSettings::of(&config);
            settings.telemetry = Some(telemetry.clone());
            let listener = linkpost::web::bind(addr, settings.token.as_deref())
                .await
                .with_context(|| format!("review_listen in {}", config.path.display()))?;
            let stopped = stopped();
            servers.push(tokio::spawn(async move {
                if let Err(e) = linkpost::web::serve(listener, settings, stopped).await {
                    tracing::error!(error = %e, "the review page stopped; the daemon goes on");
                }
            }));
        }
        match config.http_listen {
            // One listener serves both, behind the page's checks.
            Some(addr) if config.review_listen == Some(addr) => {
                tracing::info!(%addr, "metrics served on the review page's listener");
            }
            Some(addr) => {
                let listener = linkpost::web::bind_telemetry(addr)
                    .await
                    .with_context(|| format!("http_listen in {}", config.path.display()))?;
                let (telemetry, database, stopped) =
                    (telemetry.clone(), config.database.clone(), stopped());
                servers.push(tokio::spawn(async move {
                    let served =
                        linkpost::web::serve_telemetry(listener, telemetry, database, stopped);
                    if let Err(e) = served.await {
                        tracing::error!(error = %e, "the metrics server stopped; the daemon goes on");
                    }
                }));
            }
            None => {}
        }
        let mut notifier = SystemdNotifier::new();
        let ran = daemon::run(options, config, shared, signals, &mut notifier).await;
        let _ = stop_servers.send(true);
        for server in servers {
            let _ = server.await;
        }
        ran?;
        Ok(exit::OK)
    });
    // The grace period is over: a poll abandoned while it waited for the
    // writer must not hold the exit (its claims are durable; the next run
    // finishes them).
    runtime.shutdown_timeout(SHUTDOWN_LEFTOVERS);
    result
}

/// How long the runtime waits at exit for blocking work left after the
/// daemon's grace period.
const SHUTDOWN_LEFTOVERS: std::time::Duration = std::time::Duration::from_millis(500);
