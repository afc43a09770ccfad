//! The HTTP layer's parsers from arbitrary bytes, through the real router over a small
//! demo store: every GET route's path segments and query string (tile addresses and
//! filters, bbox, datetime, limits, codes, search text), and the edit preview's JSON body,
//! as an anonymous reader of the open demo and as an admin bound to one township. Every
//! answer must be below 500: a bad parameter is the caller's 4xx, never the server's fault.
//!
//! Input: byte 0 picks the route, byte 1 bit 0 the caller; the rest is text: path segments
//! split by `/` up to the first `?`, then the query string (for the preview: the body).
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request, Uri};
use axum::Router;
use geo_core::access::{token, Role, User};
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeKind, ChangeSet, Store};
use tile_server::auth::AccessMode;
use tile_server::params;
use tile_server::routes::tiles::tile_filter;
use tile_server::{app, AppState, Config};
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// Route templates; each `{}` takes the next path segment of the input.
const ROUTES: &[&str] = &[
    "/tiles/{}/{}/{}/{}",
    "/tiles/{}",
    "/collections/{}/items",
    "/collections/{}/items/{}",
    "/collections/{}/queryables",
    "/collections/{}",
    "/api/locate",
    "/api/nearest/cameras",
    "/api/nearest/workers",
    "/api/summary",
    "/api/counters",
    "/api/admin",
    "/api/admin/{}/children",
    "/api/admin/{}/stats",
    "/api/grids/{}/stats",
    "/api/grids/{}/revisions",
    "/api/grids/{}/diff",
    "/api/ranking",
    "/api/search",
    "/api/incidents/{}",
    "/api/changes",
    "/api/audit",
    "/api/users",
    "/api/me",
    "/style.json",
    "/api/edits/preview",
];

struct Service {
    rt: Runtime,
    router: Router,
    token: String,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (router, token) = rt.block_on(async {
            let dir = tempfile::tempdir().expect("tempdir").keep();
            let store = GpkgStore::open(dir.join("fuzz.gpkg")).expect("store");
            let cfg = DemoConfig::county_sample();
            store
                .apply(ChangeSet {
                    upserts: generate(&cfg).expect("demo"),
                    kind: ChangeKind::Demo,
                    ..ChangeSet::default()
                })
                .await
                .expect("apply");
            let data = store.load().await.expect("load");
            let core = Core::new(data);
            let township = core
                .locate(109.74, 28.31)
                .ok()
                .and_then(|l| l.township)
                .map(|t| t.code)
                .expect("a township");
            let state = AppState::new(
                Arc::new(store),
                Config {
                    access: AccessMode::Open,
                    rate_per_user: 0,
                    ..Config::default()
                },
            );
            state.set_core(core);
            let issued = token::issue("fuzz", "fuzz", 0).expect("token");
            state
                .apply(ChangeSet {
                    users: vec![User {
                        name: "fuzz".into(),
                        role: Role::Admin,
                        unit: Some(township),
                        disabled: false,
                        created_at: 0,
                    }],
                    tokens: vec![issued.record],
                    kind: ChangeKind::Users,
                    author: "fuzz".into(),
                    summary: "user fuzz".into(),
                    ..ChangeSet::default()
                })
                .await
                .expect("user");
            (app(state), issued.token)
        });
        Service { rt, router, token }
    })
}

/// Percent-encodes every byte a URI's path segment or query may not hold as it is, keeping
/// `%` so that escapes (broken ones too) reach the parsers.
fn escape(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~%".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the shared parsers promise when they accept: a box with min <= max inside lon/lat
/// range, a window that starts before it ends.
fn promises(text: &str) {
    if let Ok(r) = params::bbox(text) {
        assert!(r.min().x <= r.max().x && r.min().y <= r.max().y, "bbox {text:?}: {r:?}");
        assert!((-180.0..=180.0).contains(&r.min().x) && (-90.0..=90.0).contains(&r.max().y));
    }
    if let Ok((Some(from), Some(to))) = params::datetime(text) {
        assert!(from < to, "datetime {text:?}: {from} >= {to}");
    }
    if let Ok(f) = tile_filter(Some(text)) {
        if let (Some(from), Some(to)) = (f.from, f.to) {
            assert!(from <= to, "tile filter {text:?}: {from} > {to}");
        }
    }
}

libfuzzer_sys::fuzz_target!(|d: &[u8]| {
    let Some((&pick, rest)) = d.split_first() else {
        return;
    };
    let (signed_in, rest) = match rest.split_first() {
        Some((&flags, rest)) => (flags & 1 == 1, rest),
        None => (false, rest),
    };
    let template = ROUTES[usize::from(pick) % ROUTES.len()];
    let text = String::from_utf8_lossy(rest);
    promises(&text);
    let (segments, query) = text.split_once('?').unwrap_or((&text, ""));
    let mut segments = segments.split('/');
    let mut path = String::new();
    for (i, part) in template.split("{}").enumerate() {
        if i > 0 {
            path.push_str(&escape(segments.next().unwrap_or_default(), b""));
        }
        path.push_str(part);
    }
    let preview = template == "/api/edits/preview";
    let uri = if preview || query.is_empty() {
        path
    } else {
        format!("{path}?{}", escape(query, b"&=,+:/;!*'()"))
    };
    let Ok(uri) = uri.parse::<Uri>() else {
        return;
    };
    let s = service();
    let mut req = Request::builder().uri(uri);
    if preview {
        req = req
            .method(Method::POST)
            .header("content-type", "application/json");
    }
    if signed_in {
        req = req.header("authorization", format!("Bearer {}", s.token));
    }
    let body = if preview {
        Body::from(query.to_owned())
    } else {
        Body::empty()
    };
    let Ok(req) = req.body(body) else {
        return;
    };
    let status = s
        .rt
        .block_on(s.router.clone().oneshot(req))
        .map_or(500, |r| r.status().as_u16());
    assert!(status < 500, "{template} answered {status} to {text:?}");
});
