//! Shapefile reading and writing against independent implementations: a GBK Shapefile in a
//! CGCS2000 Gauss-Kruger zone made by GDAL (`ogr2ogr`), its coordinates checked against
//! pyproj; onemap's own exports read back by onemap and by GDAL (`ogrinfo`); broken files.
//! Fails, not skips, when ogr2ogr, ogrinfo or python3 with pyproj is missing.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use geo_core::crs::Crs;
use geo_core::demo::{generate, DemoConfig};
use geo_core::formats::MEASURES;
use geo_core::formats::{dbf_field_name, write_shapefile};
use geo_core::model::{Dataset, Layer};
use geo_core::source::{read_bytes, read_path, Source, SourceError, SourceFormat, SourceOptions};
use geo_types::{Coord, Geometry, LineString};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Polygons as rings of lon/lat positions.
type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

/// The Xiangxi areas of the GBK fixture: (name, code, households, area, polygons).
fn areas() -> Vec<(&'static str, &'static str, i64, f64, Polygons)> {
    let rect = |x0: f64, y0: f64, x1: f64, y1: f64, ccw: bool| {
        let mut r = vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
        if !ccw {
            r.reverse();
        }
        r
    };
    vec![
        // A county with a hole.
        (
            "吉首市",
            "433101",
            98_000,
            1_062.5,
            vec![vec![
                rect(109.60, 28.15, 109.95, 28.45, true),
                rect(109.70, 28.25, 109.75, 28.30, false),
            ]],
        ),
        // A township in two parts.
        (
            "乾州街道",
            "433101001",
            21_000,
            46.25,
            vec![
                vec![rect(109.71, 28.21, 109.72, 28.22, true)],
                vec![rect(109.73, 28.21, 109.741_234_5, 28.223_456_7, true)],
            ],
        ),
        (
            "世纪社区第3网格",
            "433101001001003",
            312,
            0.125,
            vec![vec![vec![
                [109.712_345_6, 28.211_234_5],
                [109.714_567_8, 28.210_987_6],
                [109.715_123_4, 28.213_456_7],
                [109.711_987_6, 28.214_123_4],
                [109.712_345_6, 28.211_234_5],
            ]]],
        ),
        // A rarer character (in GBK, unlike 𠮷).
        (
            "犭家寨村",
            "433101001002",
            87,
            3.5,
            vec![vec![rect(109.8, 28.3, 109.81, 28.31, true)]],
        ),
    ]
}

