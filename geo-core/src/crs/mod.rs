//! Coordinate reference systems of the files GIS staff are given, and the move into
//! onemap's lon/lat (CGCS2000, EPSG:4490, treated as equal to WGS 84).
//!
//! Supported: EPSG:4326 and 4490 (lon/lat), 3857 (Web Mercator), the CGCS2000
//! Gauss-Kruger 3 and 6 degree zones EPSG:4491-4554 (with and without the zone prefix in
//! the easting), and the Chinese obfuscated systems GCJ-02 (AMap, Tencent) and BD-09
//! (Baidu). GCJ-02 and BD-09 cannot be told from lon/lat by looking, so they are only ever
//! declared (`--crs gcj02`), never guessed.

use std::fmt;
use std::str::FromStr;

use geo_types::{Coord, Geometry};

/// A coordinate reference system onemap can read from and write to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// Geographic lon/lat: EPSG:4326 (WGS 84) or EPSG:4490 (CGCS2000).
    LonLat {
        /// 4326 or 4490.
        epsg: u16,
    },
    /// EPSG:3857, spherical Web Mercator in metres.
    WebMercator,
    /// CGCS2000 Gauss-Kruger, EPSG:4491-4554.
    GaussKruger {
        /// The EPSG code, 4491-4554.
        epsg: u16,
    },
    /// GCJ-02, the obfuscated lon/lat of AMap and Tencent maps.
    Gcj02,
    /// BD-09, Baidu's lon/lat (GCJ-02 shifted once more).
    Bd09,
}

/// onemap's own CRS: CGCS2000 lon/lat.
pub const ONEMAP: Crs = Crs::LonLat { epsg: 4490 };

/// Why a CRS could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CrsError {
    /// A CRS name or code onemap does not support.
    #[error("unknown CRS {0:?}: onemap reads EPSG:4326, 4490, 3857, 4491-4554 (CGCS2000 Gauss-Kruger), gcj02 and bd09")]
    Unknown(String),
    /// A coordinate that cannot be in the declared CRS.
    #[error("coordinate ({x}, {y}) cannot be in {crs}: {why}")]
    Implausible {
        /// First coordinate as read.
        x: f64,
        /// Second coordinate as read.
        y: f64,
        /// The CRS it was declared in.
        crs: String,
        /// What is wrong and what to try.
        why: String,
    },
    /// The projection library refused the coordinate.
    #[error("projection failed for ({x}, {y}) from {crs}: {why}")]
    Projection {
        /// First coordinate as read.
        x: f64,
        /// Second coordinate as read.
        y: f64,
        /// The CRS it was declared in.
        crs: String,
        /// The library's message.
        why: String,
    },
}

impl Crs {
    /// The CRS of an EPSG code.
    pub fn from_epsg(code: u32) -> Result<Self, CrsError> {
        match code {
            4326 | 4490 => Ok(Self::LonLat { epsg: code as u16 }),
            3857 | 900_913 => Ok(Self::WebMercator),
            4491..=4554 => Ok(Self::GaussKruger { epsg: code as u16 }),
            _ => Err(CrsError::Unknown(format!("EPSG:{code}"))),
        }
    }

    /// The EPSG code, for the CRSs that have one.
    #[must_use]
    pub fn epsg(self) -> Option<u16> {
        match self {
            Self::LonLat { epsg } | Self::GaussKruger { epsg } => Some(epsg),
            Self::WebMercator => Some(3857),
            Self::Gcj02 | Self::Bd09 => None,
        }
    }

    /// The CRS a `.prj` (ESRI WKT) or OGC WKT names, when onemap supports it.
    #[must_use]
    pub fn from_prj(wkt: &str) -> Option<Self> {
        prj::parse(wkt)
    }

    /// The transform from this CRS into onemap's lon/lat.
    pub fn to_lon_lat(self) -> Result<Transform, CrsError> {
        Transform::new(self, true)
    }

    /// The transform from onemap's lon/lat into this CRS (exports, AMap/Baidu overlays).
    pub fn from_lon_lat(self) -> Result<Transform, CrsError> {
        Transform::new(self, false)
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LonLat { epsg } | Self::GaussKruger { epsg } => write!(f, "EPSG:{epsg}"),
            Self::WebMercator => f.write_str("EPSG:3857"),
            Self::Gcj02 => f.write_str("gcj02"),
            Self::Bd09 => f.write_str("bd09"),
        }
    }
}

impl FromStr for Crs {
    type Err = CrsError;

    /// Accepts `EPSG:4490`, `4490`, `urn:ogc:def:crs:EPSG::4490`, `wgs84`, `cgcs2000`,
    /// `webmercator`, `gcj02`/`gcj-02`, `bd09`/`bd-09`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let unknown = || CrsError::Unknown(s.to_owned());
        match t.replace(['-', '_', ' '], "").as_str() {
            "gcj02" | "gcj" | "mars" | "amap" => return Ok(Self::Gcj02),
            "bd09" | "bd09ll" | "baidu" => return Ok(Self::Bd09),
            "wgs84" | "crs84" | "ogc:crs84" => return Ok(Self::LonLat { epsg: 4326 }),
            "cgcs2000" => return Ok(Self::LonLat { epsg: 4490 }),
            "webmercator" | "mercator" => return Ok(Self::WebMercator),
            _ => {}
        }
        let digits = t
            .rsplit([':', '/'])
            .find(|p| !p.is_empty())
            .ok_or_else(unknown)?;
        let code: u32 = digits.parse().map_err(|_| unknown())?;
        Self::from_epsg(code)
    }
}

mod prj;
mod transform;

pub use transform::Transform;

/// Reprojects every coordinate of `g` with `t`, stopping at the first refused coordinate.
pub fn reproject(t: &Transform, g: &mut Geometry<f64>) -> Result<(), CrsError> {
    use geo::MapCoordsInPlace;
    let f = |c: Coord<f64>| t.coord(c);
    // geo's own Geometry impl recurses into collections with a new closure type per level,
    // which the compiler cannot finish instantiating; walk collections here instead.
    match g {
        Geometry::GeometryCollection(gc) => gc.0.iter_mut().try_for_each(|x| reproject(t, x)),
        Geometry::Point(x) => x.try_map_coords_in_place(f),
        Geometry::Line(x) => x.try_map_coords_in_place(f),
        Geometry::LineString(x) => x.try_map_coords_in_place(f),
        Geometry::Polygon(x) => x.try_map_coords_in_place(f),
        Geometry::MultiPoint(x) => x.try_map_coords_in_place(f),
        Geometry::MultiLineString(x) => x.try_map_coords_in_place(f),
        Geometry::MultiPolygon(x) => x.try_map_coords_in_place(f),
        Geometry::Rect(x) => x.try_map_coords_in_place(f),
        Geometry::Triangle(x) => x.try_map_coords_in_place(f),
    }
}
