//! KML and KMZ reading, checked against what the test wrote and against GDAL's reading of
//! the same file (`ogr2ogr -f GeoJSON`, LIBKML driver, one call per layer). Fails, not
//! skips, when ogr2ogr or ogrinfo is missing.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use geo::{CoordsIter, HasDimensions};
use geo_core::crs::Crs;
use geo_core::source::{read_bytes, read_path, Source, SourceError, SourceFormat, SourceOptions};
use geo_types::{Coord, Geometry};
use rand::{Rng, SeedableRng};
use serde_json::json;

/// A Google Earth style file: styles, a `Schema`, nested `Folder`s, altitudes,
/// `ExtendedData` both ways, `MultiGeometry`, a `Placemark` without geometry and one outside
/// any `Folder`.
const KML: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2" xmlns:kml="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">
<Document>
  <name>湘西网格</name>
  <Style id="grid_line"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle></Style>
  <StyleMap id="grid_map"><Pair><key>normal</key><styleUrl>#grid_line</styleUrl></Pair></StyleMap>
  <Schema name="grid" id="grid_schema">
    <SimpleField name="code" type="string"></SimpleField>
    <SimpleField name="households" type="int"></SimpleField>
  </Schema>
  <Placemark id="seat">
    <name>州政府</name>
    <LookAt><longitude>109.739</longitude><latitude>28.314</latitude><range>1000</range></LookAt>
    <Point><altitudeMode>clampToGround</altitudeMode><coordinates>109.7391234,28.3145678,0</coordinates></Point>
  </Placemark>
  <Folder>
    <name>吉首市</name>
    <open>1</open>
    <Placemark id="grid-3">
      <name>世纪社区第3网格</name>
      <description><![CDATA[<b>网格长</b>: 张三 & 李四]]></description>
      <styleUrl>#grid_map</styleUrl>
      <ExtendedData>
        <SchemaData schemaUrl="#grid_schema">
          <SimpleData name="code">433101001001003</SimpleData>
          <SimpleData name="households">312</SimpleData>
        </SchemaData>
      </ExtendedData>
      <Polygon>
        <tessellate>1</tessellate>
        <outerBoundaryIs><LinearRing><coordinates>
          109.7123456,28.2112345,12.5 109.7145678,28.2109876,12.5 109.7151234,28.2134567,12.5 109.7119876,28.2141234,12.5 109.7123456,28.2112345,12.5
        </coordinates></LinearRing></outerBoundaryIs>
        <innerBoundaryIs><LinearRing><coordinates>
          109.713,28.212,12.5 109.713,28.213,12.5 109.714,28.213,12.5 109.714,28.212,12.5 109.713,28.212,12.5
        </coordinates></LinearRing></innerBoundaryIs>
      </Polygon>
    </Placemark>
    <Folder>
      <name>乾州街道</name>
      <Placemark id="cam-1">
        <name>乾州摄像头 &amp; 路口</name>
        <ExtendedData>
          <Data name="status"><displayName>状态</displayName><value>online</value></Data>
          <Data name="ptz_type"><value>dome</value></Data>
        </ExtendedData>
        <Point><coordinates>109.715,28.215,312.5</coordinates></Point>
      </Placemark>
      <Placemark>
        <name>两块</name>
        <MultiGeometry>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>109.73,28.21,0 109.74,28.21,0 109.74,28.22,0 109.73,28.21,0</coordinates></LinearRing></outerBoundaryIs></Polygon>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>109.75,28.21,0 109.76,28.21,0 109.76,28.22,0 109.75,28.21,0</coordinates></LinearRing></outerBoundaryIs></Polygon>
        </MultiGeometry>
      </Placemark>
      <Placemark>
        <name>混合</name>
        <MultiGeometry>
          <Point><coordinates>109.7,28.3,5</coordinates></Point>
          <LineString><coordinates>109.7,28.3,5 109.8,28.4,6</coordinates></LineString>
        </MultiGeometry>
      </Placemark>
      <Placemark><name>无几何</name><description>待补</description></Placemark>
      <Placemark>
        <name>巡逻</name>
        <LineString><tessellate>1</tessellate><coordinates>
          109.7,28.3,100 109.71,28.31,110 109.72,28.33,120
        </coordinates></LineString>
      </Placemark>
    </Folder>
  </Folder>
  <Folder>
    <name>峒河街道</name>
    <Placemark><name>峒河网格</name><Polygon><outerBoundaryIs><LinearRing><coordinates>109.6,28.3 109.61,28.3 109.61,28.31 109.6,28.3</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
  </Folder>
