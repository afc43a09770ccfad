//! Tests of the demo generator: determinism, counts, nesting, topology and placement, on a
//! one-county configuration, plus the full prefecture partition (no points).

#![allow(clippy::unwrap_used)] // test helpers

use std::collections::{HashMap, HashSet};

use geo::{unary_union, Area, BooleanOps, BoundingRect, Contains, Distance, Euclidean, Validation};
use geo_core::codes::{AdminCode, AdminLevel};
use geo_core::demo::{generate, generate_partition, DemoConfig, WINDOW_END, WINDOW_START};
use geo_core::model::{AdminUnit, Dataset, Grid};
use geo_types::{MultiPolygon, Point, Rect};

/// Square metres per square degree at Hunan's latitude (~28 N), for readable tolerances.
const M2_PER_DEG2: f64 = 111_320.0 * 111_320.0 * 0.88;

fn small() -> DemoConfig {
    DemoConfig::prefecture()
        .with_counties(1)
        .with_grids(300)
        .with_incidents(3_000)
        .with_cameras(800)
        .with_workers(500)
        .with_patrols(30)
        .with_points_per_patrol(60)
}

fn same(a: &Dataset, b: &Dataset) -> bool {
    a.admin == b.admin
        && a.grids == b.grids
        && a.cameras == b.cameras
        && a.incidents == b.incidents
        && a.incident_details == b.incident_details
        && a.patrols == b.patrols
        && a.workers == b.workers
        && a.centers == b.centers
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let a = generate(&small()).unwrap();
    let b = generate(&small()).unwrap();
    assert!(same(&a, &b));
    let c = generate(&small().with_seed(99)).unwrap();
    assert!(!same(&a, &c));
    // The real units do not depend on the seed, only their generated shapes do.
    let codes = |d: &Dataset| d.admin.iter().map(|u| u.code).collect::<Vec<_>>();
    assert_eq!(codes(&a), codes(&c));
}

#[test]
fn counts_are_as_configured() {
    let cfg = small();
    let d = generate(&cfg).unwrap();
    let villages = d
        .admin
        .iter()
        .filter(|u| u.level() == AdminLevel::Village)
        .count();
    assert!(villages > 50, "{villages} villages");
    assert_eq!(d.grids.len(), cfg.grids.max(villages));
    assert_eq!(d.incidents.len(), cfg.incidents);
    assert_eq!(d.incident_details.len(), cfg.incidents);
    assert_eq!(d.cameras.len(), cfg.cameras);
    assert_eq!(d.workers.len(), cfg.workers.max(d.grids.len()));
    assert_eq!(d.patrols.len(), cfg.patrols);
    assert_eq!(
        d.admin
            .iter()
            .filter(|u| u.level() == AdminLevel::County)
            .count(),
        1
    );
    assert_eq!(d.centers.len(), d.admin.len());
    let ids: HashSet<_> = d.cameras.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), d.cameras.len(), "camera ids are unique");
    let ids: HashSet<_> = d.workers.iter().map(|w| &w.id).collect();
    assert_eq!(ids.len(), d.workers.len(), "worker ids are unique");
    let ids: HashSet<_> = d.incidents.iter().map(|i| i.id).collect();
    assert_eq!(ids.len(), d.incidents.len(), "incident ids are unique");
    let codes: HashSet<_> = d.grids.iter().map(|g| g.code).collect();
    assert_eq!(codes.len(), d.grids.len(), "grid codes are unique");
}

fn area_m2(m: &MultiPolygon<f64>) -> f64 {
    m.unsigned_area() * M2_PER_DEG2
}

/// Children within the parent (< 1 m2 outside), areas summing to it (relative 1e-6), no
/// overlap and no gap (< 1 m2), all valid.
fn check_tiling(
    parent: &MultiPolygon<f64>,
    children: &[&MultiPolygon<f64>],
    what: &str,
) -> [f64; 4] {
    let parent_area = parent.unsigned_area();
    let mut sum = 0.0;
    let mut worst_outside: f64 = 0.0;
    for c in children {
        assert!(
            c.is_valid(),
            "{what}: invalid child {:?}",
            c.validation_errors()
        );
        let outside = area_m2(&c.difference(parent));
        worst_outside = worst_outside.max(outside);
        assert!(
            outside < 1.0,
            "{what}: child {outside} m2 outside its parent"
        );
        sum += c.unsigned_area();
    }
    let relative = ((sum - parent_area) / parent_area).abs();
    assert!(
        relative < 1e-6,
        "{what}: children's areas {sum} vs parent {parent_area}"
    );
    // Independent check: the union's area is the sum when siblings do not overlap.
    let union = unary_union(children.iter().flat_map(|c| c.0.iter()));
    let overlap = (sum - union.unsigned_area()) * M2_PER_DEG2;
    assert!(
        overlap.abs() < 1.0,
        "{what}: siblings overlap by {overlap} m2"
    );
    let gap = area_m2(&parent.difference(&union));
    assert!(gap < 1.0, "{what}: {gap} m2 of the parent not covered");
    [worst_outside, relative, overlap.abs(), gap]
}

