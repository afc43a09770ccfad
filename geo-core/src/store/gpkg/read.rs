//! Reads: every layer for the in-memory core (one read transaction, so one consistent
//! snapshot), one incident's details, counts, and the integrity check.

use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Row};

use super::geom;
use crate::codes::{AdminCode, AdminLevel, CameraId, GridCode, VillageCode};
use crate::model::{
    AdminUnit, Camera, CameraStatus, Category, Center, Dataset, Direction, Grid, GridKind,
    Incident, IncidentDetails, IncidentId, Layer, Lifecycle, Patrol, PatrolId, PositionType,
    PtzType, Source, Step, Supervision, Worker, WorkerId,
};
use crate::store::FeatureKey;
use crate::{Error, Result};

/// A row-level decoding failure, naming the table and fid.
fn corrupt(layer: Layer, fid: i64, what: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!("{layer} fid {fid}: {what}"))
}

fn parse<T: FromStr>(layer: Layer, fid: i64, col: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e| corrupt(layer, fid, format!("column {col} {s:?}: {e}")))
}

fn some<T>(
    layer: Layer,
    fid: i64,
    col: &str,
    v: Option<T>,
    raw: impl std::fmt::Debug,
) -> Result<T> {
    v.ok_or_else(|| {
        corrupt(
            layer,
            fid,
            format!("column {col} has unknown value {raw:?}"),
        )
    })
}

fn int<T: TryFrom<i64>>(layer: Layer, fid: i64, col: &str, v: i64) -> Result<T> {
    T::try_from(v).map_err(|_| {
        corrupt(
            layer,
            fid,
            format!("column {col} value {v} is out of range"),
        )
    })
}

fn blob<'r>(layer: Layer, fid: i64, row: &'r Row<'_>, idx: usize) -> Result<&'r [u8]> {
    row.get_ref(idx)?
        .as_blob_or_null()
        .map_err(rusqlite::Error::from)?
        .ok_or_else(|| corrupt(layer, fid, "geometry is NULL"))
}

fn text<'r>(row: &'r Row<'_>, idx: usize) -> Result<&'r str> {
    Ok(row.get_ref(idx)?.as_str().map_err(rusqlite::Error::from)?)
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|p| !p.is_empty())
}

/// Which rows of a layer to read: all, or those whose key column is in a JSON array.
#[derive(Clone, Copy)]
enum Rows<'a> {
    All,
    Keys(&'a str, &'a str),
}

/// Runs `query` over a layer's rows ordered by fid, mapping each with `f`.
fn rows<T>(
    conn: &Connection,
    layer: Layer,
    cols: &str,
    which: Rows<'_>,
    mut f: impl FnMut(i64, &Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut each =
        |stmt: &mut rusqlite::Statement<'_>, params: &[&dyn rusqlite::ToSql]| -> Result<()> {
            let mut rs = stmt.query(params)?;
            while let Some(r) = rs.next()? {
                let fid: i64 = r.get(0)?;
                out.push(f(fid, r)?);
            }
            Ok(())
        };
    match which {
        Rows::All => {
            let mut stmt = conn.prepare(&format!(
                "SELECT fid, geom, {cols} FROM {layer} ORDER BY fid"
            ))?;
            each(&mut stmt, &[])?;
        }
        Rows::Keys(column, json) => {
            let mut stmt = conn.prepare(&format!(
                "SELECT fid, geom, {cols} FROM {layer} \
                 WHERE {column} IN (SELECT value FROM json_each(?1)) ORDER BY fid"
            ))?;
            each(&mut stmt, &[&json])?;
        }
    }
    Ok(out)
}

/// Reads every layer, without incident details.
pub fn load(conn: &mut Connection) -> Result<Dataset> {
    let tx = conn.transaction()?;
    let data = Dataset {
        admin: load_admin(&tx, Rows::All)?,
        grids: load_grids(&tx, Rows::All)?,
        cameras: load_cameras(&tx, Rows::All)?,
        incidents: load_incidents(&tx, Rows::All)?,
        incident_details: Vec::new(),
        patrols: load_patrols(&tx, Rows::All)?,
        workers: load_workers(&tx, Rows::All)?,
        centers: load_centers(&tx, Rows::All)?,
    };
    tx.commit()?;
    Ok(data)
}

