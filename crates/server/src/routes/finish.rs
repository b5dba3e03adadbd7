//! `finish`, `status` and the finalization event stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::watch;
use vps_core::job::{FinishRequest, FinishResponse, JobState, JobStatus};

use super::json::ApiJson;
use super::parse_session_id;
use crate::ApiError;
use crate::sessions::SessionState;
use crate::state::AppState;

/// Keep-alive events at least this often (the plugin gives up after 45 s of silence).
const HEARTBEAT: Duration = Duration::from_secs(15);
/// At most one `status` event per this interval: a build reports progress page by page, and a
/// client needs a few updates a second, not thousands (the last state of each interval is
/// sent; `completed` and `failed` are sent as soon as they happen).
const STATUS_EVERY: Duration = Duration::from_millis(250);

/// 202 and a job to follow. Sent again (the plugin retries after transport errors), it answers
/// the first answer again.
#[tracing::instrument(skip_all, fields(session = %id))]
pub(super) async fn finish(
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<FinishRequest>,
) -> Result<(StatusCode, Json<FinishResponse>), ApiError> {
    let id = parse_session_id(&id)?;
    let session = app.sessions.get(id).await?;
    let mut response = match session.state {
        SessionState::Finishing | SessionState::Finished => app.jobs.response(id).ok_or(ApiError::JobNotFound)?,
        SessionState::Aborted => return Err(ApiError::SessionNotOpen { id: id.to_string(), state: "aborted" }),
        SessionState::Open => {
            if app.chunks.has_incomplete(id) {
                return Err(ApiError::IncompleteUpload);
            }
            app.sessions
                .update(id, |session| {
                    session.ensure_open()?;
                    session.state = SessionState::Finishing;
                    Ok(())
                })
                .await?;
            let response = app.jobs.create(id, request)?;
            app.finalize.push(id);
            tracing::info!(session = %id, "session finished; finalization queued");
            response
        }
    };
    if !app.settings.sessions.finalization_sse_enabled {
        response.realtime = None;
    }
    Ok((StatusCode::ACCEPTED, Json(response)))
}

#[tracing::instrument(skip_all, fields(session = %id))]
pub(super) async fn status(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<JobStatus>, ApiError> {
    let id = parse_session_id(&id)?;
    app.jobs.status(id).map(Json).ok_or(ApiError::JobNotFound)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventsQuery {
    job_id: Option<String>,
    token: Option<String>,
}

/// `GET /events/session/{id}/finalization?jobId=…&token=…`: server-sent events, never
/// compressed, each written as it happens: `connected`, then `status` on every change,
/// `heartbeat` while nothing changes, and `completed` or `failed` last.
#[tracing::instrument(skip_all, fields(session = %id, job = query.job_id.as_deref().unwrap_or_default()))]
pub(super) async fn events(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let id = parse_session_id(&id)?;
    let job_id = query.job_id.filter(|j| !j.is_empty()).ok_or(ApiError::MissingJobId)?;
    let token = query.token.filter(|t| !t.is_empty()).ok_or(ApiError::InvalidToken)?;
    let updates = app.jobs.subscribe(id, &job_id, &token)?;

    let frames = stream::unfold(Some((updates, true)), |state| async move {
        let (mut updates, first) = state?;
        if first {
            let status = updates.borrow_and_update().clone();
            return Some((frame("connected", &status), Some((updates, false))));
        }
        if updates.borrow().status.is_terminal() {
            let status = updates.borrow().clone();
            let name = if status.status == JobState::Completed { "completed" } else { "failed" };
            return Some((frame(name, &status), None));
        }
        next_frame(updates).await
    });
    let mut response = Response::new(Body::from_stream(frames));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The plugin's EventSource runs in the app://obsidian.md origin.
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // Proxies (nginx) must pass each event on as it comes.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

type Frame = Result<Bytes, Infallible>;
type Next = Option<(watch::Receiver<JobStatus>, bool)>;

/// Waits for the next change, or sends a heartbeat when none comes. Changes are coalesced over
/// [`STATUS_EVERY`]: what is sent is the state at the end of the pause, or the final state as
/// soon as it comes.
async fn next_frame(mut updates: watch::Receiver<JobStatus>) -> Option<(Frame, Next)> {
    let pause = tokio::time::sleep(STATUS_EVERY);
    tokio::pin!(pause);
    let mut pending = false;
    loop {
        tokio::select! {
            () = &mut pause => break,
            changed = updates.changed() => {
                changed.ok()?;
                pending = true;
                if updates.borrow().status.is_terminal() {
                    break;
                }
            }
        }
    }
    if pending {
        let status = updates.borrow_and_update().clone();
        if status.status.is_terminal() {
            let name = if status.status == JobState::Completed { "completed" } else { "failed" };
            return Some((frame(name, &status), None));
        }
        return Some((frame("status", &status), Some((updates, false))));
    }
    tokio::select! {
        changed = updates.changed() => {
            changed.ok()?;
            let status = updates.borrow_and_update().clone();
            if status.status.is_terminal() {
                let name = if status.status == JobState::Completed { "completed" } else { "failed" };
                return Some((frame(name, &status), None));
            }
            Some((frame("status", &status), Some((updates, false))))
        }
        () = tokio::time::sleep(HEARTBEAT) => {
            let beat = serde_json::json!({"timestamp": vps_core::job::iso8601(crate::finalize::now_ms())});
            Some((Ok(Bytes::from(format!("event: heartbeat\ndata: {beat}\n\n"))), Some((updates, false))))
        }
    }
}

fn frame(name: &str, status: &JobStatus) -> Frame {
    let data = serde_json::to_string(status).expect("statuses serialize");
    Ok(Bytes::from(format!("event: {name}\ndata: {data}\n\n")))
}
