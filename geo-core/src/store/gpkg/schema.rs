//! The GeoPackage 1.3 schema onemap writes: the required `gpkg_*` tables with the SRS
//! rows (-1, 0, 4326 and CGCS2000 4490), one feature table per layer, and onemap's own
//! tables (not registered in `gpkg_contents`): `onemap_meta`, `onemap_changes` (the change
//! sequence and audit log), `onemap_incident_steps` (workflow history),
//! `onemap_positions` (raw GPS fixes), `onemap_users` and `onemap_tokens`.
//!
//! Schema versions are migrated forward in place when a store is opened ([`migrate`]).
//!
//! Times are INTEGER Unix seconds (UTC) everywhere: exact, compact and fast to bulk-load;
//! in QGIS `datetime_from_epoch("reported_at" * 1000)` shows them as dates. Codes and ids
//! are TEXT, enumerations their API names (TEXT) or GB/T 28181 numbers (INTEGER), lists
//! comma-separated TEXT.

use rusqlite::{Connection, OptionalExtension};

use crate::model::{Layer, Step};
use crate::{Error, Result};

/// `PRAGMA application_id` of a GeoPackage: ASCII "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0.
pub const USER_VERSION: i32 = 10300;
/// Version of onemap's tables in this file; bumped on any incompatible change.
pub const SCHEMA_VERSION: i64 = 2;

/// onemap's own tables added in schema version 2 (and the change table's new columns).
const V2_TABLES: &str = "
    ALTER TABLE onemap_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'import';
    ALTER TABLE onemap_changes ADD COLUMN origin TEXT NOT NULL DEFAULT '';
    ALTER TABLE onemap_changes ADD COLUMN keys TEXT;
    CREATE INDEX onemap_changes_time ON onemap_changes (time);
    CREATE TABLE onemap_incident_steps (
        incident INTEGER NOT NULL, step TEXT NOT NULL, time INTEGER NOT NULL,
        author TEXT NOT NULL, worker TEXT, note TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL);
    CREATE INDEX onemap_incident_steps_incident ON onemap_incident_steps (incident, time);
    CREATE TABLE onemap_positions (
        time INTEGER NOT NULL, worker TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
        accuracy_m REAL, PRIMARY KEY (time, worker)) WITHOUT ROWID;
    CREATE TABLE onemap_users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT, disabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL);
    CREATE TABLE onemap_tokens (
        id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES onemap_users (name),
        hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER,
        revoked INTEGER NOT NULL, label TEXT NOT NULL);";

/// OGC WKT of CGCS2000 (EPSG:4490), as GDAL/PROJ write it.
pub const CGCS2000_WKT: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// A layer's table name, geometry type name and whether its geometry carries M.
#[must_use]
pub const fn geometry_of(layer: Layer) -> (&'static str, bool) {
    match layer {
        Layer::Admin | Layer::Grids => ("MULTIPOLYGON", false),
        Layer::Patrols => ("LINESTRING", true),
        Layer::Cameras | Layer::Incidents | Layer::Workers | Layer::Centers => ("POINT", false),
    }
}

/// The attribute columns of a layer's table (after `fid` and `geom`).
fn columns(layer: Layer) -> String {
    match layer {
        Layer::Admin => {
            "code TEXT NOT NULL UNIQUE, level TEXT NOT NULL, name TEXT NOT NULL, parent TEXT".into()
        }
        Layer::Grids => "code TEXT NOT NULL, revision INTEGER NOT NULL, name TEXT NOT NULL, \
            village TEXT NOT NULL, kind TEXT NOT NULL, workers TEXT NOT NULL, \
            households INTEGER NOT NULL, population INTEGER NOT NULL, \
            valid_from INTEGER NOT NULL, valid_to INTEGER, UNIQUE (code, revision)"
            .into(),
        Layer::Cameras => {
            "id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, ptz_type INTEGER NOT NULL, \
            position_type INTEGER NOT NULL, direction INTEGER NOT NULL, azimuth_deg REAL, \
            fov_deg REAL, range_m REAL, status TEXT NOT NULL"
                .into()
        }
        Layer::Incidents => {
            let steps: Vec<String> = Step::ALL
                .iter()
                .map(|s| format!("{}_at INTEGER", s.as_str()))
                .collect();
            format!(
                "category TEXT NOT NULL, subcategory INTEGER NOT NULL, source TEXT NOT NULL, \
                 people INTEGER NOT NULL, status TEXT NOT NULL, {}, deadline INTEGER NOT NULL, \
                 supervision TEXT NOT NULL, description TEXT, reporter TEXT",
                steps.join(", ")
            )
        }
        Layer::Patrols => "worker TEXT NOT NULL, start_at INTEGER, end_at INTEGER".into(),
        Layer::Workers => "id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, phone TEXT NOT NULL, \
            grids TEXT NOT NULL, seen_at INTEGER NOT NULL"
            .into(),
        Layer::Centers => {
            "code TEXT NOT NULL UNIQUE, level TEXT NOT NULL, name TEXT NOT NULL".into()
        }
    }
}

