//! Grid edits on demo data: a shared-vertex move keeps the coverage free of gaps and
//! overlaps, split and merge keep the area (all cross-checked with shapely), impact counts
//! equal a brute-force recount, a stale base is caught, revert restores the exact geometry,
//! and incidents keep the revision valid when they occurred.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

mod common;

use std::collections::{HashMap, HashSet};

use geo::{Area, BoundingRect, Centroid, Contains};
use geo_core::codes::GridCode;
use geo_core::demo::{generate, DemoConfig};
use geo_core::edit::{blocking, plan, preview, EditOp, Limits};
use geo_core::formats::to_wkt;
use geo_core::index::Core;
use geo_core::model::{Dataset, Grid};
use geo_core::validate::Check;
use geo_types::{Coord, Geometry};
use serde_json::json;

/// When the edits take effect: after every demo revision began.
const AT: i64 = 1_800_000_000;

fn data() -> Dataset {
    let cfg = DemoConfig::prefecture()
        .with_counties(1)
        .with_grids(600)
        .with_incidents(20_000)
        .with_cameras(600)
        .with_workers(80)
        .with_patrols(30)
        .with_points_per_patrol(40);
    generate(&cfg).unwrap()
}

fn wkt(g: &Grid) -> String {
    to_wkt(&Geometry::MultiPolygon(g.geometry.clone()))
}

