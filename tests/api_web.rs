//! The web map's query API on the real binary over the demo prefecture: the figures add
//! up across the hierarchy (counties partition the prefecture, grids their village), the
//! summary agrees with OGC API Features, and the incident panel agrees with `/api/locate`.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers of #[test] functions

use std::time::Duration;

use onemap_e2e::Server;
use serde_json::Value;

fn total(v: &Value) -> u64 {
    v["incidents"]["total"].as_u64().unwrap()
}

fn codes(v: &Value) -> Vec<String> {
    v["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn web_api_over_the_demo_prefecture() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("onemap.gpkg"), Duration::from_mins(10));
    let window = "from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z";

    // Summary counts are the collections' counts.
    let summary = server.get("/api/summary");
    for layer in ["admin", "grids", "cameras", "incidents"] {
        let matched = server.get(&format!("/collections/{layer}/items?limit=1"))["numberMatched"]
            .as_u64()
            .unwrap();
        assert_eq!(summary["counts"][layer], matched, "{layer}");
    }

    // The prefecture's incidents are the sum over its counties, and over all its grids.
    let roots = server.get("/api/admin");
    let prefecture = roots["children"][0]["code"].as_str().unwrap().to_owned();
    let whole = server.get(&format!("/api/admin/{prefecture}/stats?{window}"));
    assert!(total(&whole) > 100_000, "{whole}");
    let counties = codes(&server.get(&format!("/api/admin/{prefecture}/children")));
    assert_eq!(counties.len(), 8);
    let (mut sum, mut due, mut closed) = (0, 0, 0);
    for c in &counties {
        let s = server.get(&format!("/api/admin/{c}/stats?{window}"));
        sum += total(&s);
        due += s["incidents"]["due"].as_u64().unwrap();
        closed += s["incidents"]["closed"].as_u64().unwrap();
    }
    assert_eq!(sum, total(&whole));
    assert_eq!(due, whole["incidents"]["due"].as_u64().unwrap());
    assert_eq!(closed, whole["incidents"]["closed"].as_u64().unwrap());
    let ranking = server.get(&format!(
        "/api/ranking?parent={prefecture}&{window}&limit=10000"
    ));
    let grids = ranking["grids"].as_array().unwrap();
    assert_eq!(summary["counts"]["grids"], grids.len());
    let by_grid: u64 = grids.iter().map(|g| g["incidents"].as_u64().unwrap()).sum();
    assert_eq!(by_grid, total(&whole));

    // Down to a village: its grids' households add up to the village's.
    let township = codes(&server.get(&format!("/api/admin/{}/children", counties[0])))[0].clone();
    let village = codes(&server.get(&format!("/api/admin/{township}/children")))[0].clone();
    let grid_codes = codes(&server.get(&format!("/api/admin/{village}/children")));
    let village_stats = server.get(&format!("/api/admin/{village}/stats?{window}"));
    let (mut households, mut incidents) = (0, 0);
    for g in &grid_codes {
        let s = server.get(&format!("/api/grids/{g}/stats?{window}"));
        households += s["households"].as_u64().unwrap();
        incidents += total(&s);
    }
    assert_eq!(village_stats["households"], households);
    assert_eq!(total(&village_stats), incidents);
    // Search finds that grid by its code, first.
    let found = server.get(&format!("/api/search?q={}", grid_codes[0]));
    assert_eq!(found["results"][0]["key"], grid_codes[0].as_str());
    assert_eq!(found["results"][0]["layer"], "grids");

    // The incident panel's grid is where /api/locate puts the point at report time.
    for id in [1, 4_242, 777_777] {
        let inc = server.get(&format!("/api/incidents/{id}"));
        let at = inc["reported_at"].as_str().unwrap();
        let loc = server.get(&format!(
            "/api/locate?lon={}&lat={}&at={at}",
            inc["lon"], inc["lat"]
        ));
        assert_eq!(inc["grid"]["code"], loc["grid"]["code"], "incident {id}");
        assert_eq!(inc["workers"], loc["workers"], "incident {id}");
        // Personal fields for the admin of the test server, none for an anonymous reader.
        assert!(inc.get("description").is_some() && inc.get("reporter").is_some());
        let (_, _, anon) = server.request(
            "GET",
            &format!("/api/incidents/{id}"),
            &[("authorization", "")],
            None,
        );
        assert!(
            anon["description"].is_null() && anon["reporter"].is_null(),
            "{anon}"
        );
        assert!(
            anon["workers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["name"].is_null()),
            "{anon}"
        );
    }
}
