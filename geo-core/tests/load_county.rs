//! Files as county offices send them, loaded through the pipeline with default options:
//! incidents with Chinese columns and no subcategory, source, status or deadline, an
//! unknown category, and rows that name a grid instead of coordinates; a worker roster with
//! no positions (CSV, a GeoPackage attribute table made by GDAL, `GeoJSON` with null
//! geometry) kept without a fix until GPS comes; patrol tracks with only start and end;
//! GPX; dedicated grids.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::fixture::{dataset, Params};
use common::tool::run;
use geo::{Contains, Intersects};
use geo_core::access::Scope;
use geo_core::index::Core;
use geo_core::load::{prepare, prepare_bytes, LoadOptions, Prepared};
use geo_core::model::{Category, Dataset, GridKind, Layer, Step, Worker};
use geo_core::source::{read_path, SourceOptions};
use geo_core::store::{ChangeKind, ChangeSet};
use geo_core::validate::{Check, Finding, Severity};

fn context(ds: &Dataset) -> Dataset {
    Dataset {
        admin: ds.admin.clone(),
        grids: ds.grids.clone(),
        ..Dataset::default()
    }
}

fn load(name: &str, bytes: &[u8], layer: Layer, ds: &Dataset) -> Prepared {
    prepare_bytes(name, bytes, &LoadOptions::new(layer), &context(ds)).unwrap()
}

/// The one finding whose message contains `part` (there must be exactly one).
fn finding<'a>(p: &'a Prepared, part: &str) -> &'a Finding {
    let hits: Vec<&Finding> = p
        .report
        .findings
        .iter()
        .filter(|f| f.message.contains(part))
        .collect();
    assert_eq!(hits.len(), 1, "{part:?} in:\n{}", p.report);
    hits[0]
}

#[test]
fn incidents_without_optional_columns_get_stated_defaults_and_are_placed() {
    let ds = dataset(&Params::small());
    let grid = ds.grids.iter().find(|g| g.valid_to.is_none()).unwrap();
    let village = ds
        .admin
        .iter()
        .find(|a| a.code.to_string().len() == 12)
        .unwrap();
    let csv = format!(
        "事件编号,事件类型,上报时间,办结时间,经度,纬度,网格编码,村代码\n\
         9000001,矛盾纠纷,2024-03-01T08:00:00+08:00,,109.5,28.1,,\n\
         9000002,交通,2024-03-01T09:00:00+08:00,2024-03-02T09:00:00+08:00,109.5,28.1,,\n\
         9000003,traffic,2024-03-01T10:00:00+08:00,,,,{grid},\n\
         9000004,治安,2024-03-01T11:00:00+08:00,,,,{grid},\n\
         9000005,消防隐患,2024-03-01T12:00:00+08:00,,,,,{village}\n",
        grid = grid.code,
        village = village.code,
    );
    let p = load("events.csv", csv.as_bytes(), Layer::Incidents, &ds);
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    assert_eq!(p.data.incidents.len(), 5);
    // One finding per default, each with its count.
    for (part, n) in [
        ("subcategory not given", 5),
        ("source not given", 5),
        ("deadline not given", 5),
        ("status not given and no step times", 4),
        ("status not given: set to the latest step", 1),
        ("not onemap categories", 2),
        ("placed at an interior point of its grid", 2),
        ("placed at an interior point of its village", 1),
    ] {
        let f = finding(&p, part);
        assert_eq!(f.count, Some(n), "{part}: {f}");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.index, None, "a file-level finding");
    }
    let unknown = finding(&p, "not onemap categories");
    assert!(
        unknown.message.contains("\"交通\" (1)") && unknown.message.contains("\"traffic\" (1)"),
        "{unknown}"
    );
    assert_eq!(unknown.rows, vec![1, 2]);
    let by_id = |id: u64| p.data.incidents.iter().find(|i| i.id.0 == id).unwrap();
    assert_eq!(by_id(9_000_001).category, Category::Dispute);
    assert_eq!(by_id(9_000_002).category, Category::Other);
    assert_eq!(by_id(9_000_002).status, Step::Closed);
    assert_eq!(by_id(9_000_001).status, Step::Reported);
    assert_eq!(by_id(9_000_001).subcategory_names().0, "other");
    // Seven days for a dispute, two for a fire hazard (the default policy).
    let d1 = by_id(9_000_001);
    assert_eq!(d1.deadline - d1.lifecycle.reported_at, 7 * 86_400);
    let d5 = by_id(9_000_005);
    assert_eq!(d5.deadline - d5.lifecycle.reported_at, 2 * 86_400);
    // Placed inside the unit the row names.
    for id in [9_000_003, 9_000_004] {
        let at = by_id(id).location;
        assert!(
            grid.geometry.intersects(&at),
            "{id} at {at:?} is not in {}",
            grid.code
        );
    }
    assert!(village.geometry.intersects(&by_id(9_000_005).location));

    // A server's own policy gives the deadline; a mapping names where 交通 goes.
    let mut opts = LoadOptions::new(Layer::Incidents);
    opts.deadlines = geo_core::model::DeadlinePolicy::from_json(r#"{"dispute": 1}"#).unwrap();
    opts.categories.insert(
        "交通".into(),
        geo_core::load::CategoryTarget::parse("safety_hazard/road").unwrap(),
    );
    let p = prepare_bytes("events.csv", csv.as_bytes(), &opts, &context(&ds)).unwrap();
    let d1 = p
        .data
        .incidents
        .iter()
        .find(|i| i.id.0 == 9_000_001)
        .unwrap();
    assert_eq!(d1.deadline - d1.lifecycle.reported_at, 86_400);
    let d2 = p
        .data
        .incidents
        .iter()
        .find(|i| i.id.0 == 9_000_002)
        .unwrap();
    assert_eq!(d2.category, Category::SafetyHazard);
    assert_eq!(d2.subcategory_names().0, "road");
    assert_eq!(finding(&p, "not onemap categories").count, Some(1));

    // A row that can be placed nowhere is an error of its own row; the rest may be skipped.
    let bad = format!("{csv}9000006,治安,2024-03-01T11:00:00+08:00,,,,999999999999999,\n");
    let p = load("events.csv", bad.as_bytes(), Layer::Incidents, &ds);
    let f = finding(&p, "no grid or village code of a unit in the store");
    assert_eq!((f.severity, f.rows.clone()), (Severity::Error, vec![5]));
    assert_eq!(p.report.accepted, 0, "all or nothing");
    let mut skip = LoadOptions::new(Layer::Incidents);
    skip.skip_invalid = true;
    let p = prepare_bytes("events.csv", bad.as_bytes(), &skip, &context(&ds)).unwrap();
    assert_eq!((p.report.accepted, p.report.skipped.clone()), (5, vec![5]));
}

