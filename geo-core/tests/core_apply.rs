//! The incremental core against a rebuild: after every kind of write (reports, workflow
//! steps and deletes, a grid redraw, worker moves, track updates, a background fold with
//! writes during it), `Core::apply` must answer exactly as `Core::new` over the same data.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

use std::collections::{BTreeMap, BTreeSet};

use geo::Translate;
use geo_core::demo::{generate, DemoConfig};
use geo_core::h3::CellFilter;
use geo_core::index::{Area, Core, Filter, StatsFilter};
use geo_core::model::{
    Category, Dataset, Incident, IncidentId, Layer, Lifecycle, Patrol, PatrolId, Source, Step,
    Supervision,
};
use geo_core::store::{ChangeKind, ChangeSet, FeatureKey};
use geo_types::{coord, Point, Rect};
use h3o::Resolution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data() -> Dataset {
    let cfg = DemoConfig::prefecture()
        .with_counties(1)
        .with_grids(150)
        .with_incidents(20_000)
        .with_cameras(600)
        .with_workers(80)
        .with_patrols(30)
        .with_points_per_patrol(40);
    generate(&cfg).unwrap()
}

/// The truth: `ds` with `c` written over it, as a store would hold it.
fn write(ds: &mut Dataset, c: &ChangeSet) {
    fn upsert<T: Clone, K: PartialEq>(v: &mut Vec<T>, new: &[T], key: impl Fn(&T) -> K) {
        for n in new {
            match v.iter().position(|o| key(o) == key(n)) {
                Some(i) => v[i] = n.clone(),
                None => v.push(n.clone()),
            }
        }
    }
    let u = &c.upserts;
    upsert(&mut ds.incidents, &u.incidents, |i| i.id);
    upsert(&mut ds.grids, &u.grids, |g| (g.code, g.revision));
    upsert(&mut ds.workers, &u.workers, |w| w.id.clone());
    upsert(&mut ds.patrols, &u.patrols, |p| p.id);
    upsert(&mut ds.cameras, &u.cameras, |c| c.id);
    for k in &c.deletes {
        if let FeatureKey::Incident(id) = k {
            ds.incidents.retain(|i| i.id != *id);
        }
    }
    ds.incident_details.clear();
}

fn extent(ds: &Dataset) -> Rect<f64> {
    let xs = ds.incidents.iter().map(|i| i.location.x());
    let ys = ds.incidents.iter().map(|i| i.location.y());
    let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 })
}

fn incident(id: u64, p: Point<f64>, t: i64, c: Category, s: Step) -> Incident {
    let mut lifecycle = Lifecycle::reported(t);
    if s != Step::Reported {
        lifecycle.set(s, t + 3_600).unwrap();
    }
    Incident {
        id: IncidentId(id),
        location: p,
        category: c,
        subcategory: 0,
        source: Source::Hotline,
        people: 1,
        status: s,
        lifecycle,
        deadline: t + 86_400 * 5,
        supervision: Supervision::None,
    }
}

