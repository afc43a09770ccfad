//! Which features a [`Scope`] sees (SPEC 11): polygons by their own code, points by the
//! grid they lie in, patrol tracks by the grid their first vertex lies in.
//!
//! A point's grid is the one the core already knows: the placement for incidents (the
//! revision valid when they occurred, as the figures count them) and cameras, a bucket
//! lookup for workers, centers and tracks (a few per tile). A point outside every grid
//! belongs to the deepest admin polygon holding it. The code test is integer arithmetic
//! ([`Scope::contains_number`]): a scoped tile adds a few nanoseconds per feature, an
//! unscoped one nothing (callers test [`Scope::is_all`] first).

use std::collections::BTreeMap;
use std::sync::Arc;

use geo_types::{coord, Coord, Rect};
use h3o::CellIndex;

use super::engine::Core;
use super::parts::cell_rows;
use super::parts::incidents::{Live, NO_GRID};
use super::placement::Placement;
use super::sphere::Nearest;
use crate::access::Scope;
use crate::h3::{CellFilter, IncidentCells};
use crate::model::Layer;
use crate::{Error, Result};

/// Degrees the unit's bounding box is grown by in [`Core::scope_extent`]: grids may
/// overhang their village by the import tolerance (0.5 m); a hundred metres is far more.
const EXTENT_MARGIN_DEG: f64 = 1e-3;

impl Core {
    /// A lon/lat box holding every point and polygon `scope` sees (`None`: no bound, for
    /// [`Scope::ALL`] or a unit the admin layer does not hold). Grids lie inside their
    /// village and admin units inside their parent (both checked on import and edit), so
    /// this is the unit's own box with a margin.
    #[must_use]
    pub fn scope_extent(&self, scope: &Scope) -> Option<Rect<f64>> {
        let unit = scope.admin_unit()?;
        let r = (*self.admin.extents.get(self.admin_index(unit)?)?)?;
        Some(Rect::new(
            coord! { x: r.min().x - EXTENT_MARGIN_DEG, y: r.min().y - EXTENT_MARGIN_DEG },
            coord! { x: r.max().x + EXTENT_MARGIN_DEG, y: r.max().y + EXTENT_MARGIN_DEG },
        ))
    }

    /// Whether admin unit `i` is the scope's unit or lies under it.
    #[must_use]
    pub fn admin_in_scope(&self, scope: &Scope, i: usize) -> bool {
        self.admin()
            .get(i)
            .is_some_and(|a| scope.contains_admin(a.code))
    }

    /// Whether grid revision `i` belongs to the scope (by its code).
    #[must_use]
    pub fn grid_in_scope(&self, scope: &Scope, i: usize) -> bool {
        self.grids()
            .get(i)
            .is_some_and(|g| scope.contains_grid(g.code))
    }

    /// Whether the point lies in the scope: the current grid holding it, else the deepest
    /// admin polygon holding it, is in scope.
    #[must_use]
    pub fn point_in_scope(&self, scope: &Scope, lon: f64, lat: f64) -> bool {
        if scope.is_all() {
            return true;
        }
        match self.grid_at(lon, lat) {
            Some(g) => self.grid_in_scope(scope, g),
            None => self.unit_outside_grids(scope, lon, lat),
        }
    }

    /// Outside every grid: whether the deepest admin polygon holding the point is in scope.
    fn unit_outside_grids(&self, scope: &Scope, lon: f64, lat: f64) -> bool {
        if crate::h3::check_lon_lat(lon, lat).is_err() {
            return false;
        }
        let p = Coord { x: lon, y: lat };
        self.admin
            .buckets
            .iter()
            .find_map(|b| b.first_containing(&self.admin.polys, p))
            .is_some_and(|i| self.admin_in_scope(scope, i as usize))
    }

    /// Whether incident `i` lies in the scope, by the grid revision it occurred in (the
    /// placement the figures use; built on first use).
    #[must_use]
    pub fn incident_in_scope(&self, scope: &Scope, i: usize) -> bool {
        if scope.is_all() {
            return true;
        }
        match self.incident_grid(i) {
            Some(g) => self.grid_in_scope(scope, g),
            None => self.incidents().get(i).is_some_and(|inc| {
                self.unit_outside_grids(scope, inc.location.x(), inc.location.y())
            }),
        }
    }