fn fixture_geojson() -> Value {
    let features: Vec<Value> = areas()
        .into_iter()
        .map(|(name, code, hh, area, polys)| {
            let geometry = if polys.len() == 1 {
                json!({"type": "Polygon", "coordinates": polys[0]})
            } else {
                json!({"type": "MultiPolygon", "coordinates": polys})
            };
            json!({"type": "Feature", "geometry": geometry,
                   "properties": {"name": name, "code": code, "households": hh, "area_km2": area}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
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

/// The GBK Shapefile in EPSG:4545 that GDAL makes of the fixture; returns the `.shp` path.
fn gdal_gbk_shapefile(dir: &Path, name: &str) -> PathBuf {
    let src = dir.join(format!("{name}.geojson"));
    std::fs::write(&src, fixture_geojson().to_string()).unwrap();
    let shp = dir.join(format!("{name}.shp"));
    run(
        Command::new("ogr2ogr")
            .args(["-f", "ESRI Shapefile"])
            .arg(&shp)
            .arg(&src)
            .args(["-t_srs", "EPSG:4545", "-lco", "ENCODING=CP936"]),
        "ogr2ogr (Debian gdal-bin)",
    );
    std::fs::remove_file(&src).unwrap();
    shp
}

/// pyproj's EPSG:4326 -> EPSG:4545 for `points` (what ogr2ogr was asked to do).
fn pyproj_4545(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    const SCRIPT: &str = "import json, sys\n\
from pyproj import Transformer\n\
t = Transformer.from_crs('EPSG:4326', 'EPSG:4545', always_xy=True)\n\
print(json.dumps([list(t.transform(x, y)) for x, y in json.load(sys.stdin)]))\n";
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with pyproj is required");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(points).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pyproj: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The rings of an areal geometry, polygon by polygon, exterior first.
fn rings(g: &Geometry<f64>) -> Vec<Vec<LineString<f64>>> {
    let poly = |p: &geo_types::Polygon<f64>| {
        std::iter::once(p.exterior().clone())
            .chain(p.interiors().iter().cloned())
            .collect()
    };
    match g {
        Geometry::Polygon(p) => vec![poly(p)],
        Geometry::MultiPolygon(mp) => mp.0.iter().map(poly).collect(),
        other => panic!("not an area: {other:?}"),
    }
}

/// Whether closed ring `got` is `want`, whatever its start vertex and direction, every
/// vertex within `tol`.
fn same_ring(got: &[Coord<f64>], want: &[Coord<f64>], tol: f64) -> bool {
    let (g, w) = (&got[..got.len() - 1], &want[..want.len() - 1]);
    if g.len() != w.len() {
        return false;
    }
    let close = |a: Coord<f64>, b: Coord<f64>| (a.x - b.x).abs() <= tol && (a.y - b.y).abs() <= tol;
    let n = g.len();
    (0..n).any(|s| {
        (0..n).all(|i| close(g[(s + i) % n], w[i]))
            || (0..n).all(|i| close(g[(s + n - i) % n], w[i]))
    })
}

fn opts() -> SourceOptions {
    SourceOptions::default()
}

fn by_name(src: &Source) -> Vec<(String, &geo_core::source::SourceFeature)> {
    src.features
        .iter()
        .map(|f| (f.properties["name"].as_str().unwrap_or("").to_owned(), f))
        .collect()
}

fn names(src: &Source) -> Vec<String> {
    by_name(src).into_iter().map(|(n, _)| n).collect()
}

const PRJ_4545_NAME: &str = "CGCS2000_3_Degree_GK_CM_108E";

#[test]
fn gbk_gauss_kruger_shapefile_from_gdal_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let shp = gdal_gbk_shapefile(dir.path(), "xiangxi");
    let cpg = std::fs::read_to_string(shp.with_extension("cpg")).unwrap();
    assert_eq!(cpg.trim(), "CP936", "ogr2ogr wrote the .cpg we expect");

    let src = read_path(&shp, &opts()).unwrap();
    assert_eq!(src.format, Some(SourceFormat::Shapefile));
    assert_eq!(src.layer_name.as_deref(), Some("xiangxi"));
    assert!(src.problems.is_empty(), "{:?}", src.problems);
    let enc = src.encoding.clone().unwrap();
    assert!(enc.declared, "{enc:?}");
    assert_eq!(enc.name, "gb18030");
    let want: Vec<_> = areas().into_iter().map(|a| a.0.to_owned()).collect();
    assert_eq!(names(&src), want);

    // The CRS: the .prj is kept as written, and named when onemap recognises it.
    let prj = src.prj.as_deref().unwrap();
    assert!(prj.contains(PRJ_4545_NAME), "{prj}");
    assert_eq!(src.crs, Crs::from_prj(prj));
    // TODO(from_prj): once Crs::from_prj knows the ESRI Gauss-Kruger names, require
    // `src.crs == Some(GaussKruger { epsg: 4545 })` outright.
    if let Some(crs) = src.crs {
        assert_eq!(crs, Crs::GaussKruger { epsg: 4545 });
    }

    // Attributes: text, integers and reals as the GeoJSON had them.
    for ((name, code, hh, area, polys), f) in areas().into_iter().zip(&src.features) {
        assert_eq!(f.properties["code"], json!(code), "{name}");
        assert_eq!(f.properties["households"], json!(hh), "{name}");
        assert!(f.properties["households"].is_i64(), "{name}");
        assert_eq!(f.properties["area_km2"].as_f64(), Some(area), "{name}");
        // Coordinates: within 1 cm of pyproj, ring for ring.
        let got = rings(f.geometry.as_ref().unwrap());
        assert_eq!(got.len(), polys.len(), "{name}");
        for (gp, wp) in got.iter().zip(&polys) {
            assert_eq!(gp.len(), wp.len(), "{name}: rings");
            for (gr, wr) in gp.iter().zip(wp) {
                let want: Vec<Coord<f64>> = pyproj_4545(wr)
                    .into_iter()
                    .map(|[x, y]| Coord { x, y })
                    .collect();
                assert!(
                    same_ring(&gr.0, &want, 0.01),
                    "{name}: ring\n{:?}\nvs pyproj\n{want:?}",
                    gr.0
                );
            }
        }
    }

    // Without the .cpg, the bytes are recognised as GBK by detection.
    std::fs::remove_file(shp.with_extension("cpg")).unwrap();
    let detected = read_path(&shp, &opts()).unwrap();
    assert_eq!(names(&detected), want);
    assert_eq!(detected.encoding.as_ref().unwrap().name, "gb18030");
    assert!(!detected.encoding.as_ref().unwrap().declared);

    // The DBF's language driver id 0x4D (CP936) is a declaration too.
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[29] = 0x4D;
    std::fs::write(&dbf, &bytes).unwrap();
    let ldid = read_path(&shp, &opts()).unwrap();
    assert_eq!(names(&ldid), want);
    assert!(ldid.encoding.as_ref().unwrap().declared);

    // A .cpg that lies (UTF-8 over GBK bytes): the text comes back with U+FFFD, for the
    // encoding check to flag, and nothing breaks.
    std::fs::write(shp.with_extension("cpg"), "UTF-8").unwrap();
    let lied = read_path(&shp, &opts()).unwrap();
    assert_eq!(lied.features.len(), 4);
    assert_eq!(lied.encoding.as_ref().unwrap().name, "UTF-8");
    assert!(
        names(&lied).iter().all(|n| n.contains('\u{FFFD}')),
        "{:?}",
        names(&lied)
    );
    // ... and --encoding overrides the lie.
    let fixed = read_path(
        &shp,
        &SourceOptions {
            encoding: Some("GBK".to_owned()),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(names(&fixed), want);
}

/// A zip of the given files (name in zip, path on disk).
fn zip_of(files: &[(String, PathBuf)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, path) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&std::fs::read(path).unwrap()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn set_files(shp: &Path, folder: &str) -> Vec<(String, PathBuf)> {
    let stem = shp.file_stem().unwrap().to_string_lossy().into_owned();
    ["shp", "shx", "dbf", "prj", "cpg"]
        .iter()
        .map(|e| {
            // Upper-case extensions, as some Windows tools write them.
            let name = if *e == "dbf" {
                format!("{folder}{stem}.DBF")
            } else {
                format!("{folder}{stem}.{e}")
            };
            (name, shp.with_extension(e))
        })
        .collect()
}

#[test]
fn zipped_sets_read_like_the_files_and_several_need_a_layer() {
    let dir = tempfile::tempdir().unwrap();
    let grids = gdal_gbk_shapefile(dir.path(), "grids");
    let plain = read_path(&grids, &opts()).unwrap();

    let one = zip_of(&set_files(&grids, "湘西/data/"));
    let zipped = read_bytes("upload.zip", &one, &opts()).unwrap();
    assert_eq!(zipped.features, plain.features);
    assert_eq!(zipped.encoding, plain.encoding);
    assert_eq!(zipped.prj, plain.prj);
    assert_eq!(zipped.layer_name.as_deref(), Some("grids"));
    let zip_path = dir.path().join("upload.zip");
    std::fs::write(&zip_path, &one).unwrap();
    assert_eq!(
        read_path(&zip_path, &opts()).unwrap().features,
        plain.features
    );

    let villages = gdal_gbk_shapefile(dir.path(), "villages");
    let mut files = set_files(&grids, "");
    files.extend(set_files(&villages, "other/"));
    let two = zip_of(&files);
    let err = read_bytes("two.zip", &two, &opts()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::Missing(_)), "{msg}");
    assert!(
        msg.contains("grids") && msg.contains("villages") && msg.contains("--layer"),
        "{msg}"
    );
    let chosen = read_bytes(
        "two.zip",
        &two,
        &SourceOptions {
            layer: Some("villages".to_owned()),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(chosen.layer_name.as_deref(), Some("villages"));
    assert_eq!(chosen.features, plain.features);
    let unknown = SourceOptions {
        layer: Some("roads".to_owned()),
        ..opts()
    };
    let msg = read_bytes("two.zip", &two, &unknown)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("roads") && msg.contains("grids, villages"),
        "{msg}"
    );
}

fn small_demo() -> Dataset {
    generate(
        &DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(40)
            .with_cameras(60)
            .with_incidents(10)
            .with_workers(40)
            .with_patrols(6)
            .with_points_per_patrol(25)
            .with_lloyd_steps(0),
    )
    .unwrap()
}

fn ogrinfo(path: &Path, args: &[&str]) -> String {
    run(
        Command::new("ogrinfo").args(args).arg(path),
        "ogrinfo (Debian gdal-bin)",
    )
}

fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in\n{text}"))
        .trim()
}

/// Every vertex of `a` equals the one of `b` within `tol`.
fn assert_coords(a: &Geometry<f64>, b: &Geometry<f64>, tol: f64, what: &str) {
    use geo::CoordsIter;
    let (ca, cb): (Vec<_>, Vec<_>) = (a.coords_iter().collect(), b.coords_iter().collect());
    assert_eq!(ca.len(), cb.len(), "{what}");
    for (p, q) in ca.iter().zip(&cb) {
        assert!(
            (p.x - q.x).abs() <= tol && (p.y - q.y).abs() <= tol,
            "{what}: {p:?} vs {q:?}"
        );
    }
}

/// Checks the GDAL view of an export: feature count, CGCS2000, UTF-8, a Chinese name.
fn check_with_gdal(path: &Path, n: usize, a_name: Option<&str>) {
    let info = ogrinfo(path, &["-al", "-so", "-mdd", "all"]);
    assert_eq!(line(&info, "Feature Count:"), n.to_string(), "{info}");
    assert!(
        info.contains("China Geodetic Coordinate System 2000")
            && info.contains("ID[\"EPSG\",4490]"),
        "{info}"
    );
    assert_eq!(line(&info, "SOURCE_ENCODING="), "UTF-8", "{info}");
    if let Some(name) = a_name {
        let all = ogrinfo(path, &["-al", "-q"]);
        assert!(all.contains(&format!("= {name}")), "{name} not in\n{all}");
    }
}

#[test]
fn exports_read_back_by_onemap_and_gdal() {
    let d = small_demo();
    let dir = tempfile::tempdir().unwrap();

    // Grids: code, name, polygon with all its vertices.
    let path = dir.path().join("grids.shp");
    let n = write_shapefile(&d, Layer::Grids, false, &path).unwrap();
    assert_eq!(n, d.grids.len());
    let src = read_path(&path, &opts()).unwrap();
    assert!(src.problems.is_empty(), "{:?}", src.problems);
    assert_eq!(src.crs, Some(Crs::LonLat { epsg: 4490 }));
    assert_eq!(src.encoding.as_ref().unwrap().name, "UTF-8");
    assert!(src.encoding.as_ref().unwrap().declared);
    assert_eq!(src.features.len(), d.grids.len());
    for (g, f) in d.grids.iter().zip(&src.features) {
        assert_eq!(f.properties["id"], json!(g.code.to_string()));
        assert_eq!(f.properties["name"], json!(g.name));
        assert_eq!(f.properties["village"], json!(g.village.to_string()));
        assert_eq!(f.properties["households"], json!(g.households));
        assert_eq!(
            f.properties["workers"],
            json!(serde_json::to_string(
                &g.workers.iter().map(|w| w.0.clone()).collect::<Vec<_>>()
            )
            .unwrap())
        );
        assert_coords(
            f.geometry.as_ref().unwrap(),
            &Geometry::MultiPolygon(g.geometry.clone()),
            1e-9,
            &g.name,
        );
    }
    check_with_gdal(&path, d.grids.len(), Some(&d.grids[0].name));

    // Cameras: the 20-digit id stays text, position_type is position_t.
    let path = dir.path().join("cameras.shp");
    assert_eq!(
        write_shapefile(&d, Layer::Cameras, false, &path).unwrap(),
        d.cameras.len()
    );
    let src = read_path(&path, &opts()).unwrap();
    assert_eq!(src.features.len(), d.cameras.len());
    let pt = dbf_field_name("position_type");
    assert_eq!(pt, "position_t");
    for (c, f) in d.cameras.iter().zip(&src.features) {
        assert_eq!(f.properties["id"], json!(c.id.to_string()));
        assert_eq!(f.properties["name"], json!(c.name));
        assert_eq!(f.properties[&pt], json!(c.position_type.code()));
        let Some(Geometry::Point(p)) = f.geometry else {
            panic!("camera {} is not a point", c.id);
        };
        assert!((p.x() - c.location.x()).abs() <= 1e-9 && (p.y() - c.location.y()).abs() <= 1e-9);
    }
    check_with_gdal(&path, d.cameras.len(), Some(&d.cameras[0].name));

    // Patrols, zipped: PolyLineM with the vertex times as M.
    let path = dir.path().join("patrols.zip");
    assert_eq!(
        write_shapefile(&d, Layer::Patrols, false, &path).unwrap(),
        d.patrols.len()
    );
    let src = read_path(&path, &opts()).unwrap();
    assert_eq!(src.layer_name.as_deref(), Some("patrols"));
    assert_eq!(src.features.len(), d.patrols.len());
    assert!(!d.patrols.is_empty());
    for (p, f) in d.patrols.iter().zip(&src.features) {
        assert_eq!(f.properties["id"], json!(p.id.0.to_string()));
        assert_eq!(f.properties["worker"], json!(p.worker.0));
        assert!(!f.properties.contains_key("times"));
        assert_eq!(f.properties[MEASURES], json!(p.times));
        assert_coords(
            f.geometry.as_ref().unwrap(),
            &Geometry::LineString(p.track.clone()),
            1e-9,
            "patrol",
        );
    }
    let info = ogrinfo(
        Path::new(&format!("/vsizip/{}", path.display())),
        &["-al", "-so"],
    );
    assert_eq!(line(&info, "Geometry:"), "Measured Line String", "{info}");
    assert_eq!(line(&info, "Feature Count:"), d.patrols.len().to_string());

    // Nothing is overwritten, and a refused export leaves the existing files as they were.
    let before = std::fs::read(dir.path().join("grids.dbf")).unwrap();
    let err = write_shapefile(&d, Layer::Grids, false, &dir.path().join("grids.shp")).unwrap_err();
    assert!(err.to_string().contains("exists"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("grids.dbf")).unwrap(), before);
    std::fs::write(dir.path().join("cams2.cpg"), "x").unwrap();
    assert!(write_shapefile(&d, Layer::Cameras, false, &dir.path().join("cams2.shp")).is_err());
    assert!(!dir.path().join("cams2.shp").exists());
    assert!(write_shapefile(&d, Layer::Patrols, false, &path).is_err());
}

#[test]
fn broken_files_are_errors_or_problems_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let shp = gdal_gbk_shapefile(dir.path(), "good");
    let good: Vec<(String, Vec<u8>)> = ["shp", "shx", "dbf", "prj", "cpg"]
        .iter()
        .map(|e| {
            (
                (*e).to_owned(),
                std::fs::read(shp.with_extension(e)).unwrap(),
            )
        })
        .collect();
    let write_set = |stem: &str, parts: &[(String, Vec<u8>)]| {
        for (e, b) in parts {
            std::fs::write(dir.path().join(format!("{stem}.{e}")), b).unwrap();
        }
        dir.path().join(format!("{stem}.shp"))
    };

    // No .dbf: an error that says so.
    let no_dbf: Vec<_> = good.iter().filter(|(e, _)| e != "dbf").cloned().collect();
    let err = read_path(&write_set("nodbf", &no_dbf), &opts()).unwrap_err();
    assert!(
        matches!(err, SourceError::Missing(_)) && err.to_string().contains(".dbf"),
        "{err}"
    );

    // A .shp cut in the middle of a shape: the shapes before it are read, the rest are
    // problems (with the .shx each is found; without it reading stops).
    let mut cut = good.clone();
    let len = cut[0].1.len();
    cut[0].1.truncate(len - 40);
    let src = read_path(&write_set("cut", &cut), &opts()).unwrap();
    assert_eq!(src.features.len(), 3, "{:?}", src.problems);
    assert_eq!(src.problems.len(), 1, "{:?}", src.problems);
    assert_eq!(src.problems[0].index, 3);
    let no_shx: Vec<_> = cut.iter().filter(|(e, _)| e != "shx").cloned().collect();
    let src = read_path(&write_set("cutnoshx", &no_shx), &opts()).unwrap();
    assert_eq!(src.features.len(), 3);
    assert!(!src.problems.is_empty());

    // Random bytes, as .shp and as .dbf, and as a zip: errors.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let noise: Vec<u8> = (0..4096).map(|_| rng.random()).collect();
    let mut junk = good.clone();
    junk[0].1.clone_from(&noise);
    assert!(read_path(&write_set("junkshp", &junk), &opts()).is_err());
    let mut junk = good.clone();
    junk[2].1.clone_from(&noise);
    assert!(read_path(&write_set("junkdbf", &junk), &opts()).is_err());
    assert!(read_bytes("junk.zip", &noise, &opts()).is_err());
    assert!(read_bytes("junk.shp", &noise, &opts()).is_err());
    assert!(read_bytes("junk.dbf", &noise, &opts()).is_err());
    assert!(read_bytes("empty.zip", &[], &opts()).is_err());

    // Headers that claim billions of records: read what is there, allocate nothing absurd.
    let mut huge = good.clone();
    huge[2].1[4..8].copy_from_slice(&2_000_000_000_u32.to_le_bytes());
    let src = read_path(&write_set("hugedbf", &huge), &opts()).unwrap();
    assert_eq!(src.features.len(), 4);
    assert!(!src.problems.is_empty());
    let mut huge = good.clone();
    huge[1].1[24..28].copy_from_slice(&i32::MAX.to_be_bytes());
    let _ = read_path(&write_set("hugeshx", &huge), &opts());

    // Flipped bytes anywhere in the set, many times over: whatever comes out, no panic.
    for round in 0..300 {
        let mut parts = good.clone();
        let which = rng.random_range(0..3);
        let bytes = &mut parts[which].1;
        for _ in 0..rng.random_range(1..8) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] = rng.random();
        }
        if round % 3 == 0 {
            let keep = rng.random_range(0..bytes.len());
            bytes.truncate(keep);
        }
        let _ = read_path(&write_set("fuzz", &parts), &opts());
    }
}

#[test]
fn every_layer_exports_and_an_empty_one_too() {
    let d = small_demo();
    let dir = tempfile::tempdir().unwrap();
    for layer in Layer::ALL {
        let n = geo_core::formats::layer_len(&d, layer);
        let path = dir.path().join(format!("{layer}.shp"));
        assert_eq!(
            write_shapefile(&d, layer, true, &path).unwrap(),
            n,
            "{layer}"
        );
        let src = read_path(&path, &opts()).unwrap();
        assert!(src.problems.is_empty(), "{layer}: {:?}", src.problems);
        assert_eq!(src.features.len(), n, "{layer}");
        let info = ogrinfo(&path, &["-al", "-so"]);
        assert_eq!(
            line(&info, "Feature Count:"),
            n.to_string(),
            "{layer}\n{info}"
        );
        // Every property is a field, under its DBF name (a patrol's times are its M values).
        if let Some(f) = src.features.first() {
            for p in geo_core::formats::property_names(layer, true) {
                if !(layer == Layer::Patrols && p == "times") {
                    assert!(
                        f.properties.contains_key(&dbf_field_name(p)),
                        "{layer}: {p}"
                    );
                }
            }
        }
    }
    let path = dir.path().join("none.shp");
    assert_eq!(
        write_shapefile(&Dataset::default(), Layer::Cameras, false, &path).unwrap(),
        0
    );
    assert!(read_path(&path, &opts()).unwrap().features.is_empty());
    let info = ogrinfo(&path, &["-al", "-so"]);
    assert_eq!(line(&info, "Feature Count:"), "0", "{info}");
}