fn check_partition(d: &Dataset) {
    let by_code: HashMap<AdminCode, &AdminUnit> = d.admin.iter().map(|u| (u.code, u)).collect();
    let mut children: HashMap<AdminCode, Vec<&MultiPolygon<f64>>> = HashMap::new();
    for u in &d.admin {
        assert!(u.geometry.is_valid(), "{} invalid", u.code);
        match u.code {
            AdminCode::Village(v) => assert_eq!(u.parent, Some(AdminCode::Township(v.township()))),
            AdminCode::Township(t) => assert_eq!(u.parent, Some(AdminCode::Division(t.county()))),
            AdminCode::Division(c) if u.level() == AdminLevel::County => {
                assert_eq!(u.parent, c.parent().map(AdminCode::Division));
            }
            AdminCode::Division(_) => {}
        }
        if let Some(p) = u.parent {
            assert!(by_code.contains_key(&p), "parent {p} of {} missing", u.code);
            // Counties come from real outlines; only generated levels must tile their parent.
            if matches!(u.level(), AdminLevel::Township | AdminLevel::Village) {
                children.entry(p).or_default().push(&u.geometry);
            }
        }
    }
    for g in &d.grids {
        assert_eq!(g.code.village(), g.village);
        children
            .entry(AdminCode::Village(g.village))
            .or_default()
            .push(&g.geometry);
    }
    let mut worst = [0.0_f64; 4];
    for (parent, kids) in &children {
        let unit = by_code.get(parent).unwrap();
        let w = check_tiling(&unit.geometry, kids, &parent.to_string());
        for (a, b) in worst.iter_mut().zip(w) {
            *a = a.max(b);
        }
    }
    eprintln!(
        "worst: child outside parent {:.2} m2, area sum relative error {:.2e}, sibling overlap {:.3} m2, gap {:.2} m2",
        worst[0], worst[1], worst[2], worst[3]
    );
    // Every county, township and village was checked (each has children).
    let expected = d
        .admin
        .iter()
        .filter(|u| {
            matches!(
                u.level(),
                AdminLevel::County | AdminLevel::Township | AdminLevel::Village
            )
        })
        .count();
    assert_eq!(children.len(), expected);
    for c in &d.centers {
        let unit = by_code.get(&c.code).unwrap();
        assert_eq!(c.level, c.code.level());
        assert!(
            unit.geometry.contains(&c.location),
            "center {} outside its unit",
            c.code
        );
    }
}

#[test]
fn units_and_grids_nest_and_tile() {
    check_partition(&generate_partition(&small()).unwrap());
}

fn vertices(m: &MultiPolygon<f64>) -> impl Iterator<Item = geo_types::Coord<f64>> + '_ {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().copied())
}

/// Where a sibling's vertex touches a neighbour's boundary, the neighbour has that very
/// vertex (no T-junctions, bitwise-identical coordinates).
fn check_shared_vertices(siblings: &[&MultiPolygon<f64>], what: &str) -> usize {
    let mut shared = 0;
    for (i, a) in siblings.iter().enumerate() {
        for (j, b) in siblings.iter().enumerate() {
            if i == j {
                continue;
            }
            let bv: HashSet<(u64, u64)> = vertices(b)
                .map(|c| (c.x.to_bits(), c.y.to_bits()))
                .collect();
            let rings: Vec<_> =
                b.0.iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .collect();
            for c in vertices(a) {
                let p = Point::from(c);
                if rings.iter().any(|r| Euclidean.distance(&p, *r) < 1e-9) {
                    assert!(
                        bv.contains(&(c.x.to_bits(), c.y.to_bits())),
                        "{what}: {c:?} is on a neighbour's edge but not its vertex"
                    );
                    shared += 1;
                }
            }
        }
    }
    shared
}

#[test]
fn siblings_share_identical_vertices() {
    siblings_share_identical_vertices_in(&small());
}

#[test]
fn wiggly_edges_nest_tile_and_stay_shared() {
    let cfg = small().with_grids(120).with_edge_vertices(100);
    let d = generate_partition(&cfg).unwrap();
    check_partition(&d);
    let mut n: Vec<usize> = d
        .grids
        .iter()
        .map(|g| vertices(&g.geometry).count())
        .collect();
    n.sort_unstable();
    assert!(
        n[n.len() / 2] >= 100,
        "median {} vertices per grid",
        n[n.len() / 2]
    );
    siblings_share_identical_vertices_in(&cfg);
}

fn siblings_share_identical_vertices_in(cfg: &DemoConfig) {
    let d = generate_partition(cfg).unwrap();
    let mut groups: HashMap<String, Vec<&MultiPolygon<f64>>> = HashMap::new();
    for g in &d.grids {
        groups
            .entry(g.village.to_string())
            .or_default()
            .push(&g.geometry);
    }
    for u in &d.admin {
        if let Some(p) = u
            .parent
            .filter(|_| matches!(u.level(), AdminLevel::Township | AdminLevel::Village))
        {
            groups.entry(p.to_string()).or_default().push(&u.geometry);
        }
    }
    let shared: usize = groups
        .iter()
        .map(|(k, v)| check_shared_vertices(v, k))
        .sum();
    assert!(
        shared > 1_000,
        "only {shared} shared vertices: the check saw no neighbours"
    );
}

