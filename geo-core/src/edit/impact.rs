//! What an edit changes hands: incidents (by category, open or closed), cameras,
//! households and population, patrol minutes, and each affected worker's load.
//!
//! Everything is counted against the edit's box only (the R-trees give the incidents,
//! cameras and patrol tracks in it), and "before" is the grid holding a point now among the
//! revisions the edit replaces, "after" among the new ones. History is not rewritten:
//! an incident keeps the revision valid when it occurred (see `Core::place_incident`), so
//! past figures stay; these counts say how current figures and loads would move.

use std::collections::BTreeMap;

use geo::{BoundingRect, Contains};
use geo_types::{Coord, Point, Rect};
use serde::Serialize;

use super::Edit;
use crate::codes::GridCode;
use crate::index::{Core, Filter};
use crate::model::workflow::is_open;
use crate::model::{Grid, Layer, WorkerId};

/// Counts of things that move from one grid to another.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Moves {
    /// How many change grid in all.
    pub total: u64,
    /// By (from, to) grid code (`none`: outside every edited grid).
    pub by_pair: BTreeMap<String, u64>,
}

impl Moves {
    fn add(&mut self, from: Option<GridCode>, to: Option<GridCode>) {
        self.total += 1;
        let name = |c: Option<GridCode>| c.map_or_else(|| "none".to_owned(), |c| c.to_string());
        *self
            .by_pair
            .entry(format!("{}->{}", name(from), name(to)))
            .or_default() += 1;
    }
}

/// One grid's figures before and after.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GridFigures {
    /// Incidents inside (all time).
    pub incidents: u64,
    /// Open incidents inside.
    pub open: u64,
    /// Cameras inside.
    pub cameras: u64,
    /// Registered households.
    pub households: u64,
    /// Registered population.
    pub population: u64,
    /// Minutes of patrol track inside (all tracks).
    pub patrol_minutes: f64,
}

/// A worker's load before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerLoad {
    /// The worker.
    pub worker: WorkerId,
    /// Name.
    pub name: String,
    /// Grids, households, population and open incidents (of the edited grids) before.
    pub before: Load,
    /// The same after.
    pub after: Load,
}

/// One worker's load.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Load {
    /// Current grids the worker is on.
    pub grids: u64,
    /// Households of those grids.
    pub households: u64,
    /// Population of those grids.
    pub population: u64,
    /// Open incidents in the edited grids the worker is on (other grids do not change).
    pub open_incidents: u64,
}

/// An edit's impact.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Impact {
    /// Incidents that change grid.
    pub incidents: Moves,
    /// Of those, by category.
    pub incidents_by_category: BTreeMap<String, u64>,
    /// Of those, open ones.
    pub incidents_open: u64,
    /// Of those, closed (or cancelled) ones.
    pub incidents_closed: u64,
    /// Cameras that change grid.
    pub cameras: Moves,
    /// Patrol minutes that change grid.
    pub patrol_minutes_moved: f64,
    /// Each edited grid before (replaced revisions), by code.
    pub before: BTreeMap<String, GridFigures>,
    /// Each edited grid after (new revisions), by code.
    pub after: BTreeMap<String, GridFigures>,
    /// Households before and after, summed over the edited grids.
    pub households: [u64; 2],
    /// Population before and after, summed over the edited grids.
    pub population: [u64; 2],
    /// Workers on any edited grid, before and after.
    pub workers: Vec<WorkerLoad>,
}

/// Which of `grids` holds `p` (the first, for a point on a shared border).
fn holder(grids: &[Grid], boxes: &[Option<Rect<f64>>], p: Point<f64>) -> Option<usize> {
    grids
        .iter()
        .zip(boxes)
        .position(|(g, b)| b.is_some_and(|b| b.contains(&p)) && g.geometry.contains(&p))
}

