//! Figures for the grid dashboard: `GET /api/grids/{code}/stats`,
//! `GET /api/admin/{code}/stats` and `GET /api/ranking` (definitions in
//! `geo_core::index::stats`).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use geo_core::codes::{AdminCode, GridCode};
use geo_core::index::{Area, AreaStats, Core, RankBy};

use super::admin::admin_code;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::params;
use crate::state::AppState;

/// The time window and incident filters of every statistics endpoint.
pub type StatsQuery = params::IncidentQuery;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Workers listed in full up to this many (a province has tens of thousands);
/// `workers_total` always gives the count.
const MAX_WORKERS: usize = 200;

/// The figures of an area; workers' names only for `personal` callers (operator and up).
fn stats_json(code: &Value, name: &str, level: &str, s: &AreaStats, personal: bool) -> Value {
    let workers: Vec<Value> = s
        .workers
        .iter()
        .take(MAX_WORKERS)
        .map(|w| json!({ "id": w.id, "name": if personal { json!(w.name) } else { Value::Null } }))
        .collect();
    json!({
        "code": code,
        "name": name,
        "level": level,
        "incidents": s.incidents,
        "cameras": { "total": s.cameras_total, "online": s.cameras_online },
        "workers": workers,
        "workers_total": s.workers.len(),
        "grids": s.grids,
        "households": s.households,
        "population": s.population,
    })
}

/// Runs the (CPU-bound) statistics off the async runtime: the first call builds the
/// incident -> grid placement, which takes a second or so.
async fn blocking<T: Send + 'static>(
    core: std::sync::Arc<Core>,
    f: impl FnOnce(&Core) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(move || f(&core))
        .await
        .map_err(|e| ApiError::Internal(format!("statistics task failed: {e}")))?
}

/// `GET /api/grids/{code}/stats?from&to[&category&status]`.
pub async fn grid_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<Value>> {
    let code: GridCode = code
        .parse()
        .map_err(|e| ApiError::from(geo_core::Error::from(e)))?;
    let filter = q.window()?;
    let core = state.core()?;
    let scope = caller.scope();
    let personal = caller.sees_personal();
    blocking(core, move |core| {
        let stats = core.area_stats(Area::Grid(code), &filter, now(), &scope)?;
        let name = core
            .grid_latest(code)
            .map_or("", |i| core.grids()[i].name.as_str());
        Ok(Json(stats_json(
            &json!(code),
            name,
            "grid",
            &stats,
            personal,
        )))
    })
    .await
}

/// `GET /api/admin/{code}/stats?from&to&category&status`.
pub async fn admin_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<Value>> {
    let code = admin_code(&code)?;
    let filter = q.window()?;
    let core = state.core()?;
    let scope = caller.scope();
    let personal = caller.sees_personal();
    blocking(core, move |core| {
        let stats = core.area_stats(Area::Admin(code), &filter, now(), &scope)?;
        let name = core.admin_by_code(code).map_or("", |a| a.name.as_str());
        Ok(Json(stats_json(
            &json!(code),
            name,
            code.level().as_str(),
            &stats,
            personal,
        )))
    })
    .await
}

/// `parent` (required), `by`, `order`, `limit` and the statistics filters.
#[derive(Debug, Deserialize)]
pub struct RankingQuery {
    parent: Option<String>,
    by: Option<String>,
    /// `desc` (default: most incidents, highest rates first) or `asc`.
    order: Option<String>,
    limit: Option<usize>,
    #[serde(flatten)]
    stats: StatsQuery,
}

const DEFAULT_RANKING: usize = 20;
const MAX_RANKING: usize = 10_000;

/// `GET /api/ranking?parent&from&to&by=incidents|closure_rate|on_time_rate&order&limit`:
/// `{parent, by, order, total, grids: [{code, name, incidents, due, closed,
/// closed_on_time, closure_rate, on_time_rate}]}`; grids with nothing due rank last on
/// rates.
pub async fn ranking(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Json<Value>> {
    let parent: AdminCode = match q.parent.as_deref() {
        Some(p) => admin_code(p.trim())?,
        None => {
            return Err(ApiError::BadRequest(
                "parent is required: an admin code, e.g. ?parent=433101".into(),
            ))
        }
    };
    let by = match q.by.as_deref() {
        None => RankBy::default(),
        Some(s) => RankBy::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "by {s:?} must be one of {}",
                RankBy::ALL.map(RankBy::as_str).join(", ")
            ))
        })?,
    };
    let ascending = match q.order.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(o) => {
            return Err(ApiError::BadRequest(format!(
                "order {o:?} must be asc or desc"
            )))
        }
    };
    let limit = match q.limit {
        None => DEFAULT_RANKING,
        Some(n) if (1..=MAX_RANKING).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::BadRequest(format!(
                "limit {n} must be 1..={MAX_RANKING}"
            )))
        }
    };
    let filter = q.stats.window()?;
    let core = state.core()?;
    let scope = caller.scope();
    blocking(core, move |core| {
        let ranked = core.grid_ranking(parent, &filter, now(), by, ascending, &scope)?;
        let grids: Vec<Value> = ranked
            .iter()
            .take(limit)
            .map(|r| {
                let g = &core.grids()[r.grid];
                let c = &r.incidents;
                json!({
                    "code": g.code,
                    "name": g.name,
                    "incidents": c.total,
                    "due": c.due,
                    "closed": c.closed,
                    "closed_on_time": c.closed_on_time,
                    "closure_rate": c.closure_rate(),
                    "on_time_rate": c.on_time_rate(),
                })
            })
            .collect();
        let name = core.admin_by_code(parent).map_or("", |a| a.name.as_str());
        Ok(Json(json!({
            "parent": { "code": parent, "name": name, "level": parent.level().as_str() },
            "by": by.as_str(),
            "order": if ascending { "asc" } else { "desc" },
            "total": ranked.len(),
            "grids": grids,
        })))
    })
    .await
}
