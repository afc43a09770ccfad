//! The load pipeline end to end on files made here: onemap's own export reads back whole,
//! a file with foreign field names maps onto the layer, one bad feature stops the file
//! (or is skipped when asked), and coordinates that cannot be in the declared CRS refuse
//! the file.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::fixture::{dataset, Params};
use geo_core::crs::Crs;
use geo_core::formats::{layer_to_features, write_geojson};
use geo_core::load::{prepare, LoadOptions};
use geo_core::model::{Dataset, Layer};
use geo_core::source::{read_bytes, SourceOptions};
use geo_core::validate::{Check, Severity};
use serde_json::{json, Value};

fn small() -> Dataset {
    dataset(&Params::small())
}

fn context(ds: &Dataset) -> Dataset {
    Dataset {
        admin: ds.admin.clone(),
        ..Dataset::default()
    }
}

fn grids_geojson(ds: &Dataset) -> Vec<u8> {
    let mut out = Vec::new();
    write_geojson(ds, Layer::Grids, None, false, &mut out).unwrap();
    out
}

/// The error findings of a report.
fn errors(report: &geo_core::load::Report) -> Vec<&geo_core::validate::Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

fn load(bytes: &[u8], name: &str, opts: &LoadOptions, ds: &Dataset) -> geo_core::load::Prepared {
    let source = read_bytes(name, bytes, &SourceOptions::default()).unwrap();
    prepare(source, name, opts, &context(ds))
}

#[test]
fn onemap_export_reads_back_whole() {
    let ds = small();
    let p = load(
        &grids_geojson(&ds),
        "grids.geojson",
        &LoadOptions::new(Layer::Grids),
        &ds,
    );
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    assert_eq!(p.report.accepted, ds.grids.len());
    assert_eq!(p.data.grids.len(), ds.grids.len());
    for (a, b) in p.data.grids.iter().zip(&ds.grids) {
        assert_eq!(a.code, b.code);
        assert_eq!(a.name, b.name);
        assert_eq!(a.geometry, b.geometry);
    }
    assert_eq!(p.report.crs.as_deref(), Some("EPSG:4326"));
    assert_eq!(p.report.crs_from, "file");
}

/// The current grids.
fn current(ds: &Dataset) -> Dataset {
    Dataset {
        admin: ds.admin.clone(),
        grids: ds
            .grids
            .iter()
            .filter(|g| g.valid_to.is_none())
            .cloned()
            .collect(),
        ..Dataset::default()
    }
}

