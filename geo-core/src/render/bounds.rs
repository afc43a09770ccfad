//! The lon/lat rectangle a buffered tile covers, the box every layer is queried with.

use geo_types::{coord, Rect};

use crate::tile::{mercator_to_lonlat, TileCoord, TileOptions};

/// Degrees added on every side so that float rounding in the projection never drops a
/// feature sitting on the buffer's edge (about a millimetre; the encoder clips exactly).
const SLACK_DEG: f64 = 1e-8;

/// `coord`'s lon/lat bounds grown by `options.buffer` tile units on every side, plus a
/// hair of slack (latitudes are clamped to the Web Mercator range by the inverse).
#[must_use]
pub fn buffered_bounds(coord: TileCoord, options: TileOptions) -> Rect<f64> {
    let m = coord.bounds_mercator();
    let grow = m.width() * f64::from(options.buffer) / f64::from(options.extent.max(1));
    let (x0, y0) = mercator_to_lonlat(m.min().x - grow, m.min().y - grow);
    let (x1, y1) = mercator_to_lonlat(m.max().x + grow, m.max().y + grow);
    Rect::new(
        coord! { x: x0 - SLACK_DEG, y: y0 - SLACK_DEG },
        coord! { x: x1 + SLACK_DEG, y: y1 + SLACK_DEG },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::TileProjection;

    #[test]
    fn corners_project_onto_the_buffer_edge() {
        let coord = TileCoord::containing(109.74, 28.31, 12).unwrap();
        let opts = TileOptions::default();
        let r = buffered_bounds(coord, opts);
        let proj = TileProjection::new(coord, opts).unwrap();
        let (lo, hi) = proj.clip_bounds();
        let (x0, y0) = proj.project(r.min().x + SLACK_DEG, r.max().y - SLACK_DEG);
        let (x1, y1) = proj.project(r.max().x - SLACK_DEG, r.min().y + SLACK_DEG);
        for (got, want) in [(x0, lo), (y0, lo), (x1, hi), (y1, hi)] {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }
}