/// Every grid containing `p` (bbox prefilter, then exact test).
fn grids_at<'a>(grids: &'a [(Rect<f64>, &'a Grid)], p: Point<f64>) -> Vec<&'a Grid> {
    grids
        .iter()
        .filter(|(b, g)| b.contains(&p) && g.geometry.contains(&p))
        .map(|(_, g)| *g)
        .collect()
}

#[test]
fn points_lie_inside_grids_and_patrols_are_timed() {
    let d = generate(&small()).unwrap();
    let boxes: Vec<_> = d
        .grids
        .iter()
        .map(|g| (g.geometry.bounding_rect().unwrap(), g))
        .collect();
    for i in &d.incidents {
        assert_eq!(grids_at(&boxes, i.location).len(), 1, "incident {:?}", i.id);
        let last = i.lifecycle.steps().map(|s| s.1).max();
        assert_eq!(
            i.lifecycle.at(i.status),
            last,
            "status is the last step reached"
        );
        assert!(last.unwrap() < WINDOW_END);
        assert!(i.occurred_at() >= WINDOW_START);
        assert!(i.deadline > i.occurred_at());
    }
    for c in &d.cameras {
        assert_eq!(grids_at(&boxes, c.location).len(), 1, "camera {}", c.id);
        let county = grids_at(&boxes, c.location)[0].village.township().county();
        assert_eq!(&c.id.center_code()[..6], county.to_string());
        assert!(matches!(c.id.device_type(), 131 | 132));
    }
    let grid_of: HashMap<_, _> = d.grids.iter().map(|g| (g.code, g)).collect();
    for w in &d.workers {
        assert!((1..=2).contains(&w.grids.len()));
        let first = grid_of.get(&w.grids[0]).unwrap();
        assert!(
            first.geometry.contains(&w.location),
            "worker {} outside its grid",
            w.id
        );
        for g in &w.grids {
            assert!(grid_of.get(g).unwrap().workers.contains(&w.id));
        }
    }
    assert!(d.grids.iter().all(|g| !g.workers.is_empty()));
    let worker_of: HashMap<_, _> = d.workers.iter().map(|w| (&w.id, w)).collect();
    for p in &d.patrols {
        assert_eq!(p.times.len(), p.track.0.len());
        assert!(p.times.windows(2).all(|t| t[0] < t[1]));
        let grid = grid_of
            .get(&worker_of.get(&p.worker).unwrap().grids[0])
            .unwrap();
        for c in &p.track.0 {
            assert!(
                grid.geometry.contains(&Point::from(*c)),
                "patrol {:?} leaves its grid",
                p.id
            );
        }
    }
}

#[test]
fn full_prefecture_partition() {
    let d = generate_partition(&DemoConfig::prefecture()).unwrap();
    let count = |l| d.admin.iter().filter(|u| u.level() == l).count();
    assert_eq!(count(AdminLevel::Prefecture), 1);
    assert_eq!(count(AdminLevel::County), 8);
    assert_eq!(count(AdminLevel::Township), 116);
    assert_eq!(count(AdminLevel::Village), 1_797);
    assert_eq!(d.grids.len(), 5_382);
    check_partition(&d);
}

#[test]
fn incident_and_camera_mixes_are_plausible() {
    use geo_core::model::{CameraStatus, Step};
    let d = generate(&small().with_incidents(20_000)).unwrap();
    let n = d.incidents.len() as f64;
    let share = |s: Step| d.incidents.iter().filter(|i| i.status == s).count() as f64 / n;
    assert!(share(Step::Closed) > 0.85, "closed {}", share(Step::Closed));
    assert!((0.01..0.03).contains(&share(Step::Cancelled)));
    assert!((0.005..0.025).contains(&share(Step::SentBack)));
    let open = d
        .incidents
        .iter()
        .filter(|i| !matches!(i.status, Step::Closed | Step::Cancelled | Step::SentBack))
        .count();
    assert!(
        open > 0,
        "some incidents are still open at the window's end"
    );
    let overdue = d
        .incidents
        .iter()
        .filter(|i| i.lifecycle.at(Step::Closed).is_some_and(|c| c > i.deadline))
        .count() as f64
        / n;
    assert!((0.02..0.22).contains(&overdue), "overdue share {overdue}");
    let offline = d
        .cameras
        .iter()
        .filter(|c| c.status == CameraStatus::Offline)
        .count() as f64
        / d.cameras.len() as f64;
    assert!((0.04..0.12).contains(&offline), "offline share {offline}");
    assert!(d
        .incident_details
        .iter()
        .all(|x| !x.description.is_empty() && x.reporter.contains("1990000")));
}
