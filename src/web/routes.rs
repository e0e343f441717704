//! The page's routes: `GET /` (the page), `GET /live` (its changing part),
//! `GET /stamp` (whether anything changed), `GET /draft/{id}` (one draft's
//! fields to edit), `POST /draft/{id}/{approve,reject,edit,undo}`, and the
//! built-in script and style.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::page::{Live, Page};
use super::{App, MAX_BODY_BYTES, security, telemetry};
use crate::review::{self, Edits, ReviewError, Undone};
use crate::store::{PostCounts, StoreError, lock_shared};

const SCRIPT: &str = include_str!("../../static/review.js");
const STYLE: &str = include_str!("../../static/review.css");

pub(super) fn router(app: Arc<App>) -> Router {
    let mut router = Router::new();
    if app.settings.telemetry.is_some() {
        router = router
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz));
    }
    router
        .route("/", get(page))
        .route("/live", get(live))
        .route("/stamp", get(stamp))
        .route("/draft/{id}", get(draft))
        .route("/draft/{id}/approve", post(approve))
        .route("/draft/{id}/reject", post(reject))
        .route("/draft/{id}/undo", post(undo))
        .route("/draft/{id}/edit", post(edit))
        .route("/static/review.js", get(script))
        .route("/static/review.css", get(style))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            security::guard,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A failed request, as the page shows it.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<ReviewError> for Failure {
    fn from(e: ReviewError) -> Failure {
        let status = match &e {
            ReviewError::UnknownId { .. } | ReviewError::NoSuchFile { .. } => StatusCode::NOT_FOUND,
            ReviewError::Changed { .. }
            | ReviewError::AlreadyHandled { .. }
            | ReviewError::Missing { .. }
            | ReviewError::Exists { .. }
            | ReviewError::NotKept { .. }
            | ReviewError::NotRejected { .. }
            | ReviewError::NothingToUndo { .. }
            | ReviewError::NotUndoable { .. }
            | ReviewError::FrontMatter { .. }
            | ReviewError::NotLinkposts { .. } => StatusCode::CONFLICT,
            ReviewError::Store {
                cause: StoreError::StateChanged { .. },
                ..
            } => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "review page");
        }
        Failure(status, e.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        ReviewError::from(e).into()
    }
}

/// Runs store and file work on a blocking thread, holding the store.
async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    work: impl FnOnce(&App, &mut crate::store::Store) -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = lock_shared(&app.store);
        work(&app, &mut store)
    })
    .await
    .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

fn render_live(app: &App, store: &mut crate::store::Store) -> Result<Live, Failure> {
    let (drafts, notices) = review::list(store, app.settings.folders(), now())?;
    let counts = store.count_all_posts()?;
    let stamp = store.review_stamp()?;
    let notices = notices.iter().map(ToString::to_string).collect();
    Ok(Live::new(drafts, counts, stamp, notices))
}

fn html(template: &impl Template) -> Result<Response, Failure> {
    let text = template
        .render()
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Html(text).into_response())
}

async fn page(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let page = blocking(&app, |app, store| {
        Ok(Page {
            csrf: app.csrf.clone(),
            feeds: app.settings.feeds.clone(),
            live: render_live(app, store)?,
        })
    })
    .await?;
    html(&page)
}

async fn live(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let live = blocking(&app, render_live).await?;
    html(&live)
}

async fn stamp(State(app): State<Arc<App>>) -> Result<String, Failure> {
    blocking(&app, |_, store| Ok(store.review_stamp()?)).await
}

/// One draft's editable fields, as the file now reads.
#[derive(Serialize)]
struct DraftFields {
    id: i64,
    title: String,
    tags: Vec<String>,
    tldr: String,
    summary: String,
    fingerprint: String,
}

async fn draft(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<axum::Json<DraftFields>, Failure> {
    blocking(&app, move |app, store| {
        let target = review::resolve_id(store, app.settings.folders(), id)?;
        let fm = target.front_matter();
        let text = |key: &str| fm.get(key).unwrap_or_default().to_string();
        Ok(axum::Json(DraftFields {
            id,
            title: text("title"),
            tags: fm.list("tags").map(<[String]>::to_vec).unwrap_or_default(),
            tldr: text("tldr"),
            summary: text("summary"),
            fingerprint: target.fingerprint(),
        }))
    })
    .await
}

/// What an action answers: a message and the new counts.
#[derive(Serialize)]
struct Done {
    message: String,
    counts: PostCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
}

fn done(store: &crate::store::Store, message: String) -> Result<axum::Json<Done>, Failure> {
    Ok(axum::Json(Done {
        message,
        counts: store.count_all_posts()?,
        fingerprint: None,
    }))
}

async fn approve(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Done>, Failure> {
    blocking(&app, move |app, store| {
        let folders = app.settings.folders();
        let target = review::resolve_id(store, folders, id)?;
        let approved = review::approve(store, folders, &target, now())?;
        tracing::info!(post = id, path = %approved.path.display(), "approved on the review page");
        done(store, format!("approved {id}: {}", approved.path.display()))
    })
    .await
}

async fn reject(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Done>, Failure> {
    blocking(&app, move |app, store| {
        let folders = app.settings.folders();
        let target = review::resolve_id(store, folders, id)?;
        review::reject(store, folders, &target, now())?;
        tracing::info!(post = id, "rejected on the review page");
        done(store, format!("rejected {id}; u undoes it"))
    })
    .await
}

async fn undo(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Done>, Failure> {
    blocking(&app, move |app, store| {
        let undone = review::undo(store, app.settings.folders(), id, now())?;
        let message = match undone {
            Undone::Restored(path) => format!("restored {id}: {}", path.display()),
            Undone::Unapproved(path) => format!("{id} is a draft again: {}", path.display()),
        };
        tracing::info!(post = id, "{message}");
        done(store, message)
    })
    .await
}

/// An edit as the page sends it.
#[derive(Deserialize)]
struct EditRequest {
    #[serde(flatten)]
    edits: Edits,
    /// The fingerprint of the text the reviewer edited.
    fingerprint: String,
}

async fn edit(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Done>, Failure> {
    let request: EditRequest = serde_json::from_slice(&body).map_err(|e| {
        Failure(
            StatusCode::BAD_REQUEST,
            format!("the edit cannot be read: {e}"),
        )
    })?;
    blocking(&app, move |app, store| {
        let target = review::resolve_id(store, app.settings.folders(), id)?;
        let fingerprint = review::edit(&target, &request.edits, &request.fingerprint)?;
        tracing::info!(post = id, path = %target.path.display(), "edited on the review page");
        let mut reply = done(store, format!("saved {id}: {}", target.path.display()))?;
        reply.fingerprint = Some(fingerprint);
        Ok(reply)
    })
    .await
}

async fn metrics(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let text = blocking(&app, |app, store| {
        Ok(app
            .settings
            .telemetry
            .as_ref()
            .map(|t| telemetry::scrape(&t.metrics, store)))
    })
    .await?;
    Ok(match text {
        Some(text) => telemetry::metrics_response(text),
        None => StatusCode::NOT_FOUND.into_response(),
    })
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    match &app.settings.telemetry {
        Some(t) => telemetry::health_response(&t.health),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STYLE,
    )
}
