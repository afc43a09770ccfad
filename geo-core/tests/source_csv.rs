//! The generic CSV reader: GBK with Chinese headers, WKT columns (cross-checked against
//! GDAL's CSV driver), delimiters, overrides, bad rows, detection failures, garbage.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod source_common;

use geo_core::source::{read_bytes, Source, SourceError, SourceFormat, SourceOptions};
use geo_types::{Geometry, Point};
use serde_json::json;
use source_common::{assert_coords_close, coords, geojson_geometries, ogr2ogr};

fn read(bytes: &[u8], opts: &SourceOptions) -> Source {
    let s = read_bytes("input.csv", bytes, opts).unwrap();
    assert_eq!(s.format, Some(SourceFormat::Csv));
    assert_eq!(s.crs, None);
    s
}

fn point(s: &Source, i: usize) -> (f64, f64) {
    match &s.features[i].geometry {
        Some(Geometry::Point(p)) => (p.x(), p.y()),
        other => panic!("feature {i}: {other:?}"),
    }
}

#[test]
fn gbk_with_chinese_lon_lat_headers() {
    let text = "编号,名称,经度,纬度,类型\r\n001,吉首市乾州街道摄像头,109.7123,28.3123,球机\r\n002,花垣县边城镇,109.48,28.57,\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the fixture must not be UTF-8"
    );

    let s = read(&gbk, &SourceOptions::default());
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let enc = s.encoding.as_ref().unwrap();
    assert_eq!((enc.name.as_str(), enc.declared), ("gb18030", false));
    assert_eq!(s.features.len(), 2);
    assert_eq!(point(&s, 0), (109.7123, 28.3123));
    assert_eq!(point(&s, 1), (109.48, 28.57));
    let p = &s.features[0].properties;
    assert_eq!(p["编号"], json!("001"));
    assert_eq!(p["名称"], json!("吉首市乾州街道摄像头"));
    assert_eq!(p["类型"], json!("球机"));
    assert!(!p.contains_key("经度") && !p.contains_key("纬度"), "{p:?}");
    assert_eq!(s.features[1].properties["类型"], json!(null));
    assert_eq!(s.features[1].properties["名称"], json!("花垣县边城镇"));

    // Declared encoding wins (and is reported as declared).
    let opts = SourceOptions {
        encoding: Some("CP936".to_owned()),
        ..SourceOptions::default()
    };
    let d = read(&gbk, &opts);
    assert!(d.encoding.as_ref().unwrap().declared);
    assert_eq!(d.features, s.features);
    // Declared wrongly: the Chinese headers are garbled, so no coordinate column is found;
    // the file reads as a table and the note says so (the layer then refuses or accepts
    // rows without geometry).
    let wrong = SourceOptions {
        encoding: Some("windows-1252".to_owned()),
        ..SourceOptions::default()
    };
    let t = read_bytes("input.csv", &gbk, &wrong).unwrap();
    assert!(t.features.iter().all(|f| f.geometry.is_none()));
    assert!(
        t.notes.iter().any(|n| n.contains("no coordinate columns")),
        "{:?}",
        t.notes
    );
    let unknown = SourceOptions {
        encoding: Some("klingon".to_owned()),
        ..SourceOptions::default()
    };
    let e = read_bytes("input.csv", &gbk, &unknown).unwrap_err();
    assert!(e.to_string().contains("klingon"), "{e}");
}

const WKT_CSV: &str = r#"id,name,WKT,area
g1,第一网格,"POLYGON ((109.7 28.3, 109.71 28.3, 109.71 28.31, 109.7 28.31, 109.7 28.3))",1.5
g2,第二网格,"MULTIPOLYGON (((109.72 28.3, 109.74 28.3, 109.74 28.32, 109.72 28.32, 109.72 28.3), (109.725 28.305, 109.73 28.305, 109.73 28.31, 109.725 28.305)), ((109.75 28.3, 109.76 28.3, 109.76 28.31, 109.75 28.3)))",2
p1,点,POINT (109.123456789012 28.987654321098),
l1,线,"LINESTRING (109.1 28.1, 109.2 28.15, 109.3 28.1)",
e1,空,,
b1,坏,"POLYGON ((109.7 28.3, 109.71",
"#;

#[test]
fn wkt_column_matches_gdal() {
    let s = read(WKT_CSV.as_bytes(), &SourceOptions::default());
    assert_eq!(s.features.len(), 5, "{:?}", s.problems);
    assert_eq!(s.problems.len(), 1);
    assert_eq!(s.problems[0].index, 5);
    assert!(s.problems[0].message.contains("WKT"), "{}", s.problems[0]);
    assert_eq!(s.features[4].geometry, None);
    assert_eq!(s.features[0].properties["name"], json!("第一网格"));
    assert_eq!(s.features[0].properties["area"], json!("1.5"));
    assert_eq!(s.features[2].properties["area"], json!(null));
    assert!(!s.features[0].properties.contains_key("WKT"));

    // GDAL's CSV driver reads the same file independently.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, WKT_CSV.lines().take(5).collect::<Vec<_>>().join("\n")).unwrap();
    let out = dir.path().join("out.geojson");
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        out.to_str().unwrap(),
        csv.to_str().unwrap(),
        "-oo",
        "GEOM_POSSIBLE_NAMES=wkt",
        "-oo",
        "KEEP_GEOM_COLUMNS=NO",
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    let gdal = geojson_geometries(&text);
    assert_eq!(gdal.len(), 4);
    for (i, g) in gdal.iter().enumerate() {
        let ours = s.features[i].geometry.as_ref().unwrap();
        assert_eq!(
            std::mem::discriminant(ours),
            std::mem::discriminant(g),
            "row {i}: {ours:?} vs {g:?}"
        );
        assert_coords_close(&coords(ours), &coords(g), 1e-12, &format!("row {i}"));
    }
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    for (f, ours) in fc.features.iter().zip(&s.features) {
        let props = f.properties.as_ref().unwrap();
        assert_eq!(props["name"], ours.properties["name"]);
        assert_eq!(props["id"], ours.properties["id"]);
    }
}

