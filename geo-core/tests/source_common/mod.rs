//! Helpers for the `source_*` reader tests: GDAL and Python as independent tools (the tests
//! fail, never skip, when they are missing), fixtures written by the tests themselves.

#![allow(clippy::unwrap_used, clippy::panic, dead_code)] // test helpers

use std::path::Path;

use geo_types::{Coord, Geometry};

#[path = "../common/tool.rs"]
mod tool;

/// Runs `program args`, panicking with its output unless it succeeds; returns stdout.
pub fn run(program: &str, args: &[&str]) -> String {
    tool::run(program, args)
}

/// `ogr2ogr args...` (GDAL).
pub fn ogr2ogr(args: &[&str]) {
    run("ogr2ogr", args);
}

/// `ogrinfo -so -al file` (GDAL).
pub fn ogrinfo(file: &Path) -> String {
    run("ogrinfo", &["-so", "-al", file.to_str().unwrap()])
}

/// The value after `prefix` on the first line that has it.
pub fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in\n{text}"))
        .trim()
}

/// Every coordinate of a geometry, in order.
pub fn coords(g: &Geometry<f64>) -> Vec<Coord<f64>> {
    use geo::CoordsIter;
    g.coords_iter().collect()
}

/// Asserts two coordinate lists are equal within `tol`.
pub fn assert_coords_close(a: &[Coord<f64>], b: &[Coord<f64>], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: {a:?} vs {b:?}");
    for (p, q) in a.iter().zip(b) {
        assert!(
            (p.x - q.x).abs() <= tol && (p.y - q.y).abs() <= tol,
            "{what}: {p:?} vs {q:?}"
        );
    }
}

/// A small `GeoJSON` grid layer: a polygon and a two-part multipolygon with a hole, typed
/// properties, Chinese names, a date and a null.
pub const GRIDS_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"433101001001001","name":"乾州街道第一网格","area":1.25,"households":120,"active":true,"opened":"2024-05-01","note":null},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[109.70,28.30],[109.71,28.30],[109.71,28.31],[109.70,28.31],[109.70,28.30]]]]}},
{"type":"Feature","properties":{"code":"433101001001002","name":"乾州街道第二网格","area":2.5,"households":80,"active":false,"opened":"2023-12-31","note":"两块"},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[109.72,28.30],[109.74,28.30],[109.74,28.32],[109.72,28.32],[109.72,28.30]],[[109.725,28.305],[109.73,28.305],[109.73,28.31],[109.725,28.305]]],[[[109.75,28.30],[109.76,28.30],[109.76,28.31],[109.75,28.30]]]]}}
]}"#;

/// Points with a Z value (which readers drop).
pub const POINTS_Z_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"43310100000000000001","name":"摄像头一"},"geometry":{"type":"Point","coordinates":[109.71234567891,28.31234567891,312.5]}},
{"type":"Feature","properties":{"id":"43310100000000000002","name":"摄像头二"},"geometry":{"type":"Point","coordinates":[109.8,28.4,300.0]}}
]}"#;

/// The geometries of a `GeoJSON` text, in order.
pub fn geojson_geometries(text: &str) -> Vec<Geometry<f64>> {
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    fc.features
        .into_iter()
        .map(|f| Geometry::try_from(f.geometry.unwrap()).unwrap())
        .collect()
}

/// Transforms lon/lat (EPSG:4326) points to `epsg` with pyproj.
pub fn pyproj_forward(points: &[Coord<f64>], epsg: u32) -> Vec<Coord<f64>> {
    let input: Vec<String> = points.iter().map(|c| format!("{} {}", c.x, c.y)).collect();
    let script = format!(
        "import sys\nfrom pyproj import Transformer\nt = Transformer.from_crs(4326, {epsg}, always_xy=True)\nfor l in sys.argv[1].split(';'):\n    x, y = map(float, l.split())\n    print('%.12f %.12f' % t.transform(x, y))\n"
    );
    let out = run("python3", &["-c", &script, &input.join(";")]);
    out.lines()
        .map(|l| {
            let mut it = l.split_whitespace().map(|v| v.parse::<f64>().unwrap());
            Coord {
                x: it.next().unwrap(),
                y: it.next().unwrap(),
            }
        })
        .collect()
}
