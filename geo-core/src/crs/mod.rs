//! Coordinate reference systems of the files GIS staff are given, and the move into
//! onemap's lon/lat (CGCS2000, EPSG:4490, treated as equal to WGS 84).
//!
//! Supported: EPSG:4326 and 4490 (lon/lat), 3857 (Web Mercator), the CGCS2000
//! Gauss-Kruger 3 and 6 degree zones EPSG:4491-4554 (with and without the zone prefix in
//! the easting), and the Chinese obfuscated systems GCJ-02 (`AMap`, Tencent) and BD-09
//! (Baidu). GCJ-02 and BD-09 cannot be told from lon/lat by looking, so they are only ever
//! declared (`--crs gcj02`), never guessed.
//!
//! Files: `transform.rs` moves coordinates (proj4rs for the projected CRSs, `shifted.rs`
//! for GCJ-02/BD-09) after `plausible.rs` has checked they can be in their CRS;
//! `gauss_kruger.rs` knows the zones and their easting prefixes; `prj.rs` recognises a CRS
//! from its WKT with the tree `wkt.rs` reads.

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
    /// GCJ-02, the obfuscated lon/lat of `AMap` and Tencent maps.
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

    /// The Gauss-Kruger zone, for the Gauss-Kruger codes.
    #[must_use]
    pub fn zone(self) -> Option<Zone> {
        match self {
            Self::GaussKruger { epsg } => Zone::from_epsg(u32::from(epsg)),
            _ => None,
        }
    }

    /// A readable name for messages, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 108E".
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::LonLat { epsg: 4490 } => "CGCS2000 longitude/latitude".into(),
            Self::LonLat { .. } => "WGS 84 longitude/latitude".into(),
            Self::WebMercator => "Web Mercator".into(),
            Self::GaussKruger { epsg } => self
                .zone()
                .map_or_else(|| format!("EPSG:{epsg}"), Zone::name),
            Self::Gcj02 => "GCJ-02 (AMap, Tencent)".into(),
            Self::Bd09 => "BD-09 (Baidu)".into(),
        }
    }

    /// The CRS a `.prj` (ESRI WKT) or OGC WKT1/WKT2 names, when onemap supports it.
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

    /// Accepts `EPSG:4490`, `epsg4490`, `4490`, `urn:ogc:def:crs:EPSG::4490`,
    /// `http://www.opengis.net/def/crs/EPSG/0/4490`, `wgs84`, `cgcs2000`, `webmercator`,
    /// `ESRI:102100`, `gcj02`/`gcj-02`, `bd09`/`bd-09`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let unknown = || CrsError::Unknown(s.to_owned());
        match t.replace(['-', '_', ' '], "").as_str() {
            "gcj02" | "gcj" | "mars" | "amap" => return Ok(Self::Gcj02),
            "bd09" | "bd09ll" | "baidu" => return Ok(Self::Bd09),
            "wgs84" | "crs84" | "ogc:crs84" => return Ok(Self::LonLat { epsg: 4326 }),
            "cgcs2000" => return Ok(Self::LonLat { epsg: 4490 }),
            "webmercator" | "mercator" | "pseudomercator" | "esri:102100" | "esri:102113" => {
                return Ok(Self::WebMercator)
            }
            _ => {}
        }
        let last = t
            .rsplit([':', '/'])
            .find(|p| !p.is_empty())
            .ok_or_else(unknown)?;
        // The authority, when one is named, must be EPSG ("ESRI:4545" is not EPSG:4545).
        if t != last && !t.split([':', '/']).any(|p| p == "epsg") {
            return Err(unknown());
        }
        let digits = last.strip_prefix("epsg").unwrap_or(last);
        let code: u32 = digits.parse().map_err(|_| unknown())?;
        Self::from_epsg(code).map_err(|_| unknown())
    }
}

mod gauss_kruger;
mod plausible;
mod prj;
mod shifted;
mod transform;
mod wkt;