</Document>
</kml>
"##;

fn opts() -> SourceOptions {
    SourceOptions::default()
}

fn layer(l: &str) -> SourceOptions {
    SourceOptions {
        layer: Some(l.to_owned()),
        ..opts()
    }
}

fn names(src: &Source) -> Vec<&str> {
    src.features
        .iter()
        .map(|f| f.properties["name"].as_str().unwrap())
        .collect()
}

fn coords(g: &Geometry<f64>) -> Vec<Coord<f64>> {
    g.coords_iter().collect()
}

fn kmz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn placemarks_in_folders_become_features() {
    let src = read_bytes("xiangxi.kml", KML.as_bytes(), &opts()).unwrap();
    assert_eq!(src.format, Some(SourceFormat::Kml));
    assert_eq!(src.crs, Some(Crs::LonLat { epsg: 4326 }));
    assert_eq!(src.layer_name.as_deref(), Some("湘西网格"));
    assert!(src.problems.is_empty(), "{:?}", src.problems);
    assert_eq!(
        names(&src),
        [
            "州政府",
            "世纪社区第3网格",
            "乾州摄像头 & 路口",
            "两块",
            "混合",
            "无几何",
            "巡逻",
            "峒河网格"
        ]
    );
    let f: HashMap<&str, _> = names(&src).into_iter().zip(&src.features).collect();

    // Ids, folders, ExtendedData, description (CDATA kept as text).
    let seat = f["州政府"];
    assert_eq!(seat.fid.as_deref(), Some("seat"));
    assert!(!seat.properties.contains_key("folder"));
    let grid = f["世纪社区第3网格"];
    assert_eq!(grid.fid.as_deref(), Some("grid-3"));
    assert_eq!(grid.properties["folder"], json!("吉首市"));
    assert_eq!(grid.properties["code"], json!("433101001001003"));
    assert_eq!(grid.properties["households"], json!("312"));
    assert_eq!(
        grid.properties["description"],
        json!("<b>网格长</b>: 张三 & 李四")
    );
    let cam = f["乾州摄像头 & 路口"];
    assert_eq!(cam.fid.as_deref(), Some("cam-1"));
    assert_eq!(cam.properties["folder"], json!("乾州街道"));
    assert_eq!(cam.properties["status"], json!("online"));
    assert_eq!(cam.properties["ptz_type"], json!("dome"));
    assert!(f["无几何"].geometry.is_none());
    assert_eq!(f["无几何"].properties["description"], json!("待补"));
    assert_eq!(
        src.features.iter().map(|x| x.index).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );

    // Geometries, altitude dropped.
    let Some(Geometry::Point(p)) = cam.geometry else {
        panic!("{:?}", cam.geometry)
    };
    assert_eq!((p.x(), p.y()), (109.715, 28.215));
    let Some(Geometry::Polygon(poly)) = &grid.geometry else {
        panic!("{:?}", grid.geometry)
    };
    assert_eq!(poly.exterior().0.len(), 5);
    assert_eq!(poly.interiors().len(), 1);
    assert_eq!(
        poly.exterior().0[1],
        Coord {
            x: 109.714_567_8,
            y: 28.210_987_6
        }
    );
    assert!(matches!(&f["两块"].geometry, Some(Geometry::MultiPolygon(m)) if m.0.len() == 2));
    assert!(matches!(&f["混合"].geometry, Some(Geometry::GeometryCollection(c)) if c.0.len() == 2));
    assert!(matches!(&f["巡逻"].geometry, Some(Geometry::LineString(l)) if l.0.len() == 3));
}

