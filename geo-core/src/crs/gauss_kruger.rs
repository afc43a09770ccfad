//! The CGCS2000 Gauss-Kruger zones EPSG:4491-4554 and the zone prefix on their eastings.
//!
//! Four families of codes cover China from 75°E to 135°E:
//!
//! | codes     | width | zones | easting                       |
//! |-----------|-------|-------|-------------------------------|
//! | 4491-4501 | 6°    | 13-23 | zone number in front (19xxxxxx.x) |
//! | 4502-4512 | 6°    | 13-23 | plain (xxxxxx.x)              |
//! | 4513-4533 | 3°    | 25-45 | zone number in front (36xxxxxx.x) |
//! | 4534-4554 | 3°    | 25-45 | plain                         |
//!
//! 6° zone `n` has its central meridian at `6n - 3`, 3° zone `n` at `3n`; the zone numbers of
//! the two widths do not overlap, so a prefix alone says which zone (and meridian) is meant.

use std::fmt;

/// Metres the zone prefix stands for: the prefix is the millions digits of the easting.
const PREFIX_UNIT: f64 = 1_000_000.0;
/// The false easting of every zone once the prefix is taken off.
pub(super) const PLAIN_FALSE_EASTING: f64 = 500_000.0;
/// How far beyond its own band (in degrees of longitude) a zone's data may reach before it
/// is refused: county and city datasets are kept in one zone even where they cross into
/// the next, so some overreach is normal; 1.5° more is as wide as a whole 3° zone.
pub(super) const BAND_MARGIN_DEG: f64 = 1.5;

/// One CGCS2000 Gauss-Kruger zone as an EPSG code defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone {
    /// The EPSG code, 4491-4554.
    pub epsg: u16,
    /// Zone width in degrees of longitude: 3 or 6.
    pub width: u8,
    /// The zone number: 13-23 for 6° zones, 25-45 for 3° zones.
    pub number: u8,
    /// The central meridian, degrees east.
    pub central_meridian: u8,
    /// Whether eastings carry the zone number in front (false easting `number`,500,000).
    pub prefixed: bool,
}

impl Zone {
    /// The zone an EPSG code in 4491-4554 defines.
    #[must_use]
    pub fn from_epsg(code: u32) -> Option<Self> {
        let (width, first_number, prefixed, first_code) = match code {
            4491..=4501 => (6, 13, true, 4491),
            4502..=4512 => (6, 13, false, 4502),
            4513..=4533 => (3, 25, true, 4513),
            4534..=4554 => (3, 25, false, 4534),
            _ => return None,
        };
        let number = first_number + (code - first_code) as u8;
        Some(Self {
            epsg: code as u16,
            width,
            number,
            central_meridian: central_meridian(number)?,
            prefixed,
        })
    }

    /// The zone of a given width and central meridian, with or without the easting prefix.
    #[must_use]
    pub fn from_meridian(width: u8, central_meridian: u32, prefixed: bool) -> Option<Self> {
        let number = match width {
            6 if central_meridian % 6 == 3 => (central_meridian + 3) / 6,
            3 if central_meridian % 3 == 0 => central_meridian / 3,
            _ => return None,
        };
        Self::from_number(u8::try_from(number).ok()?, prefixed)
    }

    /// The zone with this number (13-23: 6°, 25-45: 3°), with or without the easting prefix.
    #[must_use]
    pub fn from_number(number: u8, prefixed: bool) -> Option<Self> {
        let code = match (number, prefixed) {
            (13..=23, true) => 4491 + u32::from(number - 13),
            (13..=23, false) => 4502 + u32::from(number - 13),
            (25..=45, true) => 4513 + u32::from(number - 25),
            (25..=45, false) => 4534 + u32::from(number - 25),
            _ => return None,
        };
        Self::from_epsg(code)
    }

    /// The zone of the same width and prefix convention whose band holds `lon`.
    #[must_use]
    pub fn covering(self, lon: f64) -> Option<Self> {
        let number = if self.width == 6 {
            (lon / 6.0).floor() + 1.0
        } else {
            (lon / 3.0).round()
        };
        if !(0.0..=60.0).contains(&number) {
            return None;
        }
        Self::from_number(number as u8, self.prefixed)
    }

