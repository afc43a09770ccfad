//! FlatGeobuf: files written by GDAL read back (features, typed properties, CRS), onemap's
//! export read back by onemap (every property and coordinate of demo grids, cameras and
//! patrols) and by GDAL (`ogrinfo`: count, CGCS2000, patrol times as M), and damaged files.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod source_common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use geo_core::crs::Crs;
use geo_core::demo::{generate, DemoConfig};
use geo_core::formats::{for_each_feature, layer_len, write_flatgeobuf, FeatureMapping};
use geo_core::model::{AdminUnit, Camera, Center, Dataset, Grid, Layer, Patrol};
use geo_core::source::{read_bytes, read_path, Source, SourceFeature, SourceOptions};
use geo_types::Geometry;
use serde_json::{json, Value};
use source_common::{
    assert_coords_close, coords, geojson_geometries, line, ogr2ogr, ogrinfo, pyproj_forward, run,
    GRIDS_GEOJSON, POINTS_Z_GEOJSON,
};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn by(src: &Source, key: &str) -> HashMap<String, SourceFeature> {
    src.features
        .iter()
        .map(|f| (f.properties[key].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

fn gdal_fgb(dir: &Path, geojson: &str, extra: &[&str]) -> PathBuf {
    let src = dir.join("in.geojson");
    std::fs::write(&src, geojson).unwrap();
    let out = dir.join(format!("gdal{}.fgb", extra.len()));
    let mut args = vec!["-f", "FlatGeobuf", s(&out), s(&src), "-nln", "grids"];
    args.extend(extra);
    ogr2ogr(&args);
    out
}

#[test]
fn reads_a_gdal_flatgeobuf() {
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_fgb(dir.path(), GRIDS_GEOJSON, &[]);
    let src = read_path(&path, &SourceOptions::default()).unwrap();
    assert!(src.problems.is_empty(), "{:?}", src.problems);
    assert_eq!(src.crs, Some(Crs::LonLat { epsg: 4326 }));
    assert_eq!(src.layer_name.as_deref(), Some("grids"));
    assert_eq!(src.features.len(), 2);
    let f = by(&src, "code");
    let p = &f["433101001001001"].properties;
    assert_eq!(p["name"], json!("乾州街道第一网格"));
    assert_eq!(p["area"], json!(1.25));
    assert_eq!(p["households"], json!(120));
    assert_eq!(p["active"], json!(true));
    assert!(
        p["opened"].as_str().unwrap().starts_with("2024-05-01"),
        "{p:?}"
    );
    assert_eq!(p["note"], json!(null));
    assert_eq!(f["433101001001002"].properties["note"], json!("两块"));
    // GDAL stores features in Hilbert order; match them by code.
    let expected = geojson_geometries(GRIDS_GEOJSON);
    for (code, g) in ["433101001001001", "433101001001002"].iter().zip(&expected) {
        let ours = f[*code].geometry.as_ref().unwrap();
        assert!(matches!(ours, Geometry::MultiPolygon(_)));
        assert_coords_close(&coords(ours), &coords(g), 0.0, code);
    }

    // Gauss-Kruger: the CRS from the header, coordinates as pyproj projects them.
    let path = gdal_fgb(dir.path(), GRIDS_GEOJSON, &["-t_srs", "EPSG:4545"]);
    let src = read_path(&path, &SourceOptions::default()).unwrap();
    assert_eq!(src.crs, Some(Crs::GaussKruger { epsg: 4545 }));
    let f = by(&src, "code");
    for (code, g) in ["433101001001001", "433101001001002"].iter().zip(&expected) {
        let got = coords(f[*code].geometry.as_ref().unwrap());
        assert_coords_close(&got, &pyproj_forward(&coords(g), 4545), 1e-6, code);
    }

    // Z dropped; bytes (an upload) read the same as the path.
    let path = gdal_fgb(
        dir.path(),
        POINTS_Z_GEOJSON,
        &["-nln", "cams", "-lco", "SPATIAL_INDEX=NO"],
    );
    let bytes = std::fs::read(&path).unwrap();
    let src = read_bytes("cams.fgb", &bytes, &SourceOptions::default()).unwrap();
    assert_eq!(src.features.len(), 2);
    assert_eq!(
        src.features[0].geometry,
        Some(Geometry::Point(geo_types::Point::new(
            109.712_345_678_91,
            28.312_345_678_91
        )))
    );
    assert_eq!(src.features[1].properties["name"], json!("摄像头二"));
}

#[test]
fn reads_mixed_geometry_types() {
    let mixed = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"k":1},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","properties":{"k":2},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}},
{"type":"Feature","properties":{"k":3},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.05],[0.2,0.05],[0.2,0.1],[0.1,0.05]]]}},
{"type":"Feature","properties":{"k":4},"geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8],[9,9]]]}}
]}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = gdal_fgb(dir.path(), mixed, &["-lco", "SPATIAL_INDEX=NO"]);
    let src = read_path(&path, &SourceOptions::default()).unwrap();
    assert!(src.problems.is_empty(), "{:?}", src.problems);
    let expected = geojson_geometries(mixed);
    assert_eq!(src.features.len(), 4);
    for (i, f) in src.features.iter().enumerate() {
        assert_eq!(f.properties["k"], json!(i + 1));
        assert_eq!(f.geometry.as_ref(), Some(&expected[i]), "feature {i}");
    }
}

