//! The `.shp` side of a Shapefile export: one shape type per layer (Polygon for areas,
//! `PolyLineM` for patrols with each vertex's time as M, Point for the rest).

use std::io::{Seek, Write};

use ::shapefile::{Point, PointM, Polygon, PolylineM, ShapeWriter, NO_DATA};
use geo_types::Geometry;
use serde_json::Value;

use crate::formats::{parse_time, FeatureError};
use crate::model::Layer;

/// The shape type a layer is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ShapeKind {
    /// Admin units and grids.
    Polygon,
    /// Patrols: the vertex times (Unix seconds) as M.
    PolylineM,
    /// Cameras, incidents, workers, centers.
    Point,
}

impl ShapeKind {
    /// The shape type of `layer`.
    pub fn of(layer: Layer) -> Self {
        match layer {
            Layer::Admin | Layer::Grids => Self::Polygon,
            Layer::Patrols => Self::PolylineM,
            Layer::Cameras | Layer::Incidents | Layer::Workers | Layer::Centers => Self::Point,
        }
    }
}

/// The measures of a patrol: its `times` property as Unix seconds (no-data where missing).
fn measures(times: Option<&Value>, n: usize) -> Result<Vec<f64>, FeatureError> {
    let list = times.and_then(Value::as_array);
    (0..n)
        .map(
            |i| match list.and_then(|l| l.get(i)).and_then(Value::as_str) {
                Some(s) => parse_time(s)
                    .map(|t| t as f64)
                    .map_err(|e| FeatureError::attribute(format!("times[{i}]: {e}"))),
                None => Ok(NO_DATA),
            },
        )
        .collect()
}

fn wrong(kind: ShapeKind, g: &Geometry<f64>) -> FeatureError {
    FeatureError::geometry(format!(
        "a {kind:?} layer cannot hold a {}",
        match g {
            Geometry::Point(_) => "Point",
            Geometry::Line(_) | Geometry::LineString(_) => "LineString",
            Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::MultiPolygon(_) => "MultiPolygon",
            Geometry::GeometryCollection(_) => "GeometryCollection",
        }
    ))
}

/// Writes one feature's shape; `times` is a patrol's `times` property.
pub(super) fn write<W: Write + Seek>(
    w: &mut ShapeWriter<W>,
    kind: ShapeKind,
    g: Geometry<f64>,
    times: Option<&Value>,
) -> crate::Result<()> {
    let shp = |e: ::shapefile::Error| crate::Error::Invalid(format!("writing the .shp: {e}"));
    // The shapefile crate indexes the first ring and asserts two vertices per line: empty
    // parts must not reach it.
    let empty_ring = |p: &geo_types::Polygon<f64>| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .any(|r| r.0.is_empty())
    };
    let unfit = match &g {
        Geometry::Polygon(p) => empty_ring(p),
        Geometry::MultiPolygon(mp) => mp.0.is_empty() || mp.0.iter().any(empty_ring),
        Geometry::LineString(l) => l.0.len() < 2,
        _ => false,
    };
    if unfit {
        return Err(FeatureError::geometry("empty geometry or ring".to_owned()).into());
    }
    match (kind, g) {
        (ShapeKind::Point, Geometry::Point(p)) => w.write_shape(&Point::new(p.x(), p.y())),
        (ShapeKind::Polygon, Geometry::Polygon(p)) => w.write_shape(&Polygon::from(p)),
        (ShapeKind::Polygon, Geometry::MultiPolygon(mp)) => w.write_shape(&Polygon::from(mp)),
        (ShapeKind::PolylineM, Geometry::LineString(l)) => {
            let ms = measures(times, l.0.len())?;
            let points =
                l.0.iter()
                    .zip(ms)
                    .map(|(c, m)| PointM::new(c.x, c.y, m))
                    .collect();
            w.write_shape(&PolylineM::new(points))
        }
        (kind, g) => return Err(wrong(kind, &g).into()),
    }
    .map_err(shp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_unix_seconds_and_gaps_no_data() {
        let times = serde_json::json!(["2023-11-14T22:13:20Z", 5]);
        let ms = measures(Some(&times), 3).unwrap();
        assert_eq!(ms[0].to_bits(), 1_700_000_000_f64.to_bits());
        assert_eq!(ms[1].to_bits(), NO_DATA.to_bits());
        assert_eq!(ms[2].to_bits(), NO_DATA.to_bits());
        assert!(measures(Some(&serde_json::json!(["not a time"])), 1).is_err());
    }
}
