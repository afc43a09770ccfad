//! Grid edits over HTTP: preview and commit of the edit operations, a grid's revisions,
//! a diff between two of them, revert, and OGC API Features Part 4 (create, replace,
//! update, delete) on the grids collection. Every commit goes through the one write path;
//! the check that the base revisions are still current runs inside it, so no other write
//! can slip in between the check and the commit.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo_core::codes::GridCode;
use geo_core::edit::{self, Changes, Edit, EditOp, Limits, Stale};
use geo_core::index::Core;
use geo_core::model::{Grid, GridKind, WorkerId};
use geo_core::store::Applied;
use geo_core::validate::area_m2;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ingest::now;
use crate::auth::{need, Authorized, Caller};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const GEOJSON: &str = "application/geo+json";

fn body_json(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("body: {e}")))
}

fn collection(grids: impl Iterator<Item = Value>) -> Value {
    json!({"type": "FeatureCollection", "features": grids.collect::<Vec<_>>()})
}

fn feature_value(g: &Grid) -> Value {
    serde_json::to_value(edit::feature(g)).unwrap_or(Value::Null)
}

/// The findings as JSON, and their shapes (overlap and gap pieces) as features for the map.
fn findings_json(findings: &[geo_core::validate::Finding]) -> (Value, Value) {
    let list = serde_json::to_value(findings).unwrap_or(Value::Null);
    let shapes = findings.iter().filter_map(|f| {
        let g = f.geometry.as_ref()?;
        Some(json!({
            "type": "Feature",
            "geometry": serde_json::to_value(geojson::Geometry::from(g)).ok()?,
            "properties": {"check": f.check.as_str(), "severity": f.severity.as_str(), "message": f.message},
        }))
    });
    (list, collection(shapes))
}

/// `POST /api/edits/preview`: the edit planned on the current core, with its findings,
/// impact and resulting grids; nothing is written.
pub async fn preview(
    State(state): State<AppState>,
    _caller: Authorized<need::Planner>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let req = edit::parse_op(body_json(&body)?)?;
    let core = state.core()?;
    let started = std::time::Instant::now();
    let (p, stale) = tokio::task::spawn_blocking(move || {
        let stale = Edit::stale(&core, &req.base);
        edit::preview(&core, &req.op, now(), &Limits::default()).map(|p| (p, stale))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("preview stopped: {e}")))??;
    let (findings, markers) = findings_json(&p.findings);
    Ok(Json(json!({
        "op": p.edit.op,
        "findings": findings,
        "blocking": edit::blocking(&p.findings),
        "markers": markers,
        "impact": p.impact,
        "stale": stale,
        "before": collection(p.edit.before.iter().map(feature_value)),
        "result": collection(p.edit.after.iter().map(feature_value)),
        "took_ms": started.elapsed().as_secs_f64() * 1e3,
    })))
}

/// What a committed edit answers.
struct Committed {
    before: Vec<Grid>,
    after: Vec<Grid>,
    findings: Value,
}

/// How a stale base is refused: 409 with both versions (edit API) or 412 (If-Match).
#[derive(Clone, Copy)]
enum StaleAs {
    Conflict,
    Precondition,
}

/// Commits `op` through the write path: refused if a base revision was replaced (409/412
/// with both versions) or a finding blocks it (422 with the findings).
async fn commit_op(
    state: &AppState,
    caller: &Caller,
    op: EditOp,
    reason: String,
    base: HashMap<GridCode, u32>,
    stale_as: StaleAs,
) -> ApiResult<(Applied, Committed)> {
    let caller = caller.clone();
    let at = now();
    state
        .write(move |core: &Core| {
            let stale = Edit::stale(core, &base);
            if !stale.is_empty() {
                return Err(stale_error(core, &stale, stale_as));
            }
            let e = edit::plan(core, &op, at)?;
            for g in e.before.iter().chain(&e.after) {
                caller.require_in_scope(&g.code.to_string())?;
            }
            let findings = edit::findings(core, &e, &Limits::default());
            let (list, _) = findings_json(&findings);
            if edit::blocking(&findings) {
                return Err(ApiError::Unprocessable {
                    message: format!("the {} is refused: see the findings", e.op),
                    detail: json!({"findings": list}),
                });
            }
            let mut changes = e.change_set(&caller.author(), &reason);
            caller.origin().clone_into(&mut changes.origin);
            Ok((
                changes,
                Committed {
                    before: e.before,
                    after: e.after,
                    findings: list,
                },
            ))
        })
        .await
}

