//! `apply_many`: every change set in one transaction, each under its own savepoint (all or
//! nothing on its own), then one `NOTIFY` and one commit. Features of a layer are copied
//! with binary `COPY` into a per-connection staging table (`ON COMMIT DELETE ROWS`) and
//! moved into the layer table with one `INSERT ... SELECT ... ON CONFLICT DO UPDATE`; the
//! dirty box comes from the old and new geometry in the same statement's neighbours.

use std::pin::pin;

use geo_types::Rect;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Transaction as Tx;

use super::schema::{columns, key};
use super::{pg_error, CHANNEL};
use crate::model::{Dataset, Layer, Step};
use crate::store::gpkg::geom::{self, union};
use crate::store::{Applied, ChangeSet, FeatureKey, MAX_RECORDED_KEYS};
use crate::{Error, Result};

type Value = Box<dyn ToSql + Sync + Send>;

fn to_i64(what: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Invalid(format!("{what} {v} is above {}", i64::MAX)))
}

/// The ISO WKB inside a GeoPackage blob (after its header and envelope).
fn wkb_of(blob: &[u8]) -> Result<Vec<u8>> {
    let flags = *blob
        .get(3)
        .ok_or_else(|| Error::Invalid("geometry blob too short".into()))?;
    let env = match (flags >> 1) & 7 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(Error::Invalid(format!("geometry envelope code {other}"))),
    };
    blob.get(8 + env..)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| Error::Invalid("geometry blob too short".into()))
}

fn sql_type(t: &str) -> Type {
    if t.starts_with("bigint") {
        Type::INT8
    } else if t.starts_with("double") {
        Type::FLOAT8
    } else {
        Type::TEXT
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// How many features of `layer` the dataset holds.
fn len(d: &Dataset, layer: Layer) -> usize {
    match layer {
        Layer::Admin => d.admin.len(),
        Layer::Grids => d.grids.len(),
        Layer::Cameras => d.cameras.len(),
        Layer::Incidents => d.incidents.len(),
        Layer::Patrols => d.patrols.len(),
        Layer::Workers => d.workers.len(),
        Layer::Centers => d.centers.len(),
    }
}

/// The staging row of feature `i` of `layer`: geometry WKB, then the attribute columns in
/// [`columns`] order.
#[allow(clippy::many_single_char_names)]
fn row(d: &Dataset, layer: Layer, i: usize, blob: &mut Vec<u8>) -> Result<Vec<Value>> {
    blob.clear();
    let mut v: Vec<Value> = Vec::with_capacity(24);
    match layer {
        Layer::Admin => {
            let a = &d.admin[i];
            geom::encode_multipolygon(&a.geometry, blob)?;
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(a.code.to_string()));
            v.push(Box::new(a.level().as_str().to_owned()));
            v.push(Box::new(a.name.clone()));
            v.push(Box::new(a.parent.map(|p| p.to_string())));
        }
        Layer::Grids => {
            let g = &d.grids[i];
            geom::encode_multipolygon(&g.geometry, blob)?;
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(g.code.to_string()));
            v.push(Box::new(i64::from(g.revision)));
            v.push(Box::new(g.name.clone()));
            v.push(Box::new(g.village.to_string()));
            v.push(Box::new(g.kind.as_str().to_owned()));
            v.push(Box::new(join(&g.workers)));
            v.push(Box::new(i64::from(g.households)));
            v.push(Box::new(i64::from(g.population)));
            v.push(Box::new(g.valid_from));
            v.push(Box::new(g.valid_to));
        }
        Layer::Cameras => {
            let c = &d.cameras[i];
            geom::encode_point(c.location, blob)?;
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(c.id.as_str().to_owned()));
            v.push(Box::new(c.name.clone()));
            v.push(Box::new(i64::from(c.ptz_type.code())));
            v.push(Box::new(i64::from(c.position_type.code())));
            v.push(Box::new(i64::from(c.direction.code())));
            v.push(Box::new(c.azimuth_deg.map(f64::from)));
            v.push(Box::new(c.fov_deg.map(f64::from)));
            v.push(Box::new(c.range_m.map(f64::from)));
            let status = match c.status {
                crate::model::CameraStatus::Online => "online",
                crate::model::CameraStatus::Offline => "offline",
            };
            v.push(Box::new(status.to_owned()));
        }
        Layer::Incidents => {
            let x = &d.incidents[i];
            geom::encode_point(x.location, blob)?;
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(to_i64("incident id", x.id.0)?));
            v.push(Box::new(x.category.as_str().to_owned()));
            v.push(Box::new(i64::from(x.subcategory)));
            v.push(Box::new(x.source.as_str().to_owned()));
            v.push(Box::new(i64::from(x.people)));
            v.push(Box::new(x.status.as_str().to_owned()));
            for s in Step::ALL {
                v.push(Box::new(x.lifecycle.at(s)));
            }
            v.push(Box::new(x.deadline));
            v.push(Box::new(x.supervision.as_str().to_owned()));
            let det = d.incident_details.get(i);
            v.push(Box::new(det.map(|t| t.description.clone())));
            v.push(Box::new(det.map(|t| t.reporter.clone())));
        }
        Layer::Patrols => {
            let p = &d.patrols[i];
            // Validation bounded the times to 2^53, so each is exact as an f64 M value.
            let mut m: Vec<f64> = p.times.iter().map(|t| *t as f64).collect();
            // PostGIS refuses a one-vertex LineString (a day's track after its first GPS
            // fix): it is stored with that vertex twice and read back as one (a track never
            // holds two vertices of the same time: fixes are merged by worker and time).
            if p.track.0.len() == 1 && m.len() == 1 {
                let doubled = geo_types::LineString(vec![p.track.0[0]; 2]);
                m.push(m[0]);
                geom::encode_linestring_m(&doubled, &m, blob)?;
            } else {
                geom::encode_linestring_m(&p.track, &m, blob)?;
            }
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(to_i64("patrol id", p.id.0)?));
            v.push(Box::new(p.worker.0.clone()));
            v.push(Box::new(p.start()));
            v.push(Box::new(p.end()));
        }
        Layer::Workers => {
            let w = &d.workers[i];
            geom::encode_point(w.location, blob)?;
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(w.id.0.clone()));
            v.push(Box::new(w.name.clone()));
            v.push(Box::new(w.phone.clone()));
            v.push(Box::new(join(&w.grids)));
            v.push(Box::new(w.seen_at));
        }
        Layer::Centers => {
            let c = &d.centers[i];
            geom::encode_point(c.location, blob)?;
            v.push(Box::new(wkb_of(blob)?));
            v.push(Box::new(c.code.to_string()));
            v.push(Box::new(c.level.as_str().to_owned()));
            v.push(Box::new(c.name.clone()));
        }
    }
    Ok(v)
}