    /// The false easting of the EPSG definition: 500 km, plus the zone number in millions
    /// when the code is a prefixed one.
    #[must_use]
    pub fn false_easting(self) -> f64 {
        if self.prefixed {
            f64::from(self.number) * PREFIX_UNIT + PLAIN_FALSE_EASTING
        } else {
            PLAIN_FALSE_EASTING
        }
    }

    /// Half the zone's width: how far from the central meridian its own band reaches.
    #[must_use]
    pub fn half_width(self) -> f64 {
        f64::from(self.width) / 2.0
    }

    /// The largest distance (degrees of longitude) from the central meridian onemap accepts.
    #[must_use]
    pub fn reach(self) -> f64 {
        self.half_width() + BAND_MARGIN_DEG
    }

    /// The EPSG name, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 108E".
    #[must_use]
    pub fn name(self) -> String {
        let width = if self.width == 3 { "3-degree " } else { "" };
        if self.prefixed {
            format!("CGCS2000 / {width}Gauss-Kruger zone {}", self.number)
        } else {
            format!(
                "CGCS2000 / {width}Gauss-Kruger CM {}E",
                self.central_meridian
            )
        }
    }

    /// Brings an easting as found in a file to this code's convention: strips a prefix the
    /// code does not use, adds one it does use, and refuses a prefix of another meridian.
    pub(super) fn normalise_easting(self, x: f64) -> Result<f64, EastingProblem> {
        let plain = match split_prefix(x) {
            None => x,
            Some((prefix, rest)) => match Self::from_number(prefix, true) {
                // A 3° and a 6° zone can share a meridian (3° zone 35 and 6° zone 18 are
                // both at 105°E); their projections are the same, so either prefix will do.
                Some(z) if z.central_meridian == self.central_meridian => rest,
                Some(z) => return Err(EastingProblem::OtherZone(z)),
                None => return Err(EastingProblem::NotAPrefix(prefix)),
            },
        };
        if plain <= 0.0 {
            return Err(EastingProblem::Negative);
        }
        Ok(plain + self.false_easting() - PLAIN_FALSE_EASTING)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} ({})", self.epsg, self.name())
    }
}

/// Why an easting does not fit the declared zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum EastingProblem {
    /// The prefix names a zone on another central meridian (the prefixed code of that zone).
    OtherZone(Zone),
    /// The millions are not a zone number at all.
    NotAPrefix(u8),
    /// Zero or negative: no Gauss-Kruger easting in China is.
    Negative,
}

/// The zone number in front of an easting and the easting without it; `None` when the
/// easting has no millions (a plain one). Prefixes past 255 are reported as 255, which no
/// zone has.
pub(super) fn split_prefix(x: f64) -> Option<(u8, f64)> {
    if x < PREFIX_UNIT {
        return None;
    }
    let millions = (x / PREFIX_UNIT).floor();
    let prefix = if millions > 255.0 {
        u8::MAX
    } else {
        millions as u8
    };
    Some((prefix, x - millions * PREFIX_UNIT))
}

