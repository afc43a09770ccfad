//! Recognising the CRS named by a `.prj` file (ESRI WKT, usually without any EPSG code) or
//! by a GeoPackage/FlatGeobuf definition (OGC WKT1 or WKT2, usually with one).
//!
//! In order of trust: the EPSG code of the outermost CRS; for a projected CRS on the
//! CGCS2000 datum, the central meridian and false easting of its Gauss-Kruger / Transverse
//! Mercator projection (what the software that wrote the file projected with), with the
//! name deciding 3° or 6° where both have that meridian; the name alone when the
//! parameters are missing; for Web Mercator, its method or name; for a geographic CRS, its
//! datum. Anything else is `None`: a Beijing 1954 or Xian 1980 `.prj` must not be read as
//! CGCS2000, which would put everything ~100 m off.

use super::gauss_kruger::{Zone, PLAIN_FALSE_EASTING};
use super::wkt::{self, Node};
use super::Crs;

/// The CRS `wkt` names, when onemap supports it.
pub(super) fn parse(wkt: &str) -> Option<Crs> {
    let root = wkt::parse(wkt)?;
    recognise(&root)
}

fn recognise(root: &Node) -> Option<Crs> {
    if let Some(crs) = authority(root) {
        return Some(crs);
    }
    match root.keyword.as_str() {
        "GEOGCS" | "GEOGCRS" | "GEOGRAPHICCRS" | "GEODCRS" | "GEODETICCRS" => geographic(root),
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => projected(root),
        // WKT2 wraps a CRS that carries a datum shift in BOUNDCRS[SOURCECRS[...], ...].
        "BOUNDCRS" => root
            .child(&["SOURCECRS"])
            .and_then(|s| s.children().next())
            .and_then(recognise),
        _ => None,
    }
}

/// The supported CRS the outermost `AUTHORITY["EPSG","n"]` (WKT1) or `ID["EPSG",n]` (WKT2)
/// names. Nested codes (the base geographic CRS, the datum) are not looked at.
fn authority(root: &Node) -> Option<Crs> {
    root.children()
        .filter(|n| matches!(n.keyword.as_str(), "AUTHORITY" | "ID"))
        .find_map(|n| {
            let code = n.number(1)?;
            if code.fract() != 0.0 || !(0.0..=1e9).contains(&code) {
                return None;
            }
            match (n.name()?.to_ascii_uppercase().as_str(), code as u32) {
                ("EPSG", c) => Crs::from_epsg(c).ok(),
                // ESRI's own numbers for Web Mercator.
                ("ESRI", 102_100 | 102_113) => Some(Crs::WebMercator),
                _ => None,
            }
        })
}

/// The datums onemap tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Datum {
    Cgcs2000,
    Wgs84,
}

/// Upper-case letters and digits only: `GCS_China_Geodetic_Coordinate_System_2000` and
/// `China Geodetic Coordinate System 2000` both become `CHINAGEODETICCOORDINATESYSTEM2000`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The datum of a geographic CRS node, from its datum (or ensemble) and ellipsoid names,
/// falling back to the CRS name.
fn datum_of(geo: &Node) -> Option<Datum> {
    let datum = geo.child(&["DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE"]);
    let ellipsoid = datum.and_then(|d| d.child(&["SPHEROID", "ELLIPSOID"]));
    let names = [datum, ellipsoid, Some(geo)]
        .into_iter()
        .flatten()
        .filter_map(Node::name)
        .map(squash);
    for name in names {
        if ["CHINA2000", "CGCS2000", "CHINAGEODETICCOORDINATESYSTEM2000"]
            .iter()
            .any(|k| name.contains(k))
        {
            return Some(Datum::Cgcs2000);
        }
        if ["WGS84", "WGS1984", "WORLDGEODETICSYSTEM1984"]
            .iter()
            .any(|k| name.contains(k))
        {
            return Some(Datum::Wgs84);
        }
    }
    None
}

fn geographic(root: &Node) -> Option<Crs> {
    match datum_of(root)? {
        Datum::Cgcs2000 => Some(Crs::LonLat { epsg: 4490 }),
        Datum::Wgs84 => Some(Crs::LonLat { epsg: 4326 }),
    }
}

/// The projection method and parameters of a projected CRS, WKT1 or WKT2 alike.
struct Projection<'a> {
    method: String,
    parameters: Vec<&'a Node>,
}

