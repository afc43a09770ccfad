//! Who may see and change what, over the real binary: every route for every role (and
//! anonymous) in the open local demo and in login mode, write scope of a township user,
//! personal fields by role, the audit log, tokens at rest, disabled users, the login cookie.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use onemap_e2e::{add_user, onemap, run, Server, TEST_UNIT};
use serde_json::{json, Value};

const ROLES: [&str; 5] = ["viewer", "operator", "planner", "gis", "admin"];

fn demo_store(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("access.gpkg");
    onemap(&["demo", "--counties", "1"], &store);
    store
}

/// One route of the matrix: method, path, JSON body, and the least role that may call it
/// (`viewer` for reads).
struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    needs: &'static str,
}

fn route(method: &'static str, path: &str, body: Option<Value>, needs: &'static str) -> Route {
    Route {
        method,
        path: path.to_owned(),
        body,
        needs,
    }
}

/// Every route of the API. Write bodies are deliberately incomplete: once the caller passes
/// the role check, the route answers 400/404/412 and writes nothing.
fn routes(incident: u64, grid: &str) -> Vec<Route> {
    let r = |m, p: &str, b, n| route(m, p, b, n);
    vec![
        r("GET", "/api/summary", None, "viewer"),
        r("GET", "/api/counters", None, "viewer"),
        r("GET", "/api/admin", None, "viewer"),
        r("GET", "/api/search?q=%E5%90%89%E9%A6%96", None, "viewer"),
        r(
            "GET",
            "/api/locate?lon=109.7385&lat=28.3116",
            None,
            "viewer",
        ),
        r(
            "GET",
            "/api/nearest/cameras?lon=109.7385&lat=28.3116&k=3",
            None,
            "viewer",
        ),
        r(
            "GET",
            "/api/nearest/workers?lon=109.7385&lat=28.3116&k=3",
            None,
            "viewer",
        ),
        r("GET", &format!("/api/incidents/{incident}"), None, "viewer"),
        r("GET", &format!("/api/grids/{grid}/stats"), None, "viewer"),
        r(
            "GET",
            &format!("/api/grids/{grid}/revisions"),
            None,
            "viewer",
        ),
        r("GET", "/api/changes?since=0&limit=1", None, "viewer"),
        r("GET", "/collections", None, "viewer"),
        r("GET", "/collections/grids/items?limit=2", None, "viewer"),
        r(
            "GET",
            &format!("/collections/grids/items/{grid}"),
            None,
            "viewer",
        ),
        r("GET", "/conformance", None, "viewer"),
        r("GET", "/style.json", None, "viewer"),
        r("GET", "/tiles/grids.json", None, "viewer"),
        r("GET", "/tiles/grids/12/3300/1711.mvt", None, "viewer"),
        r("GET", "/tiles/heatmap/8/206/106.mvt", None, "viewer"),
        r("POST", "/api/incidents", Some(json!({})), "operator"),
        r(
            "POST",
            "/api/incidents/1/accept",
            Some(json!({"time": "not a time"})),
            "operator",
        ),
        r("POST", "/api/positions", Some(json!({})), "operator"),
        r("POST", "/api/edits/preview", Some(json!({})), "planner"),
        r("POST", "/api/edits/commit", Some(json!({})), "planner"),
        r("POST", "/api/edits", Some(json!({})), "planner"),
        r(
            "POST",
            &format!("/api/grids/{grid}/revert"),
            Some(json!({})),
            "planner",
        ),
        r(
            "POST",
            "/collections/grids/items",
            Some(json!({})),
            "planner",
        ),
        r(
            "PUT",
            &format!("/collections/grids/items/{grid}"),
            Some(json!({})),
            "planner",
        ),
        r(
            "PATCH",
            &format!("/collections/grids/items/{grid}"),
            Some(json!({})),
            "planner",
        ),
        r(
            "DELETE",
            &format!("/collections/grids/items/{grid}"),
            None,
            "planner",
        ),
        r("POST", "/api/imports", None, "gis"),
        r("GET", "/api/imports/nope", None, "gis"),
        r("GET", "/api/imports/nope/features.geojson", None, "gis"),
        r("POST", "/api/imports/nope/commit", None, "gis"),
        r("DELETE", "/api/imports/nope", None, "gis"),
        r("GET", "/api/users", None, "admin"),
        r("GET", "/api/audit", None, "admin"),
        r("GET", "/metrics", None, "admin"),
    ]
}

fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap()
}

fn call(server: &Server, r: &Route, token: Option<&str>) -> u16 {
    let auth = token.map_or_else(String::new, |t| format!("Bearer {t}"));
    server
        .request(
            r.method,
            &r.path,
            &[("authorization", &auth)],
            r.body.as_ref(),
        )
        .0
}

/// What a caller with `role` (`None`: anonymous) must get: 401 anonymous where a user is
/// needed, 403 below the route's role, and otherwise anything but 401/403 (a 2xx, or the
/// route's own 400/404/412 for the incomplete write bodies).
fn expected(r: &Route, role: Option<&str>, open: bool) -> &'static str {
    match role {
        None if open && r.needs == "viewer" => "allowed",
        None => "401",
        Some(x) if rank(x) < rank(r.needs) => "403",
        Some(_) => "allowed",
    }
}

fn verdict(status: u16) -> &'static str {
    match status {
        401 => "401",
        403 => "403",
        _ => "allowed",
    }
}

/// The whole matrix; returns the mismatches as lines.
fn matrix(
    server: &Server,
    tokens: &BTreeMap<&str, String>,
    incident: u64,
    grid: &str,
    open: bool,
) -> Vec<String> {
    let mut bad = Vec::new();
    let mut cells = 0;
    for r in routes(incident, grid) {
        let callers = std::iter::once(None).chain(ROLES.iter().map(|x| Some(*x)));
        for role in callers {
            let status = call(server, &r, role.map(|x| tokens[x].as_str()));
            cells += 1;
            assert!(
                status < 500,
                "{} {} as {role:?}: {status}",
                r.method,
                r.path
            );
            let want = expected(&r, role, open);
            if verdict(status) != want {
                bad.push(format!(
                    "{} {} as {}: {status}, expected {want}",
                    r.method,
                    r.path,
                    role.unwrap_or("anonymous")
                ));
            }
        }
    }
    eprintln!(
        "role matrix ({}): {cells} cells, {} wrong",
        if open { "open demo" } else { "login" },
        bad.len()
    );
    bad
}

fn users(store: &Path, unit: &str) -> BTreeMap<&'static str, String> {
    ROLES
        .iter()
        .map(|r| (*r, add_user(store, &[], &format!("m-{r}"), r, unit)))
        .collect()
}

