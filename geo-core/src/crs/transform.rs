//! Moving one coordinate between a supported CRS and onemap's lon/lat.
//!
//! Projected CRSs go through `proj4rs` with the proj4 definitions of `crs-definitions`,
//! built once per [`Transform`]; GCJ-02 and BD-09 through [`super::shifted`]. CGCS2000 and
//! WGS 84 are taken as equal (they differ by centimetres, below what the data carries), so
//! lon/lat in either is passed through unchanged. Every coordinate is checked against what
//! its CRS can hold before it is moved, and refused with advice when it cannot be in it.

use std::fmt;

use geo_types::Coord;
use proj4rs::Proj;

use super::gauss_kruger::{EastingProblem, Zone};
use super::plausible::{
    degrees_in_metres, finite, lon_lat_problem, looks_lon_lat, metres_hint, not_finite,
    MAX_NORTHING, WEB_MERCATOR_MAX, WEB_MERCATOR_MAX_LAT,
};
use super::{shifted, Crs, CrsError};

/// onemap's own lon/lat, as the far side of every transform.
const ONEMAP_EPSG: u16 = 4490;
/// Rounding allowance at the Web Mercator square's edge (exports often round to cm).
const WEB_MERCATOR_SLACK: f64 = 0.01;

/// A ready transform between one CRS and onemap's lon/lat, in one direction.
#[derive(Clone)]
pub struct Transform {
    crs: Crs,
    to_lon_lat: bool,
    how: How,
}

/// How the coordinates move.
#[derive(Clone)]
enum How {
    /// Lon/lat to lon/lat: checked, not moved.
    LonLat,
    /// Web Mercator through proj4rs.
    WebMercator(Box<Projections>),
    /// A Gauss-Kruger zone through proj4rs, with the easting prefix put right first.
    GaussKruger(Zone, Box<Projections>),
    /// GCJ-02.
    Gcj02,
    /// BD-09.
    Bd09,
}

/// The projected CRS and onemap's lon/lat as proj4rs objects.
#[derive(Clone)]
struct Projections {
    projected: Proj,
    lon_lat: Proj,
}

impl Projections {
    fn new(crs: Crs, epsg: u16) -> Result<Self, CrsError> {
        let build = |code: u16| {
            let def = crs_definitions::from_code(code)
                .ok_or_else(|| CrsError::Unknown(format!("EPSG:{code} (no proj4 definition)")))?;
            Proj::from_proj_string(def.proj4).map_err(|e| CrsError::Projection {
                x: f64::NAN,
                y: f64::NAN,
                crs: crs.to_string(),
                why: format!("proj4rs cannot build EPSG:{code}: {e}"),
            })
        };
        Ok(Self {
            projected: build(epsg)?,
            lon_lat: build(ONEMAP_EPSG)?,
        })
    }

    /// Projected metres -> lon/lat degrees.
    fn inverse(&self, c: Coord<f64>, crs: Crs) -> Result<Coord<f64>, CrsError> {
        let mut p = (c.x, c.y);
        proj4rs::transform::transform(&self.projected, &self.lon_lat, &mut p)
            .map_err(|e| projection_error(c, crs, &e))?;
        Ok(Coord {
            x: p.0.to_degrees(),
            y: p.1.to_degrees(),
        })
    }

    /// Lon/lat degrees -> projected metres.
    fn forward(&self, c: Coord<f64>, crs: Crs) -> Result<Coord<f64>, CrsError> {
        // proj4rs works in radians for geographic CRSs.
        let mut p = (c.x.to_radians(), c.y.to_radians());
        proj4rs::transform::transform(&self.lon_lat, &self.projected, &mut p)
            .map_err(|e| projection_error(c, crs, &e))?;
        Ok(Coord { x: p.0, y: p.1 })
    }
}

impl Transform {
    pub(super) fn new(crs: Crs, to_lon_lat: bool) -> Result<Self, CrsError> {
        let how = match crs {
            Crs::LonLat { epsg: 4326 | 4490 } => How::LonLat,
            Crs::LonLat { epsg } => return Err(CrsError::Unknown(format!("EPSG:{epsg}"))),
            Crs::WebMercator => How::WebMercator(Box::new(Projections::new(crs, 3857)?)),
            Crs::GaussKruger { epsg } => {
                let zone = Zone::from_epsg(u32::from(epsg))
                    .ok_or_else(|| CrsError::Unknown(format!("EPSG:{epsg}")))?;
                How::GaussKruger(zone, Box::new(Projections::new(crs, epsg)?))
            }
            Crs::Gcj02 => How::Gcj02,
            Crs::Bd09 => How::Bd09,
        };
        Ok(Self {
            crs,
            to_lon_lat,
            how,
        })
    }