    /// The first and last report time of the incidents `scope` sees (`Incidents::span`
    /// for everything). A scan of the incidents: the web map asks once, at start.
    #[must_use]
    pub fn incident_span_in(
        &self,
        scope: &Scope,
    ) -> Option<(crate::model::UnixTime, crate::model::UnixTime)> {
        if scope.is_all() {
            return self.incidents().span();
        }
        self.incidents()
            .iter()
            .filter(|&(i, _)| self.incident_in_scope(scope, i))
            .map(|(_, inc)| inc.occurred_at())
            .fold(None, |acc, t| match acc {
                None => Some((t, t)),
                Some((a, b)) => Some((a.min(t), b.max(t))),
            })
    }

    /// Whether camera `i` stands in the scope (by its placement).
    #[must_use]
    pub fn camera_in_scope(&self, scope: &Scope, i: usize) -> bool {
        if scope.is_all() {
            return true;
        }
        match self.camera_grid(i) {
            Some(g) => self.grid_in_scope(scope, g),
            None => self
                .cameras()
                .get(i)
                .is_some_and(|c| self.unit_outside_grids(scope, c.location.x(), c.location.y())),
        }
    }

    /// Whether patrol track `i` belongs to the scope: the grid its first vertex lies in (a
    /// walk stays in its worker's grid; cutting tracks at the border is not worth a clip).
    #[must_use]
    pub fn patrol_in_scope(&self, scope: &Scope, i: usize) -> bool {
        self.patrols()
            .get(i)
            .and_then(|p| p.track.0.first())
            .is_some_and(|c| self.point_in_scope(scope, c.x, c.y))
    }

    /// Whether feature `i` of `layer` is in the scope.
    #[must_use]
    pub fn in_scope(&self, layer: Layer, scope: &Scope, i: usize) -> bool {
        if scope.is_all() {
            return true;
        }
        match layer {
            Layer::Admin => self.admin_in_scope(scope, i),
            Layer::Grids => self.grid_in_scope(scope, i),
            Layer::Incidents => self.incident_in_scope(scope, i),
            Layer::Cameras => self.camera_in_scope(scope, i),
            Layer::Patrols => self.patrol_in_scope(scope, i),
            // A worker without a GPS fix is nowhere yet: in scope by the grids on the roster.
            Layer::Workers => self.workers().get(i).is_some_and(|w| {
                if w.has_fix() {
                    self.point_in_scope(scope, w.location.x(), w.location.y())
                } else {
                    w.grids.iter().any(|g| scope.contains_grid(*g))
                }
            }),
            Layer::Centers => self
                .centers()
                .get(i)
                .is_some_and(|c| self.point_in_scope(scope, c.location.x(), c.location.y())),
        }
    }

    /// Keeps the indices of `layer` (as [`Core::query`] returns them) that `scope` sees;
    /// nothing is done for [`Scope::ALL`].
    pub fn retain_in_scope(&self, layer: Layer, scope: &Scope, hits: &mut Vec<usize>) {
        if !scope.is_all() {
            hits.retain(|&i| self.in_scope(layer, scope, i));
        }
    }
}

impl Core {
    /// The `k` cameras inside `scope` nearest to a point, nearest first: the unscoped
    /// search, widened until `k` of its answers are inside (or every camera was seen).
    pub fn nearest_cameras_in(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        scope: &Scope,
    ) -> Result<Vec<Nearest>> {
        if scope.is_all() {
            return self.nearest_cameras(lon, lat, k);
        }
        let total = self.cameras().len();
        widened(k, total, |n| {
            Ok(self
                .nearest_cameras(lon, lat, n)?
                .into_iter()
                .filter(|c| self.camera_in_scope(scope, c.index))
                .collect())
        })
    }

    /// The `k` workers inside `scope` (by their last known position) nearest to a point.
    pub fn nearest_workers_in(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        scope: &Scope,
    ) -> Result<Vec<Nearest>> {
        if scope.is_all() {
            return self.nearest_workers(lon, lat, k);
        }
        let total = self.workers().len();
        widened(k, total, |n| {
            Ok(self
                .nearest_workers(lon, lat, n)?
                .into_iter()
                .filter(|w| self.in_scope(Layer::Workers, scope, w.index))
                .collect())
        })
    }