#[test]
fn a_missing_required_column_is_one_finding_not_one_per_row() {
    let ds = dataset(&Params::small());
    let csv =
        "id,category,lon,lat\n1,dispute,109.5,28.1\n2,dispute,109.5,28.1\n3,dispute,109.5,28.1\n";
    let p = load("e.csv", csv.as_bytes(), Layer::Incidents, &ds);
    let f = finding(&p, "missing required property reported_at");
    assert_eq!((f.count, f.severity), (Some(3), Severity::Error));
    assert!(f.rows.is_empty(), "every row: not listed");
    assert_eq!(
        p.report
            .findings
            .iter()
            .filter(|f| f.check == Check::Attribute && f.severity == Severity::Error)
            .count(),
        1
    );
    assert_eq!(p.report.accepted, 0);
}

/// A roster with no coordinates: kept without a fix, not indexed or drawn, in scope by its
/// grids, placed by its first GPS fix.
#[test]
fn roster_without_positions_waits_for_gps() {
    let ds = dataset(&Params::small());
    let g = ds.grids.iter().find(|g| g.valid_to.is_none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("roster.csv");
    std::fs::write(
        &csv,
        format!(
            "网格员编号,姓名,联系电话,所属网格\nW9001,张三,13800000001,{c}\nW9002,李四,13800000002,{c}\n",
            c = g.code
        ),
    )
    .unwrap();
    // The same table as GDAL writes it into a GeoPackage: an attribute table.
    let gpkg = dir.path().join("roster.gpkg");
    run(
        "ogr2ogr",
        [
            "-f",
            "GPKG",
            gpkg.to_str().unwrap(),
            csv.to_str().unwrap(),
            "-nln",
            "roster",
        ],
    );
    let kind = run(
        "ogrinfo",
        [
            gpkg.to_str().unwrap(),
            "-sql",
            "SELECT data_type FROM gpkg_contents",
        ],
    );
    assert!(kind.contains("attributes"), "GDAL wrote {kind}");
    let geojson = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","id":"W9001","geometry":null,"properties":{"name":"张三","grids":["GRID"]}},
        {"type":"Feature","id":"W9002","geometry":null,"properties":{"name":"李四","grids":["GRID"]}}]}"#
        .replace("GRID", &g.code.to_string());
    let from_csv = prepare(
        read_path(&csv, &SourceOptions::default()).unwrap(),
        "roster.csv",
        &LoadOptions::new(Layer::Workers),
        &context(&ds),
    );
    let from_gpkg = prepare(
        read_path(&gpkg, &SourceOptions::default()).unwrap(),
        "roster.gpkg",
        &LoadOptions::new(Layer::Workers),
        &context(&ds),
    );
    let from_json = load("roster.geojson", geojson.as_bytes(), Layer::Workers, &ds);
    for p in [&from_csv, &from_gpkg, &from_json] {
        assert_eq!(p.report.errors(), 0, "{}", p.report);
        assert_eq!(p.data.workers.len(), 2, "{}", p.report);
        assert!(p
            .data
            .workers
            .iter()
            .all(|w| !w.has_fix() && w.seen_at == 0));
        assert_eq!(finding(p, "no position").count, Some(2));
    }
    assert_eq!(from_csv.data.workers[0].phone, "13800000001");
    assert_eq!(from_gpkg.data.workers[1].name, "李四");
    assert_eq!(from_csv.data.workers[0].grids, vec![g.code]);

    // In the core: not nearest to anything, not in any box, counted by its grid's scope.
    let mut data = ds.clone();
    data.workers = from_csv.data.workers.clone();
    let core = Core::new(data);
    let (lon, lat) = (109.5, 28.1);
    assert!(core.nearest_workers(lon, lat, 5).unwrap().is_empty());
    let scope = Scope::unit(geo_core::codes::AdminCode::Village(g.village));
    assert!(core.in_scope(Layer::Workers, &scope, 0));
    assert!(core.extent(Layer::Workers).is_none());
    // The first fix, as GPS ingest writes it: the worker with a position and a time.
    let mut moved = core.workers().get(0).unwrap().clone();
    moved.location = geo_types::Point::new(lon, lat);
    moved.seen_at = 1_700_000_000;
    let mut c = ChangeSet::new(ChangeKind::Positions, "test", "first fix");
    c.upserts.workers.push(moved.clone());
    let core = core.apply(&c);
    let near = core.nearest_workers(lon, lat, 5).unwrap();
    assert_eq!(near.len(), 1);
    assert_eq!(core.workers().get(near[0].index).unwrap(), &moved);
    assert!(Worker::NO_FIX.x().is_nan());
}

