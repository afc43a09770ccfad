//! Admin drill-down: `GET /api/admin` (root units) and `GET /api/admin/{code}/children`
//! (the units under one; a village's children are its current grids).

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use geo_core::codes::AdminCode;
use geo_core::index::Core;

use super::summary::bbox_json;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `{code, name, level, bbox}` of admin unit `i`.
pub(crate) fn unit_json(core: &Core, i: usize) -> Value {
    let a = &core.admin()[i];
    json!({
        "code": a.code,
        "name": a.name,
        "level": a.level().as_str(),
        "bbox": bbox_json(core.admin_bbox(i)),
    })
}

/// `{code, name, level: "grid", bbox}` of grid revision `i`.
pub(crate) fn grid_json(core: &Core, i: usize) -> Value {
    let g = &core.grids()[i];
    json!({
        "code": g.code,
        "name": g.name,
        "level": "grid",
        "bbox": bbox_json(core.grid_bbox(i)),
    })
}

/// Parses an admin code from the path (400 when malformed).
pub(crate) fn admin_code(code: &str) -> ApiResult<AdminCode> {
    code.parse::<AdminCode>()
        .map_err(|e| ApiError::from(geo_core::Error::from(e)))
}

/// `GET /api/admin`: `{unit: null, children: [the units at the highest level present]}`.
pub async fn roots(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let core = state.core()?;
    let children: Vec<Value> = core
        .admin_roots(&caller.scope())
        .into_iter()
        .map(|i| unit_json(&core, i))
        .collect();
    Ok(Json(json!({ "unit": null, "children": children })))
}

/// `GET /api/admin/{code}/children`: `{unit, children}`, by code.
pub async fn children(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let code = admin_code(&code)?;
    let core = state.core()?;
    let scope = caller.scope();
    // A unit outside the caller's scope does not exist for them.
    let me = core
        .admin_index(code)
        .filter(|_| scope.contains_admin(code))
        .ok_or_else(|| ApiError::NotFound(format!("admin unit {code} not found")))?;
    let children: Vec<Value> = match code {
        AdminCode::Village(v) => core
            .village_grids(v)
            .into_iter()
            .map(|i| grid_json(&core, i))
            .collect(),
        _ => core
            .admin_children(code, &scope)?
            .into_iter()
            .map(|i| unit_json(&core, i))
            .collect(),
    };
    Ok(Json(
        json!({ "unit": unit_json(&core, me), "children": children }),
    ))
}
