//! Checks of the spatial core against brute force and independent implementations.
//! Each takes any `&Dataset` and panics with the first mismatch.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::manual_midpoint,
    clippy::needless_pass_by_value,
    clippy::cast_lossless,
    clippy::redundant_closure_for_method_calls,
    clippy::must_use_candidate,
    clippy::missing_panics_doc,
    clippy::many_single_char_names,
    clippy::single_match_else
)]

use std::collections::HashSet;

use geo::{BoundingRect, Contains, Intersects};
use geo_core::codes::{AdminCode, AdminLevel};
use geo_core::index::{haversine_m, Core, Filter};
use geo_core::model::{Category, Dataset, Layer, Step, UnixTime};
use geo_types::{Coord, Point, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The lon/lat box of every grid and admin unit, or a default box.
pub fn extent(ds: &Dataset) -> Rect<f64> {
    let rects = ds
        .grids
        .iter()
        .filter_map(|g| g.geometry.bounding_rect())
        .chain(ds.admin.iter().filter_map(|a| a.geometry.bounding_rect()));
    rects
        .reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
        .unwrap_or_else(|| Rect::new(Coord { x: 109.0, y: 28.0 }, Coord { x: 110.0, y: 29.0 }))
}

/// `n` random points over the extent grown by 5% on each side.
pub fn random_points(ds: &Dataset, n: usize, seed: u64) -> Vec<(f64, f64)> {
    let e = extent(ds);
    let (w, h) = (e.width(), e.height());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            (
                e.min().x - 0.05 * w + rng.random::<f64>() * 1.1 * w,
                e.min().y - 0.05 * h + rng.random::<f64>() * 1.1 * h,
            )
        })
        .collect()
}

/// Grid indices that (closed) cover and (open) contain `p`, among grids `valid`.
fn brute_grids(
    ds: &Dataset,
    boxes: &[Option<Rect<f64>>],
    p: Point<f64>,
    valid: impl Fn(usize) -> bool,
) -> (Vec<usize>, Vec<usize>) {
    let mut covers = Vec::new();
    let mut contains = Vec::new();
    for (i, g) in ds.grids.iter().enumerate() {
        let Some(r) = boxes[i] else { continue };
        if !valid(i) || !r.intersects(&p) {
            continue;
        }
        if g.geometry.intersects(&p) {
            covers.push(i);
            if g.geometry.contains(&p) {
                contains.push(i);
            }
        }
    }
    (covers, contains)
}

