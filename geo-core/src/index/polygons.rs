//! A polygon layer for point lookups: an R-tree of envelopes (small entries: index and
//! rectangle) in front of exact banded point-in-polygon tests.

use std::sync::Arc;

use geo::BoundingRect;
use geo_types::{Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::pip::BandedPolygon;

/// An R-tree entry: a feature's envelope and its index in the layer.
pub(crate) type EnvEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The envelope entry of a geometry, `None` when it is empty or not finite.
pub(crate) fn envelope_entry(geometry: &MultiPolygon<f64>, index: u32) -> Option<EnvEntry> {
    let r = geometry.bounding_rect()?;
    let (lo, hi) = (r.min(), r.max());
    [lo.x, lo.y, hi.x, hi.y]
        .iter()
        .all(|v| v.is_finite())
        .then(|| GeomWithData::new(Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]), index))
}

/// Prepared polygons of one layer, by feature index (`None`: cannot be located into).
/// Each is shared, so that a copy of the set for an edit copies pointers, not polygons.
#[derive(Debug, Default, Clone)]
pub(crate) struct PolygonSet {
    polys: Vec<Option<Arc<BandedPolygon>>>,
}

impl PolygonSet {
    /// Prepares every geometry.
    pub(crate) fn new<'a>(geometries: impl Iterator<Item = &'a MultiPolygon<f64>>) -> Self {
        Self {
            polys: geometries
                .map(|g| BandedPolygon::new(g).map(Arc::new))
                .collect(),
        }
    }

    /// Prepares `geometry` as feature `i`: replacing it, or appended when `i` is the length.
    pub(crate) fn set(&mut self, i: usize, geometry: &MultiPolygon<f64>) {
        let poly = BandedPolygon::new(geometry).map(Arc::new);
        if let Some(slot) = self.polys.get_mut(i) {
            *slot = poly;
        } else {
            self.polys.resize(i, None);
            self.polys.push(poly);
        }
    }

    /// An R-tree over the envelopes of the features `select` keeps.
    pub(crate) fn tree<'a>(
        &self,
        geometries: impl Iterator<Item = &'a MultiPolygon<f64>>,
        select: impl Fn(usize) -> bool,
    ) -> RTree<EnvEntry> {
        let entries = geometries
            .enumerate()
            .filter(|(i, _)| select(*i) && self.polys.get(*i).is_some_and(Option::is_some))
            .filter_map(|(i, g)| envelope_entry(g, u32::try_from(i).ok()?))
            .collect();
        RTree::bulk_load(entries)
    }

    /// The lowest feature index in `tree` whose polygon contains `p` and that `accept`s;
    /// taking the lowest keeps the answer deterministic even where polygons overlap.
    pub(crate) fn first_containing(
        &self,
        tree: &RTree<EnvEntry>,
        p: Coord<f64>,
        accept: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let mut best: Option<u32> = None;
        for entry in tree.locate_all_at_point(&[p.x, p.y]) {
            let i = entry.data;
            if best.is_some_and(|b| b <= i) || !accept(i) {
                continue;
            }
            if self
                .polys
                .get(i as usize)
                .and_then(Option::as_ref)
                .is_some_and(|poly| poly.contains(p))
            {
                best = Some(i);
            }
        }
        best
    }

    /// Whether feature `i`'s polygon contains `p` (the module's boundary rule).
    pub(crate) fn contains(&self, i: usize, p: Coord<f64>) -> bool {
        self.polys
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|poly| poly.contains(p))
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.polys
            .iter()
            .flatten()
            .map(|p| p.heap_bytes())
            .sum::<usize>()
            + self.polys.capacity() * std::mem::size_of::<Option<Arc<BandedPolygon>>>()
    }
}

impl PolygonSet {
    /// Whether feature `i` could be prepared (finite, with edges).
    pub(crate) fn is_prepared(&self, i: usize) -> bool {
        self.polys.get(i).is_some_and(Option::is_some)
    }
}
