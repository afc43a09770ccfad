//! `apply`: one change set in one IMMEDIATE transaction: upserts (old geometry read first
//! for the dirty box), deletes (`RETURNING geom`), layer extents, the records that go with
//! them (steps, positions, users, tokens: [`records`]), and one row in `onemap_changes`,
//! whose `seq` is the change sequence number. `apply_many` commits several change sets at
//! once, each under its own savepoint.

use std::collections::BTreeMap;

use geo_types::Rect;
use rusqlite::{params, Connection, OptionalExtension, Statement, ToSql, TransactionBehavior};

use super::geom::{self, bbox, blob_bbox, union};
use super::records;
use crate::model::{Layer, Step};
use crate::store::{Applied, ChangeSet, FeatureKey, MAX_RECORDED_KEYS};
use crate::{Error, Result};

/// What one write did to one layer.
#[derive(Default)]
struct LayerEffect {
    rows: u64,
    /// Box of the geometry written (to widen the layer extent).
    written: Option<Rect<f64>>,
    /// Whether rows were deleted (the extent is then recomputed).
    deleted: bool,
}

/// Accumulates a write's effects across layers.
#[derive(Default)]
struct Effects {
    layers: BTreeMap<usize, (Layer, LayerEffect)>,
    dirty: Option<Rect<f64>>,
}

impl Effects {
    fn layer(&mut self, layer: Layer) -> &mut LayerEffect {
        let pos = Layer::ALL.iter().position(|l| *l == layer).unwrap_or(0);
        &mut self
            .layers
            .entry(pos)
            .or_insert_with(|| (layer, LayerEffect::default()))
            .1
    }

    /// Records one upserted row: its new box and its old blob, if it had one.
    fn written(&mut self, layer: Layer, new: Option<Rect<f64>>, old: Option<&[u8]>) -> Result<()> {
        let old = old.map(blob_bbox).transpose()?.flatten();
        self.dirty = union(union(self.dirty, new), old);
        let e = self.layer(layer);
        e.rows += 1;
        e.written = union(e.written, new);
        Ok(())
    }
}

fn to_i64(what: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Invalid(format!("{what} {v} is above {}", i64::MAX)))
}

/// `INSERT ... ON CONFLICT (key) DO UPDATE SET` every column but the key ones.
fn upsert_sql(table: &str, cols: &[&str], key: &[&str]) -> String {
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sets: Vec<String> = cols
        .iter()
        .filter(|c| !key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        cols.join(", "),
        marks.join(", "),
        key.join(", "),
        sets.join(", ")
    )
}

/// Reads the current geometry blob of the row a `SELECT geom ... WHERE key` statement finds.
fn old_geom(stmt: &mut Statement<'_>, key: &[&dyn ToSql]) -> Result<Option<Vec<u8>>> {
    Ok(stmt
        .query_row(key, |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .flatten())
}

/// Rows from which a write is followed by a WAL checkpoint.
const BULK_ROWS: u64 = 10_000;

/// Applies a validated change set in one transaction and returns what it changed.
pub fn apply(conn: &mut Connection, changes: &ChangeSet) -> Result<Applied> {
    super::validate::validate(changes)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied = write_one(&tx, changes)?;
    tx.commit()?;
    after_commit(conn, applied.rows);
    Ok(applied)
}

/// Applies several change sets in one transaction and one durable commit (group commit):
/// each runs under its own savepoint, so one that fails is rolled back alone and reported
/// in its slot while the others are written.
pub fn apply_many(conn: &mut Connection, changes: &[ChangeSet]) -> Result<Vec<Result<Applied>>> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(changes.len());
    let mut rows = 0;
    for c in changes {
        if let Err(e) = super::validate::validate(c) {
            out.push(Err(e));
            continue;
        }
        let sp = tx.savepoint()?;
        match write_one(&sp, c) {
            Ok(a) => {
                sp.commit()?;
                rows += a.rows;
                out.push(Ok(a));
            }
            // Dropping the savepoint rolls its writes back.
            Err(e) => out.push(Err(e)),
        }
    }
    tx.set_drop_behavior(rusqlite::DropBehavior::Commit);
    tx.commit()?;
    after_commit(conn, rows);
    Ok(out)
}

