//! Reads: every layer for the core in one `REPEATABLE READ` snapshot, features by key,
//! change records, steps, fixes, users, tokens and counts. Geometry comes back as ISO WKB
//! (`ST_AsBinary`) and is decoded by the GeoPackage store's decoder behind a minimal
//! header, so both stores read geometry the same way.

use std::str::FromStr;

use geo_types::Rect;
use tokio_postgres::types::FromSql;
use tokio_postgres::{GenericClient, IsolationLevel, Row};

use super::pg_error;
use super::schema::columns;
use crate::access::{Role, TokenRecord, User};
use crate::codes::{AdminCode, AdminLevel, CameraId, GridCode, VillageCode};
use crate::model::{
    AdminUnit, Camera, CameraStatus, Category, Center, Dataset, Direction, Grid, GridKind,
    Incident, IncidentDetails, IncidentId, Layer, Lifecycle, Patrol, PatrolId, PositionType,
    PtzType, Source, Step, Supervision, UnixTime, Worker, WorkerId,
};
use crate::store::gpkg::geom;
use crate::store::{ChangeKind, ChangeQuery, ChangeRecord, FeatureKey, Position, StepRecord};
use crate::{Error, Result};

fn corrupt(layer: Layer, fid: i64, what: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!("onemap.{layer} fid {fid}: {what}"))
}

/// A column's value, or `Corrupt` naming it (never a panic on an unexpected type).
fn get<'a, T: FromSql<'a>>(r: &'a Row, idx: usize) -> Result<T> {
    r.try_get(idx)
        .map_err(|e| Error::Corrupt(format!("column {idx}: {e}")))
}

fn parse<T: FromStr>(layer: Layer, fid: i64, col: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e| corrupt(layer, fid, format!("column {col} {s:?}: {e}")))
}

fn some<T>(layer: Layer, fid: i64, col: &str, v: Option<T>, raw: &str) -> Result<T> {
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

/// A GeoPackage blob around ISO WKB: "GP", version 0, little-endian header, no envelope,
/// SRS 4490.
fn blob(wkb: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + wkb.len());
    b.extend_from_slice(b"GP\x00\x01");
    b.extend_from_slice(&geom::SRS_ID.to_le_bytes());
    b.extend_from_slice(wkb);
    b
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|p| !p.is_empty())
}

/// `SELECT fid, wkb, attributes...` of a layer (all rows, or those with the keys in `$1`).
fn select(layer: Layer, by_key: Option<&str>) -> String {
    let cols: Vec<&str> = columns(layer)
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| *c != "fid" && *c != "description" && *c != "reporter")
        .collect();
    let filter = by_key.map_or_else(String::new, |k| format!(" WHERE {k} = ANY($1)"));
    format!(
        "SELECT fid, ST_AsBinary(geom, 'NDR'), {} FROM onemap.{layer}{filter} ORDER BY fid",
        cols.join(", ")
    )
}

