//! `TileProjection`: lon/lat to a tile's pixel space (origin top-left, y down, `extent` wide).

use super::coord::{TileCoord, TileError};
use super::mercator::lonlat_to_unit;

/// The MVT default extent: a tile is 4096 units wide.
pub const DEFAULT_EXTENT: u32 = 4096;
/// The default buffer around a tile, in tile units, kept so that strokes and labels join.
pub const DEFAULT_BUFFER: u32 = 64;

/// How a tile is written: its extent and the buffer kept around it, both in tile units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileOptions {
    /// Tile width and height in tile units (MVT `extent`).
    pub extent: u32,
    /// Geometry is kept up to this many units outside the tile on each side.
    pub buffer: u32,
}

impl Default for TileOptions {
    fn default() -> Self {
        Self {
            extent: DEFAULT_EXTENT,
            buffer: DEFAULT_BUFFER,
        }
    }
}

impl TileOptions {
    /// Checks `1 <= extent <= 65536` and `buffer <= extent` (keeps every coordinate in i32).
    pub fn validate(self) -> Result<Self, TileError> {
        if self.extent == 0 || self.extent > 1 << 16 || self.buffer > self.extent {
            return Err(TileError::Options {
                extent: self.extent,
                buffer: self.buffer,
            });
        }
        Ok(self)
    }
}

/// Projects lon/lat into one tile's pixel space and knows its buffered clip square.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileProjection {
    coord: TileCoord,
    options: TileOptions,
    /// Tile units per unit-square unit: `extent * 2^z`.
    scale: f64,
    origin_x: f64,
    origin_y: f64,
}

impl TileProjection {
    /// The projection for `coord`, after validating `options`.
    pub fn new(coord: TileCoord, options: TileOptions) -> Result<Self, TileError> {
        let options = options.validate()?;
        let extent = f64::from(options.extent);
        Ok(Self {
            coord,
            options,
            scale: extent * f64::from(coord.tiles_per_side()),
            origin_x: f64::from(coord.x()) * extent,
            origin_y: f64::from(coord.y()) * extent,
        })
    }

    /// The tile this projects into.
    #[must_use]
    pub const fn coord(&self) -> TileCoord {
        self.coord
    }

    /// The extent and buffer.
    #[must_use]
    pub const fn options(&self) -> TileOptions {
        self.options
    }

    /// Lon/lat degrees to tile units (fractional; x right, y down, tile is `0..extent`).
    #[must_use]
    #[inline]
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (u, v) = lonlat_to_unit(lon, lat);
        // Plain arithmetic, not mul_add: without a target FMA, mul_add is a slow libm call.
        (
            u * self.scale - self.origin_x,
            v * self.scale - self.origin_y,
        )
    }

    /// EPSG:3857 metres to tile units.
    #[must_use]
    pub fn project_mercator(&self, x: f64, y: f64) -> (f64, f64) {
        let world = 2.0 * super::MERCATOR_HALF_WORLD;
        let u = (x + super::MERCATOR_HALF_WORLD) / world;
        let v = (super::MERCATOR_HALF_WORLD - y) / world;
        // Plain arithmetic, not mul_add: without a target FMA, mul_add is a slow libm call.
        (
            u * self.scale - self.origin_x,
            v * self.scale - self.origin_y,
        )
    }

    /// The buffered clip square `[lo, hi]` on both axes: `-buffer ..= extent + buffer`.
    #[must_use]
    pub fn clip_bounds(&self) -> (f64, f64) {
        let b = f64::from(self.options.buffer);
        (-b, f64::from(self.options.extent) + b)
    }

    /// Whether a projected position lies in the buffered square (edges included).
    #[must_use]
    #[inline]
    pub fn in_buffer(&self, x: f64, y: f64) -> bool {
        let (lo, hi) = self.clip_bounds();
        (lo..=hi).contains(&x) && (lo..=hi).contains(&y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_corners_project_to_the_extent() {
        let t = TileCoord::new(12, 3300, 1700).unwrap();
        let p = TileProjection::new(t, TileOptions::default()).unwrap();
        let b = t.bounds_lonlat();
        let (x0, y0) = p.project(b.min().x, b.max().y);
        let (x1, y1) = p.project(b.max().x, b.min().y);
        for (got, want) in [(x0, 0.0), (y0, 0.0), (x1, 4096.0), (y1, 4096.0)] {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        let m = t.bounds_mercator();
        let (mx, my) = p.project_mercator(m.max().x, m.min().y);
        assert!((mx - 4096.0).abs() < 1e-6 && (my - 4096.0).abs() < 1e-6);
    }

    #[test]
    fn options_are_validated() {
        let t = TileCoord::new(0, 0, 0).unwrap();
        for (extent, buffer, ok) in [
            (4096, 64, true),
            (0, 0, false),
            (256, 257, false),
            (65536, 0, true),
            (65537, 0, false),
        ] {
            assert_eq!(
                TileProjection::new(t, TileOptions { extent, buffer }).is_ok(),
                ok,
                "{extent} {buffer}"
            );
        }
    }
}
