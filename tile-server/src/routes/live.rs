//! The change feed: `GET /api/changes?since=SEQ&limit=N` (a page of change records) and
//! `GET /api/live` (Server-Sent Events, `id:` = change sequence, `event:` = change kind;
//! a client reconnecting with `Last-Event-ID`, or `?since=SEQ`, gets exactly what it
//! missed, in order, then the new ones).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream};
use geo_core::access::Scope;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::live::{events_since, LiveEvent};
use crate::state::AppState;

/// Records per page of `/api/changes` unless asked: the largest page allowed too.
const MAX_PAGE: usize = 1_000;

/// `?since=SEQ&limit=N`.
#[derive(Debug, Deserialize)]
pub struct SinceQuery {
    /// Records after this sequence number (default 0: from the start).
    pub since: Option<u64>,
    /// At most this many (default and at most 1,000).
    pub limit: Option<usize>,
}

/// `GET /api/changes?since&limit`: change records after `since`, oldest first, as the live
/// feed's events, with `next` (the `since` of the next page) and the store's last sequence.
pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<Json<Value>> {
    let limit = match q.limit {
        None => MAX_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::BadRequest(format!(
                "limit {n} must be 1..={MAX_PAGE}"
            )))
        }
    };
    let since = q.since.unwrap_or(0);
    let scope = caller.scope();
    let events = events_since(&state, since, limit).await?;
    let last = state.store().seq().await?;
    let next = events.last().map_or(since, |e| e.seq);
    let changes: Vec<Value> = events
        .iter()
        .filter_map(|e| serde_json::from_str(&e.json_for(&scope)).ok())
        .collect();
    Ok(Json(json!({
        "since": since,
        "next": next,
        "last": last,
        "changes": changes,
    })))
}

/// `Last-Event-ID` header, else `?since=`.
fn resume_from(headers: &HeaderMap, q: &SinceQuery) -> ApiResult<Option<u64>> {
    match headers.get("last-event-id").map(|v| v.to_str()) {
        Some(Ok(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| {
            ApiError::BadRequest(format!(
                "Last-Event-ID {s:?} must be a change sequence number"
            ))
        }),
        Some(Err(_)) => Err(ApiError::BadRequest("Last-Event-ID is not text".into())),
        None => Ok(q.since),
    }
}

/// The SSE event of a live event.
fn sse_event(e: &LiveEvent, scope: &Scope) -> Event {
    Event::default()
        .id(e.seq.to_string())
        .event(e.kind.as_str())
        .data(&*e.json_for(scope))
}

/// Where a stream is: events queued to send, the last sequence sent, the subscription.
struct Cursor {
    state: AppState,
    queue: std::collections::VecDeque<Arc<LiveEvent>>,
    last: u64,
    rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
}

impl Cursor {
    /// The next event to send, in sequence order, each once.
    async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                if e.seq > self.last {
                    self.last = e.seq;
                    return Some(e);
                }
                continue;
            }
            match self.rx.recv().await {
                Ok(e) if e.seq <= self.last => {}
                // A gap (an event announced before we subscribed, or lost to lag) is filled
                // from the ring or the store before going on.
                Ok(e) if e.seq > self.last + 1 => {
                    let missed = events_since(&self.state, self.last, MAX_PAGE).await.ok()?;
                    self.queue
                        .extend(missed.into_iter().filter(|m| m.seq < e.seq));
                    self.queue.push_back(e);
                }
                Ok(e) => {
                    self.last = e.seq;
                    return Some(e);
                }
                Err(RecvError::Lagged(_)) => {
                    let missed = events_since(&self.state, self.last, MAX_PAGE).await.ok()?;
                    self.queue.extend(missed);
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// `GET /api/live`: the live feed as Server-Sent Events.
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Subscribe before reading the backlog, so that nothing falls between the two.
    let rx = state.live().subscribe();
    let core = state.core()?;
    let (last, queue) = match resume_from(&headers, &q)? {
        // An id from the future (another store, or one restored from a backup): start from
        // now rather than wait for sequence numbers that may never come.
        Some(since) if since > core.seq() => (core.seq(), std::collections::VecDeque::new()),
        Some(since) => {
            let mut queue = std::collections::VecDeque::new();
            let mut at = since;
            // Page through what was missed until caught up with the core.
            while at < core.seq() {
                let page = events_since(&state, at, MAX_PAGE).await?;
                let Some(end) = page.last().map(|e| e.seq) else {
                    break;
                };
                queue.extend(page);
                at = end;
            }
            (since, queue)
        }
        None => (core.seq(), std::collections::VecDeque::new()),
    };
    let cursor = Cursor {
        state,
        queue,
        last,
        rx,
    };
    let scope = caller.scope();
    let events = stream::unfold(cursor, move |mut c| async move {
        let e = c.next().await?;
        Some((Ok(sse_event(&e, &scope)), c))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