/// The central meridian of zone `number` (6° zones 13-23, 3° zones 25-45).
fn central_meridian(number: u8) -> Option<u8> {
    match number {
        13..=23 => Some(6 * number - 3),
        25..=45 => Some(3 * number),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_families() {
        let z = Zone::from_epsg(4491).unwrap();
        assert_eq!(
            (z.width, z.number, z.central_meridian, z.prefixed),
            (6, 13, 75, true)
        );
        let z = Zone::from_epsg(4501).unwrap();
        assert_eq!(
            (z.width, z.number, z.central_meridian, z.prefixed),
            (6, 23, 135, true)
        );
        let z = Zone::from_epsg(4502).unwrap();
        assert_eq!(
            (z.width, z.number, z.central_meridian, z.prefixed),
            (6, 13, 75, false)
        );
        let z = Zone::from_epsg(4513).unwrap();
        assert_eq!(
            (z.width, z.number, z.central_meridian, z.prefixed),
            (3, 25, 75, true)
        );
        let z = Zone::from_epsg(4545).unwrap();
        assert_eq!(
            (z.width, z.number, z.central_meridian, z.prefixed),
            (3, 36, 108, false)
        );
        let z = Zone::from_epsg(4554).unwrap();
        assert_eq!(
            (z.width, z.number, z.central_meridian, z.prefixed),
            (3, 45, 135, false)
        );
        assert_eq!(Zone::from_epsg(4490), None);
        assert_eq!(Zone::from_epsg(4555), None);
        assert!((z.false_easting() - 500_000.0).abs() < 1e-9);
        assert!((Zone::from_epsg(4526).unwrap().false_easting() - 38_500_000.0).abs() < 1e-9);
    }

    #[test]
    fn every_code_round_trips_through_number_and_meridian() {
        for code in 4491..=4554 {
            let z = Zone::from_epsg(code).unwrap();
            assert_eq!(Zone::from_number(z.number, z.prefixed), Some(z));
            assert_eq!(
                Zone::from_meridian(z.width, u32::from(z.central_meridian), z.prefixed),
                Some(z)
            );
            assert_eq!(z.covering(f64::from(z.central_meridian) + 0.4), Some(z));
        }
    }

    #[test]
    fn the_definitions_agree_with_crs_definitions() {
        // The proj4 strings onemap projects with must say what this table says.
        for code in 4491..=4554 {
            let z = Zone::from_epsg(code).unwrap();
            let def = crs_definitions::from_code(code as u16).unwrap().proj4;
            assert!(
                def.contains(&format!("+lon_0={} ", z.central_meridian)),
                "{code}: {def}"
            );
            assert!(
                def.contains(&format!("+x_0={} ", z.false_easting())),
                "{code}: {def}"
            );
            assert!(
                def.contains("+k=1 ") && def.contains("+ellps=GRS80"),
                "{def}"
            );
        }
    }

    #[test]
    fn prefixes_are_stripped_added_or_refused() {
        let plain = Zone::from_epsg(4545).unwrap(); // 3° CM 108E = zone 36
        let prefixed = Zone::from_epsg(4524).unwrap(); // 3° zone 36
        assert_eq!(plain.normalise_easting(412_345.5), Ok(412_345.5));
        assert_eq!(plain.normalise_easting(36_412_345.5), Ok(412_345.5));
        assert_eq!(prefixed.normalise_easting(412_345.5), Ok(36_412_345.5));
        assert_eq!(prefixed.normalise_easting(36_412_345.5), Ok(36_412_345.5));
        assert_eq!(
            plain.normalise_easting(38_412_345.5),
            Err(EastingProblem::OtherZone(Zone::from_epsg(4526).unwrap()))
        );
        assert_eq!(
            plain.normalise_easting(12_412_345.5),
            Err(EastingProblem::NotAPrefix(12))
        );
        assert_eq!(plain.normalise_easting(-5.0), Err(EastingProblem::Negative));
        assert_eq!(
            plain.normalise_easting(1e300),
            Err(EastingProblem::NotAPrefix(255))
        );
        // 6° zone 18 and 3° zone 35 share 105°E.
        let six = Zone::from_epsg(4507).unwrap();
        assert_eq!(six.central_meridian, 105);
        assert_eq!(six.normalise_easting(35_400_000.0), Ok(400_000.0));
        assert_eq!(six.normalise_easting(18_400_000.0), Ok(400_000.0));
    }

    #[test]
    fn names_match_epsg() {
        assert_eq!(
            Zone::from_epsg(4545).unwrap().name(),
            "CGCS2000 / 3-degree Gauss-Kruger CM 108E"
        );
        assert_eq!(
            Zone::from_epsg(4526).unwrap().name(),
            "CGCS2000 / 3-degree Gauss-Kruger zone 38"
        );
        assert_eq!(
            Zone::from_epsg(4497).unwrap().name(),
            "CGCS2000 / Gauss-Kruger zone 19"
        );
        assert_eq!(
            Zone::from_epsg(4508).unwrap().name(),
            "CGCS2000 / Gauss-Kruger CM 111E"
        );
    }
}