/// min x, min y, max x, max y of a result row's first four columns, if all are set.
fn rect_at(row: &tokio_postgres::Row, at: usize) -> Option<Rect<f64>> {
    let get = |i: usize| row.try_get::<_, Option<f64>>(at + i).ok().flatten();
    match [get(0), get(1), get(2), get(3)] {
        [Some(x0), Some(y0), Some(x1), Some(y1)] => Some(Rect::new((x0, y0), (x1, y1))),
        _ => None,
    }
}

/// Copies `layer`'s features into its staging table and upserts them; returns the rows
/// written and the box of their old and new geometry.
async fn upsert_layer(tx: &Tx<'_>, d: &Dataset, layer: Layer) -> Result<(u64, Option<Rect<f64>>)> {
    let n = len(d, layer);
    if n == 0 {
        return Ok((0, None));
    }
    let cols = columns(layer);
    let stage = format!("pg_temp.stage_{layer}");
    let stage_cols: Vec<String> = cols
        .iter()
        .map(|(c, t)| format!("{c} {}", t.trim_end_matches(" NOT NULL")))
        .collect();
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS stage_{layer} (n bigint, geom bytea, {}) ON COMMIT DELETE ROWS",
        stage_cols.join(", ")
    ))
    .await
    .map_err(pg_error)?;
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let mut types = vec![Type::INT8, Type::BYTEA];
    types.extend(cols.iter().map(|(_, t)| sql_type(t)));
    let sink = tx
        .copy_in(&format!(
            "COPY {stage} (n, geom, {}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await
        .map_err(pg_error)?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    let mut blob = Vec::with_capacity(256);
    for i in 0..n {
        let mut values = row(d, layer, i, &mut blob)?;
        values.insert(0, Box::new(i as i64));
        let refs: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect();
        writer.as_mut().write(&refs).await.map_err(pg_error)?;
    }
    writer.finish().await.map_err(pg_error)?;

    let keys = key(layer);
    let on: Vec<String> = keys.iter().map(|k| format!("t.{k} = s.{k}")).collect();
    let boxes = tx
        .query_one(
            &format!(
                "SELECT min(ST_XMin(t.geom)), min(ST_YMin(t.geom)), max(ST_XMax(t.geom)), max(ST_YMax(t.geom)) \
                 FROM onemap.{layer} t JOIN {stage} s ON {on}",
                on = on.join(" AND ")
            ),
            &[],
        )
        .await
        .map_err(pg_error)?;
    let old = rect_at(&boxes, 0);
    let boxes = tx
        .query_one(
            &format!(
                "SELECT min(ST_XMin(g)), min(ST_YMin(g)), max(ST_XMax(g)), max(ST_YMax(g)) \
                 FROM (SELECT ST_GeomFromWKB(geom) g FROM {stage}) q"
            ),
            &[],
        )
        .await
        .map_err(pg_error)?;
    let new = rect_at(&boxes, 0);
    // Without details, an upsert leaves stored details alone (status updates carry none).
    let keep_details = layer == Layer::Incidents && d.incident_details.is_empty();
    let sets: Vec<String> = names
        .iter()
        .filter(|c| !keys.contains(c))
        .filter(|c| !(keep_details && matches!(**c, "description" | "reporter")))
        .map(|c| format!("{c} = EXCLUDED.{c}"))
        .chain(std::iter::once("geom = EXCLUDED.geom".to_owned()))
        .collect();
    // The last of several rows with one key wins, as if written one after the other; new
    // rows take their fids in the change set's order (loads read back in that order).
    tx.execute(
        &format!(
            "INSERT INTO onemap.{layer} (geom, {cols}) \
             SELECT ST_GeomFromWKB(geom, 4490), {cols} FROM \
             (SELECT DISTINCT ON ({keys}) * FROM {stage} ORDER BY {keys}, n DESC) s ORDER BY n \
             ON CONFLICT ({keys}) DO UPDATE SET {sets}",
            cols = names.join(", "),
            keys = keys.join(", "),
            sets = sets.join(", ")
        ),
        &[],
    )
    .await
    .map_err(pg_error)?;
    tx.execute(&format!("DELETE FROM {stage}"), &[])
        .await
        .map_err(pg_error)?;
    Ok((n as u64, union(old, new)))
}

/// Deletes the rows of one key; returns how many and the box of their geometry.
async fn delete(tx: &Tx<'_>, k: &FeatureKey) -> Result<(u64, Option<Rect<f64>>)> {
    let layer = k.layer();
    let column = key(layer)[0];
    let sql = format!(
        "WITH d AS (DELETE FROM onemap.{layer} WHERE {column} = $1 RETURNING geom) \
         SELECT count(*), min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)) FROM d"
    );
    let row = match k {
        FeatureKey::Incident(i) => tx.query_one(&sql, &[&to_i64("incident id", i.0)?]).await,
        FeatureKey::Patrol(p) => tx.query_one(&sql, &[&to_i64("patrol id", p.0)?]).await,
        other => tx.query_one(&sql, &[&other.key()]).await,
    }
    .map_err(pg_error)?;
    let n: i64 = row.get(0);
    Ok((u64::try_from(n).unwrap_or(0), rect_at(&row, 1)))
}

/// Writes one change set inside an open transaction (or savepoint).
async fn write_one(tx: &Tx<'_>, changes: &ChangeSet) -> Result<Applied> {
    let mut per_layer = [0u64; Layer::ALL.len()];
    let mut dirty = None;
    for (i, layer) in Layer::ALL.into_iter().enumerate() {
        let (n, b) = upsert_layer(tx, &changes.upserts, layer).await?;
        per_layer[i] += n;
        dirty = union(dirty, b);
    }
    for k in &changes.deletes {
        let (n, b) = delete(tx, k).await?;
        let i = Layer::ALL.iter().position(|l| *l == k.layer()).unwrap_or(0);
        per_layer[i] += n;
        dirty = union(dirty, b);
    }
    let layers: Vec<Layer> = Layer::ALL
        .into_iter()
        .zip(per_layer)
        .filter(|(_, n)| *n > 0)
        .map(|(l, _)| l)
        .collect();
    let records = (changes.steps.len()
        + changes.positions.len()
        + changes.users.len()
        + changes.tokens.len()) as u64;
    let rows = per_layer.iter().sum::<u64>() + records;
    let names: Vec<&str> = layers.iter().map(|l| l.as_str()).collect();
    let keys = changes.keys();
    let keys = (keys.len() <= MAX_RECORDED_KEYS).then_some(keys);
    let keys_json = keys.as_ref().map(serde_json::to_string).transpose()?;
    let time = chrono::Utc::now().timestamp();
    // The counter row serialises writers: sequence numbers are gapless (a rolled-back
    // savepoint gives its number back) and in commit order, which replicas rely on.
    let seq: i64 = tx
        .query_one("UPDATE onemap.seq SET seq = seq + 1 RETURNING seq", &[])
        .await
        .map_err(pg_error)?
        .get(0);
    let rows_i = to_i64("row count", rows)?;
    let (x0, y0, x1, y1) = (
        dirty.map(|r: Rect<f64>| r.min().x),
        dirty.map(|r| r.min().y),
        dirty.map(|r| r.max().x),
        dirty.map(|r| r.max().y),
    );
    let layers_text = names.join(",");
    tx.execute(
        "INSERT INTO onemap.changes (seq, time, kind, author, origin, summary, layers, rows, \
         min_x, min_y, max_x, max_y, keys) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &seq,
            &time,
            &changes.kind.as_str(),
            &changes.author,
            &changes.origin,
            &changes.summary,
            &layers_text,
            &rows_i,
            &x0,
            &y0,
            &x1,
            &y1,
            &keys_json,
        ],
    )
    .await
    .map_err(pg_error)?;
    write_records(tx, changes, seq).await?;
    Ok(Applied {
        seq: u64::try_from(seq).unwrap_or(0),
        time,
        kind: changes.kind,
        author: changes.author.clone(),
        origin: changes.origin.clone(),
        summary: changes.summary.clone(),
        layers,
        rows,
        dirty,
        keys,
    })
}

