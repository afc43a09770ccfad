//! Grid edits through the real binary (issue 11): preview with findings and impact, a
//! shared-vertex move committed and read back (revisions, diff and the change feed
//! follow), a stale commit refused with 409 and both versions, blocking findings with 422,
//! revert restoring the exact geometry, and OGC API Features Part 4 with `ETag`/`If-Match`
//! (412 on a stale `ETag`).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use onemap_e2e::{onemap, Server};
use serde_json::{json, Value};

fn demo_store(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("edits.gpkg");
    onemap(&["demo", "--counties", "1"], &store);
    store
}

fn coords(g: &Value) -> Vec<[f64; 2]> {
    let mut out = Vec::new();
    let polys: Vec<&Value> = match g["type"].as_str().unwrap() {
        "Polygon" => vec![&g["coordinates"]],
        _ => g["coordinates"].as_array().unwrap().iter().collect(),
    };
    for p in polys {
        for ring in p.as_array().unwrap() {
            for c in ring.as_array().unwrap() {
                out.push([c[0].as_f64().unwrap(), c[1].as_f64().unwrap()]);
            }
        }
    }
    out
}

/// Moves every position within 1e-6 degrees of `from` to `to` in nested coordinates.
fn move_near(v: &mut Value, from: [f64; 2], to: [f64; 2], n: &mut usize) {
    let Some(a) = v.as_array_mut() else { return };
    if a.len() == 2 && a.iter().all(Value::is_f64) {
        let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
        if (x - from[0]).abs() < 1e-6 && (y - from[1]).abs() < 1e-6 {
            *v = json!(to);
            *n += 1;
        }
        return;
    }
    for c in a {
        move_near(c, from, to, n);
    }
}

/// A vertex shared by three or more current grids on the first page, with its holders.
fn shared_vertex(server: &Server) -> ([f64; 2], Vec<String>) {
    let page = server.get("/collections/grids/items?limit=2000");
    let mut by: HashMap<(u64, u64), Vec<String>> = HashMap::new();
    for f in page["features"].as_array().unwrap() {
        if !f["properties"]["valid_to"].is_null() {
            continue;
        }
        let code = f["id"].as_str().unwrap().to_owned();
        for c in coords(&f["geometry"]) {
            let v = by.entry((c[0].to_bits(), c[1].to_bits())).or_default();
            if !v.contains(&code) {
                v.push(code.clone());
            }
        }
    }
    let mut nodes: Vec<_> = by.into_iter().filter(|(_, v)| v.len() >= 3).collect();
    nodes.sort();
    let ((x, y), holders) = nodes.into_iter().next().expect("an inner node");
    ([f64::from_bits(x), f64::from_bits(y)], holders)
}

