//! `GET /api/summary`: what the web map needs to start: layer counts, extent, the incident
//! time span, and the categories and statuses with their Chinese and English names.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use geo_core::model::{Category, Step, UnixTime};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// A Unix time as RFC 3339 UTC with seconds (`2024-05-01T08:00:00Z`).
pub(crate) fn rfc3339(t: UnixTime) -> Option<String> {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// A lon/lat rectangle as `[west, south, east, north]`.
pub(crate) fn bbox_json(r: Option<geo_types::Rect<f64>>) -> Value {
    r.map_or(Value::Null, |r| {
        json!([r.min().x, r.min().y, r.max().x, r.max().y])
    })
}

/// `GET /api/summary`. The web map asks for it first, so it also starts building the
/// incident -> grid placement in the background: the dashboard's first figures then come
/// without the wait, and start-up stays as fast as before.
pub async fn summary(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let core = state.core()?;
    let scope = caller.scope();
    if !core.placement_ready() {
        let core = core.clone();
        drop(tokio::task::spawn_blocking(move || core.warm_placement()));
    }
    let incident_time = match core.incident_span_in(&scope) {
        Some((a, b)) => json!({ "from": rfc3339(a), "to": rfc3339(b) }),
        None => Value::Null,
    };
    let categories: Vec<Value> = Category::ALL
        .iter()
        .map(|c| {
            let subs: Vec<Value> = c
                .subcategories()
                .iter()
                .map(|(id, zh)| json!({ "id": id, "zh": zh }))
                .collect();
            json!({ "id": c.as_str(), "zh": c.name_zh(), "en": c.name_en(), "subcategories": subs })
        })
        .collect();
    let statuses: Vec<Value> = Step::ALL
        .iter()
        .map(|s| json!({ "id": s.as_str(), "zh": s.name_zh(), "en": s.name_en() }))
        .collect();
    Ok(Json(json!({
        "counts": core.counts_in(&scope),
        "extent": bbox_json(core.bounds_in(&scope)),
        "incident_time": incident_time,
        "categories": categories,
        "statuses": statuses,
    })))
}

/// `GET /api/counters`: the one-map view's live counters: incidents reported today (UTC+8),
/// open ones, and overdue ones (open past their deadline), as of now.
pub async fn counters(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let core = state.core()?;
    let scope = caller.scope();
    let now = chrono::Utc::now().timestamp();
    let today = geo_core::model::local_day(now);
    let day_start = today * 86_400 - geo_core::model::LOCAL_UTC_OFFSET_S;
    let json = tokio::task::spawn_blocking(move || {
        let reported_today = core
            .incidents()
            .window(Some(day_start), None)
            .filter(|&(i, _)| core.incident_in_scope(&scope, i))
            .count();
        let (mut open, mut overdue) = (0u64, 0u64);
        for (_, inc) in core
            .incidents()
            .iter()
            .filter(|&(i, _)| core.incident_in_scope(&scope, i))
        {
            if geo_core::model::workflow::is_open(inc.status) {
                open += 1;
                if inc.deadline < now {
                    overdue += 1;
                }
            }
        }
        json!({
            "as_of": rfc3339(now),
            "seq": core.seq(),
            "today": reported_today,
            "open": open,
            "overdue": overdue,
        })
    })
    .await
    .map_err(|e| crate::error::ApiError::Internal(format!("counters stopped: {e}")))?;
    Ok(Json(json))
}
