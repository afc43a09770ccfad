//! Layer queries against brute-force filters; lookups by key; bad input and empty data.
#![allow(clippy::unwrap_used)]

mod common;

use common::checks;
use common::fixture::{self, Params};
use geo_core::codes::AdminCode;
use geo_core::index::{Core, Filter};
use geo_core::model::{Dataset, Layer};

#[test]
fn query_matches_brute_force() {
    let core = Core::new(fixture::dataset(&Params::small()));
    checks::query_matches_brute_force(&core, 300, 7);
}

#[test]
fn incidents_are_reordered_by_time_and_found_by_id() {
    let ds = fixture::dataset(&Params::small());
    let core = Core::new(ds.clone());
    let got = &core.to_dataset().incidents;
    assert!(got
        .windows(2)
        .all(|w| w[0].occurred_at() <= w[1].occurred_at()));
    let mut a: Vec<_> = ds.incidents.iter().map(|i| i.id).collect();
    let mut b: Vec<_> = got.iter().map(|i| i.id).collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
    for (i, inc) in got.iter().enumerate() {
        assert_eq!(core.incident_index(inc.id), Some(i));
    }
}

#[test]
fn lookups_by_key_find_the_feature() {
    let core = Core::new(fixture::dataset(&Params::small()));
    let ds = &core.to_dataset();
    for (i, c) in ds.cameras.iter().enumerate() {
        assert_eq!(core.camera_index(&c.id), Some(i));
    }
    for (i, w) in ds.workers.iter().enumerate() {
        assert_eq!(core.worker_index(&w.id), Some(i));
    }
    for (i, a) in ds.admin.iter().enumerate() {
        assert_eq!(core.admin_by_code(a.code), Some(a));
        assert_eq!(core.admin_index(a.code), Some(i));
    }
    for (i, p) in ds.patrols.iter().enumerate() {
        assert_eq!(core.patrol_index(p.id), Some(i));
    }
    for g in &ds.grids {
        let current = ds
            .grids
            .iter()
            .find(|h| h.code == g.code && h.valid_to.is_none());
        assert_eq!(core.grid_by_code(g.code), current);
        let revs = core.grid_revisions(g.code);
        assert!(revs.iter().any(|&i| ds.grids[i] == *g));
        assert!(revs
            .windows(2)
            .all(|w| ds.grids[w[0]].revision <= ds.grids[w[1]].revision));
    }
    assert!(core
        .admin_by_code("999999".parse::<AdminCode>().unwrap())
        .is_none());
}

#[test]
fn garbage_inputs_return_errors() {
    let core = Core::new(fixture::dataset(&Params::small()));
    checks::garbage_is_refused(&core);
}

#[test]
fn empty_dataset_answers_nothing() {
    let core = Core::new(Dataset::default());
    let loc = core.locate(109.6, 28.1).unwrap();
    assert!(loc.grid.is_none() && loc.county.is_none() && loc.workers.is_empty());
    assert!(core.nearest_cameras(109.6, 28.1, 10).unwrap().is_empty());
    assert!(core
        .nearest_workers(109.6, 28.1, usize::MAX)
        .unwrap()
        .is_empty());
    for layer in Layer::ALL {
        assert!(core.query(layer, &Filter::default()).unwrap().is_empty());
    }
    checks::garbage_is_refused(&core);
}

#[test]
fn location_serialises_with_codes_and_h3_as_strings() {
    let core = Core::new(fixture::dataset(&Params::small()));
    let g = core.grids().iter().find(|g| g.valid_to.is_none()).unwrap();
    let p = geo::InteriorPoint::interior_point(&g.geometry).unwrap();
    let loc = core.locate(p.x(), p.y()).unwrap();
    let v = serde_json::to_value(loc).unwrap();
    assert_eq!(v["h3_res9"], loc.h3_res9().to_string());
    assert_eq!(
        v["grid"]["code"],
        loc.grid.as_ref().unwrap().code.to_string()
    );
    assert_eq!(v["village"]["code"].as_str().unwrap().len(), 12);
    assert!(v["grid"].get("index").is_none());
    // The shape the HTTP layer relies on: these keys only, workers as {id, name}.
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "county", "grid", "h3_res9", "township", "village", "workers",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(
        v["h3_res9"],
        geo_core::h3::cell_at(p.x(), p.y(), 9).unwrap().to_string()
    );
    assert_eq!(v["h3_res9"].as_str().unwrap().len(), 15);
    let workers = v["workers"].as_array().unwrap();
    assert_eq!(workers.len(), g.workers.len());
    for (w, id) in workers.iter().zip(&g.workers) {
        let obj = w.as_object().unwrap();
        assert_eq!(obj.len(), 2, "{w}");
        assert_eq!(w["id"], serde_json::to_value(id).unwrap());
        assert!(w["name"].is_string());
    }
    for key in ["county", "township", "village"] {
        assert_eq!(v[key].as_object().unwrap().len(), 2, "{key}: {}", v[key]);
    }
    assert_eq!(v["grid"].as_object().unwrap().len(), 3);
    assert_eq!(v["grid"]["revision"], g.revision);
}

/// The exact JSON text of an answer, built from the dataset (not from the answer's fields).
#[test]
fn location_json_text_is_the_documented_shape() {
    let core = Core::new(fixture::dataset(&Params::small()));
    let ds = &core.to_dataset();
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let unit = |code: AdminCode| {
        let a = ds.admin.iter().find(|a| a.code == code).unwrap();
        format!(
            r#"{{"code":{},"name":{}}}"#,
            q(&code.to_string()),
            q(&a.name)
        )
    };
    let mut checked = 0;
    for g in ds.grids.iter().filter(|g| g.valid_to.is_none()).take(50) {
        let p = geo::InteriorPoint::interior_point(&g.geometry).unwrap();
        // Only points this grid alone covers (shared edges answer the lower index).
        if core.grid_at(p.x(), p.y()).map(|i| &ds.grids[i]) != Some(g) {
            continue;
        }
        let v = g.code.village();
        let workers: Vec<String> = g
            .workers
            .iter()
            .map(|id| {
                let name = ds
                    .workers
                    .iter()
                    .find(|w| &w.id == id)
                    .map_or("", |w| w.name.as_str());
                format!(r#"{{"id":{},"name":{}}}"#, q(&id.0), q(name))
            })
            .collect();
        let want = format!(
            r#"{{"county":{},"township":{},"village":{},"grid":{{"code":{},"name":{},"revision":{}}},"workers":[{}],"h3_res9":{}}}"#,
            unit(AdminCode::Division(v.township().county())),
            unit(AdminCode::Township(v.township())),
            unit(AdminCode::Village(v)),
            q(&g.code.to_string()),
            q(&g.name),
            g.revision,
            workers.join(","),
            q(&geo_core::h3::cell_at(p.x(), p.y(), 9).unwrap().to_string()),
        );
        let got = serde_json::to_string(&core.locate(p.x(), p.y()).unwrap()).unwrap();
        assert_eq!(got, want);
        checked += 1;
    }
    assert!(checked > 10, "only {checked} grids checked");
}
