//! The GeoPackage reader on files written by GDAL (`ogr2ogr`): features, typed properties,
//! CRS (EPSG:4326 and the Gauss-Kruger EPSG:4545, cross-checked with pyproj), Z dropped,
//! table choice and its errors, damaged and foreign files.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod source_common;

use std::path::{Path, PathBuf};

use geo_core::crs::Crs;
use geo_core::source::{read_bytes, read_path, Source, SourceError, SourceFormat, SourceOptions};
use geo_types::{Coord, Geometry, Point};
use serde_json::json;
use source_common::{
    assert_coords_close, coords, geojson_geometries, ogr2ogr, pyproj_forward, GRIDS_GEOJSON,
    POINTS_Z_GEOJSON,
};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn layer(name: &str) -> SourceOptions {
    SourceOptions {
        layer: Some(name.to_owned()),
        ..SourceOptions::default()
    }
}

/// grids.gpkg (EPSG:4326) from the `GeoJSON` fixture.
fn grids_gpkg(dir: &Path) -> PathBuf {
    let src = write(dir, "grids.geojson", GRIDS_GEOJSON);
    let out = dir.join("grids.gpkg");
    ogr2ogr(&["-f", "GPKG", s(&out), s(&src), "-nln", "grids"]);
    out
}

fn check_grids(src: &Source) {
    assert!(src.problems.is_empty(), "{:?}", src.problems);
    assert_eq!(src.format, Some(SourceFormat::GeoPackage));
    assert_eq!(src.layer_name.as_deref(), Some("grids"));
    assert_eq!(src.features.len(), 2);
    let f = &src.features[0];
    assert_eq!(f.fid.as_deref(), Some("1"));
    assert_eq!(src.features[1].fid.as_deref(), Some("2"));
    let p = &f.properties;
    assert_eq!(p["code"], json!("433101001001001"));
    assert_eq!(p["name"], json!("乾州街道第一网格"));
    assert_eq!(p["area"], json!(1.25));
    assert_eq!(p["households"], json!(120));
    assert!(p["households"].is_i64());
    assert_eq!(p["active"], json!(true));
    assert_eq!(p["opened"], json!("2024-05-01"));
    assert_eq!(p["note"], json!(null));
    assert!(!p.contains_key("fid") && !p.contains_key("geom"), "{p:?}");
    let q = &src.features[1].properties;
    assert_eq!(q["active"], json!(false));
    assert_eq!(q["note"], json!("两块"));
}

#[test]
fn reads_a_gdal_geopackage_with_types_and_crs() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = grids_gpkg(dir.path());
    let src = read_path(&gpkg, &SourceOptions::default()).unwrap();
    check_grids(&src);
    assert_eq!(src.crs, Some(Crs::LonLat { epsg: 4326 }));
    let expected = geojson_geometries(GRIDS_GEOJSON);
    for (f, g) in src.features.iter().zip(&expected) {
        let got = f.geometry.as_ref().unwrap();
        assert!(matches!(got, Geometry::MultiPolygon(_)), "{got:?}");
        assert_coords_close(&coords(got), &coords(g), 0.0, "grid");
    }
    // The hole and the second part survive.
    let Some(Geometry::MultiPolygon(mp)) = &src.features[1].geometry else {
        panic!()
    };
    assert_eq!(mp.0.len(), 2);
    assert_eq!(mp.0[0].interiors().len(), 1);

    // The same file uploaded as bytes.
    let bytes = std::fs::read(&gpkg).unwrap();
    let up = read_bytes("upload.gpkg", &bytes, &SourceOptions::default()).unwrap();
    check_grids(&up);
    assert_eq!(up.features, src.features);
}

#[test]
fn gauss_kruger_crs_is_detected_and_coordinates_match_pyproj() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "grids.geojson", GRIDS_GEOJSON);
    let out = dir.path().join("gk.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        s(&out),
        s(&src),
        "-nln",
        "grids",
        "-t_srs",
        "EPSG:4545",
    ]);
    let read = read_path(&out, &SourceOptions::default()).unwrap();
    assert_eq!(read.crs, Some(Crs::GaussKruger { epsg: 4545 }));
    assert_eq!(read.features.len(), 2);
    let lon_lat: Vec<Coord<f64>> = geojson_geometries(GRIDS_GEOJSON)
        .iter()
        .flat_map(coords)
        .collect();
    let expected = pyproj_forward(&lon_lat, 4545);
    let got: Vec<Coord<f64>> = read
        .features
        .iter()
        .flat_map(|f| coords(f.geometry.as_ref().unwrap()))
        .collect();
    // Metres; GDAL and pyproj both use PROJ, so they agree far below a millimetre.
    assert_coords_close(&got, &expected, 1e-6, "EPSG:4545");
    // Not lon/lat any more: eastings in the hundreds of kilometres.
    assert!(got.iter().all(|c| c.x > 100_000.0 && c.y > 3_000_000.0));
}

#[test]
fn z_is_dropped_and_tables_are_chosen_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = grids_gpkg(dir.path());
    let pts = write(dir.path(), "points.geojson", POINTS_Z_GEOJSON);
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-update",
        s(&gpkg),
        s(&pts),
        "-nln",
        "cameras",
    ]);

    let e = read_path(&gpkg, &SourceOptions::default()).unwrap_err();
    assert!(matches!(e, SourceError::Missing(_)), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("cameras, grids") && msg.contains("--layer"),
        "{msg}"
    );
    let e = read_path(&gpkg, &layer("roads")).unwrap_err().to_string();
    assert!(
        e.contains("\"roads\"") && e.contains("cameras, grids"),
        "{e}"
    );

    check_grids(&read_path(&gpkg, &layer("grids")).unwrap());
    let cams = read_path(&gpkg, &layer("Cameras")).unwrap();
    assert_eq!(cams.layer_name.as_deref(), Some("cameras"));
    assert_eq!(cams.features.len(), 2);
    assert_eq!(
        cams.features[0].geometry,
        Some(Geometry::Point(Point::new(
            109.712_345_678_91,
            28.312_345_678_91
        )))
    );
    assert_eq!(
        cams.features[0].properties["id"],
        json!("43310100000000000001")
    );
    assert_eq!(cams.features[1].properties["name"], json!("摄像头二"));
}