#[test]
fn semicolons_decimal_commas_bom_and_tabs() {
    let s = read(
        "name;x;y\nA;116,42079;39,90105\nB;116.5;40.0\n".as_bytes(),
        &SourceOptions::default(),
    );
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(point(&s, 0), (116.42079, 39.90105));
    assert_eq!(point(&s, 1), (116.5, 40.0));

    let s = read(
        "\u{feff}Name\tLNG\tLat\r\n甲\t116.1\t39.1\r\n".as_bytes(),
        &SourceOptions::default(),
    );
    assert_eq!(s.encoding.as_ref().unwrap().name, "UTF-8");
    assert_eq!(s.features[0].properties["Name"], json!("甲"));
    assert_eq!(point(&s, 0), (116.1, 39.1));

    let s = read(
        "a|longitude|latitude\n\"x|y\"|1.5|2.5\n".as_bytes(),
        &SourceOptions::default(),
    );
    assert_eq!(s.features[0].properties["a"], json!("x|y"));
    assert_eq!(point(&s, 0), (1.5, 2.5));
}

#[test]
fn options_override_detection() {
    let text = "code,E,N,outline,lon,lat\nc1,500000.5,3100000.25,POINT (3 4),1,2\n";
    let s = read(
        text.as_bytes(),
        &SourceOptions {
            lon: Some("e".to_owned()),
            lat: Some("N".to_owned()),
            ..SourceOptions::default()
        },
    );
    assert_eq!(point(&s, 0), (500_000.5, 3_100_000.25));
    assert_eq!(s.features[0].properties["lon"], json!("1"));

    let s = read(
        text.as_bytes(),
        &SourceOptions {
            wkt: Some("outline".to_owned()),
            ..SourceOptions::default()
        },
    );
    assert_eq!(
        s.features[0].geometry,
        Some(Geometry::Point(Point::new(3.0, 4.0)))
    );

    // Detected without options: lon/lat (no WKT-named column).
    assert_eq!(
        point(&read(text.as_bytes(), &SourceOptions::default()), 0),
        (1.0, 2.0)
    );

    let e = read_bytes(
        "input.csv",
        text.as_bytes(),
        &SourceOptions {
            wkt: Some("shape".to_owned()),
            ..SourceOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("code, E, N, outline, lon, lat"),
        "{e}"
    );

    // A WKT-named column that holds no WKT does not win over lon/lat.
    let s = read(
        "shape,lon,lat\nsquare,1,2\n".as_bytes(),
        &SourceOptions::default(),
    );
    assert_eq!(point(&s, 0), (1.0, 2.0));
    assert_eq!(s.features[0].properties["shape"], json!("square"));
}

#[test]
fn a_bad_row_is_a_problem_and_the_rest_is_read() {
    let s = read(
        "name,lon,lat\na,109.1,28.1\nb,abc,28.2\nc,109.3,\nd,109.4,28.4\n,,\ne,\"109°30'\",28.5\n"
            .as_bytes(),
        &SourceOptions::default(),
    );
    let names: Vec<_> = s
        .features
        .iter()
        .map(|f| f.properties["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "d"]);
    assert_eq!(s.features[1].index, 3);
    let idx: Vec<usize> = s.problems.iter().map(|p| p.index).collect();
    assert_eq!(idx, [1, 2, 5], "{:?}", s.problems);
    assert!(s.problems[0].message.contains("lon") && s.problems[0].message.contains("abc"));
    assert!(s.problems[2].message.contains("degrees-minutes-seconds"));
}

#[test]
fn no_geometry_columns_is_a_table_and_says_which_option_to_pass() {
    // A roster has no coordinates: it reads as a table, and the note says how to name
    // coordinate columns if the file has them under other names.
    let s = read_bytes(
        "people.csv",
        "name,phone\n王五,139\n".as_bytes(),
        &SourceOptions::default(),
    )
    .unwrap();
    assert_eq!(s.features.len(), 1);
    assert!(s.features[0].geometry.is_none());
    assert_eq!(s.features[0].properties["name"], "王五");
    let m = s.notes.join("\n");
    for part in ["name, phone", "--lon", "--lat", "--wkt"] {
        assert!(m.contains(part), "{part:?} not in {m}");
    }
    // Only one of the two coordinates is a mistake, not a table.
    let e = read_bytes(
        "half.csv",
        "name,lon\n王五,109\n".as_bytes(),
        &SourceOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, SourceError::Missing(_)), "{e}");
    let e = read_bytes("empty.csv", b"", &SourceOptions::default()).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn garbage_never_panics() {
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let seeds: [&[u8]; 4] = [
        WKT_CSV.as_bytes(),
        b"name,lon,lat\n\"a,1,2\n",
        b"wkt\nGEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(1 2)))\n",
        b"\xff\xfe\x00x\x00,\x00y\n",
    ];
    for seed in seeds {
        for n in 0..seed.len() {
            let _ = read_bytes("cut.csv", &seed[..n], &SourceOptions::default());
        }
        for _ in 0..300 {
            let mut b = seed.to_vec();
            for _ in 0..4 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let i = (rng % b.len() as u64) as usize;
                b[i] = (rng >> 40) as u8;
            }
            let _ = read_bytes("noise.csv", &b, &SourceOptions::default());
        }
    }
}
