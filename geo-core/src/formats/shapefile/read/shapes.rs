//! A `.shp`'s records as geo-types geometries: Z and M dropped (M kept aside for lines),
//! polygon rings told apart by their orientation as the format says (outer rings clockwise,
//! holes counter-clockwise) and every hole given to the outer ring that holds it.
//!
//! Rings come out the way the rest of onemap draws them (RFC 7946: exteriors
//! counter-clockwise, holes clockwise): in a Shapefile the orientation only says which ring
//! is which, and once that is known it carries nothing more.

use std::io::Cursor;

use geo::orient::Direction;
use geo::{Area, BoundingRect, CoordsIter, Intersects, Orient};
use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Rect,
};
use shapefile::record::traits::HasXY;
use shapefile::{PolygonRing, Shape, ShapeReader, NO_DATA};

use crate::limits::Limits;
use crate::source::SourceError;

/// One record's geometry and, for lines with measures, one M value per vertex.
pub(super) struct Record {
    /// `None` for a null shape.
    pub geometry: Option<Geometry<f64>>,
    /// The M values of a PolyLineM/Z, vertex by vertex across parts (`None` = no data);
    /// `None` when the record has no measures.
    pub measures: Option<Vec<Option<f64>>>,
}

/// The records of a `.shp`, each read or failed, and notes about the set as a whole.
pub(super) struct Shapes {
    /// One per record, in file order.
    pub records: Vec<Result<Record, String>>,
    /// Whether reading stopped early (the `.shp` breaks off and there is no `.shx` to skip on).
    pub cut_short: bool,
    /// File-level notes.
    pub notes: Vec<String>,
}

fn coord<P: HasXY>(p: &P) -> Coord<f64> {
    Coord { x: p.x(), y: p.y() }
}

fn line<P: HasXY>(points: &[P]) -> LineString<f64> {
    points.iter().map(coord).collect()
}

fn points<P: HasXY>(pts: &[P]) -> Option<Geometry<f64>> {
    (!pts.is_empty()).then(|| MultiPoint(pts.iter().map(|p| Point(coord(p))).collect()).into())
}

fn lines<P: HasXY>(parts: &[Vec<P>]) -> Option<Geometry<f64>> {
    let mut ls: Vec<LineString<f64>> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| line(p))
        .collect();
    match ls.len() {
        0 => None,
        1 => ls.pop().map(Geometry::LineString),
        _ => Some(MultiLineString(ls).into()),
    }
}

/// Which outer ring holds `hole`: the only one whose box holds the hole's box, else the
/// smallest of those that also hold one of its vertices.
fn owner(outers: &[(Polygon<f64>, Option<Rect<f64>>)], hole: &LineString<f64>) -> Option<usize> {
    let hb = hole.bounding_rect()?;
    let boxed: Vec<usize> = (0..outers.len())
        .filter(|&i| {
            outers[i].1.is_some_and(|b| {
                b.min().x <= hb.min().x
                    && b.min().y <= hb.min().y
                    && b.max().x >= hb.max().x
                    && b.max().y >= hb.max().y
            })
        })
        .collect();
    if boxed.len() <= 1 {
        return boxed.first().copied();
    }
    let v = Point(hole.0[0]);
    boxed
        .iter()
        .copied()
        .filter(|&i| outers[i].0.intersects(&v))
        .min_by(|&a, &b| {
            outers[a]
                .0
                .unsigned_area()
                .total_cmp(&outers[b].0.unsigned_area())
        })
        .or_else(|| boxed.first().copied())
}

fn polygons<P: HasXY>(rings: &[PolygonRing<P>]) -> Option<Geometry<f64>> {
    let mut outers = Vec::new();
    let mut holes = Vec::new();
    for r in rings {
        if r.points().is_empty() {
            continue;
        }
        match r {
            PolygonRing::Outer(p) => outers.push(line(p)),
            PolygonRing::Inner(p) => holes.push(line(p)),
        }
    }
    // Every ring counter-clockwise: a writer that got the orientation wrong. Its rings are
    // areas, not holes in nothing.
    if outers.is_empty() {
        outers = std::mem::take(&mut holes);
    }
    let mut polys: Vec<(Polygon<f64>, Option<Rect<f64>>)> = outers
        .into_iter()
        .map(|o| {
            let b = o.bounding_rect();
            (Polygon::new(o, vec![]), b)
        })
        .collect();
    for hole in holes {
        match owner(&polys, &hole) {
            Some(i) => polys[i].0.interiors_push(hole),
            // A hole in no outer ring is an area of its own (as GDAL reads it).
            None => polys.push((Polygon::new(hole, vec![]), None)),
        }
    }
    let mut polys: Vec<Polygon<f64>> = polys
        .into_iter()
        .map(|(p, _)| p.orient(Direction::Default))
        .collect();
    match polys.len() {
        0 => None,
        1 => polys.pop().map(Geometry::Polygon),
        _ => Some(MultiPolygon(polys).into()),
    }
}

fn measures(parts: &[Vec<impl Measured>]) -> Option<Vec<Option<f64>>> {
    let ms: Vec<Option<f64>> = parts
        .iter()
        .flatten()
        .map(|p| Some(p.m()).filter(|m| *m > NO_DATA && m.is_finite()))
        .collect();
    ms.iter().any(Option::is_some).then_some(ms)
}

/// A point with an M value.
trait Measured {
    fn m(&self) -> f64;
}

impl Measured for shapefile::PointM {
    fn m(&self) -> f64 {
        self.m
    }
}

impl Measured for shapefile::PointZ {
    fn m(&self) -> f64 {
        self.m
    }
}

