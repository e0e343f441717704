//! The review page: a small local web server (axum) doing what `drafts`,
//! `approve`, `reject` and `restore` do, plus editing, on the same files
//! and store through [`crate::review`], with its guarantees.
//!
//! - `security`: who may ask: the `Host` check (DNS rebinding), the token,
//!   the CSRF token on every POST, and the headers of every response (a
//!   Content-Security-Policy with no inline script).
//! - `routes`: the page, its parts, and the actions.
//! - `page`: the compile-checked templates (`templates/`).
//! - `telemetry`: `/metrics` and `/healthz`, on `http_listen` and, inside
//!   `run`, on the page's listener too (behind its checks).
//!
//! The page's script and style are `static/`, built in. The server holds
//! its own store connection; every store and file operation runs on a
//! blocking thread, never across an `.await`.

mod page;
mod routes;
mod security;
mod telemetry;

pub use telemetry::{Telemetry, bind_telemetry, serve_telemetry};

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::store::{Store, StoreError};

/// Request bodies larger than this are refused (an edit is a few KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What the review page serves, from the config.
#[derive(Debug, Clone)]
pub struct ReviewSettings {
    /// Where drafts are (`output_dir`).
    pub output_dir: PathBuf,
    /// Where approved posts go (`publish_dir`).
    pub publish_dir: Option<PathBuf>,
    /// The store.
    pub database: PathBuf,
    /// How long rejected drafts are kept.
    pub reject_keep: Duration,
    /// The password (`review_token`), if any.
    pub token: Option<String>,
    /// The configured feeds' names, for the filter.
    pub feeds: Vec<String>,
    /// The daemon's metrics and heartbeat, when the page runs inside
    /// `run`: `/metrics` and `/healthz` are then served too.
    pub telemetry: Option<Telemetry>,
}

impl ReviewSettings {
    /// The settings a config gives.
    pub fn of(config: &crate::config::Config) -> ReviewSettings {
        ReviewSettings {
            output_dir: config.output_dir.clone(),
            publish_dir: config.publish_dir.clone(),
            database: config.database.clone(),
            reject_keep: config.reject_keep,
            token: config.review_token.clone(),
            feeds: config.feeds.iter().map(|f| f.name.clone()).collect(),
            telemetry: None,
        }
    }

    fn folders(&self) -> crate::review::Folders<'_> {
        crate::review::Folders {
            output_dir: &self.output_dir,
            publish_dir: self.publish_dir.as_deref(),
            database: &self.database,
            reject_keep: self.reject_keep,
        }
    }
}

/// Why the review page cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A non-loopback address without a token.
    #[error(
        "refusing to serve the review page on {addr} without a password: it is not a loopback address; set review_token in the config, or listen on 127.0.0.1"
    )]
    NeedsToken {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {cause}; is another program using that port?")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause, printed in the message.
        cause: std::io::Error,
    },
    /// The store cannot be opened.
    #[error("the review page cannot open the store: {0}")]
    Store(#[from] StoreError),
    /// The server failed.
    #[error("the review page stopped: {0}")]
    Serve(std::io::Error),
}

/// Binds the review page's address, refusing a non-loopback one without
/// a token.
pub async fn bind(addr: SocketAddr, token: Option<&str>) -> Result<TcpListener, WebError> {
    check_bind(addr, token)?;
    TcpListener::bind(addr)
        .await
        .map_err(|cause| WebError::Bind { addr, cause })
}

/// Refuses a non-loopback address without a token.
pub fn check_bind(addr: SocketAddr, token: Option<&str>) -> Result<(), WebError> {
    if !addr.ip().is_loopback() && token.is_none_or(str::is_empty) {
        return Err(WebError::NeedsToken { addr });
    }
    Ok(())
}

/// The server's shared state.
pub(crate) struct App {
    settings: ReviewSettings,
    store: Mutex<Store>,
    /// The CSRF token every POST must carry; new at each start.
    csrf: String,
    /// `Host` values accepted.
    hosts: security::Hosts,
}

/// Serves the review page on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    settings: ReviewSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let local = listener.local_addr().map_err(WebError::Serve)?;
    let database = settings.database.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&database))
        .await
        .map_err(|e| WebError::Serve(std::io::Error::other(e)))??;
    let app = Arc::new(App {
        settings,
        store: Mutex::new(store),
        csrf: security::random_token(),
        hosts: security::Hosts::for_addr(local),
    });
    tracing::info!(url = %format!("http://{local}/"), "review page listening");
    axum::serve(listener, routes::router(app))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(WebError::Serve)
}