    /// The CRS on the far side of onemap's lon/lat.
    #[must_use]
    pub fn crs(&self) -> Crs {
        self.crs
    }

    /// True for the lon/lat CRSs, whose coordinates are checked but never moved.
    #[must_use]
    pub fn is_identity(&self) -> bool {
        matches!(self.how, How::LonLat)
    }

    /// Transforms one coordinate; refuses one that cannot be in the source CRS.
    pub fn coord(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        if self.to_lon_lat {
            self.inward(c)
        } else {
            self.outward(c)
        }
    }

    /// From the file's CRS into onemap's lon/lat.
    fn inward(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        let refuse = |why: String| implausible(c, self.crs, why);
        if !finite(c) {
            return Err(refuse(not_finite()));
        }
        match &self.how {
            How::LonLat | How::Gcj02 | How::Bd09 => {
                if let Some(why) = lon_lat_problem(c) {
                    return Err(refuse(why));
                }
                Ok(match self.how {
                    How::Gcj02 => shifted::gcj_to_wgs(c),
                    How::Bd09 => shifted::bd_to_wgs(c),
                    _ => c,
                })
            }
            How::WebMercator(p) => {
                if looks_lon_lat(c) {
                    return Err(refuse(degrees_in_metres()));
                }
                let limit = WEB_MERCATOR_MAX + WEB_MERCATOR_SLACK;
                if c.x.abs() > limit || c.y.abs() > limit {
                    return Err(refuse(format!(
                        "Web Mercator metres lie within ±20037508.34; {}",
                        metres_hint(c)
                    )));
                }
                p.inverse(c, self.crs)
            }
            How::GaussKruger(zone, p) => self.gauss_kruger_in(*zone, p, c),
        }
    }

    /// A Gauss-Kruger easting/northing into lon/lat, with every check a zone allows.
    fn gauss_kruger_in(
        &self,
        zone: Zone,
        p: &Projections,
        c: Coord<f64>,
    ) -> Result<Coord<f64>, CrsError> {
        let refuse = |why: String| implausible(c, self.crs, why);
        if looks_lon_lat(c) {
            return Err(refuse(degrees_in_metres()));
        }
        let x = zone.normalise_easting(c.x).map_err(|problem| {
            refuse(match problem {
                EastingProblem::OtherZone(other) => format!(
                    "the easting carries zone prefix {} ({}-degree zone {}, central meridian \
                     {}E) but {} is zone {} (central meridian {}E); declare --crs EPSG:{} for \
                     zone {}",
                    other.number,
                    other.width,
                    other.number,
                    other.central_meridian,
                    zone.name(),
                    zone.number,
                    zone.central_meridian,
                    other.epsg,
                    other.number
                ),
                EastingProblem::NotAPrefix(prefix) => format!(
                    "the easting is neither a 6-digit Gauss-Kruger easting (about 500000) nor \
                     one with a zone prefix (13-23 for 6-degree zones, 25-45 for 3-degree \
                     zones; this one starts with {prefix}); {}",
                    metres_hint(c)
                ),
                EastingProblem::Negative => format!(
                    "a Gauss-Kruger easting in China is positive (about 500000, or with the \
                     zone number in front); {}",
                    metres_hint(c)
                ),
            })
        })?;
        if !(0.0..=MAX_NORTHING).contains(&c.y) {
            return Err(refuse(format!(
                "a Gauss-Kruger northing in China lies between 0 and 6500000 m; {}",
                metres_hint(c)
            )));
        }
        let ll = p.inverse(Coord { x, y: c.y }, self.crs)?;
        let off = (ll.x - f64::from(zone.central_meridian)).abs();
        if off > zone.reach() {
            return Err(refuse(format!(
                "it lands at {:.4}E {:.4}N, {off:.1} degrees from the central meridian {}E \
                 of {}; a {}-degree zone covers {} degrees either side (onemap allows up to {}). \
                 Check that the declared zone is the one the data was made in",
                ll.x,
                ll.y,
                zone.central_meridian,
                zone.name(),
                zone.width,
                zone.half_width(),
                zone.reach()
            )));
        }
        Ok(ll)
    }