#[test]
fn edits_preview_commit_history_and_part4() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&demo_store(dir.path()), Duration::from_mins(5));
    let (v, holders) = shared_vertex(&server);
    let first = server.get(&format!("/collections/grids/items/{}", holders[0]));
    let rev0 = first["properties"]["revision"].as_u64().unwrap();
    let pts = coords(&first["geometry"]);
    let (cx, cy) = (
        pts.iter().map(|p| p[0]).sum::<f64>() / pts.len() as f64,
        pts.iter().map(|p| p[1]).sum::<f64>() / pts.len() as f64,
    );
    let to = [v[0] + (cx - v[0]) * 0.05, v[1] + (cy - v[1]) * 0.05];
    let base: serde_json::Map<String, Value> = holders
        .iter()
        .map(|h| {
            let r = server.get(&format!("/collections/grids/items/{h}"))["properties"]["revision"]
                .clone();
            (h.clone(), r)
        })
        .collect();
    let body =
        json!({"op": "move_vertex", "from": v, "to": to, "reason": "e2e move", "base": &base});

    // Preview: every holder moves, no blocking finding, impact present; nothing written.
    let (s, p) = server.post_json("/api/edits/preview", &body);
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        p["result"]["features"].as_array().unwrap().len(),
        holders.len(),
        "{p}"
    );
    assert_eq!(p["blocking"], false, "{}", p["findings"]);
    assert!(p["impact"]["incidents"]["total"].is_u64());
    println!("preview took {} ms (server)", p["took_ms"]);
    let still = server.get(&format!("/collections/grids/items/{}", holders[0]));
    assert_eq!(still["properties"]["revision"].as_u64().unwrap(), rev0);

    // Commit: new revisions, read back at once; revisions list and diff show it.
    let seq_before = server.get("/api/changes?limit=1");
    let (s, c) = server.post_json("/api/edits/commit", &body);
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["revisions"].as_array().unwrap().len(), holders.len());
    let now = server.get(&format!("/collections/grids/items/{}", holders[0]));
    assert_eq!(now["properties"]["revision"].as_u64().unwrap(), rev0 + 1);
    // Output coordinates are rounded (7 decimals, about 1 cm).
    let near = |c: &[f64; 2], p: [f64; 2]| (c[0] - p[0]).abs() < 1e-6 && (c[1] - p[1]).abs() < 1e-6;
    assert!(
        coords(&now["geometry"]).iter().any(|c| near(c, to)),
        "moved vertex"
    );
    assert!(
        !coords(&now["geometry"]).iter().any(|c| near(c, v)),
        "no vertex left behind"
    );
    let h = server.get(&format!("/api/grids/{}/revisions", holders[0]));
    assert_eq!(h["revisions"].as_array().unwrap().len() as u64, rev0 + 1);
    assert_eq!(h["current"].as_u64().unwrap(), rev0 + 1);
    let d = server.get(&format!("/api/grids/{}/diff?from={rev0}", holders[0]));
    let roles: Vec<&str> = d["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["old", "new", "added", "removed"]);
    // The change feed records it, with the reason, after what was there before.
    let changes = server.get(&format!("/api/changes?since={}", seq_before["last"]));
    let last = changes["changes"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert!(last.to_string().contains("e2e move"), "{last}");

    // The same body again: its base is stale now -> 409 with both versions.
    let (s, e) = server.post_json("/api/edits/commit", &body);
    assert_eq!(s, 409, "{e}");
    let versions = e["detail"]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), holders.len());
    assert!(
        versions[0]["base"]["geometry"].is_object()
            && versions[0]["current"]["geometry"].is_object()
    );

    // A reshape of one holder alone opens a gap -> 422 with the findings.
    let mut g = now["geometry"].clone();
    let inward = [v[0] + (cx - v[0]) * 0.4, v[1] + (cy - v[1]) * 0.4];
    let mut moved = 0;
    move_near(&mut g["coordinates"], to, inward, &mut moved);
    assert!(moved > 0);
    let (s, e) = server.post_json(
        "/api/edits/commit",
        &json!({"op": "reshape", "grid": holders[0], "geometry": g}),
    );
    assert_eq!(s, 422, "{e}");
    assert!(e["detail"]["findings"].to_string().contains("gap"), "{e}");

    // Reverting one holder alone would overlap the others (they moved too): refused.
    let (s, e) = server.post_json(
        &format!("/api/grids/{}/revert?to={rev0}", holders[0]),
        &json!({"reason": "undo"}),
    );
    assert_eq!(s, 422, "{e}");
    assert!(
        e["detail"]["findings"].to_string().contains("overlap"),
        "{e}"
    );
    let with: serde_json::Map<String, Value> = base
        .iter()
        .filter(|(k, _)| *k != &holders[0])
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Revert to the first revision: a new revision with the exact old boundary.
    let (s, r) = server.post_json(
        &format!("/api/grids/{}/revert?to={rev0}", holders[0]),
        &json!({"reason": "undo", "with": with}),
    );
    assert_eq!(s, 200, "{r}");
    let back = server.get(&format!("/collections/grids/items/{}", holders[0]));
    assert_eq!(back["properties"]["revision"].as_u64().unwrap(), rev0 + 2);
    assert_eq!(
        back["geometry"]["coordinates"],
        first["geometry"]["coordinates"]
    );

    // Part 4: declared, ETag on GET, PATCH with a stale ETag -> 412, with the right one -> 200.
    let conf = server.get("/conformance").to_string();
    assert!(
        conf.contains("ogcapi-features-4/1.0/conf/create-replace-delete"),
        "{conf}"
    );
    let code = &holders[1];
    let (s, etag, item) = server.request(
        "GET",
        &format!("/collections/grids/items/{code}"),
        &[],
        None,
    );
    assert_eq!(s, 200);
    let etag = etag.expect("ETag on a grid item");
    let rev = item["properties"]["revision"].as_u64().unwrap();
    let patch = json!({"properties": {"name": "e2e 改名", "households": 321}});
    let (s, _, _) = server.request(
        "PATCH",
        &format!("/collections/grids/items/{code}"),
        &[],
        Some(&patch),
    );
    assert_eq!(s, 412, "If-Match is required");
    let stale = format!("\"{code}-r{}\"", rev - 1);
    let (s, _, e) = server.request(
        "PATCH",
        &format!("/collections/grids/items/{code}"),
        &[("if-match", &stale)],
        Some(&patch),
    );
    assert_eq!(s, 412, "{e}");
    let (s, new_tag, f) = server.request(
        "PATCH",
        &format!("/collections/grids/items/{code}"),
        &[("if-match", &etag)],
        Some(&patch),
    );
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["properties"]["name"], "e2e 改名");
    assert_eq!(f["properties"]["households"], 321);
    assert_eq!(f["properties"]["revision"].as_u64().unwrap(), rev + 1);
    let new_tag = new_tag.unwrap();
    assert_ne!(new_tag, etag);
    // PUT with the old ETag is refused now; with the new one it replaces the feature.
    let mut put = item.clone();
    put["properties"]["name"] = json!("e2e put");
    let (s, _, _) = server.request(
        "PUT",
        &format!("/collections/grids/items/{code}"),
        &[("if-match", &etag)],
        Some(&put),
    );
    assert_eq!(s, 412);
    let (s, put_tag, f) = server.request(
        "PUT",
        &format!("/collections/grids/items/{code}"),
        &[("if-match", &new_tag)],
        Some(&put),
    );
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["properties"]["name"], "e2e put");

    // POST a new grid overlapping its neighbours -> 422; DELETE retires with If-Match.
    let village = item["properties"]["village"].as_str().unwrap();
    let new = json!({"type": "Feature", "geometry": item["geometry"], "properties": {"village": village, "name": "e2e new"}});
    let (s, _, e) = server.request("POST", "/collections/grids/items", &[], Some(&new));
    assert_eq!(s, 422, "{e}");
    assert!(
        e["detail"]["findings"].to_string().contains("overlap"),
        "{e}"
    );
    let (s, _, _) = server.request(
        "DELETE",
        &format!("/collections/grids/items/{code}"),
        &[("if-match", &etag)],
        None,
    );
    assert_eq!(s, 412);
    let (s, _, e) = server.request(
        "DELETE",
        &format!("/collections/grids/items/{code}"),
        &[("if-match", &put_tag.unwrap())],
        None,
    );
    assert_eq!(s, 204, "{e}");
    let (s, _) = server
        .try_get(&format!("/collections/grids/items/{code}"))
        .unwrap();
    assert_eq!(s, 404);
    // Its history stays, and a revert brings it back.
    let h = server.get(&format!("/api/grids/{code}/revisions"));
    assert!(h["current"].is_null());
    let (s, r) = server.post_json(&format!("/api/grids/{code}/revert?to={rev}"), &json!({}));
    assert_eq!(s, 200, "{r}");
    let (s, _) = server
        .try_get(&format!("/collections/grids/items/{code}"))
        .unwrap();
    assert_eq!(s, 200);
}
