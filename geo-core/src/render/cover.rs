//! The H3 cells of one resolution whose center lies in a lon/lat rectangle (h3o's tiler:
//! the same centroid test H3's `polygonToCells` uses).

use geo_types::{coord, Rect};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};

use super::TileFilter;
use crate::access::Scope;
use crate::index::Core;
use crate::tile::MAX_LATITUDE;

/// Every resolution-`res` cell whose center lies in `r` (latitudes clamped to Web Mercator's
/// range, longitudes to ±180°), in no particular order.
#[must_use]
pub fn cells_centered_in(r: Rect<f64>, res: Resolution) -> Vec<CellIndex> {
    let (lo, hi) = (r.min(), r.max());
    if ![lo.x, lo.y, hi.x, hi.y].iter().all(|v| v.is_finite()) {
        return Vec::new();
    }
    let clamped = Rect::new(
        coord! { x: r.min().x.max(-180.0), y: r.min().y.max(-MAX_LATITUDE) },
        coord! { x: r.max().x.min(180.0), y: r.max().y.min(MAX_LATITUDE) },
    );
    if !(clamped.width() > 0.0 && clamped.height() > 0.0) {
        return Vec::new();
    }
    if res <= COARSEST_TILED {
        return every_cell_centered_in(clamped, res);
    }
    // Tile boxes never cross the antimeridian; the heuristic would misread a whole-world box.
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .disable_transmeridian_heuristic()
        .build();
    if tiler.add(clamped.to_polygon()).is_err() {
        return Vec::new();
    }
    tiler.into_coverage().collect()
}

/// The resolution-`res` cells centered in `r` that hold at least one incident `filter`
/// keeps inside `scope`, with that count, in cell order: what clusters and the heatmap draw.
///
/// Unscoped, each count comes from the cell table ([`Core::incident_count`]). Scoped, from
/// a cell table of the unit's own incidents (the same definition: the incidents whose
/// `latlng_to_cell` at `res` is the cell), built on the unit's first scoped tile and kept
/// with the grid placement, plus the delta's incidents inside the unit.
#[must_use]
pub fn counted_cells(
    core: &Core,
    r: Rect<f64>,
    res: Resolution,
    filter: &TileFilter,
    scope: &Scope,
) -> Vec<(CellIndex, u32)> {
    let mut cells = cells_centered_in(r, res);
    cells.sort_unstable();
    if !scope.is_all() {
        return scoped_counts(core, cells, r, res, filter, scope);
    }
    let cells_filter = filter.cell_filter();
    cells
        .into_iter()
        .map(|cell| (cell, core.incident_count(cell, &cells_filter)))
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// [`counted_cells`] under a scope: a count per cell of `cells` (sorted) from the cell
/// table of the scope's incidents ([`Core::scoped_cells`], built on its first tile), or
/// nothing when the unit lies too far from `r` for any of its incidents to be counted.
fn scoped_counts(
    core: &Core,
    cells: Vec<CellIndex>,
    r: Rect<f64>,
    res: Resolution,
    filter: &TileFilter,
    scope: &Scope,
) -> Vec<(CellIndex, u32)> {
    // An incident of a cell centered in `r` lies within the cell's circumradius of `r`:
    // about its edge length, which varies about 2x over the globe.
    let around = grow_km(r, 2.0 * res.edge_length_km());
    if core
        .scope_extent(scope)
        .is_some_and(|extent| overlap(around, extent).is_none())
    {
        return Vec::new();
    }
    let Some(table) = core.scoped_cells(scope) else {
        return Vec::new();
    };
    let cells_filter = filter.cell_filter();
    cells
        .into_iter()
        .map(|cell| {
            let n = core.scoped_incident_count(&table, cell, &cells_filter, scope);
            (cell, n)
        })
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// The overlap of two boxes, `None` when they do not meet (touching edges meet).
pub(super) fn overlap(a: Rect<f64>, b: Rect<f64>) -> Option<Rect<f64>> {
    let (x0, y0) = (a.min().x.max(b.min().x), a.min().y.max(b.min().y));
    let (x1, y1) = (a.max().x.min(b.max().x), a.max().y.min(b.max().y));
    (x0 <= x1 && y0 <= y1).then(|| Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }))
}