#[test]
#[allow(clippy::too_many_lines)] // the matrix in both modes, then the login and the budget
fn every_route_for_every_role_in_open_and_login_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    let tokens = users(&store, TEST_UNIT);
    let server = Server::start(&store, Duration::from_mins(5));
    let id_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let incident: u64 =
        id_of(&server.get("/collections/incidents/items?limit=1")["features"][0]["id"])
            .parse()
            .unwrap();
    let grid = id_of(&server.get("/collections/grids/items?limit=1")["features"][0]["id"]);
    let me = server
        .request("GET", "/api/me", &[("authorization", "")], None)
        .2;
    assert_eq!(me["mode"], "open", "{me}");
    assert_eq!(me["user"], Value::Null);
    let bad = matrix(&server, &tokens, incident, &grid, true);
    assert!(bad.is_empty(), "open demo:\n{}", bad.join("\n"));
    drop(server);

    // The same store behind `--login`: nothing without a user but health, login and files.
    let server = Server::start_with(&store, &[OsStr::new("--login")], Duration::from_mins(5));
    let bad = matrix(&server, &tokens, incident, &grid, false);
    assert!(bad.is_empty(), "login mode:\n{}", bad.join("\n"));
    for open in ["/health", "/ready", "/api/me"] {
        let (s, _, _) = server.request("GET", open, &[("authorization", "")], None);
        assert_eq!(s, 200, "{open} without login");
    }
    let me = server
        .request("GET", "/api/me", &[("authorization", "")], None)
        .2;
    assert_eq!(me["mode"], "login");
    // A bad token is refused even where anonymous reading would be allowed.
    let (s, _, _) = server.request(
        "GET",
        "/api/summary",
        &[("authorization", "Bearer om_12_34")],
        None,
    );
    assert_eq!(s, 401);

    // The login sets an HTTP-only cookie that signs in every later request.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent
        .post(format!("{}/api/login", server.base))
        .send_json(json!({ "token": tokens["viewer"] }))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let (s, _, body) = server.request(
        "GET",
        "/api/me",
        &[("authorization", ""), ("cookie", &pair)],
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(body["user"]["role"], "viewer", "{body}");
    let resp = agent
        .post(format!("{}/api/login", server.base))
        .send_json(json!({ "token": "om_00_11" }))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    drop(server);

    // A user sending faster than the rate budget gets 429 with Retry-After; others do not.
    let server = Server::start_with(
        &store,
        &[OsStr::new("--rate-per-user"), OsStr::new("5")],
        Duration::from_mins(5),
    );
    let vb = format!("Bearer {}", tokens["viewer"]);
    let statuses: Vec<u16> = (0..80)
        .map(|_| {
            server
                .request("GET", "/api/counters", &[("authorization", &vb)], None)
                .0
        })
        .collect();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    eprintln!("rate limit 5/s (burst 50): {refused} of 80 quick requests refused");
    assert!(
        refused >= 20 && statuses[..40].iter().all(|s| *s == 200),
        "{statuses:?}"
    );
    let ob = format!("Bearer {}", tokens["operator"]);
    assert_eq!(
        server
            .request("GET", "/api/counters", &[("authorization", &ob)], None)
            .0,
        200
    );
}