#[test]
fn kmz_reads_its_doc_kml_and_layer_picks_a_folder() {
    let plain = read_bytes("xiangxi.kml", KML.as_bytes(), &opts()).unwrap();
    let other = KML.replace("湘西网格", "别的");
    let zipped = kmz(&[
        ("aaa.kml", other.as_bytes()),
        ("doc.kml", KML.as_bytes()),
        ("files/icon.png", b"\x89PNG"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("湘西.kmz");
    std::fs::write(&path, &zipped).unwrap();
    let src = read_path(&path, &opts()).unwrap();
    assert_eq!(src.features, plain.features);
    assert_eq!(src.layer_name.as_deref(), Some("湘西网格"));
    // Without a doc.kml, the first .kml.
    let first = kmz(&[("a/first.kml", KML.as_bytes()), ("b.kml", other.as_bytes())]);
    assert_eq!(
        read_bytes("x.kmz", &first, &opts()).unwrap().features,
        plain.features
    );
    let none = kmz(&[("readme.txt", b"no kml")]);
    assert!(matches!(
        read_bytes("x.kmz", &none, &opts()),
        Err(SourceError::Missing(_))
    ));

    let qz = read_bytes("x.kml", KML.as_bytes(), &layer("乾州街道")).unwrap();
    assert_eq!(qz.layer_name.as_deref(), Some("乾州街道"));
    assert_eq!(
        names(&qz),
        ["乾州摄像头 & 路口", "两块", "混合", "无几何", "巡逻"]
    );
    // A Folder holds its sub-folders' Placemarks; indexes stay positions in the file.
    let js = read_bytes("x.kml", KML.as_bytes(), &layer("吉首市")).unwrap();
    assert_eq!(js.features.len(), 6);
    assert_eq!(js.features[0].index, 1);
    let err = read_bytes("x.kml", KML.as_bytes(), &layer("矮寨镇"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("矮寨镇") && err.contains("吉首市, 乾州街道, 峒河街道"),
        "{err}"
    );
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} could not be started ({e}); it is required"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// GDAL's features of every layer of `path`: (Name, geometry).
fn gdal_features(path: &Path, dir: &Path) -> Vec<(String, Option<Geometry<f64>>)> {
    let list = run(
        Command::new("ogrinfo").arg("-q").arg(path),
        "ogrinfo (Debian gdal-bin)",
    );
    let layers: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(_, n)| n.rsplit_once(" (").map_or(n, |(n, _)| n).trim().to_owned())
        .collect();
    assert!(layers.len() >= 3, "{list}");
    let mut out = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let json = dir.join(format!("layer{i}.geojson"));
        run(
            Command::new("ogr2ogr")
                .args(["-f", "GeoJSON"])
                .arg(&json)
                .arg(path)
                .arg(l),
            "ogr2ogr (Debian gdal-bin)",
        );
        let fc: geojson::FeatureCollection =
            std::fs::read_to_string(&json).unwrap().parse().unwrap();
        for f in fc.features {
            let name = f
                .property("Name")
                .and_then(|v| v.as_str())
                .unwrap()
                .to_owned();
            let g = f.geometry.map(|g| Geometry::<f64>::try_from(g).unwrap());
            out.push((name, g));
        }
    }
    out
}

#[test]
fn geometries_match_gdal() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("xiangxi.kml");
    std::fs::write(&kml, KML).unwrap();
    let ours = read_path(&kml, &opts()).unwrap();
    let theirs = gdal_features(&kml, dir.path());
    assert_eq!(theirs.len(), ours.features.len(), "{theirs:?}");
    for (name, g) in &theirs {
        let f = ours
            .features
            .iter()
            .find(|f| f.properties["name"] == json!(name))
            .unwrap_or_else(|| panic!("GDAL has {name}, onemap does not"));
        match (g, &f.geometry) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                assert_eq!(coords(a), coords(b), "{name}");
                assert_eq!(a.dimensions(), b.dimensions(), "{name}");
                assert_eq!(
                    std::mem::discriminant(a),
                    std::mem::discriminant(b),
                    "{name}: GDAL {a:?}\nonemap {b:?}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn broken_kml_is_an_error_never_a_hang_or_panic() {
    let cut = &KML.as_bytes()[..KML.len() / 2];
    assert!(read_bytes("cut.kml", cut, &opts()).is_err());
    assert!(read_bytes("junk.kml", b"\x00\xff not xml at all <<<", &opts()).is_err());
    assert!(read_bytes("empty.kml", b"", &opts()).is_err());
    assert!(read_bytes("junk.kmz", b"PK\x03\x04garbage", &opts()).is_err());
    let bad = KML.replace("109.715,28.215,312.5", "109.715,north,312.5");
    assert!(read_bytes("bad.kml", bad.as_bytes(), &opts()).is_err());
    // A KMZ whose doc.kml is cut short.
    let z = kmz(&[("doc.kml", cut)]);
    assert!(read_bytes("cut.kmz", &z, &opts()).is_err());

    // Bytes flipped and files cut anywhere: whatever comes out, it comes out.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for round in 0..400 {
        let mut bytes = KML.as_bytes().to_vec();
        for _ in 0..rng.random_range(1..6) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] = *b"<>/\"&;, 0x\xff"
                .get(rng.random_range(0..12))
                .unwrap_or(&b'a');
        }
        if round % 2 == 0 {
            bytes.truncate(rng.random_range(0..bytes.len()));
        }
        let _ = read_bytes("fuzz.kml", &bytes, &opts());
    }
}