/// `core.locate` (or `locate_at(t)`) agrees with a scan of every grid with `geo`'s
/// predicates: the answer covers the point, any grid containing the point is the answer,
/// no answer means no grid contains it; the admin chain, workers and H3 cell follow.
/// Returns how many points had an answer on a boundary shared by 2+ grids.
pub fn locate_matches_brute_force(
    core: &Core,
    points: &[(f64, f64)],
    at: Option<UnixTime>,
) -> usize {
    let ds = &core.to_dataset();
    let boxes: Vec<Option<Rect<f64>>> = ds
        .grids
        .iter()
        .map(|g| g.geometry.bounding_rect())
        .collect();
    let valid = |i: usize| match at {
        Some(t) => ds.grids[i].valid_at(t),
        None => ds.grids[i].valid_to.is_none(),
    };
    let mut shared = 0;
    for &(lon, lat) in points {
        let p = Point::new(lon, lat);
        let loc = match at {
            Some(t) => core.locate_at(lon, lat, t),
            None => core.locate(lon, lat),
        }
        .unwrap();
        let (covers, contains) = brute_grids(ds, &boxes, p, valid);
        let got = loc.grid.as_ref().map(|g| g.index);
        match got {
            Some(g) => {
                assert!(
                    covers.contains(&g),
                    "{p:?}: grid {g} does not cover the point; covering: {covers:?}"
                );
                assert!(
                    contains.iter().all(|&c| c == g),
                    "{p:?}: answer {g} but {contains:?} contain it"
                );
                if covers.len() >= 2 {
                    shared += 1;
                }
                let grid = &ds.grids[g];
                let gr = loc.grid.as_ref().unwrap();
                assert_eq!(
                    (gr.code, &*gr.name, gr.revision),
                    (grid.code, grid.name.as_str(), grid.revision)
                );
                let v = grid.code.village();
                check_unit(ds, loc.village, AdminCode::Village(v));
                check_unit(ds, loc.township, AdminCode::Township(v.township()));
                check_unit(ds, loc.county, AdminCode::Division(v.township().county()));
                let ids: Vec<_> = loc.workers.iter().map(|w| &w.id).collect();
                assert_eq!(ids, grid.workers.iter().collect::<Vec<_>>());
                for w in loc.workers {
                    let named = ds
                        .workers
                        .iter()
                        .find(|x| x.id == w.id)
                        .map_or("", |x| x.name.as_str());
                    assert_eq!(&*w.name, named);
                }
            }
            None => {
                assert!(
                    contains.is_empty(),
                    "{p:?}: no answer but {contains:?} contain it"
                );
                assert!(loc.workers.is_empty());
                // The chain then comes from admin polygons: each unit named covers the point,
                // and a village containing the point is named.
                for unit in [&loc.county, &loc.township, &loc.village]
                    .into_iter()
                    .flatten()
                {
                    let a = ds.admin.iter().find(|a| a.code == unit.code).unwrap();
                    assert_eq!(&*unit.name, a.name.as_str());
                }
                if let Some(v) = &loc.village {
                    let a = ds.admin.iter().find(|a| a.code == v.code).unwrap();
                    assert!(
                        a.geometry.intersects(&p),
                        "{p:?}: village {} does not cover it",
                        v.code
                    );
                }
                let in_village: Vec<_> = ds
                    .admin
                    .iter()
                    .filter(|a| a.level() == AdminLevel::Village && a.geometry.contains(&p))
                    .map(|a| a.code)
                    .collect();
                if let Some(&c) = in_village.first() {
                    assert_eq!(
                        loc.village.as_ref().map(|v| v.code),
                        Some(c),
                        "{p:?}: in village {c}"
                    );
                }
            }
        }
        assert_eq!(loc.h3_res9(), geo_core::h3::cell_at(lon, lat, 9).unwrap());
    }
    shared
}

fn check_unit(ds: &Dataset, got: Option<&geo_core::index::UnitRef>, code: AdminCode) {
    match ds.admin.iter().find(|a| a.code == code) {
        Some(a) => {
            let u = got.unwrap_or_else(|| panic!("unit {code} missing"));
            assert_eq!((u.code, &*u.name), (code, a.name.as_str()));
        }
        None => assert!(got.is_none()),
    }
}

/// Every boundary point of a partition goes to exactly one grid, the same one whatever
/// the order of the grids in the dataset (the rule is geometric, not by index).
pub fn boundary_points_are_deterministic(ds: &Dataset, points: &[(f64, f64)]) {
    let core = Core::new(ds.clone());
    let mut shuffled = ds.clone();
    shuffled.grids.reverse();
    let other = Core::new(shuffled);
    for &(lon, lat) in points {
        let a = core.locate(lon, lat).unwrap().grid.map(|g| g.code);
        let b = other.locate(lon, lat).unwrap().grid.map(|g| g.code);
        assert_eq!(
            a, b,
            "({lon}, {lat}) resolves differently when grids are reordered"
        );
    }
}