/// The geometry of one shape.
fn record(shape: Shape) -> Result<Record, String> {
    let plain = |geometry| Record {
        geometry,
        measures: None,
    };
    Ok(match shape {
        Shape::NullShape => plain(None),
        Shape::Point(p) => plain(Some(Point(coord(&p)).into())),
        Shape::PointM(p) => plain(Some(Point(coord(&p)).into())),
        Shape::PointZ(p) => plain(Some(Point(coord(&p)).into())),
        Shape::Multipoint(m) => plain(points(m.points())),
        Shape::MultipointM(m) => plain(points(m.points())),
        Shape::MultipointZ(m) => plain(points(m.points())),
        Shape::Polyline(l) => plain(lines(l.parts())),
        Shape::PolylineM(l) => Record {
            geometry: lines(l.parts()),
            measures: measures(l.parts()),
        },
        Shape::PolylineZ(l) => Record {
            geometry: lines(l.parts()),
            measures: measures(l.parts()),
        },
        Shape::Polygon(p) => plain(polygons(p.rings())),
        Shape::PolygonM(p) => plain(polygons(p.rings())),
        Shape::PolygonZ(p) => plain(polygons(p.rings())),
        Shape::Multipatch(m) => {
            let g = MultiPolygon::<f64>::try_from(m).map_err(|e| e.to_string())?;
            plain((!g.0.is_empty()).then(|| g.orient(Direction::Default).into()))
        }
    })
}

/// Reads every record of `shp`; with the `.shx` a bad record is skipped, without it reading
/// stops there. A file that is not a `.shp` at all is an error.
/// Each shape is held to `limits` as it is read: the first one past them stops the reading.
pub(super) fn read(
    label: &str,
    shp: &[u8],
    shx: Option<&[u8]>,
    limits: &Limits,
) -> Result<Shapes, SourceError> {
    let not_shp = |e: shapefile::Error| SourceError::Malformed(format!("{label}: not a .shp: {e}"));
    let mut notes = Vec::new();
    let mut reader = match shx {
        Some(shx) => match ShapeReader::with_shx(Cursor::new(shp), Cursor::new(shx)) {
            Ok(r) => Some(r),
            Err(e) => {
                notes.push(format!(
                    "the .shx is unreadable ({e}); shapes were read in sequence"
                ));
                None
            }
        },
        None => None,
    }
    .map_or_else(|| ShapeReader::new(Cursor::new(shp)), Ok)
    .map_err(not_shp)?;
    let indexed = shx.is_some() && notes.is_empty();
    let mut records = Vec::new();
    let mut cut_short = false;
    for shape in reader.iter_shapes() {
        match shape {
            Ok(s) => {
                limits.check_count(label, records.len())?;
                let r = record(s);
                if let Ok(Record {
                    geometry: Some(g), ..
                }) = &r
                {
                    limits.check_vertices(label, records.len(), g.coords_count())?;
                }
                records.push(r);
            }
            Err(e) => {
                records.push(Err(format!("shape unreadable: {e}")));
                if !indexed {
                    cut_short = true;
                    break;
                }
            }
        }
    }
    Ok(Shapes {
        records,
        cut_short,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Winding;
    use shapefile::Point as P;

    fn square(x: f64, y: f64, s: f64, clockwise: bool) -> Vec<P> {
        let mut v = vec![
            P::new(x, y),
            P::new(x, y + s),
            P::new(x + s, y + s),
            P::new(x + s, y),
            P::new(x, y),
        ];
        if !clockwise {
            v.reverse();
        }
        v
    }

    fn ring(x: f64, y: f64, s: f64, clockwise: bool) -> PolygonRing<P> {
        PolygonRing::from(square(x, y, s, clockwise))
    }

    #[test]
    fn holes_go_to_the_ring_that_holds_them_whatever_the_order() {
        // Two outers, then their holes in the opposite order.
        let rings = [
            ring(0.0, 0.0, 10.0, true),
            ring(20.0, 0.0, 10.0, true),
            ring(22.0, 2.0, 1.0, false),
            ring(2.0, 2.0, 1.0, false),
        ];
        let Some(Geometry::MultiPolygon(mp)) = polygons(&rings) else {
            panic!("expected a MultiPolygon");
        };
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[0].interiors()[0].0[0], Coord { x: 2.0, y: 2.0 });
        assert_eq!(mp.0[1].interiors()[0].0[0], Coord { x: 22.0, y: 2.0 });
        // onemap's orientation: exterior counter-clockwise, hole clockwise.
        assert!(mp.0[0].exterior().is_ccw());
        assert!(mp.0[0].interiors()[0].is_cw());
    }

    #[test]
    fn nested_outer_in_a_hole_gets_its_own_hole() {
        // Outer 0..10 with hole 2..8, an island 3..7 in the hole with its own hole 4..6.
        let rings = [
            ring(0.0, 0.0, 10.0, true),
            ring(2.0, 2.0, 6.0, false),
            ring(3.0, 3.0, 4.0, true),
            ring(4.0, 4.0, 2.0, false),
        ];
        let Some(Geometry::MultiPolygon(mp)) = polygons(&rings) else {
            panic!("expected a MultiPolygon");
        };
        assert_eq!(mp.0[0].interiors()[0].0[0], Coord { x: 2.0, y: 2.0 });
        assert_eq!(mp.0[1].interiors()[0].0[0], Coord { x: 4.0, y: 4.0 });
    }

    #[test]
    fn counter_clockwise_only_rings_are_areas() {
        let rings = [ring(0.0, 0.0, 1.0, false)];
        let Some(Geometry::Polygon(p)) = polygons(&rings) else {
            panic!("expected a Polygon");
        };
        assert!(p.interiors().is_empty());
        assert!((p.unsigned_area() - 1.0).abs() < 1e-12);
    }
}
