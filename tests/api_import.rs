//! Import over HTTP on the real binary (the web wizard's API): upload -> report, findings and
//! preview as `GeoJSON` (read back by GDAL; the overlap piece cross-checked with shapely and
//! pyproj), commit all or nothing, `skip_invalid`, cancel, and bad input answered 4xx.
//!
//! The grids are made here, in a village of the demo prefecture: squares around the centres
//! of the village's grids, checked with `/api/locate` to lie inside the village.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)] // helpers of #[test] functions

use std::time::Duration;

use onemap_e2e::{run, Server};
use serde_json::{json, Value};

/// A request's answer: status and body as JSON (Null if not JSON).
fn call(server: &Server, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_mins(5)))
        .build()
        .into();
    let url = format!("{}{path}", server.base);
    let resp = match (method, body) {
        ("POST", Some(b)) => agent
            .post(&url)
            .header("Content-Type", "application/octet-stream")
            .header("authorization", server.auth())
            .send(b),
        ("POST", None) => agent
            .post(&url)
            .header("authorization", server.auth())
            .send_empty(),
        ("DELETE", _) => agent
            .delete(&url)
            .header("authorization", server.auth())
            .call(),
        _ => agent
            .get(&url)
            .header("authorization", server.auth())
            .call(),
    };
    let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn upload(server: &Server, query: &str, body: &[u8]) -> (u16, Value) {
    call(server, "POST", &format!("/api/imports?{query}"), Some(body))
}

/// A square ring of `side` degrees of latitude around (lon, lat).
fn square(c: [f64; 2], side: f64) -> Value {
    let dx = side / 2.0 / c[1].to_radians().cos();
    let dy = side / 2.0;
    json!([[
        [c[0] - dx, c[1] - dy],
        [c[0] + dx, c[1] - dy],
        [c[0] + dx, c[1] + dy],
        [c[0] - dx, c[1] + dy],
        [c[0] - dx, c[1] - dy]
    ]])
}

fn grid(code: &str, center: [f64; 2], side: f64) -> Value {
    json!({
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": format!("导入测试 {code}"), "kind": "basic", "valid_from": "2025-01-01T00:00:00Z"},
        "geometry": {"type": "Polygon", "coordinates": square(center, side)},
    })
}

fn collection(features: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

/// A village near Jishou and `n` spots in it, each with a square of `side` (and one twice
/// as large) wholly inside one of its grids, and that grid's code.
fn village_spots(server: &Server, n: usize, side: f64) -> (String, Vec<[f64; 2]>, Vec<String>) {
    let here = server.get("/api/locate?lon=109.7385&lat=28.3116");
    let village = here["village"]["code"].as_str().unwrap().to_owned();
    let children = server.get(&format!("/api/admin/{village}/children"));
    let mut spots = Vec::new();
    let mut grids = Vec::new();
    for g in children["children"].as_array().unwrap() {
        let grid_code = g["code"].as_str().unwrap().to_owned();
        let b: Vec<f64> = g["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let c = [f64::midpoint(b[0], b[2]), f64::midpoint(b[1], b[3])];
        let ring = square(c, side * 2.0);
        let corners = ring[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()]);
        let inside = std::iter::once(c).chain(corners).all(|p| {
            let (status, l) = server
                .try_get(&format!("/api/locate?lon={}&lat={}", p[0], p[1]))
                .unwrap();
            status == 200 && l["grid"]["code"] == grid_code.as_str()
        });
        if inside {
            spots.push(c);
            grids.push(grid_code);
            if spots.len() == n {
                return (village, spots, grids);
            }
        }
    }
    panic!("village {village} has fewer than {n} grids with a {side}° square inside it");
}

/// The feature count GDAL reads from a `GeoJSON` URL.
fn ogr_count(url: &str) -> u64 {
    let out = run("ogrinfo", &["-ro", "-al", "-so", url]);
    out.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count from ogrinfo {url}: {out}"))
}

/// Checks the overlap piece against shapely (A ∩ B) and its area against pyproj's geodesic
/// area; prints what it compared.
const OVERLAP_CHECK: &str = r#"
import json, sys
from shapely.geometry import shape
from pyproj import Geod
d = json.load(open(sys.argv[1]))
a, b, piece = shape(d["a"]), shape(d["b"]), shape(d["piece"])
inter = a.intersection(b)
diff = inter.symmetric_difference(piece).area / inter.area
geod_area = abs(Geod(ellps="WGS84").geometry_area_perimeter(inter)[0])
rel = abs(d["area_m2"] - geod_area) / geod_area
print(f"piece vs shapely: {diff:.2e} of the intersection; area {d['area_m2']:.1f} m2 vs pyproj {geod_area:.1f} m2 ({rel:.2%})")
sys.exit(0 if diff < 0.01 and rel < 0.02 else 1)
"#;

#[test]
fn import_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("onemap.gpkg"), Duration::from_mins(10));
    let side = 0.0006; // about 67 m
    let (village, spots, grids) = village_spots(&server, 4, side);
    // A clean file: one grid redrawn smaller, inside where it was (what it gives up is a
    // gap, a warning; a new code placed there would overlap the stored grid).
    let clean = collection(&[grid(&grids[0], spots[0], side)]);

    bad_input_is_4xx(&server, &clean);
    clean_file_commits(&server, &clean, &grids[0], &village);
    errors_block_all_or_nothing(&server, &village, &spots, &grids, side, dir.path());
    cancel_forgets(&server, &clean);
    wizard_mapping(&server);
}