/// `nearest_cameras` and `nearest_workers` agree with sorting every haversine distance.
pub fn nearest_matches_brute_force(core: &Core, queries: &[(f64, f64)], ks: &[usize]) {
    let ds = &core.to_dataset();
    let layers: [(&str, Vec<Point<f64>>); 2] = [
        ("cameras", ds.cameras.iter().map(|c| c.location).collect()),
        ("workers", ds.workers.iter().map(|w| w.location).collect()),
    ];
    for (name, pts) in &layers {
        for (qi, &(lon, lat)) in queries.iter().enumerate() {
            let mut brute: Vec<(f64, usize)> = pts
                .iter()
                .enumerate()
                .filter(|(_, p)| geo_core::h3::cell_at(p.x(), p.y(), 0).is_ok())
                .map(|(i, p)| (haversine_m(lon, lat, p.x(), p.y()), i))
                .collect();
            brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let k = ks[qi % ks.len()];
            let got = if *name == "cameras" {
                core.nearest_cameras(lon, lat, k)
            } else {
                core.nearest_workers(lon, lat, k)
            }
            .unwrap();
            assert_eq!(got.len(), k.min(brute.len()), "{name} k={k}");
            // 1e-6 relative; below a metre, 1e-6 m absolute (chord rounding near zero).
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0);
            let mut seen = HashSet::new();
            for (j, n) in got.iter().enumerate() {
                assert!(seen.insert(n.index), "{name}: {} returned twice", n.index);
                assert!(
                    close(n.distance_m, brute[j].0),
                    "{name} ({lon},{lat}) rank {j}: {} vs {}",
                    n.distance_m,
                    brute[j].0
                );
                let p = pts[n.index];
                assert!(close(n.distance_m, haversine_m(lon, lat, p.x(), p.y())));
                if j > 0 {
                    assert!(got[j - 1].distance_m <= n.distance_m);
                }
            }
        }
    }
}

/// A random filter over `ds`'s extent and time range.
fn random_filter(ds: &Dataset, rng: &mut ChaCha8Rng) -> Filter {
    let e = extent(ds);
    let bbox = (rng.random_range(0..5) != 0).then(|| {
        let (w, h) = (
            e.width() * rng.random::<f64>() * 0.6,
            e.height() * rng.random::<f64>() * 0.6,
        );
        let x = e.min().x - 0.1 * e.width() + rng.random::<f64>() * e.width();
        let y = e.min().y - 0.1 * e.height() + rng.random::<f64>() * e.height();
        Rect::new(Coord { x, y }, Coord { x: x + w, y: y + h })
    });
    let times: Vec<UnixTime> = ds
        .incidents
        .iter()
        .map(|i| i.occurred_at())
        .chain(
            ds.grids
                .iter()
                .flat_map(|g| [Some(g.valid_from), g.valid_to])
                .flatten(),
        )
        .chain(
            ds.patrols
                .iter()
                .flat_map(|p| [p.start(), p.end()])
                .flatten(),
        )
        .collect();
    let pick = |rng: &mut ChaCha8Rng| -> Option<UnixTime> {
        if times.is_empty() || rng.random_range(0..3) == 0 {
            None
        } else {
            // An existing time exactly (boundary cases) or one second off it.
            Some(times[rng.random_range(0..times.len())] + rng.random_range(-1..=1))
        }
    };
    let (mut from, mut to) = (pick(rng), pick(rng));
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            (from, to) = (Some(t), Some(f));
        }
    }
    let categories = Category::ALL
        .into_iter()
        .filter(|_| rng.random_range(0..3) == 0)
        .collect();
    let statuses = Step::ALL
        .into_iter()
        .filter(|_| rng.random_range(0..4) == 0)
        .collect();
    Filter {
        bbox,
        from,
        to,
        categories,
        statuses,
    }
}