/// Steps, raw fixes, users and tokens of a change set.
async fn write_records(tx: &Tx<'_>, changes: &ChangeSet, seq: i64) -> Result<()> {
    if !changes.steps.is_empty() {
        let st = tx
            .prepare(
                "INSERT INTO onemap.incident_steps (incident, step, time, author, worker, note, seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await
            .map_err(pg_error)?;
        for s in &changes.steps {
            let id = to_i64("incident id", s.incident.0)?;
            let worker = s.worker.as_ref().map(|w| w.0.as_str());
            tx.execute(
                &st,
                &[
                    &id,
                    &s.step.as_str(),
                    &s.time,
                    &s.author,
                    &worker,
                    &s.note,
                    &seq,
                ],
            )
            .await
            .map_err(pg_error)?;
        }
    }
    if !changes.positions.is_empty() {
        // A fix already stored for that worker and time is a resend: kept once.
        let workers: Vec<&str> = changes
            .positions
            .iter()
            .map(|p| p.worker.0.as_str())
            .collect();
        let times: Vec<i64> = changes.positions.iter().map(|p| p.time).collect();
        let lons: Vec<f64> = changes.positions.iter().map(|p| p.lon).collect();
        let lats: Vec<f64> = changes.positions.iter().map(|p| p.lat).collect();
        let acc: Vec<Option<f64>> = changes
            .positions
            .iter()
            .map(|p| p.accuracy_m.map(f64::from))
            .collect();
        tx.execute(
            "INSERT INTO onemap.positions (worker, time, lon, lat, accuracy_m) \
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::float8[], $4::float8[], $5::float8[]) \
             ON CONFLICT (time, worker) DO NOTHING",
            &[&workers, &times, &lons, &lats, &acc],
        )
        .await
        .map_err(pg_error)?;
    }
    for u in &changes.users {
        let unit = u.unit.map(|c| c.to_string());
        tx.execute(
            "INSERT INTO onemap.users (name, role, unit, disabled, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, unit = EXCLUDED.unit, \
             disabled = EXCLUDED.disabled",
            &[&u.name, &u.role.as_str(), &unit, &u.disabled, &u.created_at],
        )
        .await
        .map_err(pg_error)?;
    }
    for t in &changes.tokens {
        tx.execute(
            "INSERT INTO onemap.tokens (id, \"user\", hash, created_at, expires_at, revoked, label) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
             revoked = EXCLUDED.revoked, expires_at = EXCLUDED.expires_at, label = EXCLUDED.label",
            &[
                &t.id,
                &t.user,
                &t.hash,
                &t.created_at,
                &t.expires_at,
                &t.revoked,
                &t.label,
            ],
        )
        .await
        .map_err(pg_error)?;
    }
    Ok(())
}

/// Writes several change sets in one transaction and one commit, each under its own
/// savepoint: one that fails is rolled back alone and reported in its slot. A lost
/// connection fails the whole call (nothing of it is acknowledged).
pub async fn apply_many(
    client: &mut deadpool_postgres::Object,
    changes: Vec<ChangeSet>,
) -> Result<Vec<Result<Applied>>> {
    let mut tx = client.transaction().await.map_err(pg_error)?;
    let mut out = Vec::with_capacity(changes.len());
    let mut last = None;
    for c in &changes {
        if let Err(e) = crate::store::gpkg::validate(c) {
            out.push(Err(e));
            continue;
        }
        let sp = tx.savepoint("onemap_change").await.map_err(pg_error)?;
        match write_one(&sp, c).await {
            Ok(a) => {
                sp.commit().await.map_err(pg_error)?;
                last = Some(a.seq);
                out.push(Ok(a));
            }
            Err(e @ Error::Unavailable(_)) => return Err(e),
            Err(e) => {
                sp.rollback().await.map_err(pg_error)?;
                out.push(Err(e));
            }
        }
    }
    if let Some(seq) = last {
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()])
            .await
            .map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(out)
}