fn stale_error(core: &Core, stale: &[Stale], stale_as: StaleAs) -> ApiError {
    let message = stale
        .iter()
        .map(|s| match s.current {
            Some(c) => format!("grid {} is at revision {c}, not {}", s.grid, s.base),
            None => format!("grid {} was retired (base revision {})", s.grid, s.base),
        })
        .collect::<Vec<_>>()
        .join("; ");
    match stale_as {
        StaleAs::Precondition => ApiError::PreconditionFailed(message),
        StaleAs::Conflict => {
            let versions: Vec<Value> = stale
                .iter()
                .map(|s| {
                    let rev = |r: Option<u32>| {
                        r.and_then(|r| core.grid_revision(s.grid, r))
                            .map_or(Value::Null, |i| feature_value(&core.grids()[i]))
                    };
                    json!({"grid": s.grid.to_string(), "base": rev(Some(s.base)), "current": rev(s.current)})
                })
                .collect();
            ApiError::Conflict {
                message,
                detail: json!({"stale": stale, "versions": versions}),
            }
        }
    }
}

fn committed_json(applied: &Applied, c: &Committed) -> Value {
    let rev = |g: &Grid| json!({"code": g.code.to_string(), "revision": g.revision, "valid_from": g.valid_from});
    json!({
        "seq": applied.seq,
        "ended": c.before.iter().map(rev).collect::<Vec<_>>(),
        "revisions": c.after.iter().map(rev).collect::<Vec<_>>(),
        "findings": c.findings,
        "result": collection(c.after.iter().map(feature_value)),
    })
}

/// `POST /api/edits/commit` (also `POST /api/edits`): commits the edit.
pub async fn commit(
    State(state): State<AppState>,
    caller: Authorized<need::Planner>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let req = edit::parse_op(body_json(&body)?)?;
    let (applied, c) = commit_op(
        &state,
        &caller,
        req.op,
        req.reason,
        req.base,
        StaleAs::Conflict,
    )
    .await?;
    Ok(Json(committed_json(&applied, &c)))
}

fn grid_code(code: &str) -> ApiResult<GridCode> {
    code.trim()
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("grid code {code:?}: {e}")))
}

/// Query of the revisions list.
#[derive(Debug, Deserialize)]
pub struct RevisionsQuery {
    /// Include each revision's boundary.
    #[serde(default)]
    geometry: bool,
}

/// `GET /api/grids/{code}/revisions`: every revision of a grid, oldest first.
pub async fn revisions(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<RevisionsQuery>,
) -> ApiResult<Json<Value>> {
    let code = grid_code(&code)?;
    let core = state.core()?;
    let idx = core.grid_revisions(code);
    if idx.is_empty() {
        return Err(ApiError::NotFound(format!("grid {code}")));
    }
    let with_geometry = q.geometry;
    let revs: Vec<Value> = idx
        .iter()
        .map(|&i| {
            let g = &core.grids()[i];
            let mut v = json!({
                "revision": g.revision,
                "name": g.name,
                "valid_from": g.valid_from,
                "valid_to": g.valid_to,
                "current": g.valid_to.is_none(),
                "workers": g.workers,
                "households": g.households,
                "population": g.population,
                "area_m2": area_m2(&g.geometry),
            });
            if with_geometry {
                v["geometry"] = serde_json::to_value(geojson::Geometry::from(&g.geometry))
                    .unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "code": code.to_string(),
        "current": core.grid_by_code(code).map(|g| g.revision),
        "revisions": revs,
    })))
}

/// Query of the diff.
#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: u32,
    to: Option<u32>,
}