/// `core.query` agrees with a scan of each layer for `n` random filters.
pub fn query_matches_brute_force(core: &Core, n: usize, seed: u64) {
    let ds = &core.to_dataset();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..n {
        let f = random_filter(ds, &mut rng);
        let in_box_pt = |p: Point<f64>| f.bbox.is_none_or(|r| r.intersects(&p));
        let win = |t: UnixTime| f.from.is_none_or(|a| a <= t) && f.to.is_none_or(|b| t < b);
        let no_time = f.from.is_none() && f.to.is_none();
        for layer in Layer::ALL {
            let want: Vec<usize> = match layer {
                Layer::Admin => (0..ds.admin.len())
                    .filter(|&i| f.bbox.is_none_or(|r| ds.admin[i].geometry.intersects(&r)))
                    .collect(),
                Layer::Grids => (0..ds.grids.len())
                    .filter(|&i| {
                        let g = &ds.grids[i];
                        let time = f.to.is_none_or(|b| g.valid_from < b)
                            && f.from.is_none_or(|a| g.valid_to.is_none_or(|e| a < e));
                        time && f.bbox.is_none_or(|r| g.geometry.intersects(&r))
                    })
                    .collect(),
                Layer::Patrols => (0..ds.patrols.len())
                    .filter(|&i| {
                        let p = &ds.patrols[i];
                        let time = no_time
                            || match (p.start(), p.end()) {
                                (Some(s), Some(e)) => {
                                    f.to.is_none_or(|b| s < b) && f.from.is_none_or(|a| e >= a)
                                }
                                _ => false,
                            };
                        time && f
                            .bbox
                            .is_none_or(|r| !p.track.0.is_empty() && p.track.intersects(&r))
                    })
                    .collect(),
                Layer::Cameras => (0..ds.cameras.len())
                    .filter(|&i| in_box_pt(ds.cameras[i].location))
                    .collect(),
                Layer::Workers => (0..ds.workers.len())
                    .filter(|&i| in_box_pt(ds.workers[i].location))
                    .collect(),
                Layer::Centers => (0..ds.centers.len())
                    .filter(|&i| in_box_pt(ds.centers[i].location))
                    .collect(),
                Layer::Incidents => (0..ds.incidents.len())
                    .filter(|&i| {
                        let inc = &ds.incidents[i];
                        win(inc.occurred_at())
                            && in_box_pt(inc.location)
                            && (f.categories.is_empty() || f.categories.contains(&inc.category))
                            && (f.statuses.is_empty() || f.statuses.contains(&inc.status))
                    })
                    .collect(),
            };
            let got = core.query(layer, &f).unwrap();
            assert_eq!(got, want, "{layer} {f:?}");
        }
    }
}

/// Bad input gives `Error::Invalid` with a message naming it, never a panic.
pub fn garbage_is_refused(core: &Core) {
    let bad = [
        (f64::NAN, 28.0),
        (109.0, f64::NAN),
        (f64::INFINITY, 28.0),
        (109.0, f64::NEG_INFINITY),
        (180.000_001, 0.0),
        (-181.0, 0.0),
        (0.0, 90.5),
        (0.0, -1e300),
        (f64::MAX, f64::MIN),
    ];
    for (lon, lat) in bad {
        for r in [
            core.locate(lon, lat).map(|_| ()),
            core.locate_at(lon, lat, 0).map(|_| ()),
            core.nearest_cameras(lon, lat, 10).map(|_| ()),
            core.nearest_workers(lon, lat, 1).map(|_| ()),
        ] {
            match r {
                Err(geo_core::Error::Invalid(msg)) => assert!(msg.contains("itude"), "{msg}"),
                other => panic!("({lon}, {lat}) gave {other:?}"),
            }
        }
    }
    // Extremes that are valid.
    for (lon, lat) in [(180.0, 90.0), (-180.0, -90.0), (0.0, 0.0)] {
        core.locate(lon, lat).unwrap();
        core.locate_at(lon, lat, i64::MIN).unwrap();
        core.locate_at(lon, lat, i64::MAX).unwrap();
    }
    let n = core.to_dataset().cameras.len();
    assert_eq!(core.nearest_cameras(109.6, 28.1, 0).unwrap().len(), 0);
    assert_eq!(
        core.nearest_cameras(109.6, 28.1, usize::MAX).unwrap().len(),
        n
    );
    let nan_box = Filter {
        bbox: Some(Rect::new(
            Coord {
                x: f64::NAN,
                y: 0.0,
            },
            Coord { x: 1.0, y: 1.0 },
        )),
        ..Filter::default()
    };
    let backwards = Filter {
        from: Some(10),
        to: Some(5),
        ..Filter::default()
    };
    for layer in Layer::ALL {
        assert!(matches!(
            core.query(layer, &nan_box),
            Err(geo_core::Error::Invalid(_))
        ));
        assert!(matches!(
            core.query(layer, &backwards),
            Err(geo_core::Error::Invalid(_))
        ));
        let huge = Filter {
            bbox: Some(Rect::new(
                Coord {
                    x: -1e308,
                    y: -1e308,
                },
                Coord { x: 1e308, y: 1e308 },
            )),
            from: Some(i64::MIN),
            to: Some(i64::MAX),
            ..Filter::default()
        };
        core.query(layer, &huge).unwrap();
    }
}