    /// From onemap's lon/lat into this CRS (exports, AMap/Baidu overlays).
    fn outward(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        let onemap = super::ONEMAP;
        if let Some(why) = lon_lat_problem(c) {
            return Err(implausible(c, onemap, why));
        }
        match &self.how {
            How::LonLat => Ok(c),
            How::Gcj02 => Ok(shifted::wgs_to_gcj(c)),
            How::Bd09 => Ok(shifted::wgs_to_bd(c)),
            How::WebMercator(p) => {
                if c.y.abs() > WEB_MERCATOR_MAX_LAT {
                    return Err(implausible(
                        c,
                        onemap,
                        "Web Mercator (EPSG:3857) stops at ±85.05 degrees latitude".into(),
                    ));
                }
                p.forward(c, self.crs)
            }
            How::GaussKruger(zone, p) => {
                let off = (c.x - f64::from(zone.central_meridian)).abs();
                if off > zone.reach() {
                    let better = zone
                        .covering(c.x)
                        .map_or_else(String::new, |z| format!(": EPSG:{} ({})", z.epsg, z.name()));
                    return Err(implausible(
                        c,
                        onemap,
                        format!(
                            "longitude {} is {off:.1} degrees from the central meridian {}E of \
                             {} (onemap allows up to {}); export in the zone that covers it{better}",
                            c.x,
                            zone.central_meridian,
                            zone.name(),
                            zone.reach()
                        ),
                    ));
                }
                p.forward(c, self.crs)
            }
        }
    }
}

impl fmt::Debug for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The proj4rs objects print pages of internals; the CRS and direction say it all.
        f.debug_struct("Transform")
            .field("crs", &self.crs)
            .field("to_lon_lat", &self.to_lon_lat)
            .finish_non_exhaustive()
    }
}

/// The refusal of `c` as a coordinate of `crs`.
fn implausible(c: Coord<f64>, crs: Crs, why: String) -> CrsError {
    CrsError::Implausible {
        x: c.x,
        y: c.y,
        crs: crs.to_string(),
        why,
    }
}

