//! `/metrics` and `/healthz`: on their own listener (`http_listen`), and on
//! the review page's when `run` serves it.
//!
//! `/metrics` is the Prometheus/OpenMetrics text of [`Metrics`], the drafts
//! waiting counted from the store at each scrape (a read of the small
//! per-state count table, on a blocking thread). `/healthz` answers 200
//! `ok` while the scheduler loop is alive and 503 when it is stuck or not
//! started yet ([`Health`]). On `http_listen` there is no `Host` check and
//! no token: the metrics are no secret and name no feed. On the review
//! page's listener both go through the page's checks (`Host`, and its token
//! when `review_token` is set).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::WebError;
use crate::daemon::{Health, Liveness};
use crate::metrics::{self, Metrics};
use crate::store::{Store, lock_shared};

/// What `run` shares with the servers of `/metrics` and `/healthz`.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// What the daemon counts.
    pub metrics: Arc<Metrics>,
    /// The scheduler loop's heartbeat.
    pub health: Arc<Health>,
}

/// The exposition, with the drafts waiting read from `store` first; a
/// store that cannot count keeps the last value (and says so in the log).
pub(super) fn scrape(metrics: &Metrics, store: &Store) -> String {
    match store.count_all_posts() {
        Ok(counts) => metrics.drafts_waiting(counts.drafts),
        Err(e) => tracing::warn!(error = %e, "cannot count the drafts for /metrics"),
    }
    metrics.encode()
}

/// The `/metrics` response for `text`.
pub(super) fn metrics_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

/// The `/healthz` response: 200 `ok`, or 503 saying why not.
pub(super) fn health_response(health: &Health) -> Response {
    match health.liveness() {
        Liveness::Alive => (StatusCode::OK, "ok\n".to_string()).into_response(),
        Liveness::Starting => {
            (StatusCode::SERVICE_UNAVAILABLE, "starting\n".to_string()).into_response()
        }
        Liveness::Stuck(age) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "stuck: the scheduler loop has not gone round for {}s (limit {}s)\n",
                age.as_secs(),
                health.stuck_after().as_secs()
            ),
        )
            .into_response(),
    }
}

/// The state of the `http_listen` server.
struct TelemetryApp {
    telemetry: Telemetry,
    store: Mutex<Store>,
}

/// Binds `http_listen`'s address; any address is allowed.
pub async fn bind_telemetry(addr: SocketAddr) -> Result<TcpListener, WebError> {
    TcpListener::bind(addr)
        .await
        .map_err(|cause| WebError::Bind { addr, cause })
}

/// Serves `/metrics` and `/healthz` on `listener` until `shutdown`
/// completes, counting drafts in the store at `database`.
pub async fn serve_telemetry(
    listener: TcpListener,
    telemetry: Telemetry,
    database: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let local = listener.local_addr().map_err(WebError::Serve)?;
    let store = tokio::task::spawn_blocking(move || Store::open(&database))
        .await
        .map_err(|e| WebError::Serve(std::io::Error::other(e)))??;
    let app = Arc::new(TelemetryApp {
        telemetry,
        store: Mutex::new(store),
    });
    let router = Router::new()
        .route("/metrics", get(metrics_route))
        .route("/healthz", get(health_route))
        .layer(axum::middleware::map_response(plain_headers))
        .with_state(app);
    tracing::info!(url = %format!("http://{local}/metrics"), "metrics listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(WebError::Serve)
}

async fn metrics_route(State(app): State<Arc<TelemetryApp>>) -> Response {
    let scraped = tokio::task::spawn_blocking(move || {
        let store = lock_shared(&app.store);
        scrape(&app.telemetry.metrics, &store)
    })
    .await;
    match scraped {
        Ok(text) => metrics_response(text),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn health_route(State(app): State<Arc<TelemetryApp>>) -> Response {
    health_response(&app.telemetry.health)
}

/// Nothing here is for a browser to cache or sniff.
async fn plain_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