/// Every byte but letters and digits as `%XX`: a query parameter's value.
fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The wizard's mapping step over the API: the upload lists the file's columns with their
/// codes and what they may become; the same file with a mapping imports as mapped; a
/// mapping naming a property the layer lacks is a 400 naming the ones it has.
fn wizard_mapping(server: &Server) {
    // A vendor's codes and the onemap category each stands for, by the fixture's table.
    let table = [
        ("01", "dispute", None),
        ("02", "public_security", None),
        ("交通", "safety_hazard", Some("road")),
    ];
    let mut csv = String::from("事件编号,事件类型,发生时间,经度,纬度\n");
    let mut rows = Vec::new();
    for i in 0..12_usize {
        let (code, cat, sub) = table[(i * 7 + 1) % 3];
        let id = format!("{}", 9_300_000 + i);
        csv.push_str(&format!(
            "{id},{code},2024-06-01T08:{i:02}:00+08:00,{:.5},{:.5}\n",
            109.70 + i as f64 * 0.001,
            28.31
        ));
        rows.push((id, code, cat, sub));
    }
    let count = |code: &str| rows.iter().filter(|r| r.1 == code).count();
    let (status, up) = upload(server, "layer=incidents&name=events.csv", csv.as_bytes());
    assert_eq!(status, 201, "{up}");
    let column = up["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "事件类型")
        .unwrap_or_else(|| panic!("{up:#}"))
        .clone();
    assert_eq!(column["property"], "category", "{column}");
    for (code, _, _) in table {
        let v = column["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["value"] == code)
            .unwrap_or_else(|| panic!("{code}: {column}"));
        assert_eq!(v["rows"], count(code), "{code}: {column}");
    }
    assert!(up["properties"]
        .as_array()
        .unwrap()
        .contains(&json!("reported_at")));
    assert!(up["choices"]["category"]
        .as_array()
        .unwrap()
        .contains(&json!("safety_hazard/road")));
    let first = up["id"].as_str().unwrap().to_owned();
    assert_eq!(
        call(server, "DELETE", &format!("/api/imports/{first}"), None).0,
        204
    );

    // The mapping the wizard would send (and save), with the same file.
    let mapping = json!({
        "layer": "incidents",
        "columns": {"事件类型": "category", "发生时间": "reported_at"},
        "values": {"category": {"01": "dispute", "02": "public_security", "交通": "safety_hazard/road"}},
    });
    let query = format!(
        "layer=incidents&name=events.csv&map={}",
        query_value(&mapping.to_string())
    );
    let (status, up) = upload(server, &query, csv.as_bytes());
    assert_eq!(status, 201, "{up}");
    assert_eq!(up["errors"], 0, "{up:#}");
    let mapped = up["report"]["mapping"]["values"].as_array().unwrap();
    for (code, _, _) in table {
        let m = mapped.iter().find(|m| m["from"] == code).unwrap();
        assert_eq!(m["rows"], count(code), "{m}");
    }
    let id = up["id"].as_str().unwrap();
    let (status, done) = call(server, "POST", &format!("/api/imports/{id}/commit"), None);
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["written"], rows.len(), "{done}");
    for (id, code, cat, sub) in &rows {
        let item = server.get(&format!("/collections/incidents/items/{id}"));
        assert_eq!(item["properties"]["category"], *cat, "{code}: {item}");
        if let Some(sub) = sub {
            assert_eq!(item["properties"]["subcategory"], *sub, "{code}: {item}");
        }
    }

    // A misspelt property: 400, naming the valid ones.
    let bad = json!({"columns": {"事件类型": "categroy"}}).to_string();
    let (status, body) = upload(
        server,
        &format!("layer=incidents&name=events.csv&map={}", query_value(&bad)),
        csv.as_bytes(),
    );
    assert_eq!(status, 400, "{body}");
    let text = body["description"].as_str().unwrap();
    assert!(
        text.contains("categroy") && text.contains("reported_at"),
        "{text}"
    );
}

/// Bad input: 4xx with a message, never a 500.
fn bad_input_is_4xx(server: &Server, clean: &[u8]) {
    let (status, body) = upload(server, "layer=nope&name=g.geojson", clean);
    assert_eq!(status, 400, "unknown layer: {body}");
    assert!(
        body["description"].as_str().unwrap().contains("nope"),
        "{body}"
    );
    for (query, bytes) in [
        ("layer=grids&name=g.geojson", &b"\x00\x01 not json {"[..]),
        ("layer=grids&name=g.geojson", &b""[..]),
        ("layer=grids&name=g.xyz", clean),
        ("layer=grids&name=g.geojson&crs=EPSG:9999", clean),
        ("layer=grids", clean),
        ("layer=grids&name=g.zip", &b"PK\x03\x04 not a zip"[..]),
    ] {
        let (status, body) = upload(server, query, bytes);
        assert!(
            (400..500).contains(&status),
            "{query} with {} bytes -> {status}: {body}",
            bytes.len()
        );
        assert!(body["description"].is_string(), "{query}: {body}");
    }
    assert_eq!(call(server, "GET", "/api/imports/0123", None).0, 404);
}

/// A clean grid: 201 with the report; the preview is `GeoJSON` GDAL reads; commit writes.
fn clean_file_commits(server: &Server, clean: &[u8], code: &str, village: &str) {
    let (status, up) = upload(
        server,
        "layer=grids&name=clean.geojson&crs=EPSG:4490",
        clean,
    );
    assert_eq!(status, 201, "{up}");
    let id = up["id"].as_str().unwrap().to_owned();
    assert_eq!(up["report"]["features"], 1, "{up}");
    assert_eq!(up["report"]["accepted"], 1, "{up}");
    assert_eq!(up["errors"], 0, "{up}");
    assert_eq!(
        call(server, "GET", &format!("/api/imports/{id}"), None).1,
        up
    );
    // GDAL cannot send a header here: the token rides in the query.
    let features = format!(
        "{}/api/imports/{id}/features.geojson?access_token={}",
        server.base, server.token
    );
    assert_eq!(ogr_count(&features), 1);
    let preview = server.get(&format!("/api/imports/{id}/features.geojson"));
    assert_eq!(preview["features"][0]["id"], code, "{preview}");
    let findings = server.get(&format!("/api/imports/{id}/findings.geojson"));
    assert_eq!(findings["type"], "FeatureCollection");
    let (status, done) = call(server, "POST", &format!("/api/imports/{id}/commit"), None);
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["written"], 1, "{done}");
    assert!(done["seq"].as_u64().unwrap() > 0, "{done}");
    let item = server.get(&format!("/collections/grids/items/{code}"));
    assert_eq!(item["properties"]["village"], village, "{item}");
    assert_eq!(
        item["properties"]["name"],
        format!("导入测试 {code}"),
        "{item}"
    );
    let (status, _) = call(server, "GET", &format!("/api/imports/{id}"), None);
    assert_eq!(status, 404, "a committed import is gone");
}

