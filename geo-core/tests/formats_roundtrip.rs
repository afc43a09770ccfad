//! Write -> read round trips for every layer and format, and personal-data handling.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod formats_fixture;

use geo_core::formats::{
    layer_to_features, read_csv, read_geojson, read_ndjson, write_csv, write_geojson, write_ndjson,
    CsvOptions, FeatureMapping, IncidentRecord,
};
use geo_core::model::{Dataset, Layer};

#[derive(Clone, Copy, Debug)]
enum Format {
    GeoJson,
    NdJson,
    Csv,
}

const FORMATS: [Format; 3] = [Format::GeoJson, Format::NdJson, Format::Csv];

fn write(f: Format, d: &Dataset, layer: Layer, idx: Option<&[usize]>, personal: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let n = match f {
        Format::GeoJson => write_geojson(d, layer, idx, personal, &mut out),
        Format::NdJson => write_ndjson(d, layer, idx, personal, &mut out),
        Format::Csv => write_csv(d, layer, idx, personal, &mut out),
    }
    .unwrap();
    let len = geo_core::formats::layer_len(d, layer);
    let expected = idx.map_or(len, |ix| ix.iter().filter(|&&i| i < len).count());
    assert_eq!(n, expected, "{f:?} {layer}");
    out
}

fn read(f: Format, bytes: &[u8], layer: Layer) -> Dataset {
    let (d, report) = match f {
        Format::GeoJson => read_geojson(bytes, layer),
        Format::NdJson => read_ndjson(bytes, layer),
        Format::Csv => read_csv(bytes, layer, &CsvOptions::default()),
    }
    .unwrap();
    assert!(
        report.is_clean(),
        "{f:?} {layer}: {report}\n{}",
        String::from_utf8_lossy(bytes)
    );
    assert_eq!(report.features, geo_core::formats::layer_len(&d, layer));
    d
}

/// Only `layer` of `d` (plus incident details for incidents).
fn only(d: &Dataset, layer: Layer) -> Dataset {
    let mut o = Dataset::default();
    match layer {
        Layer::Admin => o.admin.clone_from(&d.admin),
        Layer::Grids => o.grids.clone_from(&d.grids),
        Layer::Cameras => o.cameras.clone_from(&d.cameras),
        Layer::Incidents => {
            o.incidents.clone_from(&d.incidents);
            o.incident_details.clone_from(&d.incident_details);
        }
        Layer::Patrols => o.patrols.clone_from(&d.patrols),
        Layer::Workers => o.workers.clone_from(&d.workers),
        Layer::Centers => o.centers.clone_from(&d.centers),
    }
    o
}

fn assert_same(a: &Dataset, b: &Dataset, what: &str) {
    assert_eq!(a.admin, b.admin, "{what}");
    assert_eq!(a.grids, b.grids, "{what}");
    assert_eq!(a.cameras, b.cameras, "{what}");
    assert_eq!(a.incidents, b.incidents, "{what}");
    assert_eq!(a.incident_details, b.incident_details, "{what}");
    assert_eq!(a.patrols, b.patrols, "{what}");
    assert_eq!(a.workers, b.workers, "{what}");
    assert_eq!(a.centers, b.centers, "{what}");
}

#[test]
fn every_layer_every_format_round_trips_with_personal_data() {
    let d = formats_fixture::dataset();
    for layer in Layer::ALL {
        assert!(
            geo_core::formats::layer_len(&d, layer) >= 2,
            "{layer} fixture too small"
        );
        for f in FORMATS {
            let bytes = write(f, &d, layer, None, true);
            let back = read(f, &bytes, layer);
            assert_same(&back, &only(&d, layer), &format!("{f:?} {layer}"));
        }
    }
}

#[test]
fn without_personal_data_round_trip_drops_exactly_the_personal_fields() {
    let d = formats_fixture::dataset();
    let secrets = formats_fixture::personal_strings(&d);
    for layer in Layer::ALL {
        let mut expected = only(&d, layer);
        expected.incident_details.clear();
        for w in &mut expected.workers {
            w.name.clear();
            w.phone.clear();
        }
        for f in FORMATS {
            let bytes = write(f, &d, layer, None, false);
            let text = String::from_utf8(bytes.clone()).unwrap();
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "{f:?} {layer} leaks {s:?}");
            }
            for key in ["description", "reporter", "phone"] {
                assert!(!text.contains(key), "{f:?} {layer} has {key}");
            }
            let back = read(f, &bytes, layer);
            assert_same(&back, &expected, &format!("{f:?} {layer} without personal"));
        }
    }
}