/// The current grids as a county office would send them: upper-case pinyin initials and
/// Chinese values, no kind/revision/validity columns.
fn foreign(ds: &Dataset) -> Value {
    let features: Vec<Value> = layer_to_features(ds, Layer::Grids, None, false)
        .into_iter()
        .map(|f| {
            let props = f.properties.unwrap();
            json!({
                "type": "Feature",
                "geometry": f.geometry,
                "properties": {
                    "WGBM": f.id.map(|id| match id { geojson::feature::Id::String(s) => s, geojson::feature::Id::Number(n) => n.to_string() }),
                    "WGMC": props["name"],
                    "网格类型": "基础网格",
                    "RKS": props["population"],
                    "Shape_Area": 1234.5,
                }
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

#[test]
fn foreign_field_names_map_onto_the_layer() {
    let ds = current(&small());
    let bytes = serde_json::to_vec(&foreign(&ds)).unwrap();
    let p = load(&bytes, "wg.geojson", &LoadOptions::new(Layer::Grids), &ds);
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    assert_eq!(p.data.grids.len(), ds.grids.len());
    for (a, b) in p.data.grids.iter().zip(&ds.grids) {
        assert_eq!(a.code, b.code);
        assert_eq!(a.name, b.name);
        assert_eq!(a.population, b.population);
        assert_eq!(a.kind.as_str(), "basic");
        assert_eq!(a.revision, 1);
    }
    assert!(
        p.report.defaults.iter().any(|d| d.starts_with("revision")),
        "{:?}",
        p.report.defaults
    );
}

#[test]
fn one_bad_code_stops_the_file_unless_skipped() {
    let ds = current(&small());
    let mut doc = foreign(&ds);
    let bad = 7;
    doc["features"][bad]["properties"]["WGBM"] = json!("43310100100");
    let bytes = serde_json::to_vec(&doc).unwrap();

    let p = load(&bytes, "wg.geojson", &LoadOptions::new(Layer::Grids), &ds);
    assert!(p.data.grids.is_empty(), "nothing may be written");
    assert_eq!(p.report.accepted, 0);
    // The preview shows every feature as left out, in file order.
    let left: Vec<usize> = p.left_out.iter().map(|l| l.index).collect();
    assert_eq!(left, (0..ds.grids.len()).collect::<Vec<_>>());
    let errors = errors(&p.report);
    assert_eq!(errors.len(), 1, "{}", p.report);
    assert_eq!(errors[0].index, Some(bad));
    assert_eq!(errors[0].check, Check::MalformedCode);
    assert!(errors[0].lon.is_some() || errors[0].index.is_some());

    let mut opts = LoadOptions::new(Layer::Grids);
    opts.skip_invalid = true;
    let p = load(&bytes, "wg.geojson", &opts, &ds);
    assert_eq!(p.data.grids.len(), ds.grids.len() - 1);
    assert_eq!(p.report.skipped, vec![bad]);
    assert_eq!(p.left_out.len(), 1);
    assert_eq!(p.left_out[0].index, bad);
    assert_eq!(p.left_out[0].id.as_deref(), Some("43310100100"));
}

#[test]
fn lon_lat_declared_as_gauss_kruger_is_refused() {
    let ds = small();
    let mut opts = LoadOptions::new(Layer::Grids);
    opts.crs = Some("EPSG:4545".parse::<Crs>().unwrap());
    let p = load(&grids_geojson(&ds), "grids.geojson", &opts, &ds);
    assert!(p.data.grids.is_empty());
    let crs: Vec<_> = p
        .report
        .findings
        .iter()
        .filter(|f| f.check == Check::Crs && f.severity == Severity::Error)
        .collect();
    assert_eq!(
        crs.len(),
        1,
        "one file-level finding, not one per feature: {}",
        p.report
    );
    assert_eq!(crs[0].index, None);
    assert!(crs[0].message.contains("EPSG:4545"), "{}", crs[0].message);
}

#[test]
fn a_file_without_a_key_column_says_what_to_name_it() {
    let doc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.7, 28.3]}, "properties": {"foo": 1}}
    ]});
    let ds = Dataset::default();
    let p = load(
        &serde_json::to_vec(&doc).unwrap(),
        "x.geojson",
        &LoadOptions::new(Layer::Cameras),
        &ds,
    );
    assert!(p.data.cameras.is_empty());
    assert!(
        p.report
            .findings
            .iter()
            .any(|f| f.check == Check::Attribute && f.message.contains("name it id")),
        "{}",
        p.report
    );
}