fn sqlite(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn damaged_rows_are_problems_and_blobs_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = grids_gpkg(dir.path());
    let c = sqlite(&gpkg);
    // GDAL's R-tree triggers call spatial SQL functions plain SQLite lacks.
    let triggers: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        c.execute(&format!("DROP TRIGGER \"{t}\""), []).unwrap();
    }
    c.execute(
        "UPDATE grids SET geom = X'47500001E6100000DEADBEEF' WHERE fid = 1",
        [],
    )
    .unwrap();
    c.execute("ALTER TABLE grids ADD COLUMN photo BLOB", [])
        .unwrap();
    c.execute("UPDATE grids SET photo = X'FFD8FF'", []).unwrap();
    c.execute(
        "INSERT INTO grids (code, name) VALUES ('433101001001003', 'no geometry')",
        [],
    )
    .unwrap();
    drop(c);

    let src = read_path(&gpkg, &SourceOptions::default()).unwrap();
    assert_eq!(src.features.len(), 2, "{:?}", src.problems);
    assert_eq!(src.features[0].fid.as_deref(), Some("2"));
    assert_eq!(src.features[1].geometry, None);
    assert_eq!(src.features[1].properties["name"], json!("no geometry"));
    assert!(src
        .features
        .iter()
        .all(|f| !f.properties.contains_key("photo")));
    let msgs: Vec<String> = src.problems.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    // The skipped column is a file-level note, not a feature's problem.
    assert!(
        src.notes
            .iter()
            .any(|m| m.contains("photo") && m.contains("BLOB")),
        "{:?}",
        src.notes
    );
    let bad = src.problems.iter().find(|p| p.id.is_some()).unwrap();
    assert_eq!((bad.index, bad.id.as_deref()), (0, Some("1")));
    assert!(bad.message.contains("geometry"), "{}", bad.message);
}

#[test]
fn foreign_garbage_and_truncated_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SourceOptions::default();

    let e = read_bytes("x.gpkg", b"hello, this is not a database", &opts).unwrap_err();
    assert!(matches!(e, SourceError::Malformed(_)), "{e}");
    assert!(e.to_string().contains("not a GeoPackage"), "{e}");

    let plain = dir.path().join("plain.gpkg");
    sqlite(&plain)
        .execute("CREATE TABLE t (a INTEGER)", [])
        .unwrap();
    let e = read_path(&plain, &opts).unwrap_err();
    assert!(
        matches!(e, SourceError::Malformed(_)) && e.to_string().contains("gpkg_contents"),
        "{e}"
    );

    let e = read_path(&dir.path().join("missing.gpkg"), &opts).unwrap_err();
    assert!(matches!(e, SourceError::Io { .. }), "{e}");

    let bytes = std::fs::read(grids_gpkg(dir.path())).unwrap();
    let mut outcomes = (0, 0);
    for n in (0..bytes.len()).step_by(997).chain([bytes.len() - 1]) {
        match read_bytes("cut.gpkg", &bytes[..n], &opts) {
            Ok(_) => outcomes.0 += 1,
            Err(_) => outcomes.1 += 1,
        }
    }
    assert!(outcomes.1 > 0, "{outcomes:?}");
    // Flipped bytes all over the file.
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..200 {
        let mut b = bytes.clone();
        for _ in 0..8 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let i = (rng % b.len() as u64) as usize;
            b[i] ^= (rng >> 32) as u8 | 1;
        }
        let _ = read_bytes("flipped.gpkg", &b, &opts);
    }
}

#[test]
fn reads_onemaps_own_store() {
    use geo_core::store::{ChangeSet, GpkgStore, Store};
    let data = geo_core::demo::generate(
        &geo_core::demo::DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(60)
            .with_incidents(10)
            .with_cameras(20)
            .with_workers(20)
            .with_patrols(5)
            .with_points_per_patrol(20),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.gpkg");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = GpkgStore::open(&path).unwrap();
        store
            .apply(ChangeSet {
                upserts: data.clone(),
                ..ChangeSet::default()
            })
            .await
            .unwrap();
    });
    let grids = read_path(&path, &layer("grids")).unwrap();
    assert!(grids.problems.is_empty(), "{:?}", grids.problems);
    assert_eq!(grids.crs, Some(Crs::LonLat { epsg: 4490 }));
    assert_eq!(grids.features.len(), data.grids.len());
    for (f, g) in grids.features.iter().zip(&data.grids) {
        assert_eq!(f.properties["code"], json!(g.code.to_string()));
        assert_eq!(f.properties["name"], json!(g.name));
        assert_eq!(f.geometry, Some(Geometry::MultiPolygon(g.geometry.clone())));
    }
    // LINESTRING M: the times (M) are dropped, the track is exact.
    let patrols = read_path(&path, &layer("patrols")).unwrap();
    assert_eq!(patrols.features.len(), data.patrols.len());
    for (f, p) in patrols.features.iter().zip(&data.patrols) {
        assert_eq!(f.geometry, Some(Geometry::LineString(p.track.clone())));
    }
    let e = read_path(&path, &SourceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("admin, cameras, centers, grids, incidents, patrols, workers"),
        "{e}"
    );
}