    /// Number of features of each layer inside `scope`, keyed by layer name (grids: every
    /// revision, as [`Core::counts`]).
    #[must_use]
    pub fn counts_in(&self, scope: &Scope) -> BTreeMap<&'static str, usize> {
        if scope.is_all() {
            return self.counts();
        }
        let count =
            |layer: Layer, len: usize| (0..len).filter(|&i| self.in_scope(layer, scope, i)).count();
        Layer::ALL
            .into_iter()
            .map(|l| {
                let n = match l {
                    Layer::Incidents => self
                        .incidents()
                        .iter()
                        .filter(|&(i, _)| self.incident_in_scope(scope, i))
                        .count(),
                    Layer::Patrols => self
                        .patrols()
                        .iter()
                        .filter(|&(i, _)| self.patrol_in_scope(scope, i))
                        .count(),
                    Layer::Admin => count(l, self.admin().len()),
                    Layer::Grids => count(l, self.grids().len()),
                    Layer::Cameras => count(l, self.cameras().len()),
                    Layer::Workers => count(l, self.workers().len()),
                    Layer::Centers => count(l, self.centers().len()),
                };
                (l.as_str(), n)
            })
            .collect()
    }

    /// The bounding box of what `scope` sees: [`Core::bounds`] for everything, else the
    /// unit's outline (`None` for a unit the admin layer does not hold).
    #[must_use]
    pub fn bounds_in(&self, scope: &Scope) -> Option<Rect<f64>> {
        match scope.admin_unit() {
            None => self.bounds(),
            Some(unit) => self
                .admin_index(unit)
                .and_then(|i| self.admin_bbox(i))
                // A unit the admin layer lacks (a province over its prefectures' data):
                // the box of the units under it.
                .or_else(|| {
                    (0..self.admin().len())
                        .filter(|&i| scope.contains_admin(self.admin()[i].code))
                        .filter_map(|i| self.admin_bbox(i))
                        .reduce(|a, b| {
                            Rect::new(
                                coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                                coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                            )
                        })
                }),
        }
    }

    /// `NotFound` unless the point lies in `scope` ([`Core::point_in_scope`]): what a
    /// point query outside the caller's unit answers (its grid and workers are not theirs).
    pub fn check_point_in_scope(&self, scope: &Scope, lon: f64, lat: f64) -> Result<()> {
        if self.point_in_scope(scope, lon, lat) {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "({lon}, {lat}) lies outside the unit you are bound to"
            )))
        }
    }
}

impl Core {
    /// Whether built incident `i` (its built version) lies in the scope by the built
    /// placement `p`.
    fn built_incident_in_scope(&self, scope: &Scope, p: &Placement, i: usize) -> bool {
        match p.incidents.get(i) {
            Some(g) if g != NO_GRID => self.grid_in_scope(scope, g as usize),
            _ => self.incidents.main.incidents.get(i).is_some_and(|inc| {
                self.unit_outside_grids(scope, inc.location.x(), inc.location.y())
            }),
        }
    }

    /// Whether the delta's version of an incident lies in the scope.
    fn live_in_scope(&self, scope: &Scope, live: &Live) -> bool {
        let Some(inc) = &live.incident else {
            return false;
        };
        if live.grid == NO_GRID {
            self.unit_outside_grids(scope, inc.location.x(), inc.location.y())
        } else {
            self.grid_in_scope(scope, live.grid as usize)
        }
    }

    /// Builds what a scoped user's tiles need (the placement and the unit's cell table)
    /// ahead of their first tile: a server calls it, off the request path, when a user of
    /// a unit signs in, so their first cluster and heatmap tiles do not wait for it.
    pub fn warm_scope(&self, scope: &Scope) {
        let _ = self.scoped_cells(scope);
    }

    /// The cell table of the built incidents inside `scope` (`None` for [`Scope::ALL`]):
    /// built on the unit's first scoped tile (a pass over the built incidents' placement
    /// and nine `to_cell` per incident of the unit), then kept with the placement.
    #[must_use]
    pub(crate) fn scoped_cells(&self, scope: &Scope) -> Option<Arc<IncidentCells>> {
        let unit = scope.admin_unit()?;
        let placement = self.placement();
        // The admin part is what a point outside every grid is scoped by.
        let admin = self.admin.id;
        if let Some(table) = placement.scoped.get(unit, admin) {
            return Some(table);
        }
        let built = &self.incidents.main.incidents;
        let inside = built
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.built_incident_in_scope(scope, placement, i))
            .map(|(_, inc)| inc);
        let table = Arc::new(IncidentCells::build(cell_rows(inside)));
        placement.scoped.put(unit, admin, &table);
        Some(table)
    }

    /// How many incidents inside `scope` lie in `cell` (resolution <= 9) and pass
    /// `filter`: `table` ([`Core::scoped_cells`]) plus the delta's incidents inside the
    /// scope, minus the built versions inside it that the delta replaced.
    #[must_use]
    pub(crate) fn scoped_incident_count(
        &self,
        table: &IncidentCells,
        cell: CellIndex,
        filter: &CellFilter,
        scope: &Scope,
    ) -> u32 {
        let built = table.count(cell, filter);
        let placement = self.placement();
        let (plus, minus) = self.incidents.delta_count_where(
            cell,
            filter,
            |live| self.live_in_scope(scope, live),
            |i| self.built_incident_in_scope(scope, placement, i),
        );
        (built + plus).saturating_sub(minus)
    }
}

