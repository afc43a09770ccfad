//! Telling a coordinate that cannot be in its declared CRS from one that can, and saying
//! what it looks like instead so the refusal names the `--crs` to try.
//!
//! These are per-coordinate sanity checks, not guesses: nothing here ever picks a CRS, and
//! GCJ-02/BD-09 cannot be told from lon/lat by looking at all.

use geo_types::Coord;

use super::gauss_kruger::{split_prefix, Zone, PLAIN_FALSE_EASTING};

/// Half the side of the Web Mercator square, metres (π × 6378137).
pub(super) const WEB_MERCATOR_MAX: f64 = 20_037_508.342_789_244;
/// Web Mercator's latitude limit: the square's edge.
pub(super) const WEB_MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_59;
/// The largest Gauss-Kruger northing in China with room to spare (54°N is ~5.99e6 m).
pub(super) const MAX_NORTHING: f64 = 6_500_000.0;

/// What a declared lon/lat coordinate is wrong with, `None` when it is a lon/lat.
pub(super) fn lon_lat_problem(c: Coord<f64>) -> Option<String> {
    if !finite(c) {
        return Some(not_finite());
    }
    if looks_lon_lat(c) {
        return None;
    }
    if c.x.abs() <= 90.0 && c.y.abs() <= 180.0 {
        return Some(
            "the latitude is beyond ±90 but would fit as a longitude: longitude and latitude \
             look swapped, put longitude (x) first"
                .into(),
        );
    }
    Some(format!(
        "the values are beyond ±180/±90, so they are not longitude/latitude degrees; {}",
        metres_hint(c)
    ))
}

/// True when both values fit longitude (±180) and latitude (±90) degrees.
pub(super) fn looks_lon_lat(c: Coord<f64>) -> bool {
    c.x.abs() <= 180.0 && c.y.abs() <= 90.0
}

/// True when neither value is NaN or infinite.
pub(super) fn finite(c: Coord<f64>) -> bool {
    c.x.is_finite() && c.y.is_finite()
}

/// The refusal reason for a NaN or infinite value.
pub(super) fn not_finite() -> String {
    "a coordinate is not a finite number (NaN or infinity): the value is missing or garbled \
     in the file"
        .into()
}

/// The refusal reason for lon/lat degrees declared in a projected CRS.
pub(super) fn degrees_in_metres() -> String {
    "the values look like longitude/latitude in degrees, not projected metres; declare \
     --crs EPSG:4490 (or gcj02/bd09 if they came from AMap/Tencent or Baidu)"
        .into()
}

/// What metres found where they do not fit probably are, as advice ending the message.
pub(super) fn metres_hint(c: Coord<f64>) -> String {
    if let Some(z) = prefixed_easting(c.x, c.y) {
        let mut s = format!(
            "x looks like a Gauss-Kruger easting with zone prefix {}: declare --crs EPSG:{} \
             ({})",
            z.number,
            z.epsg,
            z.name()
        );
        if looks_web_mercator_china(c) {
            s.push_str(", or EPSG:3857 if the file is in Web Mercator");
        }
        return s;
    }
    if let Some(z) = prefixed_easting(c.y, c.x) {
        return format!(
            "y looks like a Gauss-Kruger easting with zone prefix {} and x like a northing: x \
             and y look swapped (a surveyor's X is the northing); put the easting first and \
             declare --crs EPSG:{} ({})",
            z.number,
            z.epsg,
            z.name()
        );
    }
    if looks_plain_gauss_kruger(c) {
        return "they look like Gauss-Kruger metres without a zone prefix: declare the \
                zone's code, EPSG:4534-4554 for a 3-degree zone (central meridian 75E-135E in \
                steps of 3, e.g. EPSG:4545 for 108E) or EPSG:4502-4512 for a 6-degree zone"
            .into();
    }
    if looks_plain_gauss_kruger(Coord { x: c.y, y: c.x }) {
        return "y looks like a Gauss-Kruger easting and x like a northing: x and y look \
                swapped (a surveyor's X is the northing); put the easting first"
            .into();
    }
    if looks_web_mercator_china(c) {
        return "they look like Web Mercator metres: declare --crs EPSG:3857".into();
    }
    "declare the CRS the data was made in with --crs (onemap reads EPSG:4326, 4490, 3857, \
     4491-4554, gcj02, bd09)"
        .into()
}

/// The prefixed zone whose easting `e` (with its prefix) and northing `n` could be.
fn prefixed_easting(e: f64, n: f64) -> Option<Zone> {
    let (prefix, rest) = split_prefix(e)?;
    let zone = Zone::from_number(prefix, true)?;
    let near = (rest - PLAIN_FALSE_EASTING).abs() < 400_000.0;
    (near && (0.0..=MAX_NORTHING).contains(&n)).then_some(zone)
}

/// A plain Gauss-Kruger easting and northing somewhere in China.
fn looks_plain_gauss_kruger(c: Coord<f64>) -> bool {
    (c.x - PLAIN_FALSE_EASTING).abs() < 400_000.0 && (0.0..=MAX_NORTHING).contains(&c.y)
}

/// Web Mercator metres somewhere over China (73°E-135°E, 3°N-54°N, rounded out).
fn looks_web_mercator_china(c: Coord<f64>) -> bool {
    (8_000_000.0..=15_100_000.0).contains(&c.x) && (300_000.0..=7_300_000.0).contains(&c.y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lon_lat_is_fine_and_the_rest_is_explained() {
        assert_eq!(lon_lat_problem(Coord { x: 109.7, y: 28.3 }), None);
        let swapped = lon_lat_problem(Coord { x: 28.3, y: 109.7 }).unwrap();
        assert!(swapped.contains("swapped"), "{swapped}");
        let gk = lon_lat_problem(Coord {
            x: 36_412_345.0,
            y: 3_100_000.0,
        })
        .unwrap();
        assert!(gk.contains("EPSG:4524"), "{gk}");
        let gk = lon_lat_problem(Coord {
            x: 3_100_000.0,
            y: 36_412_345.0,
        })
        .unwrap();
        assert!(gk.contains("swapped") && gk.contains("EPSG:4524"), "{gk}");
        let plain = lon_lat_problem(Coord {
            x: 412_345.0,
            y: 3_100_000.0,
        })
        .unwrap();
        assert!(plain.contains("without a zone prefix"), "{plain}");
        let merc = lon_lat_problem(Coord {
            x: 12_200_000.0,
            y: 3_300_000.0,
        })
        .unwrap();
        assert!(merc.contains("EPSG:3857"), "{merc}");
        let nan = lon_lat_problem(Coord {
            x: f64::NAN,
            y: 3.0,
        })
        .unwrap();
        assert!(nan.contains("finite"), "{nan}");
    }
}
