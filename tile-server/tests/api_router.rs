//! The web map's query API through the router in-process: summary, admin drill-down,
//! search, grid and admin figures against a brute-force count (own point-in-polygon over
//! every grid revision), ranking order, the incident panel, and the 400/404/503 cases.
#![allow(clippy::unwrap_used, clippy::panic, clippy::many_single_char_names)]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;
use geo_core::model::{CameraStatus, Category, Dataset, Step};
use geo_types::MultiPolygon;
use http_body_util::BodyExt;
use serde_json::Value;
use tile_server::{app, AppState};
use tower::ServiceExt;

fn dataset() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(300)
            .with_incidents(20_000)
            .with_cameras(2_000)
            .with_workers(500)
            .with_patrols(10)
            .with_points_per_patrol(20);
        generate(&cfg).unwrap()
    })
}

/// The core, in the order the server keeps (incidents sorted by report time).
fn core() -> &'static Core {
    static CORE: OnceLock<Core> = OnceLock::new();
    CORE.get_or_init(|| Core::new(dataset().clone()))
}

fn router(ready: bool) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = geo_core::store::gpkg::GpkgStore::open(dir.path().join("t.gpkg")).unwrap();
    let state = AppState::new(
        Arc::new(store),
        tile_server::Config {
            // Reads as the open local demo's anonymous caller.
            access: tile_server::auth::AccessMode::Open,
            ..tile_server::Config::default()
        },
    );
    if ready {
        state.set_core(Core::new(dataset().clone()));
    }
    (app(state), dir)
}

fn shared() -> &'static Router {
    static R: OnceLock<(Router, tempfile::TempDir)> = OnceLock::new();
    &R.get_or_init(|| router(true)).0
}

async fn get(router: &Router, uri: &str) -> (StatusCode, Value) {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, json)
}