/// proj4rs's refusal of `c`.
fn projection_error(c: Coord<f64>, crs: Crs, e: &proj4rs::errors::Error) -> CrsError {
    CrsError::Projection {
        x: c.x,
        y: c.y,
        crs: crs.to_string(),
        why: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn into(code: u32) -> Transform {
        Crs::from_epsg(code).unwrap().to_lon_lat().unwrap()
    }

    /// The reason of a refusal, failing the test for anything else.
    fn why(r: Result<Coord<f64>, CrsError>) -> String {
        match r {
            Err(CrsError::Implausible { why, .. }) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn lon_lat_declared_as_gauss_kruger_is_refused_with_advice() {
        let e = into(4545).coord(c(109.7, 28.3)).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("EPSG:4545"), "{text}");
        assert!(
            text.contains("longitude/latitude") && text.contains("--crs EPSG:4490"),
            "{text}"
        );
        let w = why(into(3857).coord(c(109.7, 28.3)));
        assert!(w.contains("--crs EPSG:4490"), "{w}");
    }

    #[test]
    fn metres_declared_as_lon_lat_are_refused_with_advice() {
        for code in [4326, 4490] {
            let w = why(into(code).coord(c(38_412_345.0, 3_100_000.0)));
            assert!(w.contains("EPSG:4526"), "{w}");
            let w = why(into(code).coord(c(412_345.0, 3_100_000.0)));
            assert!(w.contains("without a zone prefix"), "{w}");
        }
        let gcj = Crs::Gcj02.to_lon_lat().unwrap();
        let w = why(gcj.coord(c(12_200_000.0, 3_300_000.0)));
        assert!(w.contains("EPSG:3857"), "{w}");
        let w = why(Crs::Bd09.to_lon_lat().unwrap().coord(c(28.3, 109.7)));
        assert!(w.contains("swapped"), "{w}");
    }

    #[test]
    fn non_finite_values_are_refused_everywhere() {
        let mut all: Vec<Crs> = [4326, 4490, 3857, 4545, 4526]
            .into_iter()
            .map(|code| Crs::from_epsg(code).unwrap())
            .collect();
        all.extend([Crs::Gcj02, Crs::Bd09]);
        for crs in all {
            for bad in [
                c(f64::NAN, 1.0),
                c(1.0, f64::INFINITY),
                c(f64::NEG_INFINITY, 0.0),
            ] {
                let w = why(crs.to_lon_lat().unwrap().coord(bad));
                assert!(w.contains("finite"), "{crs}: {w}");
                let w = why(crs.from_lon_lat().unwrap().coord(bad));
                assert!(w.contains("finite"), "{crs}: {w}");
            }
        }
    }

    #[test]
    fn web_mercator_beyond_its_square_is_refused() {
        let t = into(3857);
        assert!(t.coord(c(20_037_508.34, 0.0)).is_ok());
        let w = why(t.coord(c(20_037_509.0, 3_000_000.0)));
        assert!(w.contains("20037508.34"), "{w}");
        let w = why(t.coord(c(38_412_345.0, 3_100_000.0)));
        assert!(w.contains("EPSG:4526"), "{w}");
        let w = why(Crs::WebMercator
            .from_lon_lat()
            .unwrap()
            .coord(c(10.0, 86.0)));
        assert!(w.contains("85.05"), "{w}");
    }

    #[test]
    fn the_zone_prefix_is_stripped_or_added_and_a_foreign_one_refused() {
        let plain = into(4545); // 3° CM 108E, zone 36
        let prefixed = into(4524); // 3° zone 36
        let want = plain.coord(c(412_345.678, 3_100_000.0)).unwrap();
        for t in [&plain, &prefixed] {
            for x in [412_345.678, 36_412_345.678] {
                let got = t.coord(c(x, 3_100_000.0)).unwrap();
                assert!((got.x - want.x).abs() < 1e-9 && (got.y - want.y).abs() < 1e-9);
            }
        }
        let e = plain
            .coord(c(38_412_345.0, 3_100_000.0))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("zone prefix 38") && e.contains("zone 36") && e.contains("EPSG:4526"),
            "{e}"
        );
        let e = prefixed
            .coord(c(19_412_345.0, 3_100_000.0))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("zone prefix 19") && e.contains("zone 36") && e.contains("EPSG:4497"),
            "{e}"
        );
        // Out of lon/lat the prefixed code writes the prefix, the plain one does not.
        let back = Crs::from_epsg(4524)
            .unwrap()
            .from_lon_lat()
            .unwrap()
            .coord(want)
            .unwrap();
        assert!((back.x - 36_412_345.678).abs() < 1e-6, "{back:?}");
        let back = Crs::from_epsg(4545)
            .unwrap()
            .from_lon_lat()
            .unwrap()
            .coord(want)
            .unwrap();
        assert!((back.x - 412_345.678).abs() < 1e-6, "{back:?}");
    }

    #[test]
    fn gauss_kruger_out_of_range_is_refused() {
        let t = into(4545);
        let w = why(t.coord(c(12_412_345.0, 3_100_000.0)));
        assert!(w.contains("starts with 12"), "{w}");
        let w = why(t.coord(c(3_100_000.0, 412_345.0)));
        assert!(w.contains("starts with 3") && w.contains("swapped"), "{w}");
        let w = why(t.coord(c(-5_000.0, 3_100_000.0)));
        assert!(w.contains("positive"), "{w}");
        let w = why(t.coord(c(412_345.0, -3_100_000.0)));
        assert!(w.contains("northing"), "{w}");
        let w = why(t.coord(c(412_345.0, 9_100_000.0)));
        assert!(w.contains("northing"), "{w}");
        // 950 km east of the meridian at 50°N is ~12° away: not this zone's data.
        let w = why(t.coord(c(950_000.0, 5_540_000.0)));
        assert!(w.contains("degrees from the central meridian 108E"), "{w}");
        // Just outside the band (1.5°) but within the margin is fine.
        assert!(t.coord(c(690_000.0, 3_100_000.0)).is_ok());
        let out = Crs::from_epsg(4545).unwrap().from_lon_lat().unwrap();
        let w = why(out.coord(c(114.2, 30.0)));
        assert!(w.contains("EPSG:4547"), "{w}");
    }

    #[test]
    fn transforms_are_shareable_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Transform>();
        assert!(into(4490).is_identity() && !into(4545).is_identity());
        assert!(format!("{:?}", into(4545)).contains("4545"));
    }
}