/// A township operator writes only in the township; personal fields by role; the audit
/// log names who wrote what from where; tokens are stored hashed; a disabled user is out.
#[test]
#[allow(clippy::too_many_lines)] // one user's story, step by step
fn township_scope_personal_fields_audit_and_tokens_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    let server = Server::start(&store, Duration::from_mins(5));
    // Two workers in different townships: workers stand inside their grid.
    let workers = server.get("/collections/workers/items?limit=400");
    let mut by_township: BTreeMap<String, (String, f64, f64)> = BTreeMap::new();
    for w in workers["features"].as_array().unwrap() {
        let c = &w["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let at = server.get(&format!("/api/locate?lon={lon}&lat={lat}"));
        if let Some(t) = at["township"]["code"].as_str() {
            by_township.entry(t.to_owned()).or_insert((
                w["id"].as_str().unwrap().to_owned(),
                lon,
                lat,
            ));
        }
    }
    assert!(
        by_township.len() >= 2,
        "workers in {} townships",
        by_township.len()
    );
    let mut it = by_township.iter();
    let (township, (w_in, lon_in, lat_in)) = it.next().unwrap();
    let (_, (w_out, lon_out, lat_out)) = it.next().unwrap();
    let op = add_user(&store, &[], "township-op", "operator", township);
    let viewer = add_user(&store, &[], "county-viewer", "viewer", TEST_UNIT);
    let bearer = format!("Bearer {op}");
    let h = [("authorization", bearer.as_str())];
    let report = |lon: f64, lat: f64| {
        server.request(
            "POST",
            "/api/incidents",
            &h,
            Some(&json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": { "category": "dispute", "description": "邻里纠纷 张三 13800000000", "reporter": "张三" } })),
        )
    };
    let (s, _, inside) = report(*lon_in, *lat_in);
    assert_eq!(s, 201, "report inside the township: {inside}");
    let (s, _, body) = report(*lon_out, *lat_out);
    assert_eq!(s, 403, "report outside the township: {body}");
    // Positions: their own worker yes, another township's no.
    let fix = |w: &str, lon: f64, lat: f64| {
        let line =
            json!({ "worker": w, "time": 1_790_000_000, "lon": lon, "lat": lat }).to_string();
        let auth = format!("Bearer {op}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(format!("{}/api/positions", server.base))
            .header("authorization", &auth)
            .header("content-type", "application/x-ndjson")
            .send(line.as_bytes())
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(fix(w_in, *lon_in, *lat_in), 200);
    assert_eq!(fix(w_out, *lon_out, *lat_out), 403);
    // A workflow step on an incident of another township is refused; in it, taken.
    let id = inside["ids"][0].as_u64().unwrap();
    let (s, _, body) = server.request(
        "POST",
        &format!("/api/incidents/{id}/accept"),
        &h,
        Some(&json!({})),
    );
    assert_eq!(s, 200, "{body}");
    let admin_report = server.post_json(
        "/api/incidents",
        &json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon_out, lat_out] },
            "properties": { "category": "dispute" } }),
    );
    assert_eq!(admin_report.0, 201);
    let other = admin_report.1["ids"][0].as_u64().unwrap();
    let (s, _, _) = server.request(
        "POST",
        &format!("/api/incidents/{other}/accept"),
        &h,
        Some(&json!({})),
    );
    assert_eq!(s, 403);

    // Personal fields: the operator sees the reporter, the viewer and anonymous do not.
    let vb = format!("Bearer {viewer}");
    for (who, auth, personal) in [
        ("operator", bearer.as_str(), true),
        ("viewer", vb.as_str(), false),
        ("anonymous", "", false),
    ] {
        let (s, _, inc) = server.request(
            "GET",
            &format!("/api/incidents/{id}"),
            &[("authorization", auth)],
            None,
        );
        assert_eq!(s, 200, "{who}");
        assert_eq!(
            inc["reporter"].as_str() == Some("张三"),
            personal,
            "{who}: {inc}"
        );
        assert_eq!(inc["description"].as_str().is_some(), personal, "{who}");
        let w = server
            .request(
                "GET",
                &format!("/collections/workers/items/{w_in}"),
                &[("authorization", auth)],
                None,
            )
            .2;
        assert_eq!(
            w["properties"].get("name").is_some(),
            personal,
            "{who}: {w}"
        );
        assert_eq!(
            w["properties"].get("phone").is_some(),
            personal,
            "{who}: {w}"
        );
    }

    // The audit log: who, when, what, from where; JSON and CSV; admin only.
    let audit = server.get("/api/audit?user=township-op");
    let records = audit["records"].as_array().unwrap();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["report", "positions", "step"], "{audit}");
    for r in records {
        assert_eq!(r["user"], "township-op");
        assert_eq!(r["origin"], "127.0.0.1");
        assert!(r["time"].as_str().unwrap().starts_with("20"));
    }
    let (s, body) = server.get_bytes("/api/audit?format=csv&kind=report");
    assert_eq!(s, 200);
    let csv = String::from_utf8(body).unwrap();
    assert!(
        csv.starts_with("seq,time,user,origin,kind,summary,layers,rows\n"),
        "{csv}"
    );
    assert!(csv.contains(",township-op,127.0.0.1,report,"), "{csv}");
    let (s, _, _) = server.request("GET", "/api/audit", &h, None);
    assert_eq!(s, 403);

    // Tokens at rest: only argon2id hashes, never the secret.
    let dump = run(
        "python3",
        &["-c", "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print('\\n'.join(r[0] for r in c.execute('select hash from onemap_tokens')))", store.to_str().unwrap()],
    );
    let secret = op.rsplit('_').next().unwrap();
    assert!(
        !dump.contains(secret),
        "a token's secret is stored in clear"
    );
    assert!(
        dump.lines().count() >= 3 && dump.lines().all(|l| l.starts_with("$argon2id$")),
        "{dump}"
    );

    // A disabled user's token stops working (this token was never used, so never cached).
    let late = add_user(&store, &[], "leaver", "operator", TEST_UNIT);
    onemap(&["user", "disable", "leaver"], &store);
    let (s, _, _) = server.request(
        "GET",
        "/api/me",
        &[("authorization", &format!("Bearer {late}"))],
        None,
    );
    assert_eq!(s, 200, "/api/me is public");
    let (s, _, _) = server.request(
        "GET",
        "/api/summary",
        &[("authorization", &format!("Bearer {late}"))],
        None,
    );
    assert_eq!(s, 401);
}