/// Every answer the map and the figures rely on, compared between the two cores.
fn same(inc: &Core, truth: &Dataset, rng: &mut ChaCha8Rng, what: &str) {
    let fresh = Core::new(truth.clone());
    assert_eq!(
        inc.incidents().count(),
        fresh.incidents().count(),
        "{what}: count"
    );
    let ids = |c: &Core, hits: Vec<usize>| -> BTreeSet<u64> {
        hits.iter()
            .map(|&i| c.incidents().get(i).unwrap().id.0)
            .collect()
    };
    let ext = extent(truth);
    let (t0, t1) = fresh.incidents().span().unwrap();
    // Queries by box, time and class.
    for _ in 0..30 {
        let x = rng.random_range(ext.min().x..ext.max().x);
        let y = rng.random_range(ext.min().y..ext.max().y);
        let w = rng.random_range(0.001..0.1);
        let from = rng.random_range(t0..t1);
        let f = Filter {
            bbox: Some(Rect::new(
                coord! { x: x, y: y },
                coord! { x: x + w, y: y + w },
            )),
            from: rng.random_bool(0.5).then_some(from),
            to: rng.random_bool(0.3).then_some(from + 86_400 * 100),
            categories: if rng.random_bool(0.5) {
                vec![Category::Dispute]
            } else {
                vec![]
            },
            statuses: if rng.random_bool(0.3) {
                vec![Step::Closed, Step::Reported]
            } else {
                vec![]
            },
        };
        let a = ids(inc, inc.query(Layer::Incidents, &f).unwrap());
        let b = ids(&fresh, fresh.query(Layer::Incidents, &f).unwrap());
        assert_eq!(a, b, "{what}: query {f:?}");
    }
    let all = ids(
        inc,
        inc.query(Layer::Incidents, &Filter::default()).unwrap(),
    );
    assert_eq!(
        all,
        ids(
            &fresh,
            fresh.query(Layer::Incidents, &Filter::default()).unwrap()
        )
    );
    // Cell counts at every resolution the tiles use, with filters.
    let filters = [
        CellFilter::default(),
        CellFilter::new(Some(t0 + (t1 - t0) / 2), None, &[], &[]),
        CellFilter::new(
            None,
            None,
            &[Category::Dispute, Category::FireHazard],
            &[Step::Reported],
        ),
    ];
    let cells: BTreeSet<_> = truth
        .incidents
        .iter()
        .filter_map(|i| geo_core::h3::cell_at(i.location.x(), i.location.y(), 9).ok())
        .collect();
    for res in [Resolution::Five, Resolution::Seven, Resolution::Nine] {
        let parents: BTreeSet<_> = cells.iter().filter_map(|c| c.parent(res)).collect();
        for p in parents.iter().step_by(3) {
            for f in &filters {
                assert_eq!(
                    inc.incident_count(*p, f),
                    fresh.incident_count(*p, f),
                    "{what}: cell {p}"
                );
            }
        }
    }
    // Point -> grid now and in the past.
    for _ in 0..3_000 {
        let x = rng.random_range(ext.min().x..ext.max().x);
        let y = rng.random_range(ext.min().y..ext.max().y);
        let key = |c: &Core, l: geo_core::index::Location<'_>| {
            l.grid
                .map(|g| (g.code, g.revision, c.grids()[g.index].valid_from))
        };
        assert_eq!(
            key(inc, inc.locate(x, y).unwrap()),
            key(&fresh, fresh.locate(x, y).unwrap()),
            "{what}: locate {x},{y}"
        );
        let t = rng.random_range(t0..t1 + 86_400 * 30);
        assert_eq!(
            key(inc, inc.locate_at(x, y, t).unwrap()),
            key(&fresh, fresh.locate_at(x, y, t).unwrap()),
            "{what}: locate_at"
        );
    }
    // Placement: each incident's grid revision.
    let placed = |c: &Core| -> BTreeMap<u64, Option<(u64, u32)>> {
        c.incidents()
            .iter()
            .map(|(i, inc)| {
                let g = c
                    .incident_grid(i)
                    .map(|g| (c.grids()[g].code.as_u64(), c.grids()[g].revision));
                (inc.id.0, g)
            })
            .collect()
    };
    assert_eq!(placed(inc), placed(&fresh), "{what}: placement");
    // Figures of every grid.
    let codes: BTreeSet<_> = truth.grids.iter().map(|g| g.code).collect();
    for code in codes.iter().step_by(7) {
        let a = inc
            .area_stats(
                Area::Grid(*code),
                &StatsFilter::default(),
                t1,
                &geo_core::access::Scope::ALL,
            )
            .unwrap();
        let b = fresh
            .area_stats(
                Area::Grid(*code),
                &StatsFilter::default(),
                t1,
                &geo_core::access::Scope::ALL,
            )
            .unwrap();
        assert_eq!(a.incidents, b.incidents, "{what}: stats {code}");
        assert_eq!(
            (a.cameras_total, a.households),
            (b.cameras_total, b.households)
        );
    }
    // Nearest workers and patrol queries.
    for _ in 0..50 {
        let x = rng.random_range(ext.min().x..ext.max().x);
        let y = rng.random_range(ext.min().y..ext.max().y);
        let near = |c: &Core| -> Vec<(String, i64)> {
            c.nearest_workers(x, y, 5)
                .unwrap()
                .iter()
                .map(|n| {
                    (
                        c.workers().get(n.index).unwrap().id.0.clone(),
                        (n.distance_m * 100.0).round() as i64,
                    )
                })
                .collect()
        };
        assert_eq!(near(inc), near(&fresh), "{what}: nearest workers");
        let w = 0.05;
        let f = Filter {
            bbox: Some(Rect::new(
                coord! { x: x, y: y },
                coord! { x: x + w, y: y + w },
            )),
            ..Filter::default()
        };
        let pids = |c: &Core| -> BTreeSet<u64> {
            c.query(Layer::Patrols, &f)
                .unwrap()
                .iter()
                .map(|&i| c.patrols().get(i).unwrap().id.0)
                .collect()
        };
        assert_eq!(pids(inc), pids(&fresh), "{what}: patrols");
    }
    assert_eq!(inc.counts(), fresh.counts(), "{what}: counts");
}

