//! Geometry in and out of the exchange formats: `GeoJSON` and WKT to `geo-types` with every
//! coordinate checked (finite, lon -180..180, lat -90..90), and the shape each layer needs.

use geo::CoordsIter;
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use geojson::{GeometryValue, Position};
use wkt::TryFromWkt;

use super::FeatureError;
use crate::model::Layer;

/// Checks one lon/lat pair.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), FeatureError> {
    for (name, v, lim) in [("lon", lon, 180.0), ("lat", lat, 90.0)] {
        if !v.is_finite() {
            return Err(FeatureError::geometry(format!(
                "{name} {v:?} is not a finite number"
            )));
        }
        if !(-lim..=lim).contains(&v) {
            return Err(FeatureError::geometry(format!(
                "{name} {v:?} is out of range {}..{lim}",
                -lim
            )));
        }
    }
    Ok(())
}

fn coord(p: &Position) -> Result<Coord<f64>, FeatureError> {
    match p.as_slice() {
        [x, y, ..] => {
            check_lon_lat(*x, *y)?;
            Ok(Coord { x: *x, y: *y })
        }
        other => Err(FeatureError::geometry(format!(
            "a position has {} numbers; it needs lon and lat",
            other.len()
        ))),
    }
}

fn line(ps: &[Position]) -> Result<LineString<f64>, FeatureError> {
    ps.iter()
        .map(coord)
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}

fn polygon(rings: &[Vec<Position>]) -> Result<Polygon<f64>, FeatureError> {
    let mut rings = rings.iter().map(|r| line(r));
    let exterior = rings
        .next()
        .transpose()?
        .unwrap_or_else(|| LineString(Vec::new()));
    Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
}

/// Converts a `GeoJSON` geometry, checking every position.
pub fn from_geojson(g: &geojson::Geometry) -> Result<Geometry<f64>, FeatureError> {
    Ok(match &g.value {
        GeometryValue::Point { coordinates } => Geometry::Point(Point(coord(coordinates)?)),
        GeometryValue::MultiPoint { coordinates } => Geometry::MultiPoint(
            coordinates
                .iter()
                .map(|p| coord(p).map(Point))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        GeometryValue::LineString { coordinates } => Geometry::LineString(line(coordinates)?),
        GeometryValue::MultiLineString { coordinates } => {
            Geometry::MultiLineString(geo_types::MultiLineString(
                coordinates
                    .iter()
                    .map(|l| line(l))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        }
        GeometryValue::Polygon { coordinates } => Geometry::Polygon(polygon(coordinates)?),
        GeometryValue::MultiPolygon { coordinates } => Geometry::MultiPolygon(MultiPolygon(
            coordinates
                .iter()
                .map(|p| polygon(p))
                .collect::<Result<_, _>>()?,
        )),
        GeometryValue::GeometryCollection { .. } => {
            return Err(FeatureError::geometry(
                "geometry is a GeometryCollection; onemap layers take one geometry type".to_owned(),
            ))
        }
    })
}

/// Parses WKT, checking every coordinate.
pub fn from_wkt(s: &str) -> Result<Geometry<f64>, FeatureError> {
    let g = Geometry::<f64>::try_from_wkt_str(s.trim()).map_err(|e| {
        let mut shown: String = s.chars().take(60).collect();
        if shown.len() < s.len() {
            shown.push('…');
        }
        FeatureError::geometry(format!("WKT {shown:?} cannot be read: {e}"))
    })?;
    for c in g.coords_iter() {
        check_lon_lat(c.x, c.y)?;
    }
    Ok(g)
}

/// The WKT of a geometry (coordinates in Rust's shortest round-trip form).
#[must_use]
pub fn to_wkt(g: &Geometry<f64>) -> String {
    use wkt::ToWkt;
    g.wkt_string()
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

fn wrong(g: &Geometry<f64>, layer: Layer, needs: &str) -> FeatureError {
    FeatureError::geometry(format!(
        "geometry is a {}; layer {layer} needs a {needs}",
        type_name(g)
    ))
}

/// The point of a point layer (cameras, incidents, workers, centers).
pub fn expect_point(g: Geometry<f64>, layer: Layer) -> Result<Point<f64>, FeatureError> {
    match g {
        Geometry::Point(p) => Ok(p),
        // A one-point MultiPoint is what some tools write for points.
        Geometry::MultiPoint(mp) if mp.0.len() == 1 => Ok(mp.0[0]),
        other => Err(wrong(&other, layer, "Point")),
    }
}

/// A patrol track: a `LineString` of at least two vertices.
pub fn expect_line(g: Geometry<f64>, layer: Layer) -> Result<LineString<f64>, FeatureError> {
    match g {
        Geometry::LineString(l) if l.0.len() >= 2 => Ok(l),
        Geometry::LineString(l) => Err(FeatureError::geometry(format!(
            "LineString has {} vertices; a track needs at least 2",
            l.0.len()
        ))),
        other => Err(wrong(&other, layer, "LineString")),
    }
}

/// An area (admin unit, grid): a Polygon or `MultiPolygon`, non-empty, every ring of 4+ positions.
pub fn expect_area(g: Geometry<f64>, layer: Layer) -> Result<MultiPolygon<f64>, FeatureError> {
    let mp = match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        Geometry::MultiPolygon(mp) => mp,
        other => return Err(wrong(&other, layer, "Polygon or MultiPolygon")),
    };
    if mp.0.is_empty() {
        return Err(FeatureError::geometry("geometry is empty".to_owned()));
    }
    for (i, p) in mp.0.iter().enumerate() {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            // geo-types closes rings, so an open triangle arrives here with 4 positions.
            if ring.0.len() < 4 {
                return Err(FeatureError::geometry(format!(
                    "polygon {i} has a ring of {} positions; a ring needs at least 4",
                    ring.0.len()
                )));
            }
        }
    }
    Ok(mp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_shapes() {
        assert!(check_lon_lat(180.0, -90.0).is_ok());
        assert_eq!(
            check_lon_lat(200.0, 0.0).unwrap_err().to_string(),
            "lon 200.0 is out of range -180..180"
        );
        assert!(check_lon_lat(0.0, f64::NAN).is_err());
        assert!(from_wkt("POINT(1 2)").is_ok());
        assert!(from_wkt("POINT(1 95)").is_err());
        assert!(from_wkt("POINT EMPTY")
            .and_then(|g| expect_point(g, Layer::Cameras))
            .is_err());
        assert!(from_wkt("POLYGON((0 0,1 0,1 1))")
            .and_then(|g| expect_area(g, Layer::Grids))
            .is_ok());
        assert!(from_wkt("LINESTRING(0 0)")
            .and_then(|g| expect_line(g, Layer::Patrols))
            .is_err());
        assert!(from_wkt("garbage").is_err());
    }
}
