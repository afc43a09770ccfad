//! Incident clusters below [`RAW_MIN_ZOOM`]: matching incidents counted per H3 cell, one
//! point per cell at the cell's center with a `count` property.
//!
//! What a cluster tile promises: a feature for every resolution-`r` cell (`r` from
//! [`cluster_resolution`]) whose center lies in the buffered tile and that holds at least
//! one incident matching the filter; its `count` is the number of matching incidents
//! whose `latlng_to_cell` at resolution `r` is the cell (all of them, wherever they lie). Neighbouring tiles therefore share the cells of their buffers, and summing `count`
//! over the cells whose center lies inside the unbuffered tiles of a partition counts every
//! matching incident with a valid cell once. Under a [`Scope`], the same with "matching"
//! including "in the scope".

use h3o::{LatLng, Resolution};

use super::bounds::buffered_bounds;
use super::cover::counted_cells;
use super::TileFilter;
use crate::access::Scope;
use crate::index::Core;
use crate::mvt::{TileBuilder, Value};

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

/// Writes the cluster layer `name` of `tile`.
pub(super) fn write_clusters(
    core: &Core,
    tile: &mut TileBuilder,
    name: &str,
    filter: &TileFilter,
    scope: &Scope,
) {
    let proj = *tile.projection();
    let res = cluster_resolution(proj.coord().z());
    let bbox = buffered_bounds(proj.coord(), proj.options());
    let out = tile.layer(name);
    for (cell, n) in counted_cells(core, bbox, res, filter, scope) {
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
