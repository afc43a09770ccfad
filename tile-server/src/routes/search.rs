//! `GET /api/search?q&limit`: admin units, grids and cameras by code prefix or name.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use geo_core::model::Layer;

use super::summary::bbox_json;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// `q` (required) and `limit`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    limit: Option<usize>,
}

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// `GET /api/search`: `{results: [{layer, key, name, level?, bbox}]}`, exact codes first,
/// then shorter names.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Value>> {
    let text = query.q.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::BadRequest(
            "q is required: a code prefix or part of a name, e.g. ?q=乾州".into(),
        ));
    }
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::BadRequest(format!(
                "limit {n} must be 1..={MAX_LIMIT}"
            )))
        }
    };
    let core = state.core()?;
    let results: Vec<Value> = core
        .search(text, limit, &caller.scope())
        .into_iter()
        .filter_map(|hit| {
            let i = hit.index;
            Some(match hit.layer {
                Layer::Admin => {
                    let a = core.admin().get(i)?;
                    json!({ "layer": "admin", "key": a.code, "name": a.name,
                            "level": a.level().as_str(), "bbox": bbox_json(core.admin_bbox(i)) })
                }
                Layer::Grids => {
                    let g = core.grids().get(i)?;
                    json!({ "layer": "grids", "key": g.code, "name": g.name,
                            "level": "grid", "bbox": bbox_json(core.grid_bbox(i)) })
                }
                Layer::Cameras => {
                    let c = core.cameras().get(i)?;
                    let (x, y) = (c.location.x(), c.location.y());
                    json!({ "layer": "cameras", "key": c.id, "name": c.name,
                            "bbox": [x, y, x, y] })
                }
                _ => return None,
            })
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}
