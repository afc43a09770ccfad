//! Spatial queries: which grid and admin chain a point is in, what is nearest.

use crate::extract::ApiQuery;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use geo_core::access::Scope;
use geo_core::index::{Core, Nearest};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::params;
use crate::state::AppState;

/// `lon`, `lat` and an optional time or count.
#[derive(Debug, Deserialize)]
pub struct PointQuery {
    lon: Option<f64>,
    lat: Option<f64>,
    /// RFC 3339: resolve the grid revision valid at that time.
    at: Option<String>,
    /// How many neighbours (nearest queries).
    k: Option<usize>,
}

const MAX_K: usize = 1_000;

/// An `f32` survey value as a tidy `f64` (one decimal), not `89.60293579101562`.
fn tenth(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}

/// `GET /api/locate?lon&lat[&at]`: admin chain, grid, its workers and the H3 cell (res 9).
pub async fn locate(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> ApiResult<Json<Value>> {
    let (lon, lat) = params::lon_lat(q.lon, q.lat)?;
    let core = state.core()?;
    let location = match &q.at {
        Some(at) => core.locate_at(lon, lat, params::time(at)?)?,
        None => core.locate(lon, lat)?,
    };
    // Outside the caller's unit the grid, chain and workers are not theirs to read (checked
    // after the point itself, so a bad coordinate is still a 400).
    core.check_point_in_scope(&caller.scope(), lon, lat)?;
    let mut body = serde_json::to_value(location).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["lon"] = json!(lon);
    body["lat"] = json!(lat);
    if !caller.sees_personal() {
        hide_names(&mut body["workers"]);
    }
    Ok(Json(body))
}

/// Workers' names are personal below the operator role: the list keeps ids only.
fn hide_names(workers: &mut Value) {
    if let Some(list) = workers.as_array_mut() {
        for w in list {
            w["name"] = Value::Null;
        }
    }
}

fn k_of(q: &PointQuery) -> ApiResult<usize> {
    match q.k {
        None => Ok(10),
        Some(k) if (1..=MAX_K).contains(&k) => Ok(k),
        Some(k) => Err(ApiError::BadRequest(format!("k {k} must be 1..={MAX_K}"))),
    }
}

/// Answers a nearest query: validates the point and k, asks the core, and turns each hit
/// into JSON with its distance, under `key`.
fn nearest(
    state: &AppState,
    scope: &Scope,
    q: &PointQuery,
    key: &str,
    find: fn(&Core, f64, f64, usize, &Scope) -> geo_core::Result<Vec<Nearest>>,
    describe: fn(&Core, usize) -> Option<Value>,
) -> ApiResult<Json<Value>> {
    let (lon, lat) = params::lon_lat(q.lon, q.lat)?;
    let k = k_of(q)?;
    let core = state.core()?;
    let list: Vec<Value> = find(&core, lon, lat, k, scope)?
        .into_iter()
        .filter_map(|n| {
            let mut item = describe(&core, n.index)?;
            item["distance_m"] = json!((n.distance_m * 10.0).round() / 10.0);
            Some(item)
        })
        .collect();
    Ok(Json(json!({ "lon": lon, "lat": lat, "k": k, key: list })))
}

/// `GET /api/nearest/cameras?lon&lat&k`: the k nearest cameras, nearest first.
pub async fn nearest_cameras(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> ApiResult<Json<Value>> {
    let scope = caller.scope();
    nearest(
        &state,
        &scope,
        &q,
        "cameras",
        Core::nearest_cameras_in,
        |core, i| {
            let c = core.cameras().get(i)?;
            Some(json!({
                "id": c.id,
                "name": c.name,
                "lon": c.location.x(),
                "lat": c.location.y(),
                "status": c.status,
                "ptz_type": c.ptz_type,
                "facing_deg": c.facing_deg(),
                "fov_deg": c.fov_deg.map(tenth),
                "range_m": c.range_m.map(tenth),
            }))
        },
    )
}

/// `GET /api/nearest/workers?lon&lat&k`: the k nearest grid workers by last known position.
pub async fn nearest_workers(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> ApiResult<Json<Value>> {
    let scope = caller.scope();
    let Json(mut v) = nearest(
        &state,
        &scope,
        &q,
        "workers",
        Core::nearest_workers_in,
        |core, i| {
            let w = core.workers().get(i)?;
            Some(json!({
                "id": w.id,
                "name": w.name,
                "lon": w.location.x(),
                "lat": w.location.y(),
                "grids": w.grids,
                "seen_at": chrono::DateTime::from_timestamp(w.seen_at, 0).map(|d| d.to_rfc3339()),
            }))
        },
    )?;
    if !caller.sees_personal() {
        hide_names(&mut v["workers"]);
    }
    Ok(Json(v))
}
