//! Layer queries by bounding box, time window, category and status ([`Core::query`]).

use geo::Intersects;
use geo_types::Rect;
use rstar::AABB;

use super::engine::Core;
use crate::model::{Category, IncidentStatus, Layer, Patrol, UnixTime};
use crate::{Error, Result};

/// Which features of a layer a query selects. Empty lists and `None` select everything.
///
/// Time: incidents by report time (`from <= t < to`); grids whose validity interval
/// `[valid_from, valid_to)` overlaps `[from, to)`; patrols whose `[start, end]` overlaps it;
/// other layers ignore time. `categories` and `statuses` apply to incidents only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Features whose geometry intersects this lon/lat rectangle (boundary included).
    pub bbox: Option<Rect<f64>>,
    /// Start of the time window, inclusive.
    pub from: Option<UnixTime>,
    /// End of the time window, exclusive.
    pub to: Option<UnixTime>,
    /// Incident major classes to keep.
    pub categories: Vec<Category>,
    /// Incident statuses to keep.
    pub statuses: Vec<IncidentStatus>,
}

impl Filter {
    fn check(&self) -> Result<()> {
        if let Some(r) = self.bbox {
            let (lo, hi) = (r.min(), r.max());
            if ![lo.x, lo.y, hi.x, hi.y].iter().all(|v| v.is_finite()) {
                return Err(Error::Invalid(format!(
                    "bbox {},{},{},{} must be finite numbers",
                    lo.x, lo.y, hi.x, hi.y
                )));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(Error::Invalid(format!(
                    "time window from {from} to {to} ends before it starts"
                )));
            }
        }
        Ok(())
    }

    pub(crate) fn aabb(&self) -> Option<AABB<[f64; 2]>> {
        self.bbox
            .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
    }

    /// `[from, to)` overlaps the half-open interval `[start, end)` (`end` `None`: open).
    fn overlaps_half_open(&self, start: UnixTime, end: Option<UnixTime>) -> bool {
        self.to.is_none_or(|to| start < to)
            && self.from.is_none_or(|from| end.is_none_or(|e| e > from))
    }

    /// `[from, to)` overlaps the closed interval `[start, end]`.
    fn overlaps_closed(&self, start: UnixTime, end: UnixTime) -> bool {
        self.to.is_none_or(|to| start < to) && self.from.is_none_or(|from| end >= from)
    }

    fn patrol_in_time(&self, p: &Patrol) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        match (p.start(), p.end()) {
            (Some(s), Some(e)) => self.overlaps_closed(s, e),
            _ => false,
        }
    }
}

impl Core {
    /// Indices into the `<layer>()` accessor of the features `filter` selects, ascending.
    pub fn query(&self, layer: Layer, filter: &Filter) -> Result<Vec<usize>> {
        filter.check()?;
        let aabb = filter.aabb();
        let mut out: Vec<usize> = match layer {
            Layer::Incidents => return Ok(self.incidents.query(filter)),
            Layer::Admin => {
                let units = &self.admin.units;
                match (aabb, filter.bbox) {
                    (Some(env), Some(r)) => self
                        .admin
                        .tree
                        .locate_in_envelope_intersecting(&env)
                        .map(|e| e.data as usize)
                        .filter(|&i| units[i].geometry.intersects(&r))
                        .collect(),
                    _ => (0..units.len()).collect(),
                }
            }
            Layer::Grids => {
                let grids = &self.grids.grids;
                let in_time = |i: usize| {
                    let g = &grids[i];
                    filter.overlaps_half_open(g.valid_from, g.valid_to)
                };
                match (aabb, filter.bbox) {
                    (Some(env), Some(r)) => self
                        .grids
                        .tree_all
                        .locate_in_envelope_intersecting(&env)
                        .map(|e| e.data as usize)
                        .filter(|&i| in_time(i) && grids[i].geometry.intersects(&r))
                        .collect(),
                    _ => (0..grids.len()).filter(|&i| in_time(i)).collect(),
                }
            }
            Layer::Patrols => {
                return Ok(self
                    .patrols
                    .select(filter.bbox, |p| filter.patrol_in_time(p)));
            }
            Layer::Cameras => points(&self.cameras.tree, aabb, self.cameras.cameras.len()),
            Layer::Workers => return Ok(self.workers.in_box(aabb)),
            Layer::Centers => points(&self.centers.tree, aabb, self.centers.centers.len()),
        };
        out.sort_unstable();
        Ok(out)
    }
}

/// Point features in `aabb` (boundary included), or all of them.
fn points(
    tree: &rstar::RTree<super::parts::PointEntry>,
    aabb: Option<AABB<[f64; 2]>>,
    len: usize,
) -> Vec<usize> {
    match aabb {
        Some(env) => tree
            .locate_in_envelope(&env)
            .map(|e| e.data as usize)
            .collect(),
        None => (0..len).collect(),
    }
}