/// Decodes one row of `layer` into `data`.
#[allow(clippy::too_many_lines, clippy::many_single_char_names)]
fn push(data: &mut Dataset, layer: Layer, r: &Row) -> Result<()> {
    let fid: i64 = get(r, 0)?;
    let wkb: Vec<u8> = get(r, 1)?;
    let b = blob(&wkb);
    let l = layer;
    let t = |i: usize| -> Result<String> { get::<String>(r, i) };
    match layer {
        Layer::Admin => data.admin.push(AdminUnit {
            geometry: geom::decode_multipolygon(&b).map_err(|e| corrupt(l, fid, e))?,
            code: parse(l, fid, "code", &t(2)?)?,
            name: t(4)?,
            parent: get::<Option<String>>(r, 5)?
                .map(|p| parse::<AdminCode>(l, fid, "parent", &p))
                .transpose()?,
        }),
        Layer::Grids => {
            let kind = t(6)?;
            data.grids.push(Grid {
                geometry: geom::decode_multipolygon(&b).map_err(|e| corrupt(l, fid, e))?,
                code: parse::<GridCode>(l, fid, "code", &t(2)?)?,
                revision: int(l, fid, "revision", get(r, 3)?)?,
                name: t(4)?,
                village: parse::<VillageCode>(l, fid, "village", &t(5)?)?,
                kind: some(l, fid, "kind", GridKind::parse(&kind), &kind)?,
                workers: split(&t(7)?).map(|w| WorkerId(w.to_owned())).collect(),
                households: int(l, fid, "households", get(r, 8)?)?,
                population: int(l, fid, "population", get(r, 9)?)?,
                valid_from: get(r, 10)?,
                valid_to: get(r, 11)?,
            });
        }
        Layer::Cameras => {
            let (ptz, pos, dir): (i64, i64, i64) = (get(r, 4)?, get(r, 5)?, get(r, 6)?);
            let status = match t(10)?.as_str() {
                "online" => CameraStatus::Online,
                "offline" => CameraStatus::Offline,
                other => return Err(corrupt(l, fid, format!("status {other:?}"))),
            };
            data.cameras.push(Camera {
                location: geom::decode_point(&b).map_err(|e| corrupt(l, fid, e))?,
                id: parse::<CameraId>(l, fid, "id", &t(2)?)?,
                name: t(3)?,
                ptz_type: some(
                    l,
                    fid,
                    "ptz_type",
                    u8::try_from(ptz).ok().and_then(PtzType::from_code),
                    &ptz.to_string(),
                )?,
                position_type: some(
                    l,
                    fid,
                    "position_type",
                    u8::try_from(pos).ok().and_then(PositionType::new),
                    &pos.to_string(),
                )?,
                direction: some(
                    l,
                    fid,
                    "direction",
                    u8::try_from(dir).ok().and_then(Direction::new),
                    &dir.to_string(),
                )?,
                azimuth_deg: get::<Option<f64>>(r, 7)?.map(|v| v as f32),
                fov_deg: get::<Option<f64>>(r, 8)?.map(|v| v as f32),
                range_m: get::<Option<f64>>(r, 9)?.map(|v| v as f32),
                status,
            });
        }
        Layer::Incidents => {
            // Columns after fid and wkb: category, subcategory, source, people, status,
            // the step times, deadline, supervision.
            let (cat, src, status) = (t(2)?, t(4)?, t(6)?);
            let first = 7;
            let reported: i64 = get::<Option<i64>>(r, first)?
                .ok_or_else(|| corrupt(l, fid, "reported_at is NULL"))?;
            let mut lifecycle = Lifecycle::reported(reported);
            for (k, step) in Step::ALL.iter().enumerate().skip(1) {
                if let Some(at) = get::<Option<i64>>(r, first + k)? {
                    lifecycle.set(*step, at).map_err(|e| corrupt(l, fid, e))?;
                }
            }
            let after = first + Step::ALL.len();
            let sup = t(after + 1)?;
            data.incidents.push(Incident {
                id: IncidentId(int(l, fid, "fid", fid)?),
                location: geom::decode_point(&b).map_err(|e| corrupt(l, fid, e))?,
                category: some(l, fid, "category", Category::parse(&cat), &cat)?,
                subcategory: int(l, fid, "subcategory", get(r, 3)?)?,
                source: some(l, fid, "source", Source::parse(&src), &src)?,
                people: int(l, fid, "people", get(r, 5)?)?,
                status: some(l, fid, "status", Step::parse(&status), &status)?,
                lifecycle,
                deadline: get(r, after)?,
                supervision: some(l, fid, "supervision", Supervision::parse(&sup), &sup)?,
            });
        }
        Layer::Patrols => {
            let (mut track, mut m) =
                geom::decode_linestring_m(&b).map_err(|e| corrupt(l, fid, e))?;
            if m.len() != track.0.len() {
                return Err(corrupt(l, fid, "track has no M (vertex time) values"));
            }
            // A one-vertex track is stored with its vertex twice (see the writer).
            if track.0.len() == 2 && track.0[0] == track.0[1] && m[0].total_cmp(&m[1]).is_eq() {
                track.0.pop();
                m.pop();
            }
            let times = m
                .iter()
                .map(|t| {
                    (t.is_finite() && t.fract() == 0.0 && t.abs() < 9.0e15)
                        .then_some(*t as i64)
                        .ok_or_else(|| {
                            corrupt(l, fid, format!("vertex time {t} is not whole seconds"))
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            data.patrols.push(Patrol {
                id: PatrolId(int(l, fid, "fid", fid)?),
                worker: WorkerId(t(2)?),
                track,
                times,
            });
        }
        Layer::Workers => data.workers.push(Worker {
            location: geom::decode_point_or_no_fix(&b).map_err(|e| corrupt(l, fid, e))?,
            id: WorkerId(t(2)?),
            name: t(3)?,
            phone: t(4)?,
            grids: split(&t(5)?)
                .map(|g| parse::<GridCode>(l, fid, "grids", g))
                .collect::<Result<_>>()?,
            seen_at: get(r, 6)?,
        }),
        Layer::Centers => data.centers.push(Center {
            location: geom::decode_point(&b).map_err(|e| corrupt(l, fid, e))?,
            code: parse(l, fid, "code", &t(2)?)?,
            level: parse::<AdminLevel>(l, fid, "level", &t(3)?)?,
            name: t(4)?,
        }),
    }
    Ok(())
}

/// Every layer (or one) in one consistent snapshot, without incident details.
pub async fn load(client: &mut deadpool_postgres::Object, only: Option<Layer>) -> Result<Dataset> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(pg_error)?;
    let mut data = Dataset::default();
    for layer in Layer::ALL {
        if only.is_some_and(|o| o != layer) {
            continue;
        }
        let rows = tx
            .query(&select(layer, None), &[])
            .await
            .map_err(pg_error)?;
        for r in &rows {
            push(&mut data, layer, r)?;
        }
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(data)
}

/// The features with these keys (every revision of a grid), in one snapshot.
pub async fn load_keys(
    client: &mut deadpool_postgres::Object,
    keys: &[FeatureKey],
) -> Result<Dataset> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(pg_error)?;
    let mut data = Dataset::default();
    for layer in Layer::ALL {
        let of: Vec<&FeatureKey> = keys.iter().filter(|k| k.layer() == layer).collect();
        if of.is_empty() {
            continue;
        }
        let column = super::schema::key(layer)[0];
        let sql = select(layer, Some(column));
        let rows = if matches!(layer, Layer::Incidents | Layer::Patrols) {
            let ids: Vec<i64> = of
                .iter()
                .filter_map(|k| match k {
                    FeatureKey::Incident(i) => i64::try_from(i.0).ok(),
                    FeatureKey::Patrol(p) => i64::try_from(p.0).ok(),
                    _ => None,
                })
                .collect();
            tx.query(&sql, &[&ids]).await
        } else {
            let ids: Vec<String> = of.iter().map(|k| k.key()).collect();
            tx.query(&sql, &[&ids]).await
        }
        .map_err(pg_error)?;
        for r in &rows {
            push(&mut data, layer, r)?;
        }
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(data)
}

/// Whether every layer table is empty.
pub async fn is_empty<C: GenericClient>(c: &C) -> Result<bool> {
    let parts: Vec<String> = Layer::ALL
        .iter()
        .map(|l| format!("EXISTS (SELECT 1 FROM onemap.{l})"))
        .collect();
    let row = c
        .query_one(&format!("SELECT {}", parts.join(" OR ")), &[])
        .await
        .map_err(pg_error)?;
    Ok(!get::<bool>(&row, 0)?)
}

/// Rows in a layer's table.
pub async fn count<C: GenericClient>(c: &C, layer: Layer) -> Result<u64> {
    let row = c
        .query_one(&format!("SELECT COUNT(*) FROM onemap.{layer}"), &[])
        .await
        .map_err(pg_error)?;
    Ok(u64::try_from(get::<i64>(&row, 0)?).unwrap_or(0))
}

/// The last committed change's sequence number (0 for none).
pub async fn seq<C: GenericClient>(c: &C) -> Result<u64> {
    let row = c
        .query_one("SELECT seq FROM onemap.seq", &[])
        .await
        .map_err(pg_error)?;
    Ok(u64::try_from(get::<i64>(&row, 0)?).unwrap_or(0))
}

/// Change records matching `q`, oldest first.
pub async fn changes<C: GenericClient>(c: &C, q: &ChangeQuery) -> Result<Vec<ChangeRecord>> {
    let since = i64::try_from(q.since).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let kind = q.kind.map(ChangeKind::as_str);
    let rows = c
        .query(
            "SELECT seq, time, kind, author, origin, summary, layers, rows, min_x, min_y, max_x, max_y, keys \
             FROM onemap.changes WHERE seq > $1 AND ($2::text IS NULL OR author = $2) \
             AND ($3::text IS NULL OR kind = $3) AND ($4::bigint IS NULL OR time >= $4) \
             AND ($5::bigint IS NULL OR time < $5) ORDER BY seq LIMIT $6",
            &[&since, &q.author, &kind, &q.from, &q.to, &limit],
        )
        .await
        .map_err(pg_error)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let seq: i64 = get(r, 0)?;
        let bad = |what: String| Error::Corrupt(format!("onemap.changes seq {seq}: {what}"));
        let kind: String = get(r, 2)?;
        let layers: String = get(r, 6)?;
        let b: [Option<f64>; 4] = [get(r, 8)?, get(r, 9)?, get(r, 10)?, get(r, 11)?];
        let keys: Option<String> = get(r, 12)?;
        out.push(ChangeRecord {
            seq: u64::try_from(seq).map_err(|_| bad(format!("negative seq {seq}")))?,
            time: get(r, 1)?,
            kind: ChangeKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
            author: get(r, 3)?,
            origin: get(r, 4)?,
            summary: get(r, 5)?,
            layers: layers
                .split(',')
                .filter(|l| !l.is_empty())
                .map(str::parse::<Layer>)
                .collect::<Result<_>>()?,
            rows: u64::try_from(get::<i64>(r, 7)?).unwrap_or(0),
            dirty: match b {
                [Some(x0), Some(y0), Some(x1), Some(y1)] => Some(Rect::new((x0, y0), (x1, y1))),
                _ => None,
            },
            keys: keys
                .map(|k| serde_json::from_str::<Vec<FeatureKey>>(&k))
                .transpose()
                .map_err(|e| bad(format!("keys: {e}")))?,
        });
    }
    Ok(out)
}

/// One incident's details; `None` if there is no such incident.
pub async fn incident_details<C: GenericClient>(
    c: &C,
    id: IncidentId,
) -> Result<Option<IncidentDetails>> {
    let Ok(fid) = i64::try_from(id.0) else {
        return Ok(None);
    };
    let row = c
        .query_opt(
            "SELECT description, reporter FROM onemap.incidents WHERE fid = $1",
            &[&fid],
        )
        .await
        .map_err(pg_error)?;
    row.map(|r| {
        Ok(IncidentDetails {
            description: get::<Option<String>>(&r, 0)?.unwrap_or_default(),
            reporter: get::<Option<String>>(&r, 1)?.unwrap_or_default(),
        })
    })
    .transpose()
}

/// One incident's workflow history, oldest first.
pub async fn incident_steps<C: GenericClient>(c: &C, id: IncidentId) -> Result<Vec<StepRecord>> {
    let Ok(fid) = i64::try_from(id.0) else {
        return Ok(Vec::new());
    };
    let rows = c
        .query(
            &format!(
                "SELECT {STEP_COLUMNS} FROM onemap.incident_steps WHERE incident = $1 \
                 ORDER BY time, seq, n"
            ),
            &[&fid],
        )
        .await
        .map_err(pg_error)?;
    rows.iter().map(step_from).collect()
}

/// The columns [`step_from`] reads, in its order.
const STEP_COLUMNS: &str = "incident, step, time, author, worker, note";

fn step_from(r: &Row) -> Result<StepRecord> {
    let incident = IncidentId(
        u64::try_from(get::<i64>(r, 0)?)
            .map_err(|_| Error::Corrupt("a workflow step of a negative incident id".into()))?,
    );
    let step: String = get(r, 1)?;
    Ok(StepRecord {
        incident,
        step: Step::parse(&step).ok_or_else(|| {
            Error::Corrupt(format!("incident {} has a step {step:?}", incident.0))
        })?,
        time: get(r, 2)?,
        author: get(r, 3)?,
        worker: get::<Option<String>>(r, 4)?.map(WorkerId),
        note: get(r, 5)?,
    })
}

/// The columns [`token_from`] reads, in its order.
const TOKEN_COLUMNS: &str = "id, \"user\", hash, created_at, expires_at, revoked, label";

fn token_from(r: &Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: get(r, 0)?,
        user: get(r, 1)?,
        hash: get(r, 2)?,
        created_at: get(r, 3)?,
        expires_at: get(r, 4)?,
        revoked: get(r, 5)?,
        label: get(r, 6)?,
    })
}

/// A worker's raw fixes in `[from, to)`, oldest first.
pub async fn positions<C: GenericClient>(
    c: &C,
    worker: &WorkerId,
    from: UnixTime,
    to: UnixTime,
) -> Result<Vec<Position>> {
    let rows = c
        .query(
            &format!(
                "SELECT {POSITION_COLUMNS} FROM onemap.positions \
                 WHERE worker = $1 AND time >= $2 AND time < $3 ORDER BY time"
            ),
            &[&worker.0, &from, &to],
        )
        .await
        .map_err(pg_error)?;
    rows.iter().map(position_from).collect()
}

/// The columns [`position_from`] reads, in its order.
const POSITION_COLUMNS: &str = "worker, time, lon, lat, accuracy_m";

fn position_from(r: &Row) -> Result<Position> {
    Ok(Position {
        worker: WorkerId(get(r, 0)?),
        time: get(r, 1)?,
        lon: get(r, 2)?,
        lat: get(r, 3)?,
        accuracy_m: get::<Option<f64>>(r, 4)?.map(|a| a as f32),
    })
}

fn user_from(r: &Row, at: usize) -> Result<User> {
    let name: String = get(r, at)?;
    let role: String = get(r, at + 1)?;
    let unit: Option<String> = get(r, at + 2)?;
    Ok(User {
        role: Role::parse(&role)
            .ok_or_else(|| Error::Corrupt(format!("user {name:?} has a role {role:?}")))?,
        unit: unit.map(|u| u.parse::<AdminCode>()).transpose()?,
        disabled: get(r, at + 3)?,
        created_at: get(r, at + 4)?,
        name,
    })
}

/// Every user, by name.
pub async fn users<C: GenericClient>(c: &C) -> Result<Vec<User>> {
    let rows = c
        .query(
            "SELECT name, role, unit, disabled, created_at FROM onemap.users ORDER BY name",
            &[],
        )
        .await
        .map_err(pg_error)?;
    rows.iter().map(|r| user_from(r, 0)).collect()
}

/// A token by id, with its user.
pub async fn token<C: GenericClient>(c: &C, id: &str) -> Result<Option<(TokenRecord, User)>> {
    let row = c
        .query_opt(
            "SELECT t.id, t.\"user\", t.hash, t.created_at, t.expires_at, t.revoked, t.label, \
             u.name, u.role, u.unit, u.disabled, u.created_at \
             FROM onemap.tokens t JOIN onemap.users u ON u.name = t.\"user\" WHERE t.id = $1",
            &[&id],
        )
        .await
        .map_err(pg_error)?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some((token_from(&r)?, user_from(&r, 7)?)))
}

/// Every step, fix and token (for a migration).
pub async fn records<C: GenericClient>(c: &C) -> Result<crate::store::Records> {
    let query = |sql: String| async move { c.query(&sql, &[]).await.map_err(pg_error) };
    let steps = query(format!(
        "SELECT {STEP_COLUMNS} FROM onemap.incident_steps ORDER BY incident, time, seq, n"
    ))
    .await?
    .iter()
    .map(step_from)
    .collect::<Result<Vec<_>>>()?;
    let positions = query(format!(
        "SELECT {POSITION_COLUMNS} FROM onemap.positions ORDER BY worker, time"
    ))
    .await?
    .iter()
    .map(position_from)
    .collect::<Result<Vec<_>>>()?;
    let tokens = query(format!(
        "SELECT {TOKEN_COLUMNS} FROM onemap.tokens ORDER BY id"
    ))
    .await?
    .iter()
    .map(token_from)
    .collect::<Result<Vec<_>>>()?;
    Ok(crate::store::Records {
        steps,
        positions,
        tokens,
    })
}