fn grid_name(server: &Server, code: &str) -> String {
    let item = server.get(&format!("/collections/grids/items/{code}"));
    item["properties"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn grid_status(server: &Server, code: &str) -> u16 {
    server
        .try_get(&format!("/collections/grids/items/{code}"))
        .unwrap()
        .0
}

/// Two overlapping new grids, a malformed code and a clean redrawn one: the report names
/// them, the findings are drawn where they are, nothing is written without `skip_invalid`,
/// and with it only the valid one.
fn errors_block_all_or_nothing(
    server: &Server,
    village: &str,
    spots: &[[f64; 2]],
    grids: &[String],
    side: f64,
    tmp: &std::path::Path,
) {
    let code = |n: u32| format!("{village}{n}");
    let shifted = [
        spots[1][0] + side / 2.0 / spots[1][1].to_radians().cos(),
        spots[1][1],
    ];
    let (a, b) = (
        grid(&code(982), spots[1], side),
        grid(&code(983), shifted, side),
    );
    let malformed = grid(&format!("{village}98"), spots[3], side / 2.0);
    let valid = grid(&grids[2], spots[2], side / 2.0);
    let file = collection(&[a.clone(), b.clone(), malformed, valid]);
    let (status, up) = upload(server, "layer=grids&name=mixed.geojson", &file);
    assert_eq!(status, 201, "{up}");
    let id = up["id"].as_str().unwrap().to_owned();
    let report = &up["report"];
    let checks: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"overlap"), "no overlap in {checks:?}");
    assert!(
        checks.contains(&"malformed_code"),
        "no malformed_code in {checks:?}"
    );
    assert!(up["errors"].as_u64().unwrap() >= 2, "{up}");
    assert_eq!(report["features"], 4, "{report}");

    // The preview shows every feature of the file: those to be written and those left out.
    let preview = server.get(&format!("/api/imports/{id}/features.geojson"));
    let marks: Vec<&str> = preview["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["import"].as_str().unwrap())
        .collect();
    assert_eq!(marks.len(), 4, "{preview}");
    let accepted = marks.iter().filter(|m| **m == "accepted").count();
    assert_eq!(
        accepted as u64,
        report["accepted"].as_u64().unwrap(),
        "{marks:?}"
    );
    assert_eq!(accepted, 1, "only {} is valid: {marks:?}", grids[2]);
    let preview_url = format!(
        "{}/api/imports/{id}/features.geojson?access_token={}",
        server.base, server.token
    );
    assert_eq!(ogr_count(&preview_url), 4);
    let findings_url = format!(
        "{}/api/imports/{id}/findings.geojson?access_token={}",
        server.base, server.token
    );
    assert_eq!(
        ogr_count(&findings_url),
        report["findings"].as_array().unwrap().len() as u64
    );
    overlap_is_its_piece(server, &id, &a, &b, tmp);

    // All or nothing: 409 with the report, and nothing written.
    let commit = format!("/api/imports/{id}/commit");
    let (status, refused) = call(server, "POST", &commit, Some(b"{\"skip_invalid\": false}"));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["report"]["features"], 4, "{refused}");
    for n in [982, 983] {
        assert_eq!(
            grid_status(server, &code(n)),
            404,
            "grid {} written despite the errors",
            code(n)
        );
    }
    assert_ne!(
        grid_name(server, &grids[2]),
        format!("导入测试 {}", grids[2]),
        "grid {} redrawn despite the errors",
        grids[2]
    );
    // A bad commit body is a 400, and the import stays.
    let (status, _) = call(server, "POST", &commit, Some(b"{\"skip\": 1}"));
    assert_eq!(status, 400);
    // skip_invalid writes only the valid one.
    let (status, done) = call(server, "POST", &commit, Some(b"{\"skip_invalid\": true}"));
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["written"], 1, "{done}");
    assert_eq!(
        grid_name(server, &grids[2]),
        format!("导入测试 {}", grids[2])
    );
    for n in [982, 983] {
        assert_eq!(
            grid_status(server, &code(n)),
            404,
            "invalid grid {} written",
            code(n)
        );
    }
    let found = server.get(&format!("/api/search?q={}", grids[2]));
    assert_eq!(found["results"][0]["key"], grids[2].as_str(), "{found}");
}