/// onemap's own CSV is read in two halves on two threads when large: the result must be
/// the sequential reader's, bad rows reported at their position in the whole file.
#[test]
fn onemap_csv_halves_read_like_the_whole() {
    use geo_core::formats::{read_csv, write_csv, CsvOptions};
    let ds = small();
    let mut csv = Vec::new();
    write_csv(&ds, Layer::Incidents, None, false, &mut csv).unwrap();
    assert!(
        csv.len() > 1 << 20,
        "large enough to be split: {}",
        csv.len()
    );
    // Break one row in the second half: an unknown category.
    let text = String::from_utf8(csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let bad = lines.len() * 3 / 4;
    lines[bad] = lines[bad].replacen(",dispute,", ",nonsense,", 1);
    lines[bad] = lines[bad].replacen(",public_security,", ",nonsense,", 1);
    lines[bad] = lines[bad].replacen(",safety_hazard,", ",nonsense,", 1);
    lines[bad] = lines[bad].replacen(",fire_hazard,", ",nonsense,", 1);
    lines[bad] = lines[bad].replacen(",environment,", ",nonsense,", 1);
    lines[bad] = lines[bad].replacen(",petition,", ",nonsense,", 1);
    lines[bad] = lines[bad].replacen(",other,", ",nonsense,", 1);
    let csv = (lines.join("\n") + "\n").into_bytes();

    let opts = LoadOptions::new(Layer::Incidents);
    assert!(geo_core::load::is_onemap_csv(&csv, &opts));
    let p = geo_core::load::prepare_onemap_csv(&csv, "incidents.csv", &opts);
    let (whole, read) = read_csv(&csv[..], Layer::Incidents, &CsvOptions::default()).unwrap();
    assert_eq!(read.problems.len(), 1, "{read}");
    let data_row = bad - 1; // the header is line 0
    assert_eq!(read.problems[0].index, data_row);
    assert!(p.data.incidents.is_empty(), "one bad row: nothing");
    let errors = errors(&p.report);
    assert_eq!(errors.len(), 1, "{}", p.report);
    assert_eq!(errors[0].index, Some(data_row));

    let mut opts = opts;
    opts.skip_invalid = true;
    let p = geo_core::load::prepare_onemap_csv(&csv, "incidents.csv", &opts);
    assert_eq!(p.report.skipped, vec![data_row]);
    let got: Vec<u64> = p.data.incidents.iter().map(|i| i.id.0).collect();
    let want: Vec<u64> = whole.incidents.iter().map(|i| i.id.0).collect();
    assert_eq!(got, want);
}

/// A planner sends two grids of one village: the rest of the village is covered by the
/// stored grids (no gap), and a grid pushed into a stored neighbour is an overlap.
#[test]
fn a_partial_file_is_checked_beside_the_stored_grids() {
    use geo::Translate;
    let ds = small();
    let village = ds.grids[0].village;
    let mine: Vec<usize> = (0..ds.grids.len())
        .filter(|&i| ds.grids[i].village == village)
        .take(2)
        .collect();
    assert_eq!(mine.len(), 2);
    let part = Dataset {
        grids: mine.iter().map(|&i| ds.grids[i].clone()).collect(),
        ..Dataset::default()
    };
    let mut ctx = context(&ds);
    ctx.grids = ds.grids.clone();
    let bytes = grids_geojson(&part);
    let source = read_bytes("part.geojson", &bytes, &SourceOptions::default()).unwrap();
    let p = prepare(
        source,
        "part.geojson",
        &LoadOptions::new(Layer::Grids),
        &ctx,
    );
    assert!(p.report.findings.is_empty(), "{}", p.report);
    assert_eq!(p.data.grids.len(), 2);

    // Shift the first grid 50 m east: it now overlaps a stored neighbour.
    let mut moved = part.clone();
    moved.grids[0].geometry = moved.grids[0].geometry.translate(0.0005, 0.0);
    let bytes = grids_geojson(&moved);
    let source = read_bytes("moved.geojson", &bytes, &SourceOptions::default()).unwrap();
    let p = prepare(
        source,
        "moved.geojson",
        &LoadOptions::new(Layer::Grids),
        &ctx,
    );
    let overlaps: Vec<_> = p
        .report
        .findings
        .iter()
        .filter(|f| f.check == Check::Overlap)
        .collect();
    assert!(!overlaps.is_empty(), "{}", p.report);
    assert!(
        overlaps
            .iter()
            .any(|f| f.message.contains("already in the store")),
        "{}",
        p.report
    );
    assert!(overlaps.iter().all(|f| f.index.is_some_and(|i| i < 2)));
    assert!(p.data.grids.is_empty());
}

/// A grid file without revision columns corrects the current revision in place; it never
/// lands on (and overwrites) a past revision of the same code.
#[test]
fn a_file_without_revisions_updates_the_current_revision() {
    let ds = small();
    let redrawn = ds
        .grids
        .iter()
        .find(|g| g.valid_to.is_none() && g.revision > 1)
        .expect("the fixture has a grid redrawn at least once")
        .clone();
    let one = Dataset {
        admin: ds.admin.clone(),
        grids: vec![redrawn.clone()],
        ..Dataset::default()
    };
    let bytes = serde_json::to_vec(&foreign(&one)).unwrap();
    let mut ctx = context(&ds);
    ctx.grids = ds.grids.clone();
    let source = read_bytes("wg.geojson", &bytes, &SourceOptions::default()).unwrap();
    let p = prepare(source, "wg.geojson", &LoadOptions::new(Layer::Grids), &ctx);
    assert_eq!(p.report.errors(), 0, "{}", p.report);
    assert_eq!(p.data.grids.len(), 1);
    assert_eq!(p.data.grids[0].revision, redrawn.revision);
    assert_eq!(p.data.grids[0].valid_from, redrawn.valid_from);
}
