//! GDAL (`ogrinfo`, Debian gdal-bin) as an independent reader of exported `GeoJSON` and CSV.
//! Fails, not skips, when ogrinfo is missing.
//!
//! CSV: the WKT layers need nothing (GDAL's CSV driver takes a column named `wkt` as the
//! geometry); the lon/lat layers need `-oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat`.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

mod formats_fixture;

use std::path::Path;
use std::process::Command;

use geo_core::formats::{layer_len, write_csv, write_geojson};
use geo_core::model::Layer;

fn ogrinfo(file: &Path, extra: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .args(extra)
        .arg(file)
        .output()
        .expect("ogrinfo must be installed (Debian gdal-bin)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ogrinfo {}: {text}{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in\n{text}"))
        .trim()
}

#[test]
fn gdal_reads_every_exported_layer() {
    let d = formats_fixture::dataset();
    let dir = tempfile::tempdir().unwrap();
    for layer in Layer::ALL {
        let n = layer_len(&d, layer);
        let (geometry, csv_opts): (&str, &[&str]) = match layer {
            Layer::Admin | Layer::Grids => ("Multi Polygon", &[]),
            Layer::Patrols => ("Line String", &[]),
            _ => (
                "Point",
                &["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat"],
            ),
        };

        let path = dir.path().join(format!("{layer}.geojson"));
        write_geojson(&d, layer, None, true, std::fs::File::create(&path).unwrap()).unwrap();
        let info = ogrinfo(&path, &[]);
        assert_eq!(
            line(&info, "Feature Count:"),
            n.to_string(),
            "{layer} geojson\n{info}"
        );
        assert_eq!(
            line(&info, "Geometry:"),
            geometry,
            "{layer} geojson\n{info}"
        );
        assert!(
            line(&info, "Extent:").starts_with('('),
            "{layer} geojson\n{info}"
        );

        let path = dir.path().join(format!("{layer}.csv"));
        write_csv(&d, layer, None, true, std::fs::File::create(&path).unwrap()).unwrap();
        let info = ogrinfo(&path, csv_opts);
        assert_eq!(
            line(&info, "Feature Count:"),
            n.to_string(),
            "{layer} csv\n{info}"
        );
        // With a geometry column recognised, GDAL reports the layer's extent.
        assert!(
            line(&info, "Extent:").starts_with('('),
            "{layer} csv\n{info}"
        );
        if geometry == "Point" {
            assert_eq!(line(&info, "Geometry:"), "Point", "{layer} csv\n{info}");
        }
    }
}
