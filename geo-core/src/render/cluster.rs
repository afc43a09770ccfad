//! Incident clusters below [`RAW_MIN_ZOOM`]: matching incidents counted per H3 cell, one
//! point per cell at the cell's center with a `count` property.
//!
//! What a cluster tile promises: a feature for every resolution-`r` cell (`r` from
//! [`cluster_resolution`]) that is the parent of the resolution-9 cell
//! ([`Core::incident_cell`]) of at least one incident matching the filter and whose center
//! projects into the buffered tile; its `count` is the number of matching incidents with
//! that parent (all of them, wherever they lie). Neighbouring tiles therefore share the
//! cells of their buffers, and summing `count` over the cells whose center lies inside the
//! unbuffered tiles of a partition counts every matching incident with a valid cell once.

use geo_types::{coord, Rect};
use h3o::{CellIndex, LatLng, Resolution};

use super::bounds::buffered_bounds;
use super::TileFilter;
use crate::index::{Core, Filter};
use crate::model::Layer;
use crate::mvt::{TileBuilder, Value};
use crate::Result;

/// Incidents are drawn as raw points from this zoom on (about 2.4 km per tile at 28°N: a
/// few hundred points at the demo's densest); below it they are clustered.
pub const RAW_MIN_ZOOM: u8 = 14;

/// The H3 resolution of clusters by zoom `0..RAW_MIN_ZOOM`: 6 to 20 cells across a tile.
///
/// | zoom | 0-3 | 4-5 | 6 | 7-8 | 9 | 10-11 | 12 | 13 |
/// |------|-----|-----|---|-----|---|-------|----|----|
/// | res  | 2   | 3   | 4 | 5   | 6 | 7     | 8  | 9  |
const RESOLUTION_BY_ZOOM: [u8; RAW_MIN_ZOOM as usize] = [2, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9];

/// The cluster resolution for zoom `z` (resolution 9, the finest kept, from 13 on).
#[must_use]
pub fn cluster_resolution(z: u8) -> Resolution {
    let r = RESOLUTION_BY_ZOOM.get(usize::from(z)).copied().unwrap_or(9);
    Resolution::try_from(r).unwrap_or(Resolution::Nine)
}

/// How far (km) a point may lie from the center of its resolution-`res` parent cell:
/// a hexagon's circumradius is its edge, cells vary about 2x in size over the globe and a
/// parent's children stick out of it by up to a child's size; 3 average edges covers all.
fn reach_km(res: Resolution) -> f64 {
    3.0 * res.edge_length_km() + Resolution::Nine.edge_length_km()
}

/// `r` grown by `km` on every side (longitude scaled at the box's highest latitude).
fn grow(r: Rect<f64>, km: f64) -> Rect<f64> {
    const KM_PER_DEG: f64 = 111.0;
    let dy = km / KM_PER_DEG;
    let max_lat = r.min().y.abs().max(r.max().y.abs()).min(89.0);
    let dx = (dy / max_lat.to_radians().cos()).min(360.0);
    Rect::new(
        coord! { x: r.min().x - dx, y: (r.min().y - dy).max(-90.0) },
        coord! { x: r.max().x + dx, y: (r.max().y + dy).min(90.0) },
    )
}

/// Matching incidents per cluster cell for `coord`'s buffered tile and its reach, sorted by
/// cell (cells whose center lies outside the tile included; the encoder drops them).
pub fn cell_counts(
    core: &Core,
    bbox: Rect<f64>,
    res: Resolution,
    filter: &TileFilter,
) -> Result<Vec<(CellIndex, u32)>> {
    let query = Filter {
        bbox: Some(grow(bbox, reach_km(res))),
        from: filter.from,
        to: filter.to,
        categories: filter.categories.clone(),
        statuses: filter.statuses.clone(),
    };
    let mut cells: Vec<CellIndex> = core
        .query(Layer::Incidents, &query)?
        .into_iter()
        .filter_map(|i| core.incident_cell(i)?.parent(res))
        .collect();
    cells.sort_unstable();
    let mut out: Vec<(CellIndex, u32)> = Vec::new();
    for c in cells {
        match out.last_mut() {
            Some((last, n)) if *last == c => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    Ok(out)
}

/// Writes the cluster layer `name` of `tile`.
pub(super) fn write_clusters(
    core: &Core,
    tile: &mut TileBuilder,
    name: &str,
    filter: &TileFilter,
) -> Result<()> {
    let proj = *tile.projection();
    let res = cluster_resolution(proj.coord().z());
    let bbox = buffered_bounds(proj.coord(), proj.options());
    let counts = cell_counts(core, bbox, res, filter)?;
    let out = tile.layer(name);
    for (cell, n) in counts {
        let center = LatLng::from(cell);
        out.add_point(
            Some(u64::from(cell)),
            center.lng(),
            center.lat(),
            &[
                ("count", Value::UInt(u64::from(n))),
                ("resolution", Value::UInt(u64::from(u8::from(res)))),
            ],
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_grows_with_zoom() {
        let rs: Vec<u8> = (0..=20).map(|z| u8::from(cluster_resolution(z))).collect();
        assert!(rs.windows(2).all(|w| w[0] <= w[1]), "{rs:?}");
        assert_eq!(rs.last().copied(), Some(9));
    }
}
