//! The JSON body of `/api/edits/preview` and `/api/edits/commit`:
//! `{"op": ..., "reason": "...", "base": {code: revision}, ...}`.

use std::collections::HashMap;

use geo_types::MultiPolygon;
use serde::Deserialize;
use serde_json::Value;

use super::EditOp;
use crate::codes::{GridCode, VillageCode};
use crate::formats::geometry::{expect_area, from_geojson};
use crate::model::{Layer, WorkerId};
use crate::{Error, Result};

/// An edit as a client sends it.
#[derive(Debug, Clone)]
pub struct EditRequest {
    /// The operation.
    pub op: EditOp,
    /// Why (kept in the audit log).
    pub reason: String,
    /// The revisions the edit was drawn on: a commit is refused if one was replaced.
    pub base: HashMap<GridCode, u32>,
}

#[derive(Deserialize)]
struct Body {
    op: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    base: HashMap<String, u32>,
    grid: Option<String>,
    grids: Option<Vec<String>>,
    geometry: Option<Value>,
    line: Option<Value>,
    from: Option<[f64; 2]>,
    to: Option<Value>,
    workers: Option<Vec<String>>,
    village: Option<String>,
    code: Option<String>,
    name: Option<String>,
    revisions: Option<std::collections::BTreeMap<String, u32>>,
}

fn need<T>(v: Option<T>, op: &str, field: &str) -> Result<T> {
    v.ok_or_else(|| Error::Invalid(format!("op {op} needs \"{field}\"")))
}

/// A `GeoJSON` `Polygon` or `MultiPolygon` geometry as a grid boundary.
pub fn parse_area(v: &Value) -> Result<MultiPolygon<f64>> {
    let g = serde_json::from_value::<geojson::Geometry>(v.clone())
        .map_err(|e| Error::Invalid(format!("geometry: {e}")))?;
    let g = from_geojson(&g).map_err(|e| Error::Invalid(format!("geometry: {}", e.message)))?;
    expect_area(g, Layer::Grids).map_err(|e| Error::Invalid(format!("geometry: {}", e.message)))
}

/// A `GeoJSON` `LineString` (or a bare list of positions) as a cutting line.
fn parse_line(v: &Value) -> Result<Vec<[f64; 2]>> {
    let coords = v.get("coordinates").unwrap_or(v);
    serde_json::from_value::<Vec<[f64; 2]>>(coords.clone())
        .map_err(|e| Error::Invalid(format!("line: a LineString of [lon, lat] positions ({e})")))
}

/// Parses a request body.
pub fn parse_op(body: Value) -> Result<EditRequest> {
    let b: Body = serde_json::from_value(body).map_err(|e| Error::Invalid(format!("edit: {e}")))?;
    let op = b.op.as_str();
    let grid = || -> Result<GridCode> { Ok(need(b.grid.as_deref(), op, "grid")?.parse()?) };
    let workers = || {
        b.workers
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(WorkerId)
            .collect::<Vec<_>>()
    };
    let edit = match op {
        "reshape" => EditOp::Reshape {
            grid: grid()?,
            geometry: parse_area(need(b.geometry.as_ref(), op, "geometry")?)?,
        },
        "move_vertex" => EditOp::MoveVertex {
            from: need(b.from, op, "from")?,
            to: serde_json::from_value(need(b.to.clone(), op, "to")?)
                .map_err(|e| Error::Invalid(format!("to: [lon, lat] ({e})")))?,
        },
        "split" => EditOp::Split {
            grid: grid()?,
            line: parse_line(need(b.line.as_ref(), op, "line")?)?,
        },
        "merge" => EditOp::Merge {
            grids: need(b.grids.as_ref(), op, "grids")?
                .iter()
                .map(|c| c.parse())
                .collect::<std::result::Result<_, _>>()?,
        },
        "reassign" => EditOp::Reassign {
            grid: grid()?,
            workers: workers(),
        },
        "create" => {
            let code: Option<GridCode> = b.code.as_deref().map(str::parse).transpose()?;
            let village: VillageCode = match (&b.village, code) {
                (Some(v), _) => v.parse()?,
                (None, Some(c)) => c.village(),
                (None, None) => return Err(Error::Invalid("op create needs \"village\" or \"code\"".into())),
            };
            EditOp::Create {
                code,
                village,
                name: b.name.clone().unwrap_or_default(),
                geometry: parse_area(need(b.geometry.as_ref(), op, "geometry")?)?,
                workers: workers(),
            }
        }
        "retire" => EditOp::Retire { grid: grid()? },
        // `grid` and `to`, or `revisions`: {code: revision} for grids reverted together.
        "revert" => {
            let mut to: Vec<(GridCode, u32)> = Vec::new();
            if let Some(g) = b.grid.as_deref() {
                let r = serde_json::from_value(need(b.to.clone(), op, "to")?)
                    .map_err(|e| Error::Invalid(format!("to: a revision number ({e})")))?;
                to.push((g.parse()?, r));
            }
            for (k, &r) in b.revisions.iter().flatten() {
                to.push((k.parse()?, r));
            }
            EditOp::Revert { to }
        }
        other => {
            return Err(Error::Invalid(format!(
                "unknown op {other:?}; ops are reshape, move_vertex, split, merge, reassign, create, retire, revert"
            )))
        }
    };
    let base = b
        .base
        .iter()
        .map(|(k, &v)| Ok((k.parse::<GridCode>()?, v)))
        .collect::<Result<_>>()?;
    Ok(EditRequest {
        op: edit,
        reason: b.reason,
        base,
    })
}
