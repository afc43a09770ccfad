//! `TileCoord`: a validated `z/x/y` address in the XYZ (slippy map) tile grid.

use std::fmt;
use std::str::FromStr;

use geo_types::{coord, Rect};

use super::mercator::{lonlat_to_unit, mercator_to_lonlat, MERCATOR_HALF_WORLD};

/// The deepest zoom onemap serves.
pub const MAX_ZOOM: u8 = 22;

/// Why a tile address or tile option was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The zoom is beyond [`MAX_ZOOM`].
    #[error("tile zoom {z} is out of range; zoom must be 0..={MAX_ZOOM}")]
    Zoom { z: u32 },
    /// x or y is not below `2^z`.
    #[error("tile {z}/{x}/{y} does not exist; at zoom {z} x and y must be below {n}")]
    OutOfGrid { z: u8, x: u32, y: u32, n: u32 },
    /// The text is not `z/x/y` with three non-negative integers.
    #[error("tile address {0:?} is not z/x/y with three non-negative integers")]
    Syntax(String),
    /// The extent or buffer cannot encode a tile.
    #[error("tile extent {extent} with buffer {buffer} is invalid; extent must be 1..=65536 and buffer <= extent")]
    Options { extent: u32, buffer: u32 },
}

impl From<TileError> for crate::Error {
    fn from(e: TileError) -> Self {
        crate::Error::Invalid(e.to_string())
    }
}

/// A tile of the XYZ grid: zoom `z`, column `x` (west to east), row `y` (north to south).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

impl TileCoord {
    /// Validates `z <= 22` and `x, y < 2^z`.
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        let zoom = u8::try_from(z)
            .ok()
            .filter(|&z| z <= MAX_ZOOM)
            .ok_or(TileError::Zoom { z })?;
        let n = 1u32 << zoom;
        if x >= n || y >= n {
            return Err(TileError::OutOfGrid { z: zoom, x, y, n });
        }
        Ok(Self { z: zoom, x, y })
    }

    /// The tile at zoom `z` that holds a lon/lat (latitudes clamped to the Mercator square).
    pub fn containing(lon: f64, lat: f64, z: u32) -> Result<Self, TileError> {
        let side = f64::from(Self::new(z, 0, 0)?.tiles_per_side());
        let (u, v) = lonlat_to_unit(lon, lat);
        // Non-finite input turns into NaN, which `as` maps to 0; the clamp keeps the east and
        // south edges (u or v == 1) in the last tile.
        let column = (u * side).floor().clamp(0.0, side - 1.0) as u32;
        let row = (v * side).floor().clamp(0.0, side - 1.0) as u32;
        Self::new(z, column, row)
    }

    /// Zoom level.
    #[must_use]
    pub const fn z(self) -> u8 {
        self.z
    }

    /// Column, west to east.
    #[must_use]
    pub const fn x(self) -> u32 {
        self.x
    }

    /// Row, north to south.
    #[must_use]
    pub const fn y(self) -> u32 {
        self.y
    }

    /// Number of tiles along each side of the world at this zoom (`2^z`).
    #[must_use]
    pub const fn tiles_per_side(self) -> u32 {
        1 << self.z
    }

    /// The tile's bounds in EPSG:3857 metres.
    #[must_use]
    pub fn bounds_mercator(self) -> Rect<f64> {
        let size = 2.0 * MERCATOR_HALF_WORLD / f64::from(self.tiles_per_side());
        let min_x = -MERCATOR_HALF_WORLD + f64::from(self.x) * size;
        let max_y = MERCATOR_HALF_WORLD - f64::from(self.y) * size;
        Rect::new(
            coord! { x: min_x, y: max_y - size },
            coord! { x: min_x + size, y: max_y },
        )
    }

    /// The tile's bounds in lon/lat degrees (x = lon, y = lat).
    #[must_use]
    pub fn bounds_lonlat(self) -> Rect<f64> {
        let m = self.bounds_mercator();
        let (west, south) = mercator_to_lonlat(m.min().x, m.min().y);
        let (east, north) = mercator_to_lonlat(m.max().x, m.max().y);
        Rect::new(coord! { x: west, y: south }, coord! { x: east, y: north })
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

impl FromStr for TileCoord {
    type Err = TileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || TileError::Syntax(s.to_owned());
        let mut parts = s.split('/').map(|p| p.parse::<u32>().map_err(|_| syntax()));
        let (Some(z), Some(x), Some(y), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(syntax());
        };
        Self::new(z?, x?, y?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_matches_the_grid_size() {
        for z in 0..=u32::from(MAX_ZOOM) {
            let n = 1u32 << z;
            assert!(TileCoord::new(z, n - 1, n - 1).is_ok());
            assert!(matches!(
                TileCoord::new(z, n, 0),
                Err(TileError::OutOfGrid { .. })
            ));
            assert!(matches!(
                TileCoord::new(z, 0, n),
                Err(TileError::OutOfGrid { .. })
            ));
        }
        assert!(matches!(
            TileCoord::new(23, 0, 0),
            Err(TileError::Zoom { z: 23 })
        ));
        assert!(matches!(
            TileCoord::new(300, 0, 0),
            Err(TileError::Zoom { z: 300 })
        ));
        assert!(matches!(
            TileCoord::new(u32::MAX, 0, 0),
            Err(TileError::Zoom { .. })
        ));
    }

    #[test]
    fn parses_and_displays() {
        let t: TileCoord = "10/837/419".parse().unwrap();
        assert_eq!(t.to_string(), "10/837/419");
        for bad in [
            "", "1/2", "1/2/3/4", "a/0/0", "-1/0/0", "1/2/0", "23/0/0", "1//0",
        ] {
            assert!(bad.parse::<TileCoord>().is_err(), "{bad}");
        }
    }

    #[test]
    fn neighbours_share_edges_and_children_tile_their_parent() {
        let t = TileCoord::new(9, 300, 200).unwrap();
        let right = TileCoord::new(9, 301, 200).unwrap();
        let below = TileCoord::new(9, 300, 201).unwrap();
        let b = t.bounds_lonlat();
        assert!((b.max().x - right.bounds_lonlat().min().x).abs() < 1e-12);
        assert!((b.min().y - below.bounds_lonlat().max().y).abs() < 1e-12);
        let child = TileCoord::new(10, 601, 401).unwrap().bounds_mercator();
        let parent = t.bounds_mercator();
        assert!((child.max().x - parent.max().x).abs() < 1e-6);
        assert!((child.min().y - parent.min().y).abs() < 1e-6);
    }

    #[test]
    fn containing_tile_contains_the_point() {
        for &(lon, lat) in &[
            (112.93, 28.23),
            (-0.0001, 0.0001),
            (179.999, -85.0),
            (-180.0, 85.05),
        ] {
            for z in [0, 5, 12, 22] {
                let t = TileCoord::containing(lon, lat, z).unwrap();
                let b = t.bounds_lonlat();
                assert!(b.min().x <= lon && lon <= b.max().x, "{lon} {lat} z{z} {t}");
                assert!(b.min().y <= lat && lat <= b.max().y, "{lon} {lat} z{z} {t}");
            }
        }
        assert!(TileCoord::containing(f64::NAN, f64::INFINITY, 3).is_ok());
    }
}