/// Human title of a layer for `gpkg_contents.identifier`.
const fn title(layer: Layer) -> &'static str {
    match layer {
        Layer::Admin => "行政区划 admin units",
        Layer::Grids => "网格 governance grids",
        Layer::Cameras => "视频监控 cameras",
        Layer::Incidents => "事件 incidents",
        Layer::Patrols => "巡查轨迹 patrol tracks",
        Layer::Workers => "网格员 grid workers",
        Layer::Centers => "综治中心 governance centers",
    }
}

/// Creates every table of a fresh onemap GeoPackage in one transaction.
pub fn create(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {USER_VERSION};
         CREATE TABLE gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
            organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT uk_gc_table_name UNIQUE (table_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE onemap_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE onemap_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, author TEXT NOT NULL,
            summary TEXT NOT NULL, layers TEXT NOT NULL, rows INTEGER NOT NULL,
            min_x REAL, min_y REAL, max_x REAL, max_y REAL);"
    ))?;
    {
        let mut srs =
            tx.prepare("INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        srs.execute(rusqlite::params![
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system"
        ])?;
        srs.execute(rusqlite::params![
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system"
        ])?;
        srs.execute(rusqlite::params![
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            WGS84_WKT,
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
        ])?;
        srs.execute(rusqlite::params![
            "China Geodetic Coordinate System 2000",
            4490,
            "EPSG",
            4490,
            CGCS2000_WKT,
            "CGCS2000 longitude/latitude (2000国家大地坐标系)"
        ])?;
        for layer in Layer::ALL {
            let (geom, m) = geometry_of(layer);
            let name = layer.as_str();
            tx.execute_batch(&format!(
                "CREATE TABLE {name} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geom}, {})",
                columns(layer)
            ))?;
            tx.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) \
                 VALUES (?1, 'features', ?2, '', 4490)",
                rusqlite::params![name, title(layer)],
            )?;
            tx.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4490, 0, ?3)",
                rusqlite::params![name, geom, i32::from(m)],
            )?;
        }
        tx.execute(
            "INSERT INTO onemap_meta VALUES ('schema_version', '1'), ('application', 'onemap')",
            [],
        )?;
        migrate_from(&tx, 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Brings onemap's tables from `version` up to [`SCHEMA_VERSION`] inside `tx`.
fn migrate_from(tx: &rusqlite::Transaction<'_>, version: i64) -> Result<()> {
    if version < 2 {
        tx.execute_batch(V2_TABLES)?;
    }
    tx.execute(
        "UPDATE onemap_meta SET value = ?1 WHERE key = 'schema_version'",
        [SCHEMA_VERSION.to_string()],
    )?;
    Ok(())
}

/// Migrates an onemap store written by an older schema version in place, in one
/// transaction; a current store is left alone. Run on the write connection at open.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM onemap_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let Some(Ok(version)) = version.as_deref().map(str::parse::<i64>) else {
        return Ok(());
    };
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction()?;
    migrate_from(&tx, version)?;
    tx.commit()?;
    Ok(())
}

/// Checks that an existing file is a GeoPackage that onemap wrote with a schema it reads.
pub fn check(conn: &Connection, path: &str) -> Result<()> {
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                Error::Corrupt(format!(
                    "{path} is not an SQLite database (so not a GeoPackage)"
                ))
            }
            other => Error::Sqlite(other),
        })?;
    if app != APPLICATION_ID {
        return Err(Error::Corrupt(format!(
            "{path} is an SQLite database but not a GeoPackage: application_id is {app:#x}, a GeoPackage has {APPLICATION_ID:#x} ('GPKG')"
        )));
    }
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if !(10200..=USER_VERSION).contains(&version) {
        return Err(Error::Corrupt(format!(
            "{path} is GeoPackage version {version}; onemap reads 10200-{USER_VERSION} (1.2 and 1.3)"
        )));
    }
    let has_meta: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'onemap_meta'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if has_meta.is_none() {
        return Err(Error::Corrupt(format!(
            "{path} is a GeoPackage but not an onemap store (no onemap_meta table); import it with `onemap import` instead"
        )));
    }
    let schema: Option<String> = conn
        .query_row(
            "SELECT value FROM onemap_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match schema.as_deref().map(str::parse::<i64>) {
        Some(Ok(v)) if (1..=SCHEMA_VERSION).contains(&v) => {}
        Some(Ok(v)) if v > SCHEMA_VERSION => {
            return Err(Error::Corrupt(format!(
                "{path} has onemap schema version {v}, newer than this onemap's {SCHEMA_VERSION}; upgrade onemap"
            )))
        }
        other => {
            return Err(Error::Corrupt(format!(
                "{path} has onemap schema version {other:?}; this onemap reads version {SCHEMA_VERSION}"
            )))
        }
    }
    for layer in Layer::ALL {
        let found: Option<String> = conn
            .query_row(
                "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?1",
                [layer.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if found.as_deref() != Some(geometry_of(layer).0) {
            return Err(Error::Corrupt(format!(
                "{path}: layer table {layer} is missing or has geometry {found:?}, expected {}",
                geometry_of(layer).0
            )));
        }
    }
    Ok(())
}