/// Up to this resolution (41,162 cells worldwide) the cells are simply enumerated: the
/// boxes of low zooms span whole continents, where a planar polygon fill is fragile.
const COARSEST_TILED: Resolution = Resolution::Three;

/// Every resolution-`res` cell of the globe whose center lies in `r`.
fn every_cell_centered_in(r: Rect<f64>, res: Resolution) -> Vec<CellIndex> {
    CellIndex::base_cells()
        .flat_map(|base| base.children(res))
        .filter(|&c| {
            let ll = LatLng::from(c);
            r.min().x <= ll.lng()
                && ll.lng() <= r.max().x
                && r.min().y <= ll.lat()
                && ll.lat() <= r.max().y
        })
        .collect()
}

/// `r` grown by `km` on every side (longitude scaled at the box's highest latitude).
#[must_use]
pub fn grow_km(r: Rect<f64>, km: f64) -> Rect<f64> {
    const KM_PER_DEG: f64 = 111.0;
    let dy = km / KM_PER_DEG;
    let max_lat = r.min().y.abs().max(r.max().y.abs()).min(89.0);
    let dx = (dy / max_lat.to_radians().cos()).min(360.0);
    Rect::new(
        coord! { x: r.min().x - dx, y: (r.min().y - dy).max(-90.0) },
        coord! { x: r.max().x + dx, y: (r.max().y + dy).min(90.0) },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_is_exactly_the_cells_centered_inside() {
        let r = Rect::new(coord! { x: 109.5, y: 28.0 }, coord! { x: 109.8, y: 28.25 });
        let got = cells_centered_in(r, Resolution::Seven);
        assert!(got.len() > 100, "{}", got.len());
        for c in &got {
            let ll = LatLng::from(*c);
            assert!(r.min().x <= ll.lng() && ll.lng() <= r.max().x, "{c}");
            assert!(r.min().y <= ll.lat() && ll.lat() <= r.max().y, "{c}");
        }
        // Every cell around the box's middle whose center is inside is in the cover.
        let mid = LatLng::new(28.12, 109.65)
            .unwrap()
            .to_cell(Resolution::Seven);
        for c in mid.grid_disk::<Vec<_>>(6) {
            let ll = LatLng::from(c);
            let inside = r.min().x < ll.lng()
                && ll.lng() < r.max().x
                && r.min().y < ll.lat()
                && ll.lat() < r.max().y;
            assert_eq!(inside, got.contains(&c), "{c}");
        }
    }

    #[test]
    fn degenerate_and_world_boxes_do_not_fail() {
        let flat = Rect::new(coord! { x: 1.0, y: 1.0 }, coord! { x: 1.0, y: 2.0 });
        assert!(cells_centered_in(flat, Resolution::Five).is_empty());
        let nan = Rect::new(coord! { x: f64::NAN, y: 1.0 }, coord! { x: 1.0, y: 2.0 });
        assert!(cells_centered_in(nan, Resolution::Five).is_empty());
        let world = Rect::new(coord! { x: -200.0, y: -90.0 }, coord! { x: 200.0, y: 90.0 });
        let n = cells_centered_in(world, Resolution::One).len();
        assert!(n > 700 && n <= 842, "{n}");
        // Either side of the enumeration threshold agrees with a direct center test.
        let r = Rect::new(coord! { x: 100.0, y: 20.0 }, coord! { x: 120.0, y: 35.0 });
        for res in [Resolution::Three, Resolution::Four] {
            let mut a = cells_centered_in(r, res);
            let mut b = every_cell_centered_in(r, res);
            a.sort_unstable();
            b.sort_unstable();
            let diff = a.len().abs_diff(b.len());
            assert!(diff * 100 <= b.len(), "{res:?}: {} vs {}", a.len(), b.len());
        }
    }
}