/// Reads one layer (incidents without details).
pub fn load_layer(conn: &mut Connection, layer: Layer) -> Result<Dataset> {
    let tx = conn.transaction()?;
    let mut data = Dataset::default();
    match layer {
        Layer::Admin => data.admin = load_admin(&tx, Rows::All)?,
        Layer::Grids => data.grids = load_grids(&tx, Rows::All)?,
        Layer::Cameras => data.cameras = load_cameras(&tx, Rows::All)?,
        Layer::Incidents => data.incidents = load_incidents(&tx, Rows::All)?,
        Layer::Patrols => data.patrols = load_patrols(&tx, Rows::All)?,
        Layer::Workers => data.workers = load_workers(&tx, Rows::All)?,
        Layer::Centers => data.centers = load_centers(&tx, Rows::All)?,
    }
    tx.commit()?;
    Ok(data)
}

fn load_admin(tx: &Connection, which: Rows<'_>) -> Result<Vec<AdminUnit>> {
    let l = Layer::Admin;
    rows(tx, l, "code, name, parent", which, |fid, r| {
        let parent: Option<String> = r.get(4)?;
        Ok(AdminUnit {
            geometry: geom::decode_multipolygon(blob(l, fid, r, 1)?)
                .map_err(|e| corrupt(l, fid, e))?,
            code: parse(l, fid, "code", text(r, 2)?)?,
            name: r.get(3)?,
            parent: parent
                .map(|p| parse::<AdminCode>(l, fid, "parent", &p))
                .transpose()?,
        })
    })
}

fn load_grids(tx: &Connection, which: Rows<'_>) -> Result<Vec<Grid>> {
    let l = Layer::Grids;
    rows(
        tx,
        l,
        "code, revision, name, village, kind, workers, households, population, valid_from, valid_to",
        which,
        |fid, r| {
            let kind = text(r, 6)?;
            Ok(Grid {
                geometry: geom::decode_multipolygon(blob(l, fid, r, 1)?).map_err(|e| corrupt(l, fid, e))?,
                code: parse::<GridCode>(l, fid, "code", text(r, 2)?)?,
                revision: int(l, fid, "revision", r.get(3)?)?,
                name: r.get(4)?,
                village: parse::<VillageCode>(l, fid, "village", text(r, 5)?)?,
                kind: some(l, fid, "kind", GridKind::parse(kind), kind)?,
                workers: split(text(r, 7)?).map(|w| WorkerId(w.to_owned())).collect(),
                households: int(l, fid, "households", r.get(8)?)?,
                population: int(l, fid, "population", r.get(9)?)?,
                valid_from: r.get(10)?,
                valid_to: r.get(11)?,
            })
        },
    )
}

fn load_cameras(tx: &Connection, which: Rows<'_>) -> Result<Vec<Camera>> {
    let l = Layer::Cameras;
    rows(
        tx,
        l,
        "id, name, ptz_type, position_type, direction, azimuth_deg, fov_deg, range_m, status",
        which,
        |fid, r| {
            let (ptz, pos, dir): (i64, i64, i64) = (r.get(4)?, r.get(5)?, r.get(6)?);
            let status = match text(r, 10)? {
                "online" => CameraStatus::Online,
                "offline" => CameraStatus::Offline,
                other => {
                    return Err(corrupt(
                        l,
                        fid,
                        format!("column status has unknown value {other:?}"),
                    ))
                }
            };
            Ok(Camera {
                location: geom::decode_point(blob(l, fid, r, 1)?)
                    .map_err(|e| corrupt(l, fid, e))?,
                id: parse::<CameraId>(l, fid, "id", text(r, 2)?)?,
                name: r.get(3)?,
                ptz_type: some(
                    l,
                    fid,
                    "ptz_type",
                    u8::try_from(ptz).ok().and_then(PtzType::from_code),
                    ptz,
                )?,
                position_type: some(
                    l,
                    fid,
                    "position_type",
                    u8::try_from(pos).ok().and_then(PositionType::new),
                    pos,
                )?,
                direction: some(
                    l,
                    fid,
                    "direction",
                    u8::try_from(dir).ok().and_then(Direction::new),
                    dir,
                )?,
                azimuth_deg: r.get::<_, Option<f64>>(7)?.map(|v| v as f32),
                fov_deg: r.get::<_, Option<f64>>(8)?.map(|v| v as f32),
                range_m: r.get::<_, Option<f64>>(9)?.map(|v| v as f32),
                status,
            })
        },
    )
}