pub use gauss_kruger::Zone;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_str_accepts_the_usual_spellings() {
        let gk = Crs::GaussKruger { epsg: 4545 };
        for s in [
            "EPSG:4545",
            "epsg:4545",
            " 4545 ",
            "EPSG4545",
            "urn:ogc:def:crs:EPSG::4545",
            "http://www.opengis.net/def/crs/EPSG/0/4545",
        ] {
            assert_eq!(s.parse::<Crs>(), Ok(gk), "{s}");
        }
        assert_eq!("wgs84".parse(), Ok(Crs::LonLat { epsg: 4326 }));
        assert_eq!("WGS 84".parse(), Ok(Crs::LonLat { epsg: 4326 }));
        assert_eq!("OGC:CRS84".parse(), Ok(Crs::LonLat { epsg: 4326 }));
        assert_eq!("CGCS2000".parse(), Ok(Crs::LonLat { epsg: 4490 }));
        assert_eq!("EPSG:4490".parse(), Ok(Crs::LonLat { epsg: 4490 }));
        assert_eq!("EPSG:3857".parse(), Ok(Crs::WebMercator));
        assert_eq!("EPSG:900913".parse(), Ok(Crs::WebMercator));
        assert_eq!("ESRI:102100".parse(), Ok(Crs::WebMercator));
        assert_eq!("web-mercator".parse(), Ok(Crs::WebMercator));
        assert_eq!("GCJ-02".parse(), Ok(Crs::Gcj02));
        assert_eq!("gcj02".parse(), Ok(Crs::Gcj02));
        assert_eq!("BD-09".parse(), Ok(Crs::Bd09));
        assert_eq!("bd09ll".parse(), Ok(Crs::Bd09));
    }

    #[test]
    fn from_str_refuses_the_rest() {
        for s in [
            "",
            "EPSG:",
            "EPSG:4214",
            "EPSG:4555",
            "ESRI:4545",
            "utm50",
            "gcj03",
            "-4545",
            "EPSG:99999999999",
        ] {
            assert_eq!(
                s.parse::<Crs>(),
                Err(CrsError::Unknown(s.to_owned())),
                "{s}"
            );
        }
        let e = "EPSG:4214".parse::<Crs>().unwrap_err().to_string();
        assert!(e.contains("4491-4554") && e.contains("gcj02"), "{e}");
    }

    #[test]
    fn every_crs_displays_as_it_parses() {
        let mut all: Vec<Crs> = [4326, 4490, 3857]
            .into_iter()
            .chain(4491..=4554)
            .map(|c| Crs::from_epsg(c).unwrap())
            .collect();
        all.extend([Crs::Gcj02, Crs::Bd09]);
        for crs in all {
            assert_eq!(crs.to_string().parse(), Ok(crs));
            assert_eq!(
                crs.epsg().map(u32::from),
                crs.to_string()
                    .strip_prefix("EPSG:")
                    .map(|d| d.parse().unwrap())
            );
            assert!(!crs.name().is_empty());
        }
        assert_eq!(Crs::from_epsg(4490), Ok(ONEMAP));
        assert_eq!(
            Crs::from_epsg(4545).unwrap().name(),
            "CGCS2000 / 3-degree Gauss-Kruger CM 108E"
        );
        assert_eq!(
            Crs::from_epsg(4545)
                .unwrap()
                .zone()
                .unwrap()
                .central_meridian,
            108
        );
        assert_eq!(Crs::Gcj02.zone(), None);
        assert!(Crs::from_epsg(4491).is_ok() && Crs::from_epsg(4554).is_ok());
        assert!(Crs::from_epsg(4490 - 1).is_err() && Crs::from_epsg(4555).is_err());
    }

    #[test]
    fn reproject_moves_every_coordinate_and_stops_at_a_bad_one() {
        use geo_types::{line_string, polygon, GeometryCollection, Point};
        let t = Crs::from_epsg(4545).unwrap().to_lon_lat().unwrap();
        let mut g = Geometry::GeometryCollection(GeometryCollection(vec![
            Geometry::Point(Point::new(400_000.0, 3_100_000.0)),
            Geometry::Polygon(polygon![
                (x: 400_000.0, y: 3_100_000.0),
                (x: 401_000.0, y: 3_100_000.0),
                (x: 401_000.0, y: 3_101_000.0),
            ]),
        ]));
        reproject(&t, &mut g).unwrap();
        let Geometry::GeometryCollection(gc) = &g else {
            unreachable!()
        };
        let Geometry::Point(p) = gc.0[0] else {
            unreachable!()
        };
        assert!((p.x() - 106.983_279_2).abs() < 1e-6 && (p.y() - 28.010_300_9).abs() < 1e-6);
        let mut bad =
            Geometry::LineString(line_string![(x: 400_000.0, y: 3_100_000.0), (x: 109.7, y: 28.3)]);
        assert!(matches!(
            reproject(&t, &mut bad),
            Err(CrsError::Implausible { .. })
        ));
    }
}