fn demo() -> Dataset {
    generate(
        &DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(200)
            .with_incidents(100)
            .with_cameras(300)
            .with_workers(100)
            .with_patrols(20)
            .with_points_per_patrol(40),
    )
    .unwrap()
}

/// Export -> import of one layer: every property the same, coordinates within 1e-9, and
/// the model value rebuilt from the read feature equal to the original.
fn round_trip<T: FeatureMapping + PartialEq + std::fmt::Debug>(
    data: &Dataset,
    layer: Layer,
    items: &[T],
    dir: &Path,
) -> PathBuf {
    let path = dir.join(format!("{layer}.fgb"));
    let n = write_flatgeobuf(data, layer, false, &path).unwrap();
    assert_eq!(n, layer_len(data, layer));
    assert!(n > 0);
    let src = read_path(&path, &SourceOptions::default()).unwrap();
    assert!(src.problems.is_empty(), "{layer}: {:?}", src.problems);
    assert_eq!(src.crs, Some(Crs::LonLat { epsg: 4490 }));
    assert_eq!(src.features.len(), n);
    let read = by(&src, "id");
    let mut i = 0;
    for_each_feature::<()>(data, layer, None, false, |f| {
        let Some(geojson::feature::Id::String(id)) = &f.id else {
            panic!()
        };
        let got = &read[id];
        let mut expected = f.properties.clone().unwrap();
        expected.insert("id".to_owned(), json!(id));
        for (k, v) in &expected {
            assert_eq!(
                got.properties.get(k).unwrap_or(&Value::Null),
                v,
                "{layer} {id} {k}"
            );
        }
        assert_eq!(got.properties.len(), expected.len(), "{layer} {id}");
        let g = got.geometry.clone().unwrap();
        let want = Geometry::<f64>::try_from(f.geometry.unwrap()).unwrap();
        assert_coords_close(&coords(&g), &coords(&want), 1e-9, &format!("{layer} {id}"));
        let back = T::from_parts(id, g, &got.properties).unwrap();
        assert_eq!(back, items[i], "{layer} {id}");
        i += 1;
        Ok(())
    })
    .unwrap();
    path
}

