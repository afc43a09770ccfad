//! Bad input: every problem reported with the right index, id and message; the good
//! features kept; and no input at all makes a reader panic.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod formats_fixture;

use geo_core::formats::{
    layer_to_features, read_csv, read_geojson, read_ndjson, write_csv, write_geojson, write_ndjson,
    CsvOptions, Problem, ReadReport,
};
use geo_core::model::{Dataset, Layer};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// The features of `layer` as JSON values, to corrupt.
fn values(layer: Layer) -> Vec<Value> {
    layer_to_features(&formats_fixture::dataset(), layer, None, true)
        .into_iter()
        .map(|f| serde_json::to_value(f).unwrap())
        .collect()
}

fn collection(features: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

fn ndjson(features: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in features {
        serde_json::to_writer(&mut out, f).unwrap();
        out.push(b'\n');
    }
    out
}

fn find(report: &ReadReport, index: usize) -> &Problem {
    report
        .problems
        .iter()
        .find(|p| p.index == index)
        .unwrap_or_else(|| panic!("no problem at {index}: {report}"))
}

/// Reads the corrupted features as `GeoJSON` and as NDJSON; both must give the same report.
fn read_both(features: &[Value], layer: Layer) -> ReadReport {
    let (_, a) = read_geojson(collection(features).as_slice(), layer).unwrap();
    let (_, b) = read_ndjson(ndjson(features).as_slice(), layer).unwrap();
    assert_eq!(a, b);
    a
}

#[test]
fn grid_problems_name_feature_and_id() {
    let mut fs = values(Layer::Grids);
    let n = fs.len();
    fs[1]["id"] = json!("43310100100100");
    fs[2]["properties"]["valid_from"] = json!("yesterday");
    fs.push(json!(17));
    let mut g = fs[0].clone();
    g["properties"].as_object_mut().unwrap().remove("kind");
    fs.push(g);
    let r = read_both(&fs, Layer::Grids);
    assert_eq!(r.features, n - 2);
    assert_eq!(r.problems.len(), 4, "{r}");
    let p = find(&r, 1);
    assert_eq!(
        p.to_string(),
        "feature 1 (id 43310100100100): grid code \"43310100100100\" has 14 digits; a grid code has 15"
    );
    let p = find(&r, 2);
    assert_eq!(p.id.as_deref(), Some("433101001001002"));
    assert!(
        p.message.contains("valid_from") && p.message.contains("yesterday"),
        "{p}"
    );
    assert!(find(&r, n).message.contains("not a GeoJSON Feature"));
    assert_eq!(find(&r, n + 1).message, "missing required property kind");
}

#[test]
fn point_problems() {
    let mut fs = values(Layer::Cameras);
    fs[0]["geometry"]["coordinates"] = json!([200.0, 28.0]);
    fs[1]["geometry"] = json!({"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]});
    let mut extra = fs[0].clone();
    extra["geometry"] = Value::Null;
    fs.push(extra);
    let mut extra = fs[0].clone();
    extra["geometry"]["coordinates"] = json!([109.0]);
    fs.push(extra);
    let mut extra = fs[0].clone();
    extra["geometry"]["coordinates"] = json!([109.0, 28.0]);
    extra["properties"]["direction"] = json!(9);
    fs.push(extra);
    let r = read_both(&fs, Layer::Cameras);
    assert_eq!(r.features, 0, "{r}");
    assert_eq!(find(&r, 0).message, "lon 200.0 is out of range -180..180");
    assert_eq!(find(&r, 0).id.as_deref(), Some("43310100001320000001"));
    assert_eq!(
        find(&r, 1).message,
        "geometry is a LineString; layer cameras needs a Point"
    );
    assert_eq!(find(&r, 2).message, "missing geometry");
    assert!(find(&r, 3).message.contains("two or more elements"), "{r}");
    assert_eq!(find(&r, 4).message, "property direction: 9 is not 1-8");
}

#[test]
fn incident_and_patrol_problems() {
    let mut fs = values(Layer::Incidents);
    fs[0]["properties"]["subcategory"] = json!("garbage");
    fs[1]["properties"]["closed_at"] = json!("2000-01-01T00:00:00Z");
    fs[2]["id"] = json!("abc");
    fs[3]["properties"]["people"] = json!(-1);
    fs[4]["properties"]["status"] = json!(3);
    fs[5]["properties"]["reported_at"] = json!(i64::MIN);
    fs[5]["properties"]["closed_at"] = json!(i64::MAX);
    let r = read_both(&fs, Layer::Incidents);
    assert_eq!(r.problems.len(), 6, "{r}");
    assert_eq!(
        find(&r, 5).message,
        format!("property reported_at: time {} is out of range", i64::MIN)
    );
    assert!(
        find(&r, 0)
            .message
            .contains("\"garbage\" is not a subcategory of public_security"),
        "{r}"
    );
    assert!(find(&r, 1).message.contains("before the report"), "{r}");
    assert_eq!(
        find(&r, 2).message,
        "incident id \"abc\" is not a whole number"
    );
    assert_eq!(find(&r, 3).message, "property people: -1 is out of range");
    assert!(find(&r, 4)
        .message
        .starts_with("property status: \"3\" is not one of reported, accepted"));

    let mut ps = values(Layer::Patrols);
    ps[0]["properties"]["times"].as_array_mut().unwrap().pop();
    ps[1]["properties"]["times"] = json!(["2023-11-14T22:13:20Z", "2023-11-14T22:13:19Z"]);
    let r = read_both(&ps, Layer::Patrols);
    assert_eq!(
        find(&r, 0).message,
        "property times has 4 times for 5 vertices; a patrol needs one time per vertex"
    );
    assert!(find(&r, 1).message.contains("must be ascending"));
}

#[test]
fn broken_files_keep_what_came_before() {
    let d = formats_fixture::dataset();
    let mut gj = Vec::new();
    write_geojson(&d, Layer::Incidents, None, true, &mut gj).unwrap();
    // Cut inside the fourth feature: three are kept, the break is reported at index 3.
    let cut = gj
        .windows(8)
        .enumerate()
        .filter(|(_, w)| *w == b"\"Feature")
        .nth(4) // the first is "FeatureCollection"
        .unwrap()
        .0
        + 20;
    let (data, r) = read_geojson(&gj[..cut], Layer::Incidents).unwrap();
    assert_eq!(data.incidents, d.incidents[..3].to_vec());
    assert_eq!(r.problems.len(), 1, "{r}");
    assert_eq!(r.problems[0].index, 3);
    assert!(r.problems[0].message.contains("EOF"), "{r}");

    let mut nd = Vec::new();
    write_ndjson(&d, Layer::Incidents, None, true, &mut nd).unwrap();
    let lines: Vec<&[u8]> = nd.split(|&b| b == b'\n').collect();
    let mut broken = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 2 {
            broken.extend_from_slice(b"\n   \n");
        }
        broken.extend_from_slice(if i == 4 { &l[..l.len() / 2] } else { l });
        broken.push(b'\n');
    }
    let (data, r) = read_ndjson(broken.as_slice(), Layer::Incidents).unwrap();
    assert_eq!(data.incidents.len(), d.incidents.len() - 1);
    // Two blank lines were inserted before line 2, so the cut line 4 is line 6.
    assert_eq!(r.problems.len(), 1, "{r}");
    assert_eq!(r.problems[0].index, 6);
    assert!(r.problems[0].message.contains("not valid JSON"));
}

#[test]
fn csv_problems() {
    let csv = "\u{feff}ID,Longitude,Latitude,level,name\n\
        433101,109.7,28.2,county,吉首市综治中心\n\
        433102,abc,28.2,county,x\n\
        433103,200,28.2,county,x\n\
        433104,109.7,28.2,county\n\
        ,109.7,28.2,county,x\n\
        433105,109.7,28.2,town,x\n\
        433106,,,county,x\n";
    let mut bytes = csv.as_bytes().to_vec();
    bytes.extend_from_slice(b"433107,109.7,28.2,county,\xff\xfe\n433108,1,2,county,ok\n");
    let (data, r) = read_csv(bytes.as_slice(), Layer::Centers, &CsvOptions::default()).unwrap();
    assert_eq!(data.centers.len(), 2, "{r}");
    assert_eq!(data.centers[0].name, "吉首市综治中心");
    assert_eq!(r.problems.len(), 7, "{r}");
    assert_eq!(
        find(&r, 1).to_string(),
        "feature 1 (id 433102): lon \"abc\" is not a number"
    );
    assert_eq!(find(&r, 2).message, "lon 200.0 is out of range -180..180");
    assert_eq!(find(&r, 3).message, "row has 4 fields; the header has 5");
    assert_eq!(find(&r, 4).message, "missing id");
    assert!(find(&r, 5)
        .message
        .contains("\"town\" is not one of province"));
    assert_eq!(find(&r, 6).message, "missing lon/lat");
    assert!(
        find(&r, 7)
            .message
            .contains("column name is not valid UTF-8"),
        "{r}"
    );

    // Overrides, WKT columns and a header with no geometry.
    let csv = "fid;经度;纬度;level;name\n433101;109.7;28.2;county;a\n";
    let opts = CsvOptions {
        delimiter: b';',
        id: Some("FID".into()),
        ..CsvOptions::default()
    };
    let (d, r) = read_csv(csv.as_bytes(), Layer::Centers, &opts).unwrap();
    assert!(r.is_clean(), "{r}");
    assert_eq!(
        (d.centers[0].location.x(), d.centers[0].location.y()),
        (109.7, 28.2)
    );
    let opts = CsvOptions {
        wkt: Some("shape".into()),
        ..CsvOptions::default()
    };
    let (_, r) = read_csv("id,lon,lat\n1,2,3\n".as_bytes(), Layer::Centers, &opts).unwrap();
    assert!(
        r.problems[0].message.starts_with("no WKT column \"shape\""),
        "{r}"
    );
    let csv = "code,x,y,level,name\n433101,1,2,county,a\n";
    let opts = CsvOptions {
        lon: Some("y".into()),
        lat: Some("x".into()),
        ..CsvOptions::default()
    };
    let (d, r) = read_csv(csv.as_bytes(), Layer::Centers, &opts).unwrap();
    assert!(r.is_clean(), "{r}");
    assert_eq!(
        (d.centers[0].location.x(), d.centers[0].location.y()),
        (2.0, 1.0)
    );
    let csv = "id,geometry,level,name\n433101,POINT (1 2),county,a\n433102,POINT (1,county,b\n";
    let (d, r) = read_csv(csv.as_bytes(), Layer::Centers, &CsvOptions::default()).unwrap();
    assert_eq!(d.centers.len(), 1);
    assert!(find(&r, 1).message.contains("cannot be read"), "{r}");
    let (_, r) = read_csv(
        "id,name\n1,a\n".as_bytes(),
        Layer::Centers,
        &CsvOptions::default(),
    )
    .unwrap();
    assert!(
        r.problems[0].message.starts_with("no geometry columns"),
        "{r}"
    );
    let (_, r) = read_csv("".as_bytes(), Layer::Centers, &CsvOptions::default()).unwrap();
    assert!(r.problems[0].message.contains("empty"), "{r}");
}

#[test]
fn fixed_garbage_never_panics() {
    let deep = "[".repeat(100_000);
    let mut inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"{".to_vec(),
        b"{\"type\":\"FeatureCollection\",\"features\":{}}".to_vec(),
        b"{\"type\":\"FeatureCollection\",\"features\":[".to_vec(),
        b"{\"type\":\"Feature\"}".to_vec(),
        b"{\"features\":[{\"type\":\"Feature\",\"id\":1e400,\"geometry\":{\"type\":\"Point\",\"coordinates\":[1e400,NaN]},\"properties\":{}}]}".to_vec(),
        b"{\"features\":[{\"type\":\"Feature\",\"id\":18446744073709551616,\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]},\"properties\":{\"people\":1e300,\"reported_at\":99999999999999999999,\"deadline\":-9223372036854775808,\"times\":[1,\"x\"]}}]}".to_vec(),
        b"{\"features\":[{\"type\":\"Feature\",\"id\":\"1\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[]},\"properties\":null}]}".to_vec(),
        b"{\"features\":[{\"type\":\"Feature\",\"id\":\"1\",\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[[]]]},\"properties\":[]}]}".to_vec(),
        b"{\"features\":[{\"type\":\"Feature\",\"id\":\"1\",\"geometry\":{\"type\":\"GeometryCollection\",\"geometries\":[]},\"properties\":{}}]}".to_vec(),
        b"{\"features\":[{\"type\":\"Feature\",\"id\":\"\xff\xfe\",\"geometry\":null}]}".to_vec(),
        deep.clone().into_bytes(),
        format!("{{\"features\":{deep}").into_bytes(),
        b"id,wkt\n1,POINT EMPTY\n2,POLYGON EMPTY\n3,LINESTRING(0 0)\n4,POLYGON((0 0))\n5,GEOMETRYCOLLECTION(POINT(1 2))\n6,POINT(1e400 0)\n7,POINT(NaN 1)\n".to_vec(),
        b"id,lon,lat,times,grids,workers\n1,inf,-inf,[,[1,\"[\"\n2,1,2,\"[1e400]\",\"[null]\",\"x;;y\"\n\"unterminated".to_vec(),
        vec![0xff; 1000],
        b"\xef\xbb\xbf".to_vec(),
    ];
    for layer in Layer::ALL {
        let d = formats_fixture::dataset();
        for personal in [true, false] {
            let mut v = Vec::new();
            write_geojson(&d, layer, None, personal, &mut v).unwrap();
            inputs.push(v);
            let mut v = Vec::new();
            write_csv(&d, layer, None, personal, &mut v).unwrap();
            inputs.push(v);
        }
    }
    read_everything(&inputs);
}

fn read_everything(inputs: &[Vec<u8>]) -> usize {
    let mut problems = 0;
    for input in inputs {
        for layer in Layer::ALL {
            let (_, a) = read_geojson(input.as_slice(), layer).unwrap();
            let (_, b) = read_ndjson(input.as_slice(), layer).unwrap();
            let (_, c) = read_csv(input.as_slice(), layer, &CsvOptions::default()).unwrap();
            problems += a.problems.len() + b.problems.len() + c.problems.len();
        }
    }
    problems
}

#[test]
fn random_mutations_never_panic() {
    let d: Dataset = formats_fixture::dataset();
    let mut seeds = Vec::new();
    for layer in Layer::ALL {
        for format in 0..3 {
            let mut v = Vec::new();
            match format {
                0 => write_geojson(&d, layer, None, true, &mut v),
                1 => write_ndjson(&d, layer, None, true, &mut v),
                _ => write_csv(&d, layer, None, true, &mut v),
            }
            .unwrap();
            seeds.push(v);
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let nasty: [&[u8]; 12] = [
        b"1e400",
        b"NaN",
        b"-",
        b"\"",
        b",",
        b"\n",
        b"[",
        b"}",
        b"\xff",
        b"null",
        b"-0",
        b"99999999999999999999",
    ];
    let mut inputs = Vec::new();
    for _ in 0..1500 {
        let mut v = seeds[rng.random_range(0..seeds.len())].clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..v.len());
            match rng.random_range(0..4) {
                0 => v.truncate(at),
                1 => v[at] = rng.random(),
                2 => {
                    let s = nasty[rng.random_range(0..nasty.len())];
                    v.splice(at..at, s.iter().copied());
                }
                _ => {
                    let end = (at + rng.random_range(1..50)).min(v.len());
                    v.drain(at..end);
                }
            }
            if v.is_empty() {
                break;
            }
        }
        inputs.push(v);
    }
    assert!(read_everything(&inputs) > 0);
}