/// `k` answers of `search(n)` (answers in scope among the `n` nearest), asking for four
/// times more each round until there are `k` or all `total` were asked for.
fn widened(
    k: usize,
    total: usize,
    search: impl Fn(usize) -> Result<Vec<Nearest>>,
) -> Result<Vec<Nearest>> {
    let mut n = k.max(16);
    loop {
        let mut found = search(n.min(total))?;
        if found.len() >= k || n >= total {
            found.truncate(k);
            return Ok(found);
        }
        n = n.saturating_mul(4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{generate, DemoConfig};

    #[test]
    fn scoped_points_lie_in_the_unit_and_all_sees_everything() {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(120)
            .with_incidents(2_000)
            .with_cameras(300)
            .with_workers(40)
            .with_patrols(10)
            .with_points_per_patrol(5);
        let core = Core::new(generate(&cfg).unwrap());
        let township = core
            .admin()
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::Township)
            .unwrap()
            .code;
        let scope = Scope::unit(township);
        let extent = core.scope_extent(&scope).unwrap();
        let mut inside = 0;
        for (i, inc) in core.incidents().iter() {
            assert!(core.incident_in_scope(&Scope::ALL, i));
            if core.incident_in_scope(&scope, i) {
                inside += 1;
                let (x, y) = (inc.location.x(), inc.location.y());
                assert!(extent.min().x <= x && x <= extent.max().x, "{i}");
                assert!(extent.min().y <= y && y <= extent.max().y, "{i}");
                let loc = core.locate(x, y).unwrap();
                assert_eq!(loc.township.map(|t| t.code), Some(township), "{i}");
            }
        }
        assert!(inside > 0 && inside < core.incidents().count(), "{inside}");
        assert_eq!(core.scope_extent(&Scope::ALL), None);
    }

    #[test]
    fn nearest_and_counts_under_a_scope_equal_brute_force() {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(120)
            .with_incidents(2_000)
            .with_cameras(600)
            .with_workers(80)
            .with_patrols(10)
            .with_points_per_patrol(5);
        let core = Core::new(generate(&cfg).unwrap());
        let unit = core
            .admin()
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::Township)
            .unwrap()
            .code;
        let scope = Scope::unit(unit);
        // From a point far outside the unit too: the search must widen.
        for (lon, lat) in [(109.74, 28.31), (110.5, 29.5)] {
            let got: Vec<usize> = core
                .nearest_cameras_in(lon, lat, 7, &scope)
                .unwrap()
                .iter()
                .map(|n| n.index)
                .collect();
            let want: Vec<usize> = core
                .nearest_cameras(lon, lat, core.cameras().len())
                .unwrap()
                .into_iter()
                .filter(|n| core.camera_in_scope(&scope, n.index))
                .take(7)
                .map(|n| n.index)
                .collect();
            assert_eq!(got, want);
            assert_eq!(got.len(), 7);
            let got = core.nearest_workers_in(lon, lat, 3, &scope).unwrap();
            assert!(got
                .iter()
                .all(|n| core.in_scope(Layer::Workers, &scope, n.index)));
        }
        let counts = core.counts_in(&scope);
        let all = core.counts_in(&Scope::ALL);
        assert_eq!(all, core.counts());
        let incidents = core
            .incidents()
            .iter()
            .filter(|&(i, _)| core.incident_in_scope(&scope, i))
            .count();
        assert_eq!(counts["incidents"], incidents);
        assert!(counts["incidents"] > 0 && counts["incidents"] < all["incidents"]);
        assert!(counts["grids"] > 0 && counts["grids"] < all["grids"]);
        assert!(core.check_point_in_scope(&scope, 110.5, 29.5).is_err());
    }
}
