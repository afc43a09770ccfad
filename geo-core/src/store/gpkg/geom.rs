//! GeoPackage binary geometry (GP header, optional envelope, ISO WKB) for onemap's three
//! geometry shapes, through geozero's GeoPackage WKB dialect.
//!
//! Encoding writes little-endian, SRS 4490, an XY envelope for lines and polygons and none
//! for points (as GDAL does). Decoding accepts either byte order and any envelope flag, so
//! GeoPackages written by GDAL and other tools read too.

use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use geozero::error::GeozeroError;
use geozero::wkb::{GpkgWkb, WkbDialect, WkbWriter};
use geozero::{CoordDimensions, GeomProcessor, GeozeroGeometry};

/// The SRS every onemap geometry is written in: CGCS2000 (EPSG:4490).
pub const SRS_ID: i32 = 4490;

/// Caps pre-allocation from counts read out of a blob, so a corrupt count cannot exhaust memory.
const MAX_PREALLOC: usize = 1 << 16;

fn wkb_err(what: &str, e: &GeozeroError) -> crate::Error {
    crate::Error::Invalid(format!("{what}: {e}"))
}

/// Appends a point as GeoPackage binary (no envelope) to `out`. A point with a NaN
/// coordinate (a worker without a GPS fix) is the specification's empty point: NaN
/// coordinates and the header's empty flag set.
pub fn encode_point(p: Point<f64>, out: &mut Vec<u8>) -> crate::Result<()> {
    let start = out.len();
    let empty = !(p.x().is_finite() && p.y().is_finite());
    let p = if empty {
        Point::new(f64::NAN, f64::NAN)
    } else {
        p
    };
    encode_point_xy(p, out)?;
    if empty {
        // Flags byte: bit 4 (E) says the geometry is empty.
        if let Some(flags) = out.get_mut(start + 3) {
            *flags |= 0b0001_0000;
        }
    }
    Ok(())
}

fn encode_point_xy(p: Point<f64>, out: &mut Vec<u8>) -> crate::Result<()> {
    let mut w = WkbWriter::with_opts(
        out,
        WkbDialect::Geopackage,
        CoordDimensions::xy(),
        Some(SRS_ID),
        Vec::new(),
    );
    (|| {
        w.point_begin(0)?;
        w.xy(p.x(), p.y(), 0)?;
        w.point_end(0)
    })()
    .map_err(|e| wkb_err("encoding point", &e))
}

/// Appends a multipolygon as GeoPackage binary with an XY envelope to `out`.
pub fn encode_multipolygon(mp: &MultiPolygon<f64>, out: &mut Vec<u8>) -> crate::Result<()> {
    let env = bbox(mp.iter().flat_map(|p| p.exterior().coords().copied()));
    let mut w = WkbWriter::with_opts(
        out,
        WkbDialect::Geopackage,
        CoordDimensions::xy(),
        Some(SRS_ID),
        env.map_or_else(Vec::new, |r| {
            vec![r.min().x, r.max().x, r.min().y, r.max().y]
        }),
    );
    (|| {
        w.multipolygon_begin(mp.0.len(), 0)?;
        for (i, poly) in mp.iter().enumerate() {
            w.polygon_begin(false, 1 + poly.interiors().len(), i)?;
            for (j, ring) in std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .enumerate()
            {
                w.linestring_begin(false, ring.0.len(), j)?;
                for (k, c) in ring.0.iter().enumerate() {
                    w.xy(c.x, c.y, k)?;
                }
                w.linestring_end(false, j)?;
            }
            w.polygon_end(false, i)?;
        }
        w.multipolygon_end(0)
    })()
    .map_err(|e| wkb_err("encoding multipolygon", &e))
}

/// Appends a line string with one M value per vertex (`LINESTRING M`) to `out`.
pub fn encode_linestring_m(
    line: &LineString<f64>,
    m: &[f64],
    out: &mut Vec<u8>,
) -> crate::Result<()> {
    if line.0.len() != m.len() {
        return Err(crate::Error::Invalid(format!(
            "line string has {} vertices but {} M values",
            line.0.len(),
            m.len()
        )));
    }
    let env = bbox(line.0.iter().copied());
    let mut w = WkbWriter::with_opts(
        out,
        WkbDialect::Geopackage,
        CoordDimensions::xym(),
        Some(SRS_ID),
        env.map_or_else(Vec::new, |r| {
            vec![r.min().x, r.max().x, r.min().y, r.max().y]
        }),
    );
    (|| {
        w.linestring_begin(true, line.0.len(), 0)?;
        for (k, (c, m)) in line.0.iter().zip(m).enumerate() {
            w.coordinate(c.x, c.y, None, Some(*m), None, None, k)?;
        }
        w.linestring_end(true, 0)
    })()
    .map_err(|e| wkb_err("encoding line string", &e))
}