/// Vertices held by `min` or more current grids (3: inner nodes of the coverage), each
/// with the grids holding it.
fn shared_vertices(core: &Core, min: usize) -> Vec<(Coord<f64>, Vec<GridCode>)> {
    let mut by: HashMap<(u64, u64), HashSet<GridCode>> = HashMap::new();
    for g in core.grids().iter().filter(|g| g.valid_to.is_none()) {
        for p in &g.geometry.0 {
            for c in &p.exterior().0 {
                by.entry((c.x.to_bits(), c.y.to_bits()))
                    .or_default()
                    .insert(g.code);
            }
        }
    }
    let mut out: Vec<_> = by
        .into_iter()
        .filter(|(_, s)| s.len() >= min)
        .map(|((x, y), s)| {
            let mut v: Vec<_> = s.into_iter().collect();
            v.sort();
            (
                Coord {
                    x: f64::from_bits(x),
                    y: f64::from_bits(y),
                },
                v,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.x.total_cmp(&b.0.x).then(a.0.y.total_cmp(&b.0.y)));
    out
}

/// Each affected worker's grids, households and population before (over `core`) and after
/// (over `core` with the edit applied), recounted over every current grid: the impact's
/// worker loads must say the same.
fn check_worker_loads(core: &Core, p: &geo_core::edit::Preview, what: &str) {
    let after = core.apply(&p.edit.change_set("test", "test"));
    let recount = |c: &Core, w: &geo_core::model::WorkerId| {
        let on: Vec<&Grid> = c
            .grids()
            .iter()
            .filter(|g| g.valid_to.is_none() && g.workers.contains(w))
            .map(|g| &**g)
            .collect();
        (
            on.len() as u64,
            on.iter().map(|g| u64::from(g.households)).sum::<u64>(),
            on.iter().map(|g| u64::from(g.population)).sum::<u64>(),
        )
    };
    assert!(!p.impact.workers.is_empty(), "{what}: no worker load");
    for w in &p.impact.workers {
        let (b, a) = (&w.before, &w.after);
        assert_eq!(
            (b.grids, b.households, b.population),
            recount(core, &w.worker),
            "{what}: {} before",
            w.worker.0
        );
        assert_eq!(
            (a.grids, a.households, a.population),
            recount(&after, &w.worker),
            "{what}: {} after",
            w.worker.0
        );
    }
}

#[test]
fn edits_match_shapely_and_recounts() {
    let ds = data();
    let core = Core::new(ds.clone());
    let limits = Limits::default();
    let mut cases = Vec::new();

    // Shared-vertex moves: every grid holding the vertex moves it.
    let nodes = shared_vertices(&core, 3);
    assert!(nodes.len() >= 20, "{} inner nodes", nodes.len());
    for (k, (v, holders)) in nodes.iter().step_by(nodes.len() / 10).take(10).enumerate() {
        // A small move towards the first holder's centroid stays inside the star of the node.
        let c = core
            .grid_by_code(holders[0])
            .unwrap()
            .geometry
            .centroid()
            .unwrap();
        let to = [v.x + (c.x() - v.x) * 0.05, v.y + (c.y() - v.y) * 0.05];
        let p = preview(
            &core,
            &EditOp::MoveVertex {
                from: [v.x, v.y],
                to,
            },
            AT,
            &limits,
        )
        .unwrap();
        let moved: HashSet<GridCode> = p.edit.after.iter().map(|g| g.code).collect();
        assert_eq!(
            moved,
            holders.iter().copied().collect(),
            "node {k}: every holder moves"
        );
        assert!(
            !p.findings
                .iter()
                .any(|f| matches!(f.check, Check::Overlap | Check::Gap)),
            "node {k}: {:?}",
            p.findings
        );
        cases.push(json!({
            "kind": "coverage", "name": format!("move {k}"),
            "before": p.edit.before.iter().map(wkt).collect::<Vec<_>>(),
            "after": p.edit.after.iter().map(wkt).collect::<Vec<_>>(),
        }));
    }

    // A single-grid reshape of the same move opens an overlap or a gap: the preview says so.
    let (v, holders) = &nodes[0];
    let g = core.grid_by_code(holders[0]).unwrap();
    let c = g.geometry.centroid().unwrap();
    let to = Coord {
        x: v.x + (c.x() - v.x) * 0.3,
        y: v.y + (c.y() - v.y) * 0.3,
    };
    let mut alone = g.geometry.clone();
    for p in &mut alone.0 {
        p.exterior_mut(|r| {
            for q in &mut r.0 {
                if *q == *v {
                    *q = to;
                }
            }
        });
    }
    let p = preview(
        &core,
        &EditOp::Reshape {
            grid: g.code,
            geometry: alone,
        },
        AT,
        &limits,
    )
    .unwrap();
    assert!(
        p.findings.iter().any(|f| f.check == Check::Gap),
        "{:?}",
        p.findings
    );
    assert!(blocking(&p.findings));

    // Splits through the centroid, across the whole grid.
    let current: Vec<&Grid> = core
        .grids()
        .iter()
        .filter(|g| g.valid_to.is_none())
        .map(|g| &**g)
        .collect();
    let mut split_checked = 0;
    for (k, g) in current.iter().step_by(7).take(12).enumerate() {
        let b = g.geometry.bounding_rect().unwrap();
        let c = g.geometry.centroid().unwrap();
        let w = b.width();
        // Slightly tilted, with a kink, so both the frame walk and the boolean ops work.
        let line = vec![
            [b.min().x - w * 0.1, c.y() - b.height() * 0.05],
            [c.x(), c.y()],
            [b.max().x + w * 0.1, c.y() + b.height() * 0.1],
        ];
        let p = preview(
            &core,
            &EditOp::Split {
                grid: g.code,
                line: line.clone(),
            },
            AT,
            &limits,
        )
        .unwrap();
        assert_eq!(p.edit.after.len(), 2, "split {k}");
        assert!(
            !p.findings
                .iter()
                .any(|f| matches!(f.check, Check::Overlap | Check::Gap)),
            "split {k}: {:?}",
            p.findings
        );
        let (left, right) = (&p.edit.after[0], &p.edit.after[1]);
        assert_eq!(left.code, g.code);
        assert_eq!(left.revision, g.revision + 1);
        assert_eq!(right.revision, 1);
        assert_eq!(left.households + right.households, g.households);
        // Impact against a brute-force recount over every incident.
        let moved = ds
            .incidents
            .iter()
            .filter(|i| g.geometry.contains(&i.location) && right.geometry.contains(&i.location))
            .count() as u64;
        assert_eq!(
            p.impact.incidents.total, moved,
            "split {k}: incidents moved"
        );
        let cams = ds
            .cameras
            .iter()
            .filter(|c| right.geometry.contains(&c.location))
            .count() as u64;
        assert_eq!(p.impact.cameras.total, cams, "split {k}: cameras moved");
        check_worker_loads(&core, &p, &format!("split {k}"));
        let line_wkt = format!(
            "LINESTRING({})",
            line.iter()
                .map(|p| format!("{} {}", p[0], p[1]))
                .collect::<Vec<_>>()
                .join(",")
        );
        cases.push(json!({
            "kind": "split", "name": format!("split {k}"),
            "grid": wkt(g), "line": line_wkt,
            "pieces": [wkt(left), wkt(right)],
        }));
        split_checked += 1;
    }
    assert!(split_checked >= 10);

    // Merges of neighbours (two grids of a village sharing an inner node).
    let mut merged = 0;
    let edges = shared_vertices(&core, 2);
    let pairs = edges
        .iter()
        .flat_map(|(_, h)| h.iter().flat_map(move |&a| h.iter().map(move |&b| (a, b))));
    for (a, b) in pairs {
        if a >= b || a.village() != b.village() {
            continue;
        }
        // Grids that only touch at a corner are refused (not adjacent); those sharing an
        // edge merge.
        let Ok(p) = preview(&core, &EditOp::Merge { grids: vec![a, b] }, AT, &limits) else {
            continue;
        };
        let parts: Vec<&Grid> = p.edit.before.iter().collect();
        let sum: f64 = parts.iter().map(|g| g.geometry.unsigned_area()).sum();
        let m = &p.edit.after[0];
        assert!(
            (m.geometry.unsigned_area() - sum).abs() <= sum * 1e-4,
            "merge {a}+{b}"
        );
        assert_eq!(
            m.households,
            parts.iter().map(|g| g.households).sum::<u32>()
        );
        assert!(!blocking(&p.findings), "merge {a}+{b}: {:?}", p.findings);
        check_worker_loads(&core, &p, &format!("merge {a}+{b}"));
        cases.push(json!({
            "kind": "merge", "name": format!("merge {a}+{b}"),
            "parts": parts.iter().map(|g| wkt(g)).collect::<Vec<_>>(),
            "merged": wkt(m),
        }));
        merged += 1;
        if merged == 5 {
            break;
        }
    }
    let villages: HashSet<_> = current.iter().map(|g| g.code.village()).collect();
    assert!(
        merged >= 3,
        "{merged} merges; {} grids in {} villages",
        current.len(),
        villages.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edits.json");
    std::fs::write(&file, json!({ "cases": cases }).to_string()).unwrap();
    let out = common::python::run("edit_shapely.py", &[&file]);
    println!("{out}");
    assert!(out.contains(" 0 mismatches"), "{out}");
}

#[test]
fn revisions_stale_bases_revert_and_history() {
    let ds = data();
    let core = Core::new(ds.clone());
    let g = core
        .grids()
        .iter()
        .find(|g| g.valid_to.is_none() && g.revision == 1)
        .map(|g| (**g).clone())
        .unwrap();
    let b = g.geometry.bounding_rect().unwrap();
    let c = g.geometry.centroid().unwrap();
    let line = vec![[b.min().x - 0.01, c.y()], [b.max().x + 0.01, c.y()]];
    let edit = plan(&core, &EditOp::Split { grid: g.code, line }, AT).unwrap();
    let base = HashMap::from([(g.code, g.revision)]);
    assert!(geo_core::edit::Edit::stale(&core, &base).is_empty());
    let changes = edit.change_set("planner", "new estate");
    assert!(changes.summary.contains("new estate"));
    // Old revision ended, new one begun at the same instant.
    let ended = changes
        .upserts
        .grids
        .iter()
        .find(|r| r.code == g.code && r.revision == 1)
        .unwrap();
    assert_eq!(ended.valid_to, Some(AT));
    let next = core.apply(&changes);
    let now = next.grid_by_code(g.code).unwrap();
    assert_eq!((now.revision, now.valid_from), (2, AT));
    assert_eq!(next.grid_revisions(g.code).len(), 2);

    // The base the edit was drawn on is stale now.
    let stale = geo_core::edit::Edit::stale(&next, &base);
    assert_eq!(stale.len(), 1);
    assert_eq!((stale[0].base, stale[0].current), (1, Some(2)));

    // Incidents: those that occurred before the split keep revision 1, placed by the core.
    let right = &edit.after[1];
    let mut checked = 0;
    for (i, inc) in next.incidents().iter() {
        if right.geometry.contains(&inc.location) && inc.occurred_at() < AT {
            let placed = next.incident_grid(i).map(|k| {
                let r = &next.grids()[k];
                (r.code, r.revision)
            });
            assert_eq!(placed, Some((g.code, 1)), "incident {}", inc.id.0);
            checked += 1;
        }
    }
    assert!(checked > 0);
    // At a time after the split, a point in the right piece is in the new grid.
    let p = right.geometry.centroid().unwrap();
    if right.geometry.contains(&p) {
        let l = next.locate_at(p.x(), p.y(), AT + 10).unwrap();
        assert_eq!(l.grid.map(|r| r.code), Some(right.code));
        let l = next.locate_at(p.x(), p.y(), AT - 10).unwrap();
        assert_eq!(l.grid.map(|r| (r.code, r.revision)), Some((g.code, 1)));
    }

    // Revert brings back revision 1's exact boundary as revision 3 (undoing the split in
    // full also retires the split-off grid, below).
    let rev = plan(
        &next,
        &EditOp::Revert {
            to: vec![(g.code, 1)],
        },
        AT + 60,
    )
    .unwrap();
    let after = next.apply(&rev.change_set("planner", "undo"));
    let back = after.grid_by_code(g.code).unwrap();
    assert_eq!(back.revision, 3);
    assert_eq!(back.geometry, g.geometry);
    assert_eq!(after.grid_revisions(g.code).len(), 3);

    // One revert undoes the split in full: the old code back to revision 1, the split-off
    // grid to revision 0 (before it existed: retired), with no gap or overlap between.
    let undo = preview(
        &next,
        &EditOp::Revert {
            to: vec![(g.code, 1), (right.code, 0)],
        },
        AT + 60,
        &Limits::default(),
    )
    .unwrap();
    assert!(!blocking(&undo.findings), "{:?}", undo.findings);
    let undone = next.apply(&undo.edit.change_set("planner", "undo"));
    assert_eq!(undone.grid_by_code(g.code).unwrap().geometry, g.geometry);
    assert!(undone.grid_by_code(right.code).is_none());
    let err = plan(
        &undone,
        &EditOp::Revert {
            to: vec![(right.code, 0)],
        },
        AT + 90,
    );
    assert!(err.is_err(), "a retired grid cannot be ended again");

    // Retire ends the split-off grid without a new revision.
    let ret = plan(&after, &EditOp::Retire { grid: right.code }, AT + 120).unwrap();
    let gone = after.apply(&ret.change_set("planner", "retire"));
    assert!(gone.grid_by_code(right.code).is_none());
    assert_eq!(gone.grid_revisions(right.code).len(), 1);

    // Reassign: a new revision with the same boundary, workers' lists follow.
    let w = ds
        .workers
        .iter()
        .find(|w| !g.workers.contains(&w.id))
        .unwrap();
    let re = plan(
        &gone,
        &EditOp::Reassign {
            grid: g.code,
            workers: vec![w.id.clone()],
        },
        AT + 180,
    )
    .unwrap();
    assert_eq!(re.after[0].geometry, g.geometry);
    let nw = re.workers.iter().find(|x| x.id == w.id).unwrap();
    assert!(nw.grids.contains(&g.code));
    for old in &g.workers {
        if let Some(x) = re.workers.iter().find(|x| x.id == *old) {
            assert!(!x.grids.contains(&g.code));
        }
    }
    // The core shows the new lists (kept beside the roster, as moves are) like a rebuild.
    let re_core = gone.apply(&re.change_set("planner", "reassign"));
    let rebuilt = Core::new(re_core.to_dataset());
    for x in &re.workers {
        let i = re_core.worker_index(&x.id).unwrap();
        assert_eq!(re_core.workers().get(i).unwrap().grids, x.grids);
        let j = rebuilt.worker_index(&x.id).unwrap();
        assert_eq!(
            rebuilt.workers().get(j).unwrap(),
            re_core.workers().get(i).unwrap()
        );
    }
    let nearest = |c: &Core| {
        c.nearest_workers(w.location.x(), w.location.y(), 5)
            .unwrap()
            .len()
    };
    assert_eq!(nearest(&re_core), nearest(&rebuilt));

    // Bad input is refused, never a panic.
    assert!(plan(
        &core,
        &EditOp::Split {
            grid: g.code,
            line: vec![[c.x(), c.y()]]
        },
        AT
    )
    .is_err());
    assert!(plan(
        &core,
        &EditOp::Split {
            grid: g.code,
            line: vec![[f64::NAN, 0.0], [1.0, 1.0]]
        },
        AT
    )
    .is_err());
    let far = vec![[0.0, 0.0], [0.001, 0.001]];
    assert!(plan(
        &core,
        &EditOp::Split {
            grid: g.code,
            line: far
        },
        AT
    )
    .is_err());
    assert!(plan(
        &core,
        &EditOp::MoveVertex {
            from: [0.0, 0.0],
            to: [1.0, 1.0]
        },
        AT
    )
    .is_err());
    assert!(plan(
        &core,
        &EditOp::Merge {
            grids: vec![g.code]
        },
        AT
    )
    .is_err());
}