impl Projection<'_> {
    /// The value of the first parameter whose squashed name is one of `names`.
    fn get(&self, names: &[&str]) -> Option<f64> {
        self.parameters
            .iter()
            .find(|p| {
                p.name()
                    .is_some_and(|n| names.contains(&squash(n).as_str()))
            })
            .and_then(|p| p.number(1))
    }

    /// True when the parameter is absent or equals `value`.
    fn absent_or(&self, names: &[&str], value: f64) -> bool {
        self.get(names).is_none_or(|v| (v - value).abs() < 1e-9)
    }
}

const CENTRAL_MERIDIAN: &[&str] = &[
    "CENTRALMERIDIAN",
    "LONGITUDEOFNATURALORIGIN",
    "LONGITUDEOFORIGIN",
];
const FALSE_EASTING: &[&str] = &["FALSEEASTING"];
const FALSE_NORTHING: &[&str] = &["FALSENORTHING"];
const SCALE: &[&str] = &["SCALEFACTOR", "SCALEFACTORATNATURALORIGIN"];
const LATITUDE_OF_ORIGIN: &[&str] = &["LATITUDEOFORIGIN", "LATITUDEOFNATURALORIGIN"];

fn projection(root: &Node) -> Option<Projection<'_>> {
    // WKT1/ESRI: PROJECTION and PARAMETERs are children of PROJCS.
    if let Some(p) = root.child(&["PROJECTION"]) {
        return Some(Projection {
            method: squash(p.name()?),
            parameters: root
                .children()
                .filter(|n| n.keyword == "PARAMETER")
                .collect(),
        });
    }
    // WKT2: CONVERSION[name, METHOD[...], PARAMETER[...]...].
    let conversion = root.child(&["CONVERSION"])?;
    Some(Projection {
        method: squash(conversion.child(&["METHOD", "PROJECTION"])?.name()?),
        parameters: conversion
            .children()
            .filter(|n| n.keyword == "PARAMETER")
            .collect(),
    })
}

/// True unless the WKT says its lengths are in something other than metres (WKT1 `UNIT`
/// on the CRS; WKT2 `LENGTHUNIT` on its axes or coordinate system).
fn in_metres(root: &Node) -> bool {
    let units = root
        .children()
        .filter(|n| matches!(n.keyword.as_str(), "UNIT" | "LENGTHUNIT"))
        .chain(
            root.children()
                .filter(|n| matches!(n.keyword.as_str(), "AXIS" | "CS"))
                .flat_map(Node::children)
                .filter(|n| n.keyword == "LENGTHUNIT"),
        );
    units
        .into_iter()
        .all(|u| u.number(1).is_none_or(|f| (f - 1.0).abs() < 1e-12))
}