/// `GET /api/grids/{code}/diff?from=A&to=B`: the two outlines and what was added and
/// removed between them, as `GeoJSON` (`to` defaults to the latest revision).
pub async fn diff(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<Response> {
    let code = grid_code(&code)?;
    let core = state.core()?;
    let revs = core.grid_revisions(code);
    let latest = revs.iter().map(|&i| core.grids()[i].revision).max();
    let to =
        q.to.or(latest)
            .ok_or_else(|| ApiError::NotFound(format!("grid {code}")))?;
    let find = |r: u32| {
        core.grid_revision(code, r)
            .map(|i| core.grids()[i].clone())
            .ok_or_else(|| ApiError::NotFound(format!("grid {code} revision {r}")))
    };
    let (old, new) = (find(q.from)?, find(to)?);
    let (added, removed) = edit::diff(&old, &new);
    let part = |role: &str, g: &geo_types::MultiPolygon<f64>, revision: u32| {
        json!({
            "type": "Feature",
            "geometry": serde_json::to_value(geojson::Geometry::from(g)).unwrap_or(Value::Null),
            "properties": {"role": role, "code": code.to_string(), "revision": revision, "area_m2": area_m2(g)},
        })
    };
    let fc = json!({
        "type": "FeatureCollection",
        "features": [
            part("old", &old.geometry, old.revision),
            part("new", &new.geometry, new.revision),
            part("added", &added, new.revision),
            part("removed", &removed, old.revision),
        ],
    });
    Ok(([(header::CONTENT_TYPE, GEOJSON)], Json(fc)).into_response())
}

/// Query of revert.
#[derive(Debug, Deserialize)]
pub struct RevertQuery {
    to: u32,
}

/// `POST /api/grids/{code}/revert?to=REVISION`: restores a revision as a new one; body
/// optional `{"reason": ..., "base": revision, "with": {code: revision}}` (`with`: grids
/// edited together, reverted in the same write).
pub async fn revert(
    State(state): State<AppState>,
    caller: Authorized<need::Planner>,
    Path(code): Path<String>,
    Query(q): Query<RevertQuery>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let code = grid_code(&code)?;
    let b = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        body_json(&body)?
    };
    let reason = b
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut base = HashMap::new();
    if let Some(r) = b.get("base").and_then(Value::as_u64) {
        base.insert(
            code,
            u32::try_from(r).map_err(|_| ApiError::BadRequest("base revision too large".into()))?,
        );
    }
    // Grids edited together come back together: `{"with": {code: revision}}`.
    let mut to = vec![(code, q.to)];
    if let Some(w) = b.get("with").and_then(Value::as_object) {
        for (k, v) in w {
            let r = v
                .as_u64()
                .and_then(|r| u32::try_from(r).ok())
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("with.{k} must be a revision number"))
                })?;
            to.push((grid_code(k)?, r));
        }
    }
    let op = EditOp::Revert { to };
    let (applied, c) = commit_op(&state, &caller, op, reason, base, StaleAs::Conflict).await?;
    Ok(Json(committed_json(&applied, &c)))
}

// ---- OGC API Features Part 4 on /collections/grids/items ----

/// The `ETag` of a grid's current revision.
#[must_use]
pub fn etag(g: &Grid) -> String {
    format!("\"{}-r{}\"", g.code, g.revision)
}

fn only_grids(id: &str) -> ApiResult<()> {
    if id == "grids" {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "collection {id} is read-only; only grids take Part 4 writes"
        )))
    }
}

/// The revision an `If-Match` names for `code` (required on PUT, PATCH and DELETE).
fn if_match(headers: &HeaderMap, code: GridCode) -> ApiResult<HashMap<GridCode, u32>> {
    let v = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::PreconditionFailed("If-Match with the item's ETag is required".into())
        })?;
    let tag = v.trim().trim_start_matches("W/").trim_matches('"');
    let rev = tag
        .strip_prefix(&format!("{code}-r"))
        .and_then(|r| r.parse::<u32>().ok())
        .ok_or_else(|| {
            ApiError::PreconditionFailed(format!("If-Match {v} is not an ETag of grid {code}"))
        })?;
    Ok(HashMap::from([(code, rev)]))
}

/// The parts of a feature body Part 4 writes carry.
fn changes_of(f: &Value, full: bool) -> ApiResult<Changes> {
    if full && f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(ApiError::BadRequest(
            "the body must be a GeoJSON Feature".into(),
        ));
    }
    let props = f.get("properties").cloned().unwrap_or(Value::Null);
    let geometry = match f.get("geometry") {
        None | Some(Value::Null) if !full => None,
        None | Some(Value::Null) => {
            return Err(ApiError::BadRequest("a PUT needs the geometry".into()))
        }
        Some(g) => Some(edit::parse_area(g)?),
    };
    let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_owned);
    let count = |k: &str| -> ApiResult<Option<u32>> {
        props
            .get(k)
            .filter(|v| !v.is_null())
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| ApiError::BadRequest(format!("{k} must be a whole number")))
            })
            .transpose()
    };
    let kind = text("kind")
        .map(|k| {
            GridKind::parse(&k)
                .ok_or_else(|| ApiError::BadRequest(format!("kind {k:?} is not a grid kind")))
        })
        .transpose()?;
    let workers = props
        .get("workers")
        .filter(|v| !v.is_null())
        .map(|v| {
            serde_json::from_value::<Vec<String>>(v.clone())
                .map(|w| w.into_iter().map(WorkerId).collect::<Vec<_>>())
                .map_err(|_| ApiError::BadRequest("workers must be a list of worker ids".into()))
        })
        .transpose()?;
    Ok(Changes {
        geometry,
        name: text("name"),
        kind,
        workers,
        households: count("households")?,
        population: count("population")?,
    })
}