/// The bounding box of some coordinates, `None` if there are none.
pub fn bbox(coords: impl IntoIterator<Item = Coord<f64>>) -> Option<Rect<f64>> {
    let mut it = coords.into_iter();
    let first = it.next()?;
    let (mut lo, mut hi) = (first, first);
    for c in it {
        lo.x = lo.x.min(c.x);
        lo.y = lo.y.min(c.y);
        hi.x = hi.x.max(c.x);
        hi.y = hi.y.max(c.y);
    }
    Some(Rect::new(lo, hi))
}

/// The union of two optional boxes.
#[must_use]
pub fn union(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        )),
        (a, None) => a,
        (None, b) => b,
    }
}

/// What a decoded blob held.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A point (an empty point decodes to `Empty`).
    Point(Point<f64>),
    /// A line string and its M values (empty when the blob has no M).
    Line(LineString<f64>, Vec<f64>),
    /// A polygon or multipolygon.
    Polygons(MultiPolygon<f64>),
    /// An empty geometry.
    Empty,
}

/// Decodes a GeoPackage binary geometry of the point, line string, polygon or multipolygon type.
pub fn decode(blob: &[u8]) -> crate::Result<Decoded> {
    let mut c = Collector::default();
    GpkgWkb(blob)
        .process_geom(&mut c)
        .map_err(|e| crate::Error::Corrupt(format!("bad GeoPackage geometry blob: {e}")))?;
    if let Some(what) = c.unsupported {
        return Err(crate::Error::Corrupt(format!(
            "GeoPackage geometry is a {what}; onemap reads points, line strings and (multi)polygons"
        )));
    }
    Ok(match c.kind {
        Kind::None => Decoded::Empty,
        Kind::Point => c.point.map_or(Decoded::Empty, |p| Decoded::Point(Point(p))),
        Kind::Line => Decoded::Line(LineString(c.coords), c.ms),
        Kind::Polygons => Decoded::Polygons(MultiPolygon(c.polygons)),
    })
}

/// Decodes a point blob.
pub fn decode_point(blob: &[u8]) -> crate::Result<Point<f64>> {
    match decode(blob)? {
        Decoded::Point(p) => Ok(p),
        other => Err(crate::Error::Corrupt(format!(
            "expected a point geometry, found {}",
            other.name()
        ))),
    }
}

/// Decodes a worker's point blob: an empty point (or NaN coordinates, as PostGIS returns
/// `POINT EMPTY`) is [`crate::model::Worker::NO_FIX`].
pub fn decode_point_or_no_fix(blob: &[u8]) -> crate::Result<Point<f64>> {
    match decode(blob)? {
        Decoded::Point(p) if p.x().is_finite() && p.y().is_finite() => Ok(p),
        Decoded::Point(_) | Decoded::Empty => Ok(crate::model::Worker::NO_FIX),
        other => Err(crate::Error::Corrupt(format!(
            "expected a point geometry, found {}",
            other.name()
        ))),
    }
}

/// Decodes a polygon or multipolygon blob.
pub fn decode_multipolygon(blob: &[u8]) -> crate::Result<MultiPolygon<f64>> {
    match decode(blob)? {
        Decoded::Polygons(mp) => Ok(mp),
        Decoded::Empty => Ok(MultiPolygon(Vec::new())),
        other => Err(crate::Error::Corrupt(format!(
            "expected a (multi)polygon geometry, found {}",
            other.name()
        ))),
    }
}

/// Decodes a line string blob with its M values (empty if it has none).
pub fn decode_linestring_m(blob: &[u8]) -> crate::Result<(LineString<f64>, Vec<f64>)> {
    match decode(blob)? {
        Decoded::Line(l, m) => Ok((l, m)),
        Decoded::Empty => Ok((LineString(Vec::new()), Vec::new())),
        other => Err(crate::Error::Corrupt(format!(
            "expected a line string geometry, found {}",
            other.name()
        ))),
    }
}

