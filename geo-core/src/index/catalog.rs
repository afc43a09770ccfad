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

fn extent_of<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    rect: impl Fn(&T) -> Option<Rect<f64>>,
) -> Option<Rect<f64>> {
    items
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
        Layer::ALL
            .into_iter()
            .map(|l| {
                let n = match l {
                    Layer::Admin => self.admin().len(),
                    Layer::Grids => self.grids().len(),
                    Layer::Cameras => self.cameras().len(),
                    Layer::Incidents => self.incidents().count(),
                    Layer::Patrols => self.patrols().iter().count(),
                    Layer::Workers => self.workers().len(),
                    Layer::Centers => self.centers().len(),
                };
                (l.as_str(), n)
            })
            .collect()
    }

    /// The bounding box (lon/lat) of a layer, or `None` when it is empty.
    #[must_use]
    pub fn extent(&self, layer: Layer) -> Option<Rect<f64>> {
        let point = |p: &geo_types::Point<f64>| Some(Rect::new(p.0, p.0));
        match layer {
            Layer::Admin => extent_of(self.admin().iter(), |a| a.geometry.bounding_rect()),
            Layer::Grids => extent_of(self.grids().iter(), |g| g.geometry.bounding_rect()),
            Layer::Cameras => extent_of(self.cameras().iter(), |c| point(&c.location)),
            Layer::Incidents => extent_of(self.incidents().iter().map(|(_, i)| i), |i| {
                point(&i.location)
            }),
            Layer::Patrols => extent_of(self.patrols().iter().map(|(_, p)| p), |p| {
                p.track.bounding_rect()
            }),
            Layer::Workers => extent_of(self.workers().iter().map(|(_, w)| w), |w| {
                w.has_fix().then(|| Rect::new(w.location.0, w.location.0))
            }),
            Layer::Centers => extent_of(self.centers().iter(), |c| point(&c.location)),
        }
    }

    /// The time span a layer covers (incident reports, patrol times, grid validity), if it has one.
    #[must_use]
    pub fn time_extent(&self, layer: Layer) -> Option<(UnixTime, UnixTime)> {
        match layer {
            Layer::Incidents => self.incidents().span(),
            Layer::Patrols => span(
                self.patrols()
                    .iter()
                    .filter_map(|(_, p)| Some((p.start()?, p.end()?))),
            ),
            Layer::Grids => span(
                self.grids()
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

    /// Feature `i` of `layer` as `GeoJSON` in onemap's mapping (personal properties only
    /// when `personal`); `None` for no such feature.
    #[must_use]
    pub fn to_feature(&self, layer: Layer, i: usize, personal: bool) -> Option<geojson::Feature> {
        use crate::formats::FeatureMapping;
        Some(match layer {
            Layer::Admin => self.admin().get(i)?.to_feature(personal),
            Layer::Grids => self.grids().get(i)?.to_feature(personal),
            Layer::Cameras => self.cameras().get(i)?.to_feature(personal),
            Layer::Incidents => crate::formats::IncidentRecord {
                incident: self.incidents().get(i)?.clone(),
                details: None,
            }
            .to_feature(personal),
            Layer::Patrols => self.patrols().get(i)?.to_feature(personal),
            Layer::Workers => self.workers().get(i)?.to_feature(personal),
            Layer::Centers => self.centers().get(i)?.to_feature(personal),
        })
    }
}