fn projected(root: &Node) -> Option<Crs> {
    let name = squash(root.name().unwrap_or_default());
    let base = root.child(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEODCRS"]);
    let datum = base.and_then(datum_of);
    let proj = projection(root);
    if !in_metres(root) {
        return None;
    }
    if let Some(p) = &proj {
        if is_web_mercator(p, &name) {
            return Some(Crs::WebMercator);
        }
    }
    if datum != Some(Datum::Cgcs2000) {
        return None;
    }
    match proj {
        Some(p) if p.get(CENTRAL_MERIDIAN).is_some() => gauss_kruger_by_parameters(&p, &name),
        Some(p) if !is_transverse_mercator(&p.method) => None,
        _ => gauss_kruger_by_name(&name),
    }
}

fn is_transverse_mercator(method: &str) -> bool {
    matches!(
        method,
        "GAUSSKRUGER" | "GAUSSKRUEGER" | "TRANSVERSEMERCATOR"
    )
}

/// Web Mercator: ESRI's auxiliary sphere, EPSG's "Popular Visualisation Pseudo Mercator",
/// or a plain Mercator named as Web/Pseudo Mercator, on the prime meridian with no offsets.
/// A Mercator on the WGS 84 ellipsoid (EPSG:3395) is a different CRS, ~20 km apart.
fn is_web_mercator(p: &Projection<'_>, name: &str) -> bool {
    let by_method = matches!(
        p.method.as_str(),
        "MERCATORAUXILIARYSPHERE" | "POPULARVISUALISATIONPSEUDOMERCATOR" | "PSEUDOMERCATOR"
    );
    let by_name = p.method.starts_with("MERCATOR")
        && ["WEBMERCATOR", "PSEUDOMERCATOR", "GOOGLE"]
            .iter()
            .any(|k| name.contains(k));
    (by_method || by_name)
        && p.absent_or(CENTRAL_MERIDIAN, 0.0)
        && p.absent_or(FALSE_EASTING, 0.0)
        && p.absent_or(FALSE_NORTHING, 0.0)
        && p.absent_or(&["AUXILIARYSPHERETYPE"], 0.0)
}

/// The zone width a name states: `3_Degree` for 3°, a CGCS2000 Gauss-Kruger name without
/// it for 6° (that is how EPSG and ESRI name the 6° zones); `None` for other names.
fn width_in_name(name: &str) -> Option<u8> {
    if name.contains("3DEGREE") {
        Some(3)
    } else if name.contains("6DEGREE")
        || (name.starts_with("CGCS2000") && (name.contains("GK") || name.contains("GAUSSKRUGER")))
    {
        Some(6)
    } else {
        None
    }
}

/// The zone a Gauss-Kruger / Transverse Mercator projection on CGCS2000 is, from its
/// central meridian and false easting.
fn gauss_kruger_by_parameters(p: &Projection<'_>, name: &str) -> Option<Crs> {
    if !is_transverse_mercator(&p.method)
        || !p.absent_or(SCALE, 1.0)
        || !p.absent_or(LATITUDE_OF_ORIGIN, 0.0)
        || !p.absent_or(FALSE_NORTHING, 0.0)
    {
        return None;
    }
    let cm = whole(p.get(CENTRAL_MERIDIAN)?)?;
    let fe = p.get(FALSE_EASTING).unwrap_or(PLAIN_FALSE_EASTING);
    let zone = if (fe - PLAIN_FALSE_EASTING).abs() < 1e-6 {
        // Every 6° meridian is also a 3° one; the projections are identical, only the name
        // (and the zone number a prefixed easting would carry) differs. Without a name
        // that says 6°, take the 3° code, the one county-level data uses.
        match width_in_name(name) {
            Some(6) => {
                Zone::from_meridian(6, cm, false).or_else(|| Zone::from_meridian(3, cm, false))
            }
            _ => Zone::from_meridian(3, cm, false),
        }
    } else {
        let number = whole((fe - PLAIN_FALSE_EASTING) / 1_000_000.0)?;
        let zone = Zone::from_number(u8::try_from(number).ok()?, true)?;
        (u32::from(zone.central_meridian) == cm).then_some(zone)
    }?;
    Some(Crs::GaussKruger { epsg: zone.epsg })
}

/// The zone a CGCS2000 Gauss-Kruger name states: `..._Zone_36`, `..._CM_108E`, with
/// `3_Degree` or not.
fn gauss_kruger_by_name(name: &str) -> Option<Crs> {
    let width = width_in_name(name)?;
    let zone = if let Some(n) = number_after(name, "ZONE") {
        Zone::from_number(u8::try_from(n).ok()?, true).filter(|z| z.width == width)
    } else {
        Zone::from_meridian(width, number_after(name, "CM")?, false)
    }?;
    Some(Crs::GaussKruger { epsg: zone.epsg })
}

/// The digits right after the last `key` in `name`.
fn number_after(name: &str, key: &str) -> Option<u32> {
    let rest = &name[name.rfind(key)? + key.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `v` as a whole number, when it is one.
fn whole(v: f64) -> Option<u32> {
    let r = v.round();
    ((v - r).abs() < 1e-9 && (0.0..=1e6).contains(&r)).then_some(r as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esri_gk(name: &str, projection: &str, fe: f64, cm: f64) -> String {
        format!(
            r#"PROJCS["{name}",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["{projection}"],PARAMETER["False_Easting",{fe}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{cm}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
        )
    }

    #[allow(clippy::unnecessary_wraps)] // compared with parse()'s Option
    fn gk(epsg: u16) -> Option<Crs> {
        Some(Crs::GaussKruger { epsg })
    }

    #[test]
    fn esri_names_and_parameters() {
        let cases = [
            ("CGCS2000_3_Degree_GK_CM_108E", 500_000.0, 108.0, gk(4545)),
            (
                "CGCS2000_3_Degree_GK_Zone_36",
                36_500_000.0,
                108.0,
                gk(4524),
            ),
            ("CGCS2000_GK_Zone_19", 19_500_000.0, 111.0, gk(4497)),
            ("CGCS2000_GK_CM_111E", 500_000.0, 111.0, gk(4508)),
            ("CGCS2000_GK_CM_75E", 500_000.0, 75.0, gk(4502)),
            ("CGCS2000_3_Degree_GK_CM_75E", 500_000.0, 75.0, gk(4534)),
            // Parameters win over a name that disagrees; a custom name falls back to 3°.
            ("CGCS2000_3_Degree_GK_CM_108E", 500_000.0, 111.0, gk(4546)),
            ("Custom_TM", 500_000.0, 111.0, gk(4546)),
            ("Custom_TM", 37_500_000.0, 111.0, gk(4525)),
            // A prefix that does not match the meridian, or a meridian no zone has.
            ("Custom_TM", 38_500_000.0, 111.0, None),
            ("Custom_TM", 500_000.0, 110.0, None),
        ];
        for (name, fe, cm, want) in cases {
            for projection in ["Gauss_Kruger", "Transverse_Mercator"] {
                let wkt = esri_gk(name, projection, fe, cm);
                assert_eq!(parse(&wkt), want, "{wkt}");
            }
        }
    }

    #[test]
    fn names_alone_when_parameters_are_missing() {
        let bare = |name: &str| {
            format!(
                r#"PROJCS["{name}",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],PROJECTION["Gauss_Kruger"]]"#
            )
        };
        assert_eq!(parse(&bare("CGCS2000_3_Degree_GK_Zone_36")), gk(4524));
        assert_eq!(parse(&bare("CGCS2000_3_Degree_GK_CM_108E")), gk(4545));
        assert_eq!(parse(&bare("CGCS2000_GK_Zone_19")), gk(4497));
        assert_eq!(parse(&bare("CGCS2000 / Gauss-Kruger CM 111E")), gk(4508));
        assert_eq!(parse(&bare("CGCS2000_GK_Zone_36")), None); // 36 is a 3° zone
        assert_eq!(parse(&bare("Something")), None);
    }

    #[test]
    fn other_datums_are_not_taken_for_cgcs2000() {
        let xian = r#"PROJCS["Xian_1980_3_Degree_GK_CM_108E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(parse(xian), None);
        let beijing = r#"GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(parse(beijing), None);
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(parse(utm), None);
        let world_mercator = r#"PROJCS["WGS_1984_World_Mercator",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(parse(world_mercator), None);
        let feet = esri_gk(
            "CGCS2000_3_Degree_GK_CM_108E",
            "Gauss_Kruger",
            500_000.0,
            108.0,
        )
        .replace(r#"UNIT["Meter",1.0]]"#, r#"UNIT["Foot",0.3048]]"#);
        assert_eq!(parse(&feet), None);
        assert_eq!(parse("not wkt"), None);
        assert_eq!(parse(r#"AUTHORITY["EPSG","4545"]"#), None);
    }

    #[test]
    fn geographic_and_web_mercator() {
        let cgcs = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(parse(cgcs), Some(Crs::LonLat { epsg: 4490 }));
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(parse(wgs), Some(Crs::LonLat { epsg: 4326 }));
        let old_esri = r#"PROJCS["WGS_1984_Web_Mercator",GEOGCS["GCS_WGS_1984_Major_Auxiliary_Sphere",DATUM["D_WGS_1984_Major_Auxiliary_Sphere",SPHEROID["WGS_1984_Major_Auxiliary_Sphere",6378137.0,0.0]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_1SP"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["latitude_of_origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(parse(old_esri), Some(Crs::WebMercator));
        let esri_id = r#"PROJCS["x",GEOGCS["y",DATUM["z",SPHEROID["s",1,0]]],PROJECTION["Mercator_Auxiliary_Sphere"],AUTHORITY["ESRI","102100"]]"#;
        assert_eq!(parse(esri_id), Some(Crs::WebMercator));
    }

    #[test]
    fn only_the_outermost_code_counts() {
        // A projected CRS onemap does not read, on the 4490 base: not 4490.
        let other = r#"PROJCS["CGCS2000 / something",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],AUTHORITY["EPSG","4490"]],PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["central_meridian",105],AUTHORITY["EPSG","9999"]]"#;
        assert_eq!(parse(other), None);
    }
}
