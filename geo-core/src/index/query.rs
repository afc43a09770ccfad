//! Layer queries by bounding box, time window, category and status ([`Core::query`]).

use geo::Intersects;
use geo_types::Rect;
use rstar::{Envelope, AABB};

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

/// Incident time slices longer than this use the R-tree for a bbox instead of a scan.
const SCAN_LIMIT: usize = 4096;

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

    fn aabb(&self) -> Option<AABB<[f64; 2]>> {
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
    /// Indices into `data().<layer>` of the features `filter` selects, ascending.
    pub fn query(&self, layer: Layer, filter: &Filter) -> Result<Vec<usize>> {
        filter.check()?;
        let d = &self.data;
        let aabb = filter.aabb();
        let mut out: Vec<usize> = match layer {
            Layer::Incidents => return Ok(self.query_incidents(filter)),
            Layer::Admin => match (aabb, filter.bbox) {
                (Some(env), Some(r)) => self
                    .admin_tree
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data as usize)
                    .filter(|&i| d.admin[i].geometry.intersects(&r))
                    .collect(),
                _ => (0..d.admin.len()).collect(),
            },
            Layer::Grids => {
                let in_time = |i: usize| {
                    let g = &d.grids[i];
                    filter.overlaps_half_open(g.valid_from, g.valid_to)
                };
                match (aabb, filter.bbox) {
                    (Some(env), Some(r)) => self
                        .grid_tree_all
                        .locate_in_envelope_intersecting(&env)
                        .map(|e| e.data as usize)
                        .filter(|&i| in_time(i) && d.grids[i].geometry.intersects(&r))
                        .collect(),
                    _ => (0..d.grids.len()).filter(|&i| in_time(i)).collect(),
                }
            }
            Layer::Patrols => match (aabb, filter.bbox) {
                (Some(env), Some(r)) => self
                    .patrol_tree
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data as usize)
                    .filter(|&i| {
                        filter.patrol_in_time(&d.patrols[i]) && d.patrols[i].track.intersects(&r)
                    })
                    .collect(),
                _ => (0..d.patrols.len())
                    .filter(|&i| filter.patrol_in_time(&d.patrols[i]))
                    .collect(),
            },
            Layer::Cameras => points(&self.camera_tree, aabb, d.cameras.len()),
            Layer::Workers => points(&self.worker_tree, aabb, d.workers.len()),
            Layer::Centers => points(&self.center_tree, aabb, d.centers.len()),
        };
        out.sort_unstable();
        Ok(out)
    }

    fn query_incidents(&self, filter: &Filter) -> Vec<usize> {
        let incidents = &self.data.incidents;
        // Incidents are sorted by report time (Core::new), so the window is one slice.
        let lo = filter
            .from
            .map_or(0, |f| incidents.partition_point(|i| i.occurred_at() < f));
        let hi = filter
            .to
            .map_or(incidents.len(), |t| {
                incidents.partition_point(|i| i.occurred_at() < t)
            })
            .max(lo);
        let keep = |i: usize| {
            let inc = &incidents[i];
            (filter.categories.is_empty() || filter.categories.contains(&inc.category))
                && (filter.statuses.is_empty() || filter.statuses.contains(&inc.status))
        };
        match filter.aabb() {
            Some(env) if hi - lo > SCAN_LIMIT => {
                let mut out: Vec<usize> = self
                    .incident_tree
                    .locate_in_envelope(&env)
                    .map(|e| e.data as usize)
                    .filter(|&i| (lo..hi).contains(&i) && keep(i))
                    .collect();
                out.sort_unstable();
                out
            }
            Some(env) => (lo..hi)
                .filter(|&i| {
                    let p = incidents[i].location;
                    keep(i)
                        && crate::h3::check_lon_lat(p.x(), p.y()).is_ok()
                        && env.contains_point(&[p.x(), p.y()])
                })
                .collect(),
            None => (lo..hi).filter(|&i| keep(i)).collect(),
        }
    }
}

/// Point features in `aabb` (boundary included), or all of them.
fn points(
    tree: &rstar::RTree<super::engine::PointEntry>,
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
