//! The parts a [`Core`](super::Core) is made of: one per layer, each behind an `Arc`, so
//! that a write builds new versions of the parts it touches and shares the rest (readers
//! keep whichever complete core they started with).

pub(crate) mod admin;
pub(crate) mod grids;
pub(crate) mod incidents;
pub(crate) mod patrols;
pub(crate) mod points;
pub(crate) mod workers;

use std::collections::HashMap;

use geo_types::{Point, Rect};
use h3o::CellIndex;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::sphere::valid_lon_lat;
use crate::h3::{cell_at, IncidentRow, BASE_RESOLUTION};
use crate::model::Incident;

/// An R-tree entry for a point feature.
pub(crate) type PointEntry = GeomWithData<[f64; 2], u32>;

/// Point entries for the valid points among `points`.
pub(crate) fn point_tree(points: impl Iterator<Item = Point<f64>>) -> RTree<PointEntry> {
    let entries = points
        .enumerate()
        .filter(|(_, p)| valid_lon_lat(*p))
        .filter_map(|(i, p)| Some(GeomWithData::new([p.x(), p.y()], u32::try_from(i).ok()?)))
        .collect();
    RTree::bulk_load(entries)
}

/// Map from key to the first index holding it (later duplicates are ignored).
pub(crate) fn first_index<K: std::hash::Hash + Eq>(
    keys: impl Iterator<Item = K>,
) -> HashMap<K, u32> {
    let mut map = HashMap::new();
    for (i, k) in keys.enumerate() {
        if let Ok(i) = u32::try_from(i) {
            map.entry(k).or_insert(i);
        }
    }
    map
}

/// The H3 base-resolution cell of a point, if it has one.
pub(crate) fn base_cell(p: Point<f64>) -> Option<CellIndex> {
    cell_at(p.x(), p.y(), u8::from(BASE_RESOLUTION)).ok()
}

/// The rows the incident cell table is built from (incidents without a valid cell are
/// left out): the one place that knows the table's row shape.
pub(crate) fn cell_rows<'a, I: Iterator<Item = &'a Incident> + 'a>(
    incidents: I,
) -> impl Iterator<Item = IncidentRow> + 'a {
    incidents.map(|inc| IncidentRow {
        lon: inc.location.x(),
        lat: inc.location.y(),
        at: inc.occurred_at(),
        category: inc.category,
        status: inc.status,
    })
}

/// A lon/lat coordinate in Web Mercator metres.
pub(crate) fn to_mercator(c: geo_types::Coord<f64>) -> geo_types::Coord<f64> {
    let (x, y) = crate::tile::lonlat_to_mercator(c.x, c.y);
    geo_types::coord! { x: x, y: y }
}

/// The smallest rectangle holding both.
pub(crate) fn union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        geo_types::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
        geo_types::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
    )
}