/// The bounding box of a blob's geometry, from its envelope when it has one.
pub fn blob_bbox(blob: &[u8]) -> crate::Result<Option<Rect<f64>>> {
    if let Some(r) = header_envelope(blob) {
        return Ok(Some(r));
    }
    Ok(match decode(blob)? {
        Decoded::Point(p) if p.x().is_finite() && p.y().is_finite() => Some(Rect::new(p.0, p.0)),
        Decoded::Line(l, _) => bbox(l.0),
        Decoded::Polygons(mp) => bbox(mp.iter().flat_map(|p| p.exterior().0.clone())),
        // An empty point (a worker without a fix) is nowhere.
        Decoded::Point(_) | Decoded::Empty => None,
    })
}

/// Reads the XY envelope from a GeoPackage header, if the header has one.
fn header_envelope(blob: &[u8]) -> Option<Rect<f64>> {
    let flags = *blob.get(3)?;
    if blob.get(..2)? != b"GP" || flags & 0b1110 == 0 {
        return None;
    }
    let le = flags & 1 == 1;
    let f = |i: usize| -> Option<f64> {
        let b: [u8; 8] = blob.get(8 + 8 * i..16 + 8 * i)?.try_into().ok()?;
        Some(if le {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    };
    let (minx, maxx, miny, maxy) = (f(0)?, f(1)?, f(2)?, f(3)?);
    (minx.is_finite() && maxx.is_finite() && miny.is_finite() && maxy.is_finite())
        .then(|| Rect::new(Coord { x: minx, y: miny }, Coord { x: maxx, y: maxy }))
}

impl Decoded {
    fn name(&self) -> &'static str {
        match self {
            Decoded::Point(_) => "point",
            Decoded::Line(..) => "line string",
            Decoded::Polygons(_) => "polygon",
            Decoded::Empty => "empty geometry",
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    #[default]
    None,
    Point,
    Line,
    Polygons,
}

/// A geozero processor that builds onemap's shapes and keeps M values.
#[derive(Default)]
struct Collector {
    kind: Kind,
    point: Option<Coord<f64>>,
    coords: Vec<Coord<f64>>,
    ms: Vec<f64>,
    rings: Vec<LineString<f64>>,
    polygons: Vec<Polygon<f64>>,
    in_polygon: bool,
    unsupported: Option<&'static str>,
}

impl Collector {
    fn push(&mut self, x: f64, y: f64, m: Option<f64>) {
        let c = Coord { x, y };
        if self.kind == Kind::Point
            && !self.in_polygon
            && self.coords.is_empty()
            && self.point.is_none()
        {
            self.point = Some(c);
            return;
        }
        self.coords.push(c);
        if let Some(m) = m {
            self.ms.push(m);
        }
    }

    fn refuse(&mut self, what: &'static str) -> geozero::error::Result<()> {
        self.unsupported.get_or_insert(what);
        Err(GeozeroError::Geometry(format!(
            "unsupported geometry type {what}"
        )))
    }
}

impl GeomProcessor for Collector {
    fn dimensions(&self) -> CoordDimensions {
        CoordDimensions::xym()
    }
    fn xy(&mut self, x: f64, y: f64, _idx: usize) -> geozero::error::Result<()> {
        self.push(x, y, None);
        Ok(())
    }
    fn coordinate(
        &mut self,
        x: f64,
        y: f64,
        _z: Option<f64>,
        m: Option<f64>,
        _t: Option<f64>,
        _tm: Option<u64>,
        _idx: usize,
    ) -> geozero::error::Result<()> {
        self.push(x, y, m);
        Ok(())
    }
    fn empty_point(&mut self, _idx: usize) -> geozero::error::Result<()> {
        self.kind = Kind::Point;
        Ok(())
    }
    fn point_begin(&mut self, _idx: usize) -> geozero::error::Result<()> {
        self.kind = Kind::Point;
        Ok(())
    }
    fn multipoint_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("multipoint")
    }
    fn linestring_begin(
        &mut self,
        _tagged: bool,
        size: usize,
        _idx: usize,
    ) -> geozero::error::Result<()> {
        if !self.in_polygon {
            self.kind = Kind::Line;
        }
        self.coords = Vec::with_capacity(size.min(MAX_PREALLOC));
        Ok(())
    }
    fn linestring_end(&mut self, _tagged: bool, _idx: usize) -> geozero::error::Result<()> {
        if self.in_polygon {
            self.rings
                .push(LineString(std::mem::take(&mut self.coords)));
        }
        Ok(())
    }
    fn multilinestring_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("multilinestring")
    }
    fn polygon_begin(
        &mut self,
        _tagged: bool,
        size: usize,
        _idx: usize,
    ) -> geozero::error::Result<()> {
        self.kind = Kind::Polygons;
        self.in_polygon = true;
        self.rings = Vec::with_capacity(size.min(MAX_PREALLOC));
        Ok(())
    }
    fn polygon_end(&mut self, _tagged: bool, _idx: usize) -> geozero::error::Result<()> {
        self.in_polygon = false;
        let mut rings = std::mem::take(&mut self.rings).into_iter();
        if let Some(exterior) = rings.next() {
            self.polygons.push(Polygon::new(exterior, rings.collect()));
        }
        Ok(())
    }
    fn multipolygon_begin(&mut self, size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.kind = Kind::Polygons;
        self.polygons = Vec::with_capacity(size.min(MAX_PREALLOC));
        Ok(())
    }
    fn geometrycollection_begin(
        &mut self,
        _size: usize,
        _idx: usize,
    ) -> geozero::error::Result<()> {
        self.refuse("geometry collection")
    }
    fn circularstring_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("circular string")
    }
    fn compoundcurve_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("compound curve")
    }
    fn curvepolygon_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("curve polygon")
    }
    fn multicurve_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("multicurve")
    }
    fn multisurface_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("multisurface")
    }
    fn triangle_begin(
        &mut self,
        _tagged: bool,
        _size: usize,
        _idx: usize,
    ) -> geozero::error::Result<()> {
        self.refuse("triangle")
    }
    fn polyhedralsurface_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("polyhedral surface")
    }
    fn tin_begin(&mut self, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.refuse("TIN")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, polygon};

    /// Big-endian GeoPackage point with an XY envelope, as other writers may produce it.
    fn big_endian_point(x: f64, y: f64) -> Vec<u8> {
        let mut b = vec![b'G', b'P', 0, 0b0000_0010];
        b.extend_from_slice(&4490i32.to_be_bytes());
        for v in [x, x, y, y] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.push(0);
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&x.to_be_bytes());
        b.extend_from_slice(&y.to_be_bytes());
        b
    }

    #[test]
    fn point_round_trip_and_header() {
        let mut b = Vec::new();
        encode_point(Point::new(109.7, 28.3), &mut b).unwrap();
        // GP, version 0, flags: little-endian, no envelope; srs 4490; WKB point (1).
        assert_eq!(&b[..4], &[b'G', b'P', 0, 1]);
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()), 4490);
        assert_eq!(b.len(), 8 + 21);
        assert_eq!(decode_point(&b).unwrap(), Point::new(109.7, 28.3));
    }

    #[test]
    fn reads_big_endian_with_envelope() {
        let b = big_endian_point(109.5, 28.25);
        assert_eq!(decode_point(&b).unwrap(), Point::new(109.5, 28.25));
        let r = blob_bbox(&b).unwrap().unwrap();
        assert_eq!((r.min().x, r.max().y), (109.5, 28.25));
    }

    #[test]
    fn multipolygon_with_hole_round_trips() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            interiors: [[(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.)]],
        );
        let q = polygon![(x: 20., y: 20.), (x: 21., y: 20.), (x: 21., y: -1.)];
        let mp = MultiPolygon(vec![p, q]);
        let mut b = Vec::new();
        encode_multipolygon(&mp, &mut b).unwrap();
        assert_eq!(decode_multipolygon(&b).unwrap(), mp);
        let r = blob_bbox(&b).unwrap().unwrap();
        assert_eq!(
            (r.min(), r.max()),
            (coord! {x: 0., y: -1.}, coord! {x: 21., y: 20.})
        );
    }

    #[test]
    fn linestring_m_round_trips() {
        let l = LineString::from(vec![(1.0, 2.0), (3.0, 4.0), (5.0, 6.5)]);
        let m = vec![1_700_000_000.0, 1_700_000_010.0, 1_700_000_030.0];
        let mut b = Vec::new();
        encode_linestring_m(&l, &m, &mut b).unwrap();
        // ISO WKB type 2002 = LineString M, after the 8-byte header, 32-byte envelope, byte order.
        assert_eq!(u32::from_le_bytes(b[41..45].try_into().unwrap()), 2002);
        assert_eq!(decode_linestring_m(&b).unwrap(), (l, m));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for blob in [
            &b""[..],
            b"GP",
            b"XX\0\x01\0\0\0\0",
            b"GP\0\x01\0\0\0\0\x01\x06\0\0\0\xff\xff\xff\xff",
        ] {
            assert!(decode(blob).is_err(), "{blob:?}");
        }
        let mut b = Vec::new();
        encode_point(Point::new(1.0, 2.0), &mut b).unwrap();
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err());
        }
    }
}