#[test]
fn export_import_round_trip_and_gdal_reads_the_export() {
    let data = demo();
    let dir = tempfile::tempdir().unwrap();
    let grids = round_trip::<Grid>(&data, Layer::Grids, &data.grids, dir.path());
    let cams = round_trip::<Camera>(&data, Layer::Cameras, &data.cameras, dir.path());
    let patrols = round_trip::<Patrol>(&data, Layer::Patrols, &data.patrols, dir.path());
    round_trip::<AdminUnit>(&data, Layer::Admin, &data.admin, dir.path());
    round_trip::<Center>(&data, Layer::Centers, &data.centers, dir.path());

    for (path, layer, geometry) in [
        (&grids, Layer::Grids, "Multi Polygon"),
        (&cams, Layer::Cameras, "Point"),
        (&patrols, Layer::Patrols, "Measured Line String"),
    ] {
        let info = ogrinfo(path);
        assert_eq!(
            line(&info, "Feature Count:"),
            layer_len(&data, layer).to_string(),
            "{info}"
        );
        assert_eq!(line(&info, "Geometry:"), geometry, "{info}");
        assert!(
            info.contains("China Geodetic Coordinate System 2000"),
            "{info}"
        );
        assert!(info.contains("ID[\"EPSG\",4490]"), "{info}");
    }

    // GDAL sees each patrol vertex's time as its M value.
    let text = run("ogrinfo", &["-al", "-q", s(&patrols)]);
    let times: HashMap<String, &Vec<i64>> = data
        .patrols
        .iter()
        .map(|p| (p.id.0.to_string(), &p.times))
        .collect();
    let mut id = None;
    let mut checked = 0;
    for l in text.lines() {
        if let Some(v) = l.trim().strip_prefix("id (String) = ") {
            id = Some(v.to_owned());
        }
        if let Some(body) = l.trim().strip_prefix("LINESTRING M (") {
            let ms: Vec<f64> = body
                .trim_end_matches(')')
                .split(',')
                .map(|c| c.split_whitespace().nth(2).unwrap().parse().unwrap())
                .collect();
            let want: Vec<f64> = times[id.as_ref().unwrap()]
                .iter()
                .map(|&t| t as f64)
                .collect();
            assert_eq!(ms, want, "patrol {id:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, data.patrols.len());

    // Never overwrites.
    let before = std::fs::read(&grids).unwrap();
    let e = write_flatgeobuf(&data, Layer::Grids, false, &grids).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read(&grids).unwrap(), before);
}

#[test]
fn personal_properties_only_when_asked() {
    let data = demo();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("w.fgb");
    let personal = dir.path().join("wp.fgb");
    write_flatgeobuf(&data, Layer::Workers, false, &plain).unwrap();
    write_flatgeobuf(&data, Layer::Workers, true, &personal).unwrap();
    let a = read_path(&plain, &SourceOptions::default()).unwrap();
    let b = read_path(&personal, &SourceOptions::default()).unwrap();
    assert!(!a.features[0].properties.contains_key("phone"));
    assert!(b.features[0].properties.contains_key("phone"));
}

#[test]
fn an_empty_layer_writes_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.fgb");
    assert_eq!(
        write_flatgeobuf(&Dataset::default(), Layer::Incidents, false, &path).unwrap(),
        0
    );
    let src = read_path(&path, &SourceOptions::default()).unwrap();
    assert!(
        src.features.is_empty() && src.problems.is_empty(),
        "{src:?}"
    );
    assert_eq!(line(&ogrinfo(&path), "Feature Count:"), "0");
}

/// A FlatGeobuf whose first feature has a point without coordinates and whose second has
/// a string column holding 8 bytes of an integer (the crate itself would index past the
/// end on both).
fn hostile() -> Vec<u8> {
    use flatgeobuf::geozero::{ColumnValue, GeomProcessor, GeozeroGeometry, PropertyProcessor};
    use flatgeobuf::{ColumnType, FgbWriter, FgbWriterOptions, GeometryType};
    struct NoCoords;
    impl GeozeroGeometry for NoCoords {
        fn process_geom<P: GeomProcessor>(
            &self,
            p: &mut P,
        ) -> flatgeobuf::geozero::error::Result<()> {
            p.point_begin(0)?;
            p.point_end(0)
        }
    }
    let mut w = FgbWriter::create_with_options(
        "bad",
        GeometryType::Point,
        FgbWriterOptions {
            write_index: false,
            ..FgbWriterOptions::default()
        },
    )
    .unwrap();
    w.add_column("name", ColumnType::String, |_, _| {});
    w.add_feature_geom(NoCoords, |f| {
        f.property(0, "name", &ColumnValue::String("a")).unwrap();
    })
    .unwrap();
    w.add_feature_geom(Geometry::Point(geo_types::Point::new(1.0, 2.0)), |f| {
        f.property(0, "name", &ColumnValue::Long(i64::MAX)).unwrap();
    })
    .unwrap();
    w.add_feature_geom(Geometry::Point(geo_types::Point::new(3.0, 4.0)), |f| {
        f.property(0, "name", &ColumnValue::String("c")).unwrap();
    })
    .unwrap();
    let mut out = Vec::new();
    w.write(&mut out).unwrap();
    out
}

#[test]
fn hostile_damaged_and_foreign_files_are_errors_or_problems() {
    let src = read_bytes("bad.fgb", &hostile(), &SourceOptions::default()).unwrap();
    assert_eq!(src.features.len(), 1, "{:?}", src.problems);
    assert_eq!(src.features[0].properties["name"], json!("c"));
    let idx: Vec<usize> = src.problems.iter().map(|p| p.index).collect();
    assert_eq!(idx, [0, 1], "{:?}", src.problems);

    let opts = SourceOptions::default();
    let e = read_bytes("x.fgb", b"not a flatgeobuf at all", &opts).unwrap_err();
    assert!(e.to_string().contains("not a FlatGeobuf"), "{e}");

    let data = demo();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grids.fgb");
    let n = write_flatgeobuf(&data, Layer::Grids, false, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Cut anywhere: an error, or the whole features before the cut and a problem.
    let step = (bytes.len() / 400).max(1);
    let mut partial = 0;
    for cut in (0..2_000.min(bytes.len())).chain((0..bytes.len()).step_by(step)) {
        if let Ok(s) = read_bytes("cut.fgb", &bytes[..cut], &opts) {
            assert!(s.features.len() < n);
            assert!(!s.problems.is_empty(), "cut at {cut}: no problem reported");
            partial += 1;
        }
    }
    assert!(partial > 100, "{partial}");
    // Flipped bytes anywhere.
    let mut rng = 0x853c_49e6_748f_ea9b_u64;
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..6 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let i = (rng % b.len() as u64) as usize;
            b[i] = (rng >> 24) as u8;
        }
        let _ = read_bytes("flipped.fgb", &b, &opts);
    }
}