/// Folds a bulk write's WAL into the main file, so that a copy of the .gpkg alone (QGIS, a
/// USB stick) holds the data. Failure here loses nothing: the commit is already durable in
/// the WAL.
fn after_commit(conn: &Connection, rows: u64) {
    if rows >= BULK_ROWS {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

/// Writes one change set inside an open transaction (or savepoint): features, deletes,
/// extents, the records that go with them, and its row in `onemap_changes`.
fn write_one(tx: &Connection, changes: &ChangeSet) -> Result<Applied> {
    let mut fx = Effects::default();
    let mut blob = Vec::with_capacity(256);
    upsert_admin(tx, changes, &mut fx, &mut blob)?;
    upsert_grids(tx, changes, &mut fx, &mut blob)?;
    upsert_cameras(tx, changes, &mut fx, &mut blob)?;
    upsert_incidents(tx, changes, &mut fx, &mut blob)?;
    upsert_patrols(tx, changes, &mut fx, &mut blob)?;
    upsert_workers(tx, changes, &mut fx, &mut blob)?;
    upsert_centers(tx, changes, &mut fx, &mut blob)?;
    for key in &changes.deletes {
        delete(tx, key, &mut fx)?;
    }
    for (layer, e) in fx.layers.values() {
        update_extent(tx, *layer, e)?;
    }
    let records = (changes.steps.len()
        + changes.positions.len()
        + changes.users.len()
        + changes.tokens.len()) as u64;
    let layers: Vec<Layer> = fx
        .layers
        .values()
        .filter(|(_, e)| e.rows > 0)
        .map(|(l, _)| *l)
        .collect();
    let rows: u64 = fx.layers.values().map(|(_, e)| e.rows).sum::<u64>() + records;
    let names: Vec<&str> = layers.iter().map(|l| l.as_str()).collect();
    let keys = changes.keys();
    let keys = (keys.len() <= MAX_RECORDED_KEYS).then_some(keys);
    let keys_json = keys.as_ref().map(serde_json::to_string).transpose()?;
    let d = fx.dirty;
    let time = chrono::Utc::now().timestamp();
    tx.execute(
        "INSERT INTO onemap_changes (time, author, summary, layers, rows, min_x, min_y, max_x, max_y, \
         kind, origin, keys) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            time,
            changes.author,
            changes.summary,
            names.join(","),
            to_i64("row count", rows)?,
            d.map(|r| r.min().x),
            d.map(|r| r.min().y),
            d.map(|r| r.max().x),
            d.map(|r| r.max().y),
            changes.kind.as_str(),
            changes.origin,
            keys_json,
        ],
    )?;
    let seq = u64::try_from(tx.last_insert_rowid()).unwrap_or(0);
    records::write(tx, changes, seq)?;
    Ok(Applied {
        seq,
        time,
        kind: changes.kind,
        author: changes.author.clone(),
        origin: changes.origin.clone(),
        summary: changes.summary.clone(),
        layers,
        rows,
        dirty: d,
        keys,
    })
}

fn upsert_admin(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    if c.upserts.admin.is_empty() {
        return Ok(());
    }
    let mut sel = tx.prepare_cached("SELECT geom FROM admin WHERE code = ?1")?;
    let mut ins = tx.prepare_cached(&upsert_sql(
        "admin",
        &["geom", "code", "level", "name", "parent"],
        &["code"],
    ))?;
    for a in &c.upserts.admin {
        let code = a.code.to_string();
        let old = old_geom(&mut sel, &[&code])?;
        blob.clear();
        geom::encode_multipolygon(&a.geometry, blob)?;
        ins.execute(params![
            &*blob,
            code,
            a.level().as_str(),
            a.name,
            a.parent.map(|p| p.to_string())
        ])?;
        fx.written(
            Layer::Admin,
            bbox(
                a.geometry
                    .iter()
                    .flat_map(|p| p.exterior().0.iter().copied()),
            ),
            old.as_deref(),
        )?;
    }
    Ok(())
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn upsert_grids(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    if c.upserts.grids.is_empty() {
        return Ok(());
    }
    let mut sel = tx.prepare_cached("SELECT geom FROM grids WHERE code = ?1 AND revision = ?2")?;
    let mut ins = tx.prepare_cached(&upsert_sql(
        "grids",
        &[
            "geom",
            "code",
            "revision",
            "name",
            "village",
            "kind",
            "workers",
            "households",
            "population",
            "valid_from",
            "valid_to",
        ],
        &["code", "revision"],
    ))?;
    for g in &c.upserts.grids {
        let code = g.code.to_string();
        let old = old_geom(&mut sel, &[&code, &g.revision])?;
        blob.clear();
        geom::encode_multipolygon(&g.geometry, blob)?;
        ins.execute(params![
            &*blob,
            code,
            g.revision,
            g.name,
            g.village.to_string(),
            g.kind.as_str(),
            join(&g.workers),
            g.households,
            g.population,
            g.valid_from,
            g.valid_to
        ])?;
        fx.written(
            Layer::Grids,
            bbox(
                g.geometry
                    .iter()
                    .flat_map(|p| p.exterior().0.iter().copied()),
            ),
            old.as_deref(),
        )?;
    }
    Ok(())
}

fn upsert_cameras(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    if c.upserts.cameras.is_empty() {
        return Ok(());
    }
    let mut sel = tx.prepare_cached("SELECT geom FROM cameras WHERE id = ?1")?;
    let mut ins = tx.prepare_cached(&upsert_sql(
        "cameras",
        &[
            "geom",
            "id",
            "name",
            "ptz_type",
            "position_type",
            "direction",
            "azimuth_deg",
            "fov_deg",
            "range_m",
            "status",
        ],
        &["id"],
    ))?;
    for cam in &c.upserts.cameras {
        let old = old_geom(&mut sel, &[&cam.id.as_str()])?;
        blob.clear();
        geom::encode_point(cam.location, blob)?;
        let status = match cam.status {
            crate::model::CameraStatus::Online => "online",
            crate::model::CameraStatus::Offline => "offline",
        };
        ins.execute(params![
            &*blob,
            cam.id.as_str(),
            cam.name,
            cam.ptz_type.code(),
            cam.position_type.code(),
            cam.direction.code(),
            cam.azimuth_deg.map(f64::from),
            cam.fov_deg.map(f64::from),
            cam.range_m.map(f64::from),
            status
        ])?;
        fx.written(
            Layer::Cameras,
            Some(Rect::new(cam.location.0, cam.location.0)),
            old.as_deref(),
        )?;
    }
    Ok(())
}

/// The incident columns, in binding order; details last.
fn incident_columns(with_details: bool) -> Vec<String> {
    let mut cols: Vec<String> = [
        "fid",
        "geom",
        "category",
        "subcategory",
        "source",
        "people",
        "status",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    cols.extend(Step::ALL.iter().map(|s| format!("{}_at", s.as_str())));
    cols.extend(["deadline", "supervision"].map(String::from));
    if with_details {
        cols.extend(["description", "reporter"].map(String::from));
    }
    cols
}

fn upsert_incidents(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    let d = &c.upserts;
    if d.incidents.is_empty() {
        return Ok(());
    }
    let with_details = !d.incident_details.is_empty();
    let cols = incident_columns(with_details);
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    // Without details, an upsert leaves stored details alone (status updates carry none).
    let mut ins = tx.prepare_cached(&upsert_sql("incidents", &cols, &["fid"]))?;
    let mut sel = tx.prepare_cached("SELECT geom FROM incidents WHERE fid = ?1")?;
    // Ids above the largest stored one cannot replace anything: skip their look-up (bulk imports).
    let max_fid = max_fid(tx, Layer::Incidents)?;
    for (n, i) in d.incidents.iter().enumerate() {
        let fid = to_i64("incident id", i.id.0)?;
        let old = if max_fid.is_some_and(|m| fid <= m) {
            old_geom(&mut sel, &[&fid])?
        } else {
            None
        };
        blob.clear();
        geom::encode_point(i.location, blob)?;
        // Bound one by one: no per-row parameter array on the million-row path.
        ins.raw_bind_parameter(1, fid)?;
        ins.raw_bind_parameter(2, &*blob)?;
        ins.raw_bind_parameter(3, i.category.as_str())?;
        ins.raw_bind_parameter(4, i.subcategory)?;
        ins.raw_bind_parameter(5, i.source.as_str())?;
        ins.raw_bind_parameter(6, i.people)?;
        ins.raw_bind_parameter(7, i.status.as_str())?;
        let mut k = 8;
        for s in Step::ALL {
            ins.raw_bind_parameter(k, i.lifecycle.at(s))?;
            k += 1;
        }
        ins.raw_bind_parameter(k, i.deadline)?;
        ins.raw_bind_parameter(k + 1, i.supervision.as_str())?;
        if let Some(det) = with_details.then(|| d.incident_details.get(n)).flatten() {
            ins.raw_bind_parameter(k + 2, &det.description)?;
            ins.raw_bind_parameter(k + 3, &det.reporter)?;
        }
        ins.raw_execute()?;
        fx.written(
            Layer::Incidents,
            Some(Rect::new(i.location.0, i.location.0)),
            old.as_deref(),
        )?;
    }
    Ok(())
}

/// The largest fid in a layer's table, `None` when it is empty.
fn max_fid(tx: &Connection, layer: Layer) -> Result<Option<i64>> {
    Ok(tx.query_row(&format!("SELECT MAX(fid) FROM {layer}"), [], |r| r.get(0))?)
}

fn upsert_patrols(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    if c.upserts.patrols.is_empty() {
        return Ok(());
    }
    let mut sel = tx.prepare_cached("SELECT geom FROM patrols WHERE fid = ?1")?;
    let mut ins = tx.prepare_cached(&upsert_sql(
        "patrols",
        &["fid", "geom", "worker", "start_at", "end_at"],
        &["fid"],
    ))?;
    let max_fid = max_fid(tx, Layer::Patrols)?;
    for p in &c.upserts.patrols {
        let fid = to_i64("patrol id", p.id.0)?;
        let old = if max_fid.is_some_and(|m| fid <= m) {
            old_geom(&mut sel, &[&fid])?
        } else {
            None
        };
        blob.clear();
        // Validation bounded the times to 2^53, so each is exact as an f64 M value.
        let m: Vec<f64> = p.times.iter().map(|t| *t as f64).collect();
        geom::encode_linestring_m(&p.track, &m, blob)?;
        ins.execute(params![fid, &*blob, p.worker.0, p.start(), p.end()])?;
        fx.written(
            Layer::Patrols,
            bbox(p.track.0.iter().copied()),
            old.as_deref(),
        )?;
    }
    Ok(())
}

fn upsert_workers(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    if c.upserts.workers.is_empty() {
        return Ok(());
    }
    let mut sel = tx.prepare_cached("SELECT geom FROM workers WHERE id = ?1")?;
    let mut ins = tx.prepare_cached(&upsert_sql(
        "workers",
        &["geom", "id", "name", "phone", "grids", "seen_at"],
        &["id"],
    ))?;
    for w in &c.upserts.workers {
        let old = old_geom(&mut sel, &[&w.id.0])?;
        blob.clear();
        geom::encode_point(w.location, blob)?;
        ins.execute(params![
            &*blob,
            w.id.0,
            w.name,
            w.phone,
            join(&w.grids),
            w.seen_at
        ])?;
        fx.written(
            Layer::Workers,
            // A worker without a fix is nowhere on the map: no box to redraw.
            w.has_fix().then(|| Rect::new(w.location.0, w.location.0)),
            old.as_deref(),
        )?;
    }
    Ok(())
}

fn upsert_centers(
    tx: &Connection,
    c: &ChangeSet,
    fx: &mut Effects,
    blob: &mut Vec<u8>,
) -> Result<()> {
    if c.upserts.centers.is_empty() {
        return Ok(());
    }
    let mut sel = tx.prepare_cached("SELECT geom FROM centers WHERE code = ?1")?;
    let mut ins = tx.prepare_cached(&upsert_sql(
        "centers",
        &["geom", "code", "level", "name"],
        &["code"],
    ))?;
    for ce in &c.upserts.centers {
        let code = ce.code.to_string();
        let old = old_geom(&mut sel, &[&code])?;
        blob.clear();
        geom::encode_point(ce.location, blob)?;
        ins.execute(params![&*blob, code, ce.level.as_str(), ce.name])?;
        fx.written(
            Layer::Centers,
            Some(Rect::new(ce.location.0, ce.location.0)),
            old.as_deref(),
        )?;
    }
    Ok(())
}

/// Deletes the rows of one key, widening the dirty box with their geometry.
fn delete(tx: &Connection, key: &FeatureKey, fx: &mut Effects) -> Result<()> {
    let (layer, sql, value): (Layer, &str, Box<dyn ToSql>) = match key {
        FeatureKey::Admin(c) => (
            Layer::Admin,
            "DELETE FROM admin WHERE code = ?1 RETURNING geom",
            Box::new(c.to_string()),
        ),
        FeatureKey::Grid(c) => (
            Layer::Grids,
            "DELETE FROM grids WHERE code = ?1 RETURNING geom",
            Box::new(c.to_string()),
        ),
        FeatureKey::Camera(c) => (
            Layer::Cameras,
            "DELETE FROM cameras WHERE id = ?1 RETURNING geom",
            Box::new(c.as_str().to_owned()),
        ),
        FeatureKey::Incident(i) => (
            Layer::Incidents,
            "DELETE FROM incidents WHERE fid = ?1 RETURNING geom",
            Box::new(to_i64("incident id", i.0)?),
        ),
        FeatureKey::Patrol(p) => (
            Layer::Patrols,
            "DELETE FROM patrols WHERE fid = ?1 RETURNING geom",
            Box::new(to_i64("patrol id", p.0)?),
        ),
        FeatureKey::Worker(w) => (
            Layer::Workers,
            "DELETE FROM workers WHERE id = ?1 RETURNING geom",
            Box::new(w.0.clone()),
        ),
        FeatureKey::Center(c) => (
            Layer::Centers,
            "DELETE FROM centers WHERE code = ?1 RETURNING geom",
            Box::new(c.to_string()),
        ),
    };
    let mut stmt = tx.prepare_cached(sql)?;
    let olds: Vec<Option<Vec<u8>>> = stmt
        .query_map([value.as_ref()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for old in &olds {
        let old = old.as_deref().map(blob_bbox).transpose()?.flatten();
        fx.dirty = union(fx.dirty, old);
    }
    let e = fx.layer(layer);
    e.rows += olds.len() as u64;
    e.deleted |= !olds.is_empty();
    Ok(())
}

/// Keeps `gpkg_contents` extents covering the layer: widened by writes, recomputed after
/// deletes (a replaced geometry may leave the extent a little larger than the data, which
/// readers accept; recomputing on every status update would scan the whole layer).
fn update_extent(tx: &Connection, layer: Layer, e: &LayerEffect) -> Result<()> {
    let name = layer.as_str();
    let extent = if e.deleted {
        let mut stmt = tx.prepare(&format!("SELECT geom FROM {name} WHERE geom IS NOT NULL"))?;
        let mut rows = stmt.query([])?;
        let mut ext = None;
        while let Some(r) = rows.next()? {
            let b = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            ext = union(ext, blob_bbox(b)?);
        }
        ext
    } else {
        let current: Option<(f64, f64, f64, f64)> = tx
            .query_row(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?1",
                [name],
                |r| {
                    Ok((
                        r.get::<_, Option<f64>>(0)?,
                        r.get::<_, Option<f64>>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                    ))
                },
            )
            .map(|(a, b, c, d)| Some((a?, b?, c?, d?)))?;
        let current = current.map(|(a, b, c, d)| Rect::new((a, b), (c, d)));
        union(current, e.written)
    };
    tx.execute(
        "UPDATE gpkg_contents SET min_x = ?2, min_y = ?3, max_x = ?4, max_y = ?5, \
         last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = ?1",
        params![
            name,
            extent.map(|r| r.min().x),
            extent.map(|r| r.min().y),
            extent.map(|r| r.max().x),
            extent.map(|r| r.max().y)
        ],
    )?;
    Ok(())
}
