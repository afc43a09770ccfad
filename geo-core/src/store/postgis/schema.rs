//! Schema `onemap` in PostgreSQL: one table per layer (geometry in EPSG:4490 with a `GiST`
//! index, attributes in plain columns that QGIS reads), `changes` (the gapless change
//! sequence and audit log, its counter in `seq`), `incident_steps`, `positions`, `users`,
//! `tokens`, and `migrations` (the versions applied).
//!
//! Column conventions follow the GeoPackage store: times are BIGINT Unix seconds, codes
//! and ids TEXT, enumerations their API names or GB/T 28181 numbers, lists comma-separated
//! TEXT. Migrations are numbered and applied in order at open, each in the same
//! transaction as its row in `migrations`, under an advisory lock.

use std::fmt::Write as _;

use crate::model::{Layer, Step};
use crate::{Error, Result};

use super::pg_error;

/// The advisory lock key servers migrating the same database take (arbitrary, "onemap").
const MIGRATE_LOCK: i64 = 0x6f6e_656d_6170;

/// A layer's PostGIS geometry type.
#[must_use]
pub const fn geometry_type(layer: Layer) -> &'static str {
    match layer {
        Layer::Admin | Layer::Grids => "MultiPolygon",
        Layer::Patrols => "LineStringM",
        Layer::Cameras | Layer::Incidents | Layer::Workers | Layer::Centers => "Point",
    }
}

/// One attribute column: name and SQL type (the staging table and the COPY use the same).
pub type Column = (&'static str, &'static str);

/// The attribute columns of a layer, in the order the writer binds them.
#[must_use]
pub fn columns(layer: Layer) -> Vec<Column> {
    match layer {
        Layer::Admin => vec![
            ("code", "text NOT NULL"),
            ("level", "text NOT NULL"),
            ("name", "text NOT NULL"),
            ("parent", "text"),
        ],
        Layer::Grids => vec![
            ("code", "text NOT NULL"),
            ("revision", "bigint NOT NULL"),
            ("name", "text NOT NULL"),
            ("village", "text NOT NULL"),
            ("kind", "text NOT NULL"),
            ("workers", "text NOT NULL"),
            ("households", "bigint NOT NULL"),
            ("population", "bigint NOT NULL"),
            ("valid_from", "bigint NOT NULL"),
            ("valid_to", "bigint"),
        ],
        Layer::Cameras => vec![
            ("id", "text NOT NULL"),
            ("name", "text NOT NULL"),
            ("ptz_type", "bigint NOT NULL"),
            ("position_type", "bigint NOT NULL"),
            ("direction", "bigint NOT NULL"),
            ("azimuth_deg", "double precision"),
            ("fov_deg", "double precision"),
            ("range_m", "double precision"),
            ("status", "text NOT NULL"),
        ],
        Layer::Incidents => {
            let mut c = vec![
                ("fid", "bigint NOT NULL"),
                ("category", "text NOT NULL"),
                ("subcategory", "bigint NOT NULL"),
                ("source", "text NOT NULL"),
                ("people", "bigint NOT NULL"),
                ("status", "text NOT NULL"),
            ];
            c.extend(Step::ALL.iter().map(|s| (step_column(*s), "bigint")));
            c.extend([
                ("deadline", "bigint NOT NULL"),
                ("supervision", "text NOT NULL"),
                ("description", "text"),
                ("reporter", "text"),
            ]);
            c
        }
        Layer::Patrols => vec![
            ("fid", "bigint NOT NULL"),
            ("worker", "text NOT NULL"),
            ("start_at", "bigint"),
            ("end_at", "bigint"),
        ],
        Layer::Workers => vec![
            ("id", "text NOT NULL"),
            ("name", "text NOT NULL"),
            ("phone", "text NOT NULL"),
            ("grids", "text NOT NULL"),
            ("seen_at", "bigint NOT NULL"),
        ],
        Layer::Centers => vec![
            ("code", "text NOT NULL"),
            ("level", "text NOT NULL"),
            ("name", "text NOT NULL"),
        ],
    }
}

/// The column of a workflow step's time (`reported_at`...).
#[must_use]
pub const fn step_column(s: Step) -> &'static str {
    match s {
        Step::Reported => "reported_at",
        Step::Accepted => "accepted_at",
        Step::Filed => "filed_at",
        Step::Dispatched => "dispatched_at",
        Step::Handling => "handling_at",
        Step::Verifying => "verifying_at",
        Step::Closed => "closed_at",
        Step::Cancelled => "cancelled_at",
        Step::Postponed => "postponed_at",
        Step::SentBack => "sent_back_at",
    }
}

/// The key columns a layer's rows are matched on (upserts, deletes, reads by key).
#[must_use]
pub const fn key(layer: Layer) -> &'static [&'static str] {
    match layer {
        Layer::Admin | Layer::Centers => &["code"],
        Layer::Grids => &["code", "revision"],
        Layer::Cameras | Layer::Workers => &["id"],
        Layer::Incidents | Layer::Patrols => &["fid"],
    }
}

