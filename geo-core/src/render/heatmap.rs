//! The incident heatmap: H3 hexagons as polygons, each with the number of incidents in it
//! that match the filter.
//!
//! The resolution follows the zoom so that a tile is 10 to 25 hexagons across
//! ([`heatmap_resolution`]); every cell whose hexagon reaches into the buffered tile and
//! holds a matching incident is written, clipped to the buffer, with properties `count`,
//! `resolution` and `per_km2` (count over the cell's area, one colour ramp for every
//! zoom). Counts come from [`Core::incident_cells`]: a cell's `count` is every matching
//! incident in the cell, so the counts of the cells whose center lies in a tile sum, over a
//! partition of tiles, to the number of matching incidents. Under a [`Scope`] only the
//! unit's incidents are counted.

use geo_types::{LineString, Polygon};
use h3o::{CellIndex, LatLng, Resolution};

use super::bounds::buffered_bounds;
use super::cover::{counted_cells, grow_km};
use super::TileFilter;
use crate::access::Scope;
use crate::index::Core;
use crate::mvt::{TileBuilder, Value};

/// Heatmap resolution by zoom 0..=13 (resolution 9, the finest kept, from 13 on): 10 to 25
/// hexagons across a tile, 20 to 50 pixels each on a 512-pixel tile at 28°N, fine enough to
/// read a hot spot and coarse enough to stay a few hundred polygons per tile:
///
/// | zoom | 0 | 1-2 | 3 | 4 | 5-6 | 7 | 8-9 | 10 | 11-12 | 13+ |
/// |------|---|-----|---|---|-----|---|-----|----|-------|-----|
/// | res  | 0 | 1   | 2 | 3 | 4   | 5 | 6   | 7  | 8     | 9   |
const RESOLUTION_BY_ZOOM: [u8; 14] = [0, 1, 1, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9];

/// The heatmap's H3 resolution at zoom `z`.
#[must_use]
pub fn heatmap_resolution(z: u8) -> Resolution {
    let r = RESOLUTION_BY_ZOOM.get(usize::from(z)).copied().unwrap_or(9);
    Resolution::try_from(r).unwrap_or(Resolution::Nine)
}

/// The hexagon of `cell` as a lon/lat polygon.
fn hexagon(cell: CellIndex) -> Polygon<f64> {
    let ring: LineString<f64> = cell
        .boundary()
        .iter()
        .map(|ll: &LatLng| (ll.lng(), ll.lat()))
        .collect();
    Polygon::new(ring, Vec::new())
}

/// Writes the heatmap layer `name` of `tile`.
pub(super) fn write_heatmap(
    core: &Core,
    tile: &mut TileBuilder,
    name: &str,
    filter: &TileFilter,
    scope: &Scope,
) {
    let proj = *tile.projection();
    let res = heatmap_resolution(proj.coord().z());
    // A hexagon whose center lies outside the buffer can still reach into it: its
    // circumradius is its edge, and edges vary about 2x over the globe.
    let reach = 2.0 * res.edge_length_km();
    let bbox = grow_km(buffered_bounds(proj.coord(), proj.options()), reach);
    let out = tile.layer(name);
    // Hexagons are a few tile units across at their coarsest zoom: keep every vertex.
    out.set_tolerance(0.0);
    for (cell, n) in counted_cells(core, bbox, res, filter, scope) {
        let per_km2 = f64::from(n) / cell.area_km2();
        out.add_feature(
            Some(u64::from(cell)),
            &hexagon(cell),
            &[
                ("count", Value::UInt(u64::from(n))),
                ("resolution", Value::UInt(u64::from(u8::from(res)))),
                ("per_km2", Value::Double((per_km2 * 100.0).round() / 100.0)),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_grows_with_zoom_and_stops_at_nine() {
        let rs: Vec<u8> = (0..=22).map(|z| u8::from(heatmap_resolution(z))).collect();
        assert!(rs.windows(2).all(|w| w[0] <= w[1]), "{rs:?}");
        assert_eq!(rs.last().copied(), Some(9));
    }

    #[test]
    fn hexagons_are_closed_rings_around_their_center() {
        let cell = LatLng::new(28.3, 109.7).unwrap().to_cell(Resolution::Seven);
        let ring = hexagon(cell).exterior().clone();
        assert!(ring.is_closed());
        assert_eq!(ring.0.len(), 7);
        let c = LatLng::from(cell);
        for p in &ring.0 {
            let d = ((p.x - c.lng()).powi(2) + (p.y - c.lat()).powi(2)).sqrt();
            assert!(d > 0.005 && d < 0.03, "{d}");
        }
    }
}
