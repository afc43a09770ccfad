//! What the API needs to describe a layer: feature counts, extents in space and time, and
//! finding a feature by its key as written in URLs.

use std::collections::BTreeMap;

use geo::BoundingRect;
use geo_types::{coord, Rect};

use super::Core;
use crate::model::{IncidentId, Layer, PatrolId, UnixTime, WorkerId};

fn union(a: Option<Rect<f64>>, b: Rect<f64>) -> Rect<f64> {
    match a {
        None => b,
        Some(a) => Rect::new(
            coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        ),
    }
}

fn extent_of<T>(items: &[T], rect: impl Fn(&T) -> Option<Rect<f64>>) -> Option<Rect<f64>> {
    items
        .iter()
        .filter_map(rect)
        .fold(None, |acc, r| Some(union(acc, r)))
}

fn span(times: impl Iterator<Item = (UnixTime, UnixTime)>) -> Option<(UnixTime, UnixTime)> {
    times.fold(None, |acc, (a, b)| match acc {
        None => Some((a, b)),
        Some((lo, hi)) => Some((lo.min(a), hi.max(b))),
    })
}

impl Core {
    /// Number of features in each layer, keyed by layer name.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let d = &self.data;
        Layer::ALL
            .into_iter()
            .map(|l| {
                let n = match l {
                    Layer::Admin => d.admin.len(),
                    Layer::Grids => d.grids.len(),
                    Layer::Cameras => d.cameras.len(),
                    Layer::Incidents => d.incidents.len(),
                    Layer::Patrols => d.patrols.len(),
                    Layer::Workers => d.workers.len(),
                    Layer::Centers => d.centers.len(),
                };
                (l.as_str(), n)
            })
            .collect()
    }

    /// The bounding box (lon/lat) of a layer, or `None` when it is empty.
    #[must_use]
    pub fn extent(&self, layer: Layer) -> Option<Rect<f64>> {
        let d = &self.data;
        let point = |p: &geo_types::Point<f64>| Some(Rect::new(p.0, p.0));
        match layer {
            Layer::Admin => extent_of(&d.admin, |a| a.geometry.bounding_rect()),
            Layer::Grids => extent_of(&d.grids, |g| g.geometry.bounding_rect()),
            Layer::Cameras => extent_of(&d.cameras, |c| point(&c.location)),
            Layer::Incidents => extent_of(&d.incidents, |i| point(&i.location)),
            Layer::Patrols => extent_of(&d.patrols, |p| p.track.bounding_rect()),
            Layer::Workers => extent_of(&d.workers, |w| point(&w.location)),
            Layer::Centers => extent_of(&d.centers, |c| point(&c.location)),
        }
    }

    /// The time span a layer covers (incident reports, patrol times, grid validity), if it has one.
    #[must_use]
    pub fn time_extent(&self, layer: Layer) -> Option<(UnixTime, UnixTime)> {
        let d = &self.data;
        match layer {
            Layer::Incidents => span(
                d.incidents
                    .iter()
                    .map(|i| (i.occurred_at(), i.occurred_at())),
            ),
            Layer::Patrols => span(
                d.patrols
                    .iter()
                    .filter_map(|p| Some((p.start()?, p.end()?))),
            ),
            Layer::Grids => span(
                d.grids
                    .iter()
                    .map(|g| (g.valid_from, g.valid_to.unwrap_or(g.valid_from))),
            ),
            Layer::Admin | Layer::Cameras | Layer::Workers | Layer::Centers => None,
        }
    }

    /// The index of the feature whose key (as in a URL) is `key`; grids resolve to the
    /// current revision.
    #[must_use]
    pub fn find(&self, layer: Layer, key: &str) -> Option<usize> {
        match layer {
            Layer::Admin => self.admin_index(key.parse().ok()?),
            Layer::Grids => self.grid_index(key.parse().ok()?),
            Layer::Cameras => self.camera_index(&key.parse().ok()?),
            Layer::Incidents => self.incident_index(IncidentId(key.parse().ok()?)),
            Layer::Patrols => self.patrol_index(PatrolId(key.parse().ok()?)),
            Layer::Workers => self.worker_index(&WorkerId(key.to_owned())),
            Layer::Centers => self.center_index(key.parse().ok()?),
        }
    }
}