#[test]
fn tracks_with_start_and_end_get_times_by_distance() {
    let ds = dataset(&Params::small());
    let km = 1.0 / 111.195;
    let geojson = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature",
        "geometry":{{"type":"LineString","coordinates":[[109.5,28.1],[109.5,{a}],[109.5,{b}]]}},
        "properties":{{"轨迹编号":77,"网格员":"W1","开始时间":"2024-03-01T08:00:00Z","结束时间":"2024-03-01T08:40:00Z"}}}}]}}"#,
        a = 28.1 + km,
        b = 28.1 + 4.0 * km
    );
    let p = load("tracks.geojson", geojson.as_bytes(), Layer::Patrols, &ds);
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    let t = &p.data.patrols[0].times;
    let t0 = t[0];
    assert_eq!(t[2] - t0, 2400);
    assert!((t[1] - t0 - 600).abs() <= 2, "a quarter of the way: {t:?}");
    assert_eq!(finding(&p, "times interpolated").count, Some(1));
}

#[test]
fn gpx_tracks_are_patrols_one_per_segment() {
    let ds = dataset(&Params::small());
    let gpx = br#"<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">
      <trk><name>W7</name>
        <trkseg><trkpt lat="28.10" lon="109.50"><time>2024-03-01T08:00:00Z</time></trkpt><trkpt lat="28.11" lon="109.50"><time>2024-03-01T08:05:00Z</time></trkpt></trkseg>
        <trkseg><trkpt lat="28.12" lon="109.50"><time>2024-03-01T09:00:00Z</time></trkpt><trkpt lat="28.13" lon="109.50"><time>2024-03-01T09:05:00Z</time></trkpt></trkseg>
      </trk></gpx>"#;
    let p = load("walk.gpx", gpx, Layer::Patrols, &ds);
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    assert_eq!(p.data.patrols.len(), 2);
    assert!(p.data.patrols.iter().all(|t| t.worker.0 == "W7"));
    assert_eq!(p.data.patrols[1].times[1] - p.data.patrols[1].times[0], 300);
    let mut opts = LoadOptions::new(Layer::Patrols);
    opts.worker = Some("W8".into());
    let again = prepare_bytes("walk.gpx", gpx, &opts, &context(&ds)).unwrap();
    assert!(again.data.patrols.iter().all(|t| t.worker.0 == "W8"));
    let ids = |p: &Prepared| p.data.patrols.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(&p), ids(&again), "ids come from the file's bytes");
}

#[test]
fn dedicated_grids_are_a_kind() {
    let ds = dataset(&Params::small());
    let g = ds.grids.iter().find(|g| g.valid_to.is_none()).unwrap();
    let mut f: serde_json::Value = serde_json::from_slice(&{
        let mut one = Dataset::default();
        one.grids.push(g.clone());
        let mut out = Vec::new();
        geo_core::formats::write_geojson(&one, Layer::Grids, None, false, &mut out).unwrap();
        out
    })
    .unwrap();
    f["features"][0]["properties"]["kind"] = "专属网格".into();
    let p = load(
        "g.geojson",
        &serde_json::to_vec(&f).unwrap(),
        Layer::Grids,
        &ds,
    );
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    assert_eq!(p.data.grids[0].kind, GridKind::Dedicated);
    assert_eq!(GridKind::parse("dedicated"), Some(GridKind::Dedicated));
    let poly = &p.data.grids[0].geometry;
    assert!(poly.contains(&geo::InteriorPoint::interior_point(poly).unwrap()));
}