#[test]
fn feature_properties_are_exactly_the_declared_names() {
    let d = formats_fixture::dataset();
    for layer in Layer::ALL {
        for personal in [false, true] {
            let names = geo_core::formats::property_names(layer, personal);
            for f in layer_to_features(&d, layer, None, personal) {
                let mut keys: Vec<&str> = f
                    .properties
                    .as_ref()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                let mut want = names.clone();
                keys.sort_unstable();
                want.sort_unstable();
                assert_eq!(keys, want, "{layer} personal={personal}");
                assert!(matches!(f.id, Some(geojson::feature::Id::String(_))));
            }
        }
    }
    // Personal fields are present, with their values, when asked.
    let f = layer_to_features(&d, Layer::Workers, Some(&[0]), true).remove(0);
    assert_eq!(
        f.properties.as_ref().unwrap()["name"],
        d.workers[0].name.as_str()
    );
    let f = layer_to_features(&d, Layer::Incidents, Some(&[2]), true).remove(0);
    assert_eq!(
        f.properties.as_ref().unwrap()["reporter"],
        d.incident_details[2].reporter.as_str()
    );
}

#[test]
#[allow(clippy::many_single_char_names)]
fn documented_encodings() {
    let d = formats_fixture::dataset();
    let g = layer_to_features(&d, Layer::Grids, Some(&[0, 1]), false);
    let p = g[0].properties.as_ref().unwrap();
    assert_eq!(
        g[0].id,
        Some(geojson::feature::Id::String("433101001001001".into()))
    );
    assert_eq!(p["kind"], "basic");
    assert_eq!(p["village"], "433101001001");
    assert_eq!(p["valid_from"], "2020-09-13T12:26:40Z");
    assert_eq!(p["valid_to"], "2023-11-14T22:13:20Z");
    assert_eq!(p["workers"], serde_json::json!(["W433101001001001", "W2"]));
    assert!(g[1].properties.as_ref().unwrap()["valid_to"].is_null());
    let i = layer_to_features(&d, Layer::Incidents, Some(&[2]), false).remove(0);
    let p = i.properties.unwrap();
    assert_eq!(p["closed_at"], "2023-11-16T02:13:20Z");
    assert!(p["cancelled_at"].is_null());
    assert_eq!(p["subcategory"], d.incidents[2].subcategory_names().0);
    let t = layer_to_features(&d, Layer::Patrols, Some(&[0]), false).remove(0);
    let p = t.properties.unwrap();
    assert_eq!(p["times"].as_array().unwrap().len(), 5);
    assert_eq!(p["start"], "2023-11-14T22:13:20Z");
    assert_eq!(p["end"], "2023-11-14T22:15:25Z");
    // A camera's f32 fields are written in their short decimal form.
    let c = layer_to_features(&d, Layer::Cameras, Some(&[0]), false).remove(0);
    assert_eq!(c.properties.unwrap()["fov_deg"].to_string(), "0.1");
}

#[test]
fn from_feature_and_to_feature_agree_per_record() {
    let d = formats_fixture::dataset();
    for (i, inc) in d.incidents.iter().enumerate() {
        let r = IncidentRecord {
            incident: inc.clone(),
            details: Some(d.incident_details[i].clone()),
        };
        assert_eq!(
            IncidentRecord::from_feature(&r.to_feature(true)).unwrap(),
            r
        );
        let bare = IncidentRecord::from_feature(&r.to_feature(false)).unwrap();
        assert_eq!(bare.details, None);
        assert_eq!(bare.incident, *inc);
    }
    for g in &d.grids {
        assert_eq!(
            &geo_core::model::Grid::from_feature(&g.to_feature(false)).unwrap(),
            g
        );
    }
}

#[test]
fn indices_select_features() {
    let d = formats_fixture::dataset();
    for f in FORMATS {
        let bytes = write(f, &d, Layer::Incidents, Some(&[3, 0, 99]), true);
        let back = read(f, &bytes, Layer::Incidents);
        assert_eq!(
            back.incidents,
            vec![d.incidents[3].clone(), d.incidents[0].clone()],
            "{f:?}"
        );
    }
}