#[test]
fn every_write_answers_like_a_rebuild() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut truth = data();
    truth.incident_details.clear();
    let base = Core::new(truth.clone());
    base.warm_placement();
    let ext = extent(&truth);
    let (_, t_end) = base.incidents().span().unwrap();
    let mut core = base;
    let point = |rng: &mut ChaCha8Rng| {
        Point::new(
            rng.random_range(ext.min().x..ext.max().x),
            rng.random_range(ext.min().y..ext.max().y),
        )
    };

    // 1. New reports (some with a class the filters pick).
    let mut c = ChangeSet::new(ChangeKind::Report, "t", "reports");
    for k in 0..500 {
        let cat = Category::ALL[k % 7];
        let t = t_end - rng.random_range(0..86_400 * 400);
        c.upserts.incidents.push(incident(
            5_000_000 + k as u64,
            point(&mut rng),
            t,
            cat,
            Step::Reported,
        ));
    }
    core = core.apply(&c);
    write(&mut truth, &c);
    same(&core, &truth, &mut rng, "reports");

    // 2. Steps on built and fresh incidents, and deletes.
    let mut c = ChangeSet::new(ChangeKind::Step, "t", "steps");
    for inc in truth.incidents.iter().step_by(60).take(300) {
        let mut next = inc.clone();
        next.status = Step::Closed;
        next.lifecycle
            .set(Step::Closed, inc.occurred_at() + 7_200)
            .unwrap();
        c.upserts.incidents.push(next);
    }
    for inc in truth.incidents.iter().skip(5).step_by(997).take(10) {
        c.deletes.push(FeatureKey::Incident(inc.id));
    }
    core = core.apply(&c);
    write(&mut truth, &c);
    same(&core, &truth, &mut rng, "steps and deletes");

    // 3. A grid redrawn: its revision ends, a moved outline starts (overlapping neighbours:
    //    the lowest index still wins in both).
    let g = truth
        .grids
        .iter()
        .find(|g| g.valid_to.is_none())
        .unwrap()
        .clone();
    let at = t_end - 86_400 * 100;
    let mut ended = g.clone();
    ended.valid_to = Some(at);
    let mut redrawn = g.clone();
    redrawn.revision += 1;
    redrawn.valid_from = at;
    redrawn.geometry = g.geometry.translate(0.002, 0.001);
    let mut c = ChangeSet::new(ChangeKind::Edit, "t", "redraw");
    c.upserts.grids = vec![ended, redrawn];
    core = core.apply(&c);
    write(&mut truth, &c);
    same(&core, &truth, &mut rng, "grid redraw");

    // 4. Workers move.
    let mut c = ChangeSet::new(ChangeKind::Positions, "t", "gps");
    for w in truth.workers.iter().step_by(3) {
        let mut m = w.clone();
        m.location = point(&mut rng);
        m.seen_at += 60;
        c.upserts.workers.push(m);
    }
    // Tracks extended and started.
    for p in truth.patrols.iter().take(3) {
        let mut q = p.clone();
        let last = *q.times.last().unwrap();
        q.track.0.push(point(&mut rng).0);
        q.times.push(last + 30);
        c.upserts.patrols.push(q);
    }
    let next_id = truth.patrols.iter().map(|p| p.id.0).max().unwrap() + 1;
    for k in 0..2 {
        let (a, b) = (point(&mut rng), point(&mut rng));
        c.upserts.patrols.push(Patrol {
            id: PatrolId(next_id + k),
            worker: truth.workers[0].id.clone(),
            track: vec![a.0, b.0].into(),
            times: vec![t_end, t_end + 60],
        });
    }
    core = core.apply(&c);
    write(&mut truth, &c);
    same(&core, &truth, &mut rng, "moves and tracks");

    // 5. A fold made from a snapshot while more is written, then swapped in.
    let snapshot = core.clone();
    let folded = snapshot.fold_incidents();
    let mut c = ChangeSet::new(ChangeKind::Report, "t", "during the fold");
    for k in 0..50 {
        c.upserts.incidents.push(incident(
            6_000_000 + k,
            point(&mut rng),
            t_end - 100,
            Category::Petition,
            Step::Reported,
        ));
    }
    // A built incident changed again during the fold.
    let mut again = truth.incidents[123].clone();
    again.status = Step::Cancelled;
    again
        .lifecycle
        .set(Step::Cancelled, again.occurred_at() + 60)
        .unwrap();
    c.upserts.incidents.push(again);
    core = core.apply(&c);
    write(&mut truth, &c);
    core = core.with_folded(folded);
    same(&core, &truth, &mut rng, "after the fold");
    assert!(!core.wants_fold());

    // A fold overtaken by a bulk import (which rebuilds the built part) is dropped, not
    // swapped over the import.
    let stale = core.fold_incidents();
    let mut c = ChangeSet::new(ChangeKind::Import, "t", "bulk");
    for k in 0..(geo_core::index::FOLD_AT as u64 + 10) {
        c.upserts.incidents.push(incident(
            7_000_000 + k,
            point(&mut rng),
            t_end - 1_000,
            Category::Other,
            Step::Reported,
        ));
    }
    core = core.apply(&c);
    truth.incidents.extend(c.upserts.incidents.iter().cloned());
    core = core.with_folded(stale);
    same(&core, &truth, &mut rng, "a stale fold dropped");
}