fn union_box(boxes: impl Iterator<Item = Option<Rect<f64>>>) -> Option<Rect<f64>> {
    boxes.flatten().reduce(|a, b| {
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
}

/// The before and after load of worker `w`, if the edit touches them.
fn load_of<'a>(
    loads: &'a mut [(&WorkerId, Load, Load)],
    w: &WorkerId,
) -> Option<(&'a mut Load, &'a mut Load)> {
    loads
        .iter_mut()
        .find(|(id, _, _)| *id == w)
        .map(|(_, b, a)| (b, a))
}

/// Works out the impact of `edit` on `core`.
#[must_use]
#[allow(clippy::too_many_lines)] // one section per layer, read top to bottom
pub fn impact(core: &Core, edit: &Edit) -> Impact {
    let mut out = Impact::default();
    let (before, after) = (&edit.before, &edit.after);
    let bb: Vec<_> = before.iter().map(|g| g.geometry.bounding_rect()).collect();
    let ab: Vec<_> = after.iter().map(|g| g.geometry.bounding_rect()).collect();
    let mut fb: Vec<GridFigures> = vec![GridFigures::default(); before.len()];
    let mut fa: Vec<GridFigures> = vec![GridFigures::default(); after.len()];
    for (f, g) in fb.iter_mut().zip(before).chain(fa.iter_mut().zip(after)) {
        f.households = u64::from(g.households);
        f.population = u64::from(g.population);
    }
    let code_b = |k: Option<usize>| k.map(|k| before[k].code);
    let code_a = |k: Option<usize>| k.map(|k| after[k].code);
    let Some(region) = union_box(bb.iter().chain(ab.iter()).copied()) else {
        return out;
    };
    let filter = Filter {
        bbox: Some(region),
        ..Filter::default()
    };
    let geometry_same = before.len() == after.len()
        && before
            .iter()
            .zip(after)
            .all(|(b, a)| b.code == a.code && b.geometry == a.geometry);

    // Incidents.
    for i in core.query(Layer::Incidents, &filter).unwrap_or_default() {
        let Some(inc) = core.incidents().get(i) else {
            continue;
        };
        let (kb, ka) = (
            holder(before, &bb, inc.location),
            holder(after, &ab, inc.location),
        );
        let open = is_open(inc.status);
        for (f, k) in [(&mut fb, kb), (&mut fa, ka)] {
            if let Some(k) = k {
                f[k].incidents += 1;
                f[k].open += u64::from(open);
            }
        }
        let (from, to) = (code_b(kb), code_a(ka));
        if from != to && !geometry_same {
            out.incidents.add(from, to);
            *out.incidents_by_category
                .entry(inc.category.as_str().to_owned())
                .or_default() += 1;
            if open {
                out.incidents_open += 1;
            } else {
                out.incidents_closed += 1;
            }
        }
    }

    // Cameras.
    for i in core.query(Layer::Cameras, &filter).unwrap_or_default() {
        let Some(c) = core.cameras().get(i) else {
            continue;
        };
        let (kb, ka) = (
            holder(before, &bb, c.location),
            holder(after, &ab, c.location),
        );
        if let Some(k) = kb {
            fb[k].cameras += 1;
        }
        if let Some(k) = ka {
            fa[k].cameras += 1;
        }
        if code_b(kb) != code_a(ka) {
            out.cameras.add(code_b(kb), code_a(ka));
        }
    }

    // Patrols: each leg's time goes to the grid holding its midpoint.
    for i in core.query(Layer::Patrols, &filter).unwrap_or_default() {
        let Some(p) = core.patrols().get(i) else {
            continue;
        };
        for (leg, t) in p.track.0.windows(2).zip(p.times.windows(2)) {
            let minutes = (t[1] - t[0]).max(0) as f64 / 60.0;
            let mid = Point::new(
                f64::midpoint(leg[0].x, leg[1].x),
                f64::midpoint(leg[0].y, leg[1].y),
            );
            if !region.contains(&mid) {
                continue;
            }
            let (kb, ka) = (holder(before, &bb, mid), holder(after, &ab, mid));
            if let Some(k) = kb {
                fb[k].patrol_minutes += minutes;
            }
            if let Some(k) = ka {
                fa[k].patrol_minutes += minutes;
            }
            if code_b(kb) != code_a(ka) {
                out.patrol_minutes_moved += minutes;
            }
        }
    }

    // Workers: their whole load before, and after with the edited grids swapped. The
    // workers of an edit are a handful, and the walk over every current grid compares
    // each grid's workers against them: a short list, not a hash map (hashing every worker
    // id of a province's 53,820 grids was 90% of a preview).
    let mut loads: Vec<(&WorkerId, Load, Load)> = Vec::new();
    for w in before.iter().chain(after).flat_map(|g| &g.workers) {
        if !loads.iter().any(|(id, _, _)| *id == w) {
            loads.push((w, Load::default(), Load::default()));
        }
    }
    if !loads.is_empty() {
        let edited: Vec<GridCode> = before.iter().map(|g| g.code).collect();
        for g in core.grids().iter().filter(|g| g.valid_to.is_none()) {
            for w in &g.workers {
                let Some((b, a)) = load_of(&mut loads, w) else {
                    continue;
                };
                let kept = !edited.contains(&g.code);
                for l in [Some(b), kept.then_some(a)].into_iter().flatten() {
                    l.grids += 1;
                    l.households += u64::from(g.households);
                    l.population += u64::from(g.population);
                }
            }
        }
        for (g, f) in before.iter().zip(&fb) {
            for w in &g.workers {
                if let Some((b, _)) = load_of(&mut loads, w) {
                    b.open_incidents += f.open;
                }
            }
        }
        for (g, f) in after.iter().zip(&fa) {
            for w in &g.workers {
                if let Some((_, a)) = load_of(&mut loads, w) {
                    a.grids += 1;
                    a.households += u64::from(g.households);
                    a.population += u64::from(g.population);
                    a.open_incidents += f.open;
                }
            }
        }
        let mut workers: Vec<WorkerLoad> = loads
            .into_iter()
            .map(|(id, before, after)| WorkerLoad {
                name: core
                    .worker_index(id)
                    .and_then(|i| core.workers().get(i))
                    .map(|w| w.name.clone())
                    .unwrap_or_default(),
                worker: id.clone(),
                before,
                after,
            })
            .collect();
        workers.sort_by(|a, b| a.worker.cmp(&b.worker));
        out.workers = workers;
    }

    out.households = [
        fb.iter().map(|f| f.households).sum(),
        fa.iter().map(|f| f.households).sum(),
    ];
    out.population = [
        fb.iter().map(|f| f.population).sum(),
        fa.iter().map(|f| f.population).sum(),
    ];
    out.before = before.iter().map(|g| g.code.to_string()).zip(fb).collect();
    out.after = after.iter().map(|g| g.code.to_string()).zip(fa).collect();
    out
}