fn reason_of(headers: &HeaderMap, f: &Value) -> String {
    headers
        .get("x-onemap-reason")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            f.get("properties")
                .and_then(|p| p.get("reason"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn item_response(status: StatusCode, base: &str, c: &Committed) -> ApiResult<Response> {
    let g = c
        .after
        .first()
        .ok_or_else(|| ApiError::Internal("the write made no revision".into()))?;
    let location = format!("{base}/collections/grids/items/{}", g.code);
    let mut r = (
        status,
        [(header::CONTENT_TYPE, GEOJSON)],
        Json(feature_value(g)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(g)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// `POST /collections/grids/items`: a new grid (id or `properties.code`; without either,
/// the next free code of `properties.village`).
pub async fn create_item(
    State(state): State<AppState>,
    caller: Authorized<need::Planner>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    only_grids(&id)?;
    let f = body_json(&body)?;
    let ch = changes_of(&f, true)?;
    let props = f.get("properties").cloned().unwrap_or(Value::Null);
    let code = f
        .get("id")
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .or_else(|| props.get("code").and_then(Value::as_str).map(str::to_owned))
        .map(|c| grid_code(&c))
        .transpose()?;
    let village = match (props.get("village").and_then(Value::as_str), code) {
        (Some(v), _) => v
            .parse()
            .map_err(|e| ApiError::BadRequest(format!("village {v:?}: {e}")))?,
        (None, Some(c)) => c.village(),
        (None, None) => {
            return Err(ApiError::BadRequest(
                "a new grid needs an id or properties.village".into(),
            ))
        }
    };
    let op = EditOp::Create {
        code,
        village,
        name: ch.name.clone().unwrap_or_default(),
        geometry: ch
            .geometry
            .clone()
            .ok_or_else(|| ApiError::BadRequest("a new grid needs a geometry".into()))?,
        workers: ch.workers.clone().unwrap_or_default(),
    };
    let reason = reason_of(&headers, &f);
    let (_, c) = commit_op(
        &state,
        &caller,
        op,
        reason,
        HashMap::new(),
        StaleAs::Precondition,
    )
    .await?;
    item_response(StatusCode::CREATED, &crate::extract::base_url(&headers), &c)
}

async fn update_item(
    state: AppState,
    caller: Authorized<need::Planner>,
    id: String,
    fid: String,
    headers: HeaderMap,
    body: Bytes,
    full: bool,
) -> ApiResult<Response> {
    only_grids(&id)?;
    let code = grid_code(&fid)?;
    let base = if_match(&headers, code)?;
    let f = body_json(&body)?;
    let changes = changes_of(&f, full)?;
    let reason = reason_of(&headers, &f);
    let op = EditOp::Update {
        grid: code,
        changes,
    };
    let (_, c) = commit_op(&state, &caller, op, reason, base, StaleAs::Precondition).await?;
    item_response(StatusCode::OK, &crate::extract::base_url(&headers), &c)
}

/// `PUT /collections/grids/items/{id}`: replaces the grid (boundary and given attributes)
/// with a new revision; `If-Match` required.
pub async fn replace_item(
    State(state): State<AppState>,
    caller: Authorized<need::Planner>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    update_item(state, caller, id, fid, headers, body, true).await
}

/// `PATCH /collections/grids/items/{id}`: changes what the body gives; `If-Match` required.
pub async fn patch_item(
    State(state): State<AppState>,
    caller: Authorized<need::Planner>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    update_item(state, caller, id, fid, headers, body, false).await
}

/// `DELETE /collections/grids/items/{id}`: retires the grid (its history stays);
/// `If-Match` required.
pub async fn delete_item(
    State(state): State<AppState>,
    caller: Authorized<need::Planner>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    only_grids(&id)?;
    let code = grid_code(&fid)?;
    let base = if_match(&headers, code)?;
    let reason = headers
        .get("x-onemap-reason")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    commit_op(
        &state,
        &caller,
        EditOp::Retire { grid: code },
        reason,
        base,
        StaleAs::Precondition,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