/// The overlap finding is drawn as its piece: shapely's A ∩ B, with pyproj's area.
fn overlap_is_its_piece(server: &Server, id: &str, a: &Value, b: &Value, tmp: &std::path::Path) {
    let findings = server.get(&format!("/api/imports/{id}/findings.geojson"));
    let overlap = findings["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["check"] == "overlap" && f["properties"]["other"] == b["id"])
        .expect("overlap feature of the two new grids");
    assert_eq!(overlap["properties"]["severity"], "error", "{overlap}");
    let kind = overlap["geometry"]["type"].as_str().unwrap_or("none");
    assert!(
        kind == "Polygon" || kind == "MultiPolygon",
        "the overlap is drawn as its piece, not {kind}: {overlap}"
    );
    let check_file = tmp.join("overlap.json");
    std::fs::write(
        &check_file,
        serde_json::to_vec(&json!({
            "a": a["geometry"], "b": b["geometry"], "piece": overlap["geometry"],
            "area_m2": overlap["properties"]["area_m2"],
        }))
        .unwrap(),
    )
    .unwrap();
    eprintln!(
        "{}",
        run(
            "python3",
            &["-c", OVERLAP_CHECK, check_file.to_str().unwrap()]
        )
        .trim()
    );
}

/// Cancel: 204, then the import is gone.
fn cancel_forgets(server: &Server, clean: &[u8]) {
    let (status, up) = upload(server, "layer=grids&name=again.geojson", clean);
    assert_eq!(status, 201, "{up}");
    let id = up["id"].as_str().unwrap();
    assert_eq!(
        call(server, "DELETE", &format!("/api/imports/{id}"), None).0,
        204
    );
    assert_eq!(
        call(server, "GET", &format!("/api/imports/{id}"), None).0,
        404
    );
    assert_eq!(
        call(server, "DELETE", &format!("/api/imports/{id}"), None).0,
        404
    );
    assert_eq!(
        call(server, "POST", &format!("/api/imports/{id}/commit"), None).0,
        404
    );
}
