//! `GET /api/incidents/{id}`: one incident for the incident panel: its lifecycle, the grid
//! it occurred in and that grid's workers, the nearest cameras with their view sectors,
//! and the nearest worker. Personal fields (description, reporter, worker names, step
//! notes and authors) only for operator and above (SPEC 11).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use geo_core::index::ViewSector;
use geo_core::model::IncidentId;

use super::summary::rfc3339;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// How many nearest cameras (`k`, default 10).
#[derive(Debug, Deserialize)]
pub struct IncidentQuery {
    k: Option<usize>,
}

const DEFAULT_CAMERAS: usize = 10;
const MAX_CAMERAS: usize = 100;

/// Metres to one decimal.
fn tenth(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `GET /api/incidents/{id}?k`.
#[allow(clippy::too_many_lines)] // one document, field by field
pub async fn incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<Value>> {
    let id: u64 = id
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("incident id {id:?} must be a whole number")))?;
    let k = match q.k {
        None => DEFAULT_CAMERAS,
        Some(k) if (1..=MAX_CAMERAS).contains(&k) => k,
        Some(k) => {
            return Err(ApiError::BadRequest(format!(
                "k {k} must be 1..={MAX_CAMERAS}"
            )))
        }
    };
    let core = state.core()?;
    // Outside the caller's unit it does not exist for them. In the unit means what tiles
    // and figures count: the grid revision in force when it occurred.
    let inc = core
        .incident_index(IncidentId(id))
        .filter(|&i| core.incident_in_scope(&caller.scope(), i))
        .and_then(|i| core.incidents().get(i))
        .ok_or_else(|| ApiError::NotFound(format!("incident {id} not found")))?;
    let (lon, lat) = (inc.location.x(), inc.location.y());
    let personal = caller.sees_personal();
    let name = |n: &str| if personal { json!(n) } else { Value::Null };
    // The grid revision in force when it occurred; a location outside the world has none.
    let place = core.locate_at(lon, lat, inc.occurred_at()).ok();
    let grid = place
        .and_then(|p| p.grid)
        .map(|g| json!({ "code": g.code, "name": g.name }));
    let workers: Vec<Value> = place
        .map(|p| p.workers)
        .unwrap_or_default()
        .iter()
        .map(|w| json!({ "id": w.id, "name": name(&w.name) }))
        .collect();
    let cameras: Vec<Value> = core
        .nearest_cameras_in(lon, lat, k, &caller.scope())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| {
            let c = core.cameras().get(n.index)?;
            let sector = ViewSector::of(c);
            let (cx, cy) = (c.location.x(), c.location.y());
            Some(json!({
                "id": c.id,
                "name": c.name,
                "lon": cx,
                "lat": cy,
                "status": c.status,
                "ptz_type": c.ptz_type,
                "distance_m": tenth(n.distance_m),
                "facing_deg": tenth(sector.facing_deg),
                "fov_deg": tenth(sector.fov_deg),
                "range_m": tenth(sector.range_m),
                // The sector is partly assumed when the survey lacks fov or range.
                "sector_estimated": c.ptz_type != geo_core::model::PtzType::Dome && c.fov_deg.is_none()
                    || c.range_m.is_none(),
                "faces_incident": sector.sees(cx, cy, lon, lat),
            }))
        })
        .collect();
    let nearest_worker = core
        .nearest_workers_in(lon, lat, 1, &caller.scope())
        .unwrap_or_default()
        .first()
        .and_then(|n| {
            let w = core.workers().get(n.index)?;
            Some(json!({
                "id": w.id,
                "name": name(&w.name),
                "lon": w.location.x(),
                "lat": w.location.y(),
                "distance_m": tenth(n.distance_m),
            }))
        });
    let (subcategory, subcategory_zh) = inc.subcategory_names();
    let history: Vec<Value> = inc
        .lifecycle
        .steps()
        .map(|(step, at)| json!({ "step": step.as_str(), "at": rfc3339(at) }))
        .collect();
    // The workflow as recorded: every step taken, with who, to whom and why.
    let steps: Vec<Value> = state
        .store()
        .incident_steps(inc.id)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "step": s.step.as_str(),
                "at": rfc3339(s.time),
                "author": name(&s.author),
                "worker": s.worker,
                "note": name(&s.note),
            })
        })
        .collect();
    let details = if personal {
        state.store().incident_details(inc.id).await?
    } else {
        None
    };
    let now = chrono::Utc::now().timestamp();
    Ok(Json(json!({
        "description": details.as_ref().map(|d| d.description.clone()),
        "reporter": details.as_ref().map(|d| d.reporter.clone()),
        "id": inc.id,
        "category": inc.category.as_str(),
        "subcategory": subcategory,
        "subcategory_zh": subcategory_zh,
        "source": inc.source.as_str(),
        "people": inc.people,
        "supervision": inc.supervision.as_str(),
        "status": inc.status.as_str(),
        "lon": lon,
        "lat": lat,
        "reported_at": rfc3339(inc.occurred_at()),
        "deadline": rfc3339(inc.deadline),
        "history": history,
        "steps": steps,
        "overdue": geo_core::model::workflow::is_overdue(inc, now),
        "next": geo_core::model::workflow::next_steps(inc.status).iter().map(|s| crate::routes::ingest::step_name(*s)).collect::<Vec<_>>(),
        "grid": grid,
        "workers": workers,
        "cameras": cameras,
        "nearest_worker": nearest_worker,
    })))
}