async fn ok(uri: &str) -> Value {
    let (status, body) = get(shared(), uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

/// Percent-encodes a query value (the test's Chinese names).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---- an independent point-in-polygon: even-odd ray casting over every ring ----

fn pip(mp: &MultiPolygon<f64>, x: f64, y: f64) -> bool {
    let mut inside = false;
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let c = &ring.0;
            for k in 0..c.len().saturating_sub(1) {
                let (a, b) = (c[k], c[k + 1]);
                if (a.y > y) != (b.y > y) && x < a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y) {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

fn bbox(mp: &MultiPolygon<f64>) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in &mp.0 {
        for c in &p.exterior().0 {
            b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
        }
    }
    b
}

/// Brute-force counts: what the SPEC's definitions give, written out plainly.
#[derive(Debug, Default, Clone, PartialEq)]
struct Expect {
    total: u64,
    by_category: BTreeMap<&'static str, u64>,
    due: u64,
    closed: u64,
    on_time: u64,
}

/// Per grid code, the incidents reported in `[from, to)` (that pass `keep`) located in the
/// revision valid when they occurred (lowest index among overlaps), judged at `as_of`.
fn brute(
    from: i64,
    to: i64,
    as_of: i64,
    keep: impl Fn(&geo_core::model::Incident) -> bool,
) -> BTreeMap<String, Expect> {
    let d = dataset();
    let boxes: Vec<[f64; 4]> = d.grids.iter().map(|g| bbox(&g.geometry)).collect();
    let mut out: BTreeMap<String, Expect> = BTreeMap::new();
    for inc in &d.incidents {
        let t = inc.occurred_at();
        if t < from || t >= to || !keep(inc) {
            continue;
        }
        let (x, y) = (inc.location.x(), inc.location.y());
        let Some(g) = (0..d.grids.len()).find(|&g| {
            let b = boxes[g];
            d.grids[g].valid_at(t)
                && x >= b[0]
                && x <= b[2]
                && y >= b[1]
                && y <= b[3]
                && pip(&d.grids[g].geometry, x, y)
        }) else {
            continue;
        };
        let e = out.entry(d.grids[g].code.to_string()).or_default();
        e.total += 1;
        *e.by_category.entry(inc.category.as_str()).or_default() += 1;
        if inc.status != Step::Cancelled && inc.deadline < as_of {
            e.due += 1;
            if let Some(c) = inc.lifecycle.at(Step::Closed) {
                if c < as_of {
                    e.closed += 1;
                    if c <= inc.deadline {
                        e.on_time += 1;
                    }
                }
            }
        }
    }
    out
}

fn sum_prefix(m: &BTreeMap<String, Expect>, prefix: &str) -> Expect {
    let mut s = Expect::default();
    for (code, e) in m.iter().filter(|(c, _)| c.starts_with(prefix)) {
        let _ = code;
        s.total += e.total;
        s.due += e.due;
        s.closed += e.closed;
        s.on_time += e.on_time;
        for (k, v) in &e.by_category {
            *s.by_category.entry(k).or_default() += v;
        }
    }
    s
}

fn assert_counts(got: &Value, want: &Expect, what: &str) {
    let i = &got["incidents"];
    assert_eq!(i["total"], want.total, "{what} total");
    assert_eq!(i["due"], want.due, "{what} due");
    assert_eq!(i["closed"], want.closed, "{what} closed");
    assert_eq!(i["closed_on_time"], want.on_time, "{what} on time");
    for c in Category::ALL {
        let w = want.by_category.get(c.as_str()).copied().unwrap_or(0);
        assert_eq!(i["by_category"][c.as_str()], w, "{what} {}", c.as_str());
    }
    let by_status: u64 = i["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_status, want.total, "{what} statuses add up");
    if want.due == 0 {
        assert!(i["closure_rate"].is_null(), "{what}");
    } else {
        let rate = i["closure_rate"].as_f64().unwrap();
        assert!(
            (rate - want.closed as f64 / want.due as f64).abs() < 1e-12,
            "{what}"
        );
        let rate = i["on_time_rate"].as_f64().unwrap();
        assert!(
            (rate - want.on_time as f64 / want.due as f64).abs() < 1e-12,
            "{what}"
        );
    }
}

const FROM: &str = "2024-01-01T00:00:00Z";
const TO: &str = "2025-01-01T00:00:00Z";
const FROM_T: i64 = 1_704_067_200;
const TO_T: i64 = 1_735_689_600;

fn county() -> String {
    dataset()
        .admin
        .iter()
        .find(|a| a.level() == geo_core::codes::AdminLevel::County)
        .unwrap()
        .code
        .to_string()
}

#[tokio::test]
async fn grid_and_admin_stats_match_a_brute_force_count() {
    let want = brute(FROM_T, TO_T, TO_T, |_| true);
    assert!(want.len() > 100, "the window should touch most grids");
    // The five busiest grids, and five from the middle of the code order.
    let mut busiest: Vec<(&String, &Expect)> = want.iter().collect();
    busiest.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(b.0)));
    let mid = want.len() / 2;
    let picks = busiest[..5]
        .iter()
        .chain(&busiest[mid..mid + 5])
        .map(|(c, _)| (*c).clone());
    for code in picks {
        let got = ok(&format!("/api/grids/{code}/stats?from={FROM}&to={TO}")).await;
        assert_eq!(got["code"], code.as_str());
        assert_eq!(got["level"], "grid");
        assert_counts(&got, &want[&code], &code);
        assert!(got["workers"].is_array() && got["households"].as_u64().is_some());
    }
    // The county and one township aggregate by code prefix.
    let c = county();
    let got = ok(&format!("/api/admin/{c}/stats?from={FROM}&to={TO}")).await;
    assert_eq!(got["level"], "county");
    assert_counts(&got, &sum_prefix(&want, &c), &c);
    let township = &busiest[0].0[..9];
    let got = ok(&format!("/api/admin/{township}/stats?from={FROM}&to={TO}")).await;
    assert_counts(&got, &sum_prefix(&want, township), township);

    // Category and status filters.
    let keep = |i: &geo_core::model::Incident| {
        matches!(i.category, Category::Dispute | Category::FireHazard)
            && matches!(i.status, Step::Closed | Step::Handling)
    };
    let filtered = brute(FROM_T, TO_T, TO_T, keep);
    let got = ok(&format!(
        "/api/admin/{c}/stats?from={FROM}&to={TO}&category=dispute,fire_hazard&status=closed,handling"
    ))
    .await;
    assert_counts(&got, &sum_prefix(&filtered, &c), "filtered county");
    assert_eq!(got["incidents"]["by_category"]["petition"], 0);
}

#[tokio::test]
async fn cameras_households_and_workers_of_a_grid() {
    let d = dataset();
    let g = d.grids.iter().find(|g| g.valid_to.is_none()).unwrap();
    let (mut total, mut online) = (0, 0);
    for cam in &d.cameras {
        // The first current grid holding the camera, as the service resolves overlaps.
        let holder = d.grids.iter().position(|h| {
            h.valid_to.is_none() && pip(&h.geometry, cam.location.x(), cam.location.y())
        });
        if holder.is_some_and(|h| d.grids[h].code == g.code) {
            total += 1;
            online += u64::from(cam.status == CameraStatus::Online);
        }
    }
    let got = ok(&format!("/api/grids/{}/stats", g.code)).await;
    assert_eq!(got["cameras"]["total"], total);
    assert_eq!(got["cameras"]["online"], online);
    assert_eq!(got["households"], g.households);
    assert_eq!(got["population"], g.population);
    let ids: Vec<&str> = got["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = g.workers.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(ids, want);
}

#[tokio::test]
async fn ranking_orders_and_agrees_with_stats() {
    let c = county();
    let want = brute(FROM_T, TO_T, TO_T, |_| true);
    let got = ok(&format!(
        "/api/ranking?parent={c}&from={FROM}&to={TO}&by=incidents&limit=10"
    ))
    .await;
    let grids = got["grids"].as_array().unwrap();
    assert_eq!(grids.len(), 10);
    let mut expected: Vec<(&String, u64)> = want.iter().map(|(k, e)| (k, e.total)).collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (g, (code, n)) in grids.iter().zip(&expected) {
        assert_eq!(g["code"], code.as_str());
        assert_eq!(g["incidents"], *n);
    }
    // Rates: descending, nulls last; ascending reverses the non-null part.
    for order in ["desc", "asc"] {
        let got = ok(&format!(
            "/api/ranking?parent={c}&from={FROM}&to={TO}&by=closure_rate&order={order}&limit=10000"
        ))
        .await;
        assert_eq!(got["total"], got["grids"].as_array().unwrap().len());
        let rates: Vec<Option<f64>> = got["grids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["closure_rate"].as_f64())
            .collect();
        let first_null = rates
            .iter()
            .position(Option::is_none)
            .unwrap_or(rates.len());
        assert!(rates[first_null..].iter().all(Option::is_none));
        let vals: Vec<f64> = rates[..first_null].iter().map(|r| r.unwrap()).collect();
        assert!(vals.len() > 100);
        let sorted = if order == "desc" {
            vals.windows(2).all(|w| w[0] >= w[1])
        } else {
            vals.windows(2).all(|w| w[0] <= w[1])
        };
        assert!(sorted, "{order}");
    }
    // A ranked grid's figures are its stats.
    let top = &grids[0];
    let stats = ok(&format!(
        "/api/grids/{}/stats?from={FROM}&to={TO}",
        top["code"].as_str().unwrap()
    ))
    .await;
    assert_eq!(stats["incidents"]["total"], top["incidents"]);
    assert_eq!(stats["incidents"]["closure_rate"], top["closure_rate"]);
}

#[tokio::test]
async fn summary_describes_the_data() {
    let got = ok("/api/summary").await;
    let d = dataset();
    assert_eq!(got["counts"]["incidents"], d.incidents.len());
    assert_eq!(got["counts"]["grids"], d.grids.len());
    assert_eq!(got["counts"]["cameras"], d.cameras.len());
    let e: Vec<f64> = got["extent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(e[0] < e[2] && e[1] < e[3]);
    for a in &d.admin {
        let b = bbox(&a.geometry);
        assert!(b[0] >= e[0] && b[1] >= e[1] && b[2] <= e[2] && b[3] <= e[3]);
    }
    let first = d
        .incidents
        .iter()
        .map(geo_core::model::Incident::occurred_at)
        .min()
        .unwrap();
    let from = chrono::DateTime::parse_from_rfc3339(got["incident_time"]["from"].as_str().unwrap());
    assert_eq!(from.unwrap().timestamp(), first);
    assert_eq!(got["categories"].as_array().unwrap().len(), 7);
    assert_eq!(got["categories"][0]["zh"], "矛盾纠纷");
    assert_eq!(got["statuses"].as_array().unwrap().len(), 10);
    assert_eq!(got["statuses"][6]["id"], "closed");
    assert_eq!(got["statuses"][6]["zh"], "结案");
}

#[tokio::test]
async fn admin_drill_down_reaches_grids() {
    let roots = ok("/api/admin").await;
    assert!(roots["unit"].is_null());
    let top = &roots["children"][0];
    assert_eq!(top["level"], "prefecture");
    let mut code = top["code"].as_str().unwrap().to_owned();
    // Prefecture -> county -> township -> village -> grids, always the first child.
    for level in ["county", "township", "village", "grid"] {
        let got = ok(&format!("/api/admin/{code}/children")).await;
        assert_eq!(got["unit"]["code"], code.as_str());
        let kids = got["children"].as_array().unwrap();
        assert!(!kids.is_empty(), "{code} has no children");
        let codes: Vec<&str> = kids.iter().map(|k| k["code"].as_str().unwrap()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted by code");
        for k in kids {
            assert_eq!(k["level"], level);
            let prefix = if code.ends_with("00") && code.len() == 6 {
                &code[..4]
            } else {
                &code[..]
            };
            assert!(k["code"].as_str().unwrap().starts_with(prefix));
            assert_eq!(k["bbox"].as_array().unwrap().len(), 4);
        }
        code = codes[0].to_owned();
    }
    // Every current grid of that village is listed, no retired revision.
    let village = &code[..12];
    let want = dataset()
        .grids
        .iter()
        .filter(|g| g.valid_to.is_none() && g.code.to_string().starts_with(village))
        .count();
    let got = ok(&format!("/api/admin/{village}/children")).await;
    assert_eq!(got["children"].as_array().unwrap().len(), want);
}

#[tokio::test]
async fn search_puts_exact_codes_first_then_short_names() {
    let c = county();
    let got = ok(&format!("/api/search?q={c}&limit=30")).await;
    let results = got["results"].as_array().unwrap();
    assert_eq!(results.len(), 30);
    assert_eq!(results[0]["key"], c.as_str());
    assert_eq!(results[0]["layer"], "admin");
    assert_eq!(results[0]["level"], "county");
    assert!(results
        .iter()
        .all(|r| r["key"].as_str().unwrap().starts_with(&c)));

    // A township name: the township itself first, and names never get longer.
    let t = dataset()
        .admin
        .iter()
        .find(|a| a.level() == geo_core::codes::AdminLevel::Township)
        .unwrap();
    let got = ok(&format!("/api/search?q={}", enc(&t.name))).await;
    let results = got["results"].as_array().unwrap();
    assert_eq!(results.len(), 20, "default limit");
    assert_eq!(results[0]["key"], t.code.to_string().as_str());
    let lens: Vec<usize> = results
        .iter()
        .map(|r| r["name"].as_str().unwrap().chars().count())
        .collect();
    assert!(lens.windows(2).all(|w| w[0] <= w[1]), "{lens:?}");
    assert!(results
        .iter()
        .all(|r| r["name"].as_str().unwrap().contains(&t.name)
            && r["bbox"].as_array().unwrap().len() == 4));
    // A camera by its full id.
    let cam = &dataset().cameras[7];
    let got = ok(&format!("/api/search?q={}", cam.id)).await;
    assert_eq!(got["results"][0]["key"], cam.id.as_str());
    assert_eq!(got["results"][0]["layer"], "cameras");
    let got = ok(&format!("/api/search?q={}", enc("没有这个地方"))).await;
    assert_eq!(got["results"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn incident_panel_without_personal_data() {
    let inc = &core().to_dataset().incidents[1234];
    let got = ok(&format!("/api/incidents/{}", inc.id.0)).await;
    assert_eq!(got["id"], inc.id.0);
    assert_eq!(got["category"], inc.category.as_str());
    assert_eq!(got["status"], inc.status.as_str());
    // The anonymous reader of the open demo is a viewer: personal fields stay empty.
    for personal in ["description", "reporter", "phone"] {
        assert!(
            got.get(personal).is_none_or(Value::is_null),
            "{personal} leaked"
        );
    }
    for w in got["workers"].as_array().unwrap() {
        assert!(w["name"].is_null(), "worker name leaked: {w}");
    }
    let text = got.to_string();
    assert!(!text.contains("phone"), "{text}");
    let history = got["history"].as_array().unwrap();
    assert_eq!(history[0]["step"], "reported");
    assert_eq!(
        history.last().unwrap()["step"],
        inc.lifecycle.steps().last().unwrap().0.as_str()
    );
    // The grid is the revision valid at report time, as /api/locate?at= says.
    let loc = core()
        .locate_at(inc.location.x(), inc.location.y(), inc.occurred_at())
        .unwrap();
    assert_eq!(
        got["grid"]["code"],
        loc.grid.unwrap().code.to_string().as_str()
    );
    // Cameras nearest first, each with a sector and an independent view test: flat-earth
    // bearing and distance (fine at these ranges), skipping cameras within a hair of an edge.
    let cams = got["cameras"].as_array().unwrap();
    assert_eq!(cams.len(), 10);
    let m_per_deg = 6_371_008.8_f64.to_radians();
    for w in cams.windows(2) {
        assert!(w[0]["distance_m"].as_f64() <= w[1]["distance_m"].as_f64());
    }
    for c in cams {
        let f = |k: &str| c[k].as_f64().unwrap();
        let dx = (inc.location.x() - f("lon")) * m_per_deg * f("lat").to_radians().cos();
        let dy = (inc.location.y() - f("lat")) * m_per_deg;
        let dist = dx.hypot(dy);
        let bearing = dx.atan2(dy).to_degrees().rem_euclid(360.0);
        let off = (bearing - f("facing_deg")).rem_euclid(360.0);
        let off = off.min(360.0 - off);
        if (dist - f("range_m")).abs() < 0.5 || (off - f("fov_deg") / 2.0).abs() < 0.5 {
            continue;
        }
        let sees = dist <= f("range_m") && (f("fov_deg") >= 360.0 || off <= f("fov_deg") / 2.0);
        assert_eq!(c["faces_incident"], sees, "{c}");
    }
    assert!(got["nearest_worker"]["distance_m"].as_f64().is_some());
}

#[tokio::test]
async fn bad_and_unknown_requests() {
    for (uri, want) in [
        ("/api/admin/433199/children", StatusCode::NOT_FOUND),
        ("/api/admin/abc/children", StatusCode::BAD_REQUEST),
        ("/api/admin/4331011/children", StatusCode::BAD_REQUEST),
        ("/api/admin/433199/stats", StatusCode::NOT_FOUND),
        ("/api/grids/433101999999999/stats", StatusCode::NOT_FOUND),
        ("/api/grids/43310100100100/stats", StatusCode::BAD_REQUEST),
        (
            "/api/grids/433101001001001/stats?from=yesterday",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/admin/433100/stats?from=2025-01-01T00:00:00Z&to=2024-01-01T00:00:00Z",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/admin/433100/stats?category=crime",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/ranking", StatusCode::BAD_REQUEST),
        (
            "/api/ranking?parent=433100&by=speed",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/ranking?parent=433100&order=up",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/ranking?parent=433100&limit=0",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/ranking?parent=433100&limit=x",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/ranking?parent=439900", StatusCode::NOT_FOUND),
        ("/api/search", StatusCode::BAD_REQUEST),
        ("/api/search?q=%20", StatusCode::BAD_REQUEST),
        ("/api/search?q=4331&limit=101", StatusCode::BAD_REQUEST),
        ("/api/search?q=4331&limit=-1", StatusCode::BAD_REQUEST),
        ("/api/incidents/99999999", StatusCode::NOT_FOUND),
        ("/api/incidents/abc", StatusCode::BAD_REQUEST),
        ("/api/incidents/1?k=0", StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = get(shared(), uri).await;
        assert_eq!(status, want, "{uri}: {body}");
        assert!(
            body["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{uri}: {body}"
        );
    }
    // A county code with no data under it is still a real unit only if it is in the layer.
    let (status, _) = get(shared(), "/api/ranking?parent=433100&limit=5").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn not_ready_is_503() {
    let (r, _dir) = router(false);
    for uri in [
        "/api/summary",
        "/api/admin",
        "/api/search?q=1",
        "/api/ranking?parent=433100",
        "/api/incidents/1",
    ] {
        let (status, _) = get(&r, uri).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
    }
}