/// Version 1: every table.
fn v1() -> String {
    let mut sql = String::from(
        "CREATE EXTENSION IF NOT EXISTS postgis;
         CREATE TABLE onemap.changes (
            seq bigint PRIMARY KEY, time bigint NOT NULL, kind text NOT NULL,
            author text NOT NULL, origin text NOT NULL, summary text NOT NULL,
            layers text NOT NULL, rows bigint NOT NULL,
            min_x double precision, min_y double precision,
            max_x double precision, max_y double precision, keys text);
         CREATE INDEX changes_time ON onemap.changes (time);
         CREATE TABLE onemap.seq (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL);
         INSERT INTO onemap.seq VALUES (true, 0);
         CREATE TABLE onemap.incident_steps (
            incident bigint NOT NULL, step text NOT NULL, time bigint NOT NULL,
            author text NOT NULL, worker text, note text NOT NULL DEFAULT '',
            seq bigint NOT NULL, n bigserial);
         CREATE INDEX incident_steps_incident ON onemap.incident_steps (incident, time);
         CREATE TABLE onemap.positions (
            time bigint NOT NULL, worker text NOT NULL, lon double precision NOT NULL,
            lat double precision NOT NULL, accuracy_m double precision,
            PRIMARY KEY (time, worker));
         CREATE INDEX positions_worker ON onemap.positions (worker, time);
         CREATE TABLE onemap.users (
            name text PRIMARY KEY, role text NOT NULL, unit text, disabled boolean NOT NULL,
            created_at bigint NOT NULL);
         CREATE TABLE onemap.tokens (
            id text PRIMARY KEY, \"user\" text NOT NULL REFERENCES onemap.users (name),
            hash text NOT NULL, created_at bigint NOT NULL, expires_at bigint,
            revoked boolean NOT NULL, label text NOT NULL);
        ",
    );
    for layer in Layer::ALL {
        let cols: Vec<String> = columns(layer)
            .iter()
            .filter(|(n, _)| *n != "fid")
            .map(|(n, t)| format!("{n} {t}"))
            .collect();
        let fid = if key(layer) == ["fid"] {
            "fid bigint PRIMARY KEY"
        } else {
            "fid bigserial PRIMARY KEY"
        };
        let unique = if key(layer) == ["fid"] {
            String::new()
        } else {
            format!(", UNIQUE ({})", key(layer).join(", "))
        };
        let _ = write!(
            sql,
            "CREATE TABLE onemap.{layer} ({fid}, geom geometry({}, 4490) NOT NULL, {}{unique});
             CREATE INDEX {layer}_geom ON onemap.{layer} USING gist (geom);\n",
            geometry_type(layer),
            cols.join(", ")
        );
    }
    sql
}

/// Every migration, in order; version n is `MIGRATIONS[n - 1]`.
fn migrations() -> Vec<String> {
    vec![v1()]
}

/// The newest schema version this onemap writes.
#[must_use]
pub fn version() -> i64 {
    migrations().len() as i64
}

/// Creates schema `onemap` if missing and applies every migration not yet applied, each in
/// its own transaction under an advisory lock; refuses a database migrated by a newer
/// onemap.
pub async fn migrate(client: &mut deadpool_postgres::Object) -> Result<()> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await
        .map_err(pg_error)?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS onemap;
         CREATE TABLE IF NOT EXISTS onemap.migrations (
            version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());",
    )
    .await
    .map_err(pg_error)?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM onemap.migrations",
            &[],
        )
        .await
        .map_err(pg_error)?
        .get(0);
    let all = migrations();
    if current > all.len() as i64 {
        return Err(Error::Corrupt(format!(
            "schema onemap is at version {current}, newer than this onemap's {}; upgrade onemap",
            all.len()
        )));
    }
    for (i, sql) in all
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        tx.batch_execute(sql).await.map_err(pg_error)?;
        tx.execute(
            "INSERT INTO onemap.migrations (version) VALUES ($1)",
            &[&(i as i64 + 1)],
        )
        .await
        .map_err(pg_error)?;
        tracing::info!(version = i + 1, "PostgreSQL schema onemap migrated");
    }
    tx.commit().await.map_err(pg_error)
}

/// Checks that every layer table exists with its geometry type and SRID, and that the
/// change counter matches the change table.
pub async fn check(client: &tokio_postgres::Client, shown: &str) -> Result<()> {
    for layer in Layer::ALL {
        let row = client
            .query_opt(
                "SELECT type, srid FROM geometry_columns \
                 WHERE f_table_schema = 'onemap' AND f_table_name = $1 AND f_geometry_column = 'geom'",
                &[&layer.as_str()],
            )
            .await
            .map_err(pg_error)?;
        let found: Option<(String, i32)> = row.map(|r| (r.get(0), r.get(1)));
        let want = geometry_type(layer).to_ascii_uppercase();
        if found.as_ref().map(|(t, s)| (t.as_str(), *s)) != Some((want.as_str(), 4490)) {
            return Err(Error::Corrupt(format!(
                "{shown}: layer table onemap.{layer} is missing or has geometry {found:?}, expected {want} in EPSG:4490"
            )));
        }
    }
    let row = client
        .query_one(
            "SELECT (SELECT seq FROM onemap.seq), (SELECT COALESCE(MAX(seq), 0) FROM onemap.changes), \
             (SELECT COUNT(*) FROM onemap.changes)",
            &[],
        )
        .await
        .map_err(pg_error)?;
    let (counter, max, n): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if counter != max || max != n {
        return Err(Error::Corrupt(format!(
            "{shown}: change counter {counter}, last change {max}, {n} changes: the sequence has gaps"
        )));
    }
    Ok(())
}