fn load_patrols(tx: &Connection, which: Rows<'_>) -> Result<Vec<Patrol>> {
    let l = Layer::Patrols;
    rows(tx, l, "worker", which, |fid, r| {
        let (track, m) =
            geom::decode_linestring_m(blob(l, fid, r, 1)?).map_err(|e| corrupt(l, fid, e))?;
        if m.len() != track.0.len() {
            return Err(corrupt(l, fid, "track has no M (vertex time) values"));
        }
        let times = m
            .iter()
            .map(|t| {
                // Times were written as whole seconds; anything else is not ours.
                (t.is_finite() && t.fract() == 0.0 && t.abs() < 9.0e15)
                    .then_some(*t as i64)
                    .ok_or_else(|| corrupt(l, fid, format!("vertex time {t} is not whole seconds")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Patrol {
            id: PatrolId(int(l, fid, "fid", fid)?),
            worker: WorkerId(r.get(2)?),
            track,
            times,
        })
    })
}

fn load_workers(tx: &Connection, which: Rows<'_>) -> Result<Vec<Worker>> {
    let l = Layer::Workers;
    rows(tx, l, "id, name, phone, grids, seen_at", which, |fid, r| {
        Ok(Worker {
            location: geom::decode_point_or_no_fix(blob(l, fid, r, 1)?)
                .map_err(|e| corrupt(l, fid, e))?,
            id: WorkerId(r.get(2)?),
            name: r.get(3)?,
            phone: r.get(4)?,
            grids: split(text(r, 5)?)
                .map(|g| parse::<GridCode>(l, fid, "grids", g))
                .collect::<Result<_>>()?,
            seen_at: r.get(6)?,
        })
    })
}

fn load_centers(tx: &Connection, which: Rows<'_>) -> Result<Vec<Center>> {
    let l = Layer::Centers;
    rows(tx, l, "code, level, name", which, |fid, r| {
        Ok(Center {
            location: geom::decode_point(blob(l, fid, r, 1)?).map_err(|e| corrupt(l, fid, e))?,
            code: parse(l, fid, "code", text(r, 2)?)?,
            level: parse::<AdminLevel>(l, fid, "level", text(r, 3)?)?,
            name: r.get(4)?,
        })
    })
}

fn load_incidents(conn: &Connection, which: Rows<'_>) -> Result<Vec<Incident>> {
    /// Column index of `reported_at`, the first step time.
    const FIRST_STEP: usize = 9;
    let l = Layer::Incidents;
    let steps: Vec<String> = Step::ALL
        .iter()
        .map(|s| format!("{}_at", s.as_str()))
        .collect();
    let cols = format!(
        "category, subcategory, source, people, status, deadline, supervision, {}",
        steps.join(", ")
    );
    rows(conn, l, &cols, which, |fid, r| {
        let (cat, src, status, sup) = (text(r, 2)?, text(r, 4)?, text(r, 6)?, text(r, 8)?);
        let reported: i64 = r.get(FIRST_STEP)?;
        let mut lifecycle = Lifecycle::reported(reported);
        for (k, step) in Step::ALL.iter().enumerate().skip(1) {
            if let Some(t) = r.get::<_, Option<i64>>(FIRST_STEP + k)? {
                lifecycle.set(*step, t).map_err(|e| corrupt(l, fid, e))?;
            }
        }
        Ok(Incident {
            id: IncidentId(int(l, fid, "fid", fid)?),
            location: geom::decode_point(blob(l, fid, r, 1)?).map_err(|e| corrupt(l, fid, e))?,
            category: some(l, fid, "category", Category::parse(cat), cat)?,
            subcategory: int(l, fid, "subcategory", r.get(3)?)?,
            source: some(l, fid, "source", Source::parse(src), src)?,
            people: int(l, fid, "people", r.get(5)?)?,
            status: some(l, fid, "status", Step::parse(status), status)?,
            lifecycle,
            deadline: r.get(7)?,
            supervision: some(l, fid, "supervision", Supervision::parse(sup), sup)?,
        })
    })
}

/// The features with these keys (every revision of a grid), in one read transaction.
pub fn load_keys(conn: &mut Connection, keys: &[FeatureKey]) -> Result<Dataset> {
    let mut by_layer: std::collections::BTreeMap<usize, (Layer, Vec<serde_json::Value>)> =
        std::collections::BTreeMap::new();
    for k in keys {
        let layer = k.layer();
        let pos = Layer::ALL.iter().position(|l| *l == layer).unwrap_or(0);
        let value = match k {
            // Integer keys are fids: compared as integers.
            FeatureKey::Incident(i) => serde_json::Value::from(i.0),
            FeatureKey::Patrol(p) => serde_json::Value::from(p.0),
            other => serde_json::Value::from(other.key()),
        };
        by_layer
            .entry(pos)
            .or_insert_with(|| (layer, Vec::new()))
            .1
            .push(value);
    }
    let tx = conn.transaction()?;
    let mut data = Dataset::default();
    for (layer, values) in by_layer.into_values() {
        let json = serde_json::Value::Array(values).to_string();
        match layer {
            Layer::Admin => data.admin = load_admin(&tx, Rows::Keys("code", &json))?,
            Layer::Grids => data.grids = load_grids(&tx, Rows::Keys("code", &json))?,
            Layer::Cameras => data.cameras = load_cameras(&tx, Rows::Keys("id", &json))?,
            Layer::Incidents => data.incidents = load_incidents(&tx, Rows::Keys("fid", &json))?,
            Layer::Patrols => data.patrols = load_patrols(&tx, Rows::Keys("fid", &json))?,
            Layer::Workers => data.workers = load_workers(&tx, Rows::Keys("id", &json))?,
            Layer::Centers => data.centers = load_centers(&tx, Rows::Keys("code", &json))?,
        }
    }
    tx.commit()?;
    Ok(data)
}

/// One incident's details; `None` if there is no such incident.
pub fn incident_details(conn: &Connection, id: IncidentId) -> Result<Option<IncidentDetails>> {
    let Ok(fid) = i64::try_from(id.0) else {
        return Ok(None);
    };
    Ok(conn
        .query_row(
            "SELECT description, reporter FROM incidents WHERE fid = ?1",
            [fid],
            |r| {
                Ok(IncidentDetails {
                    description: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    reporter: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                })
            },
        )
        .optional()?)
}

/// Rows in a layer's table.
pub fn count(conn: &Connection, layer: Layer) -> Result<u64> {
    let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {layer}"), [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether every layer table is empty.
pub fn is_empty(conn: &Connection) -> Result<bool> {
    for layer in Layer::ALL {
        let any: bool =
            conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {layer})"), [], |r| {
                r.get(0)
            })?;
        if any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// SQLite's `integrity_check` and `foreign_key_check`; `Err(Corrupt)` listing the problems.
pub fn check_integrity(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if problems != ["ok"] {
        return Err(Error::Corrupt(format!(
            "integrity check failed: {}",
            problems.join("; ")
        )));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let bad: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !bad.is_empty() {
        return Err(Error::Corrupt(format!(
            "foreign key check failed in tables: {}",
            bad.join(", ")
        )));
    }
    Ok(())
}
