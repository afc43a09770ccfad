//! Recognising the CRS named by a `.prj` file or a GeoPackage/FlatGeobuf WKT.

use super::Crs;

/// The CRS `wkt` names, when onemap supports it.
pub(super) fn parse(wkt: &str) -> Option<Crs> {
    // An AUTHORITY["EPSG","4490"] on the outermost CRS is the surest sign: it is the last one.
    let upper = wkt.to_ascii_uppercase();
    if let Some(pos) = upper.rfind("AUTHORITY[\"EPSG\",\"") {
        let rest = &upper[pos + 18..];
        let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(c) = code.parse::<u32>() {
            if let Ok(crs) = Crs::from_epsg(c) {
                return Some(crs);
            }
        }
    }
    if upper.starts_with("GEOGCS") || upper.starts_with("GEOGCRS") {
        return Some(if upper.contains("2000") {
            Crs::LonLat { epsg: 4490 }
        } else {
            Crs::LonLat { epsg: 4326 }
        });
    }
    None
}
