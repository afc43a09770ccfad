//! Turns one input geometry into tile-unit geometry commands: project, clip to the buffered
//! square (lines by Liang-Barsky, polygons by Sutherland-Hodgman or, where that would
//! bridge pieces along the border, geo's boolean operations), round, simplify, drop degenerate parts, orient rings (MVT 2.1: exterior rings
//! have positive surveyor's area in tile coordinates, interior rings negative).

use geo::BooleanOps;
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon, Rect};

use super::clip::{clip_line, clip_ring, has_border_bridge, Pt};
use super::command::{CommandWriter, GeomType};
use super::simplify::{clean_ring, douglas_peucker, quantize, ring_area2, IPt};
use crate::tile::TileProjection;

/// Reusable buffers and settings for shaping features of one layer.
#[derive(Debug)]
pub(crate) struct Shaper {
    pub(crate) proj: TileProjection,
    /// Douglas-Peucker tolerance in tile units (0 turns simplification off).
    pub(crate) tolerance: f64,
    lo: f64,
    hi: f64,
    f: Vec<Pt>,
    f2: Vec<Pt>,
    f3: Vec<Pt>,
    ipts: Vec<IPt>,
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    /// The current polygon's kept rings, back to back, and where each ends.
    rings: Vec<IPt>,
    ring_ends: Vec<usize>,
    /// Set when an input coordinate does not project to a finite position.
    bad: bool,
}

/// A borrowed geometry to encode: any `Geometry`, or the shapes features keep themselves
/// (no clone into a `Geometry` per tile).
#[derive(Debug, Clone, Copy)]
pub enum GeomRef<'a> {
    /// Any geometry.
    Geometry(&'a Geometry<f64>),
    /// A line string.
    LineString(&'a LineString<f64>),
    /// A polygon.
    Polygon(&'a Polygon<f64>),
    /// A multi-polygon.
    MultiPolygon(&'a MultiPolygon<f64>),
}

impl<'a> From<&'a Geometry<f64>> for GeomRef<'a> {
    fn from(g: &'a Geometry<f64>) -> Self {
        GeomRef::Geometry(g)
    }
}

impl<'a> From<&'a LineString<f64>> for GeomRef<'a> {
    fn from(g: &'a LineString<f64>) -> Self {
        GeomRef::LineString(g)
    }
}

impl<'a> From<&'a Polygon<f64>> for GeomRef<'a> {
    fn from(g: &'a Polygon<f64>) -> Self {
        GeomRef::Polygon(g)
    }
}

impl<'a> From<&'a MultiPolygon<f64>> for GeomRef<'a> {
    fn from(g: &'a MultiPolygon<f64>) -> Self {
        GeomRef::MultiPolygon(g)
    }
}

/// Which input coordinates a geometry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// Longitude/latitude degrees (EPSG:4326 axis order x = lon).
    LonLat,
    /// Web Mercator metres (EPSG:3857).
    Mercator,
}

impl Shaper {
    pub(crate) fn new(proj: TileProjection) -> Self {
        let (lo, hi) = proj.clip_bounds();
        Self {
            proj,
            tolerance: 1.0,
            lo,
            hi,
            f: Vec::new(),
            f2: Vec::new(),
            f3: Vec::new(),
            ipts: Vec::new(),
            keep: Vec::new(),
            stack: Vec::new(),
            rings: Vec::new(),
            ring_ends: Vec::new(),
            bad: false,
        }
    }

    #[inline]
    fn project(&mut self, input: Input, c: Coord<f64>) -> Pt {
        let p = match input {
            Input::LonLat => self.proj.project(c.x, c.y),
            Input::Mercator => self.proj.project_mercator(c.x, c.y),
        };
        if !(p.0.is_finite() && p.1.is_finite()) {
            self.bad = true;
        }
        p
    }

    #[inline]
    fn inside(&self, p: Pt) -> bool {
        p.0 >= self.lo && p.0 <= self.hi && p.1 >= self.lo && p.1 <= self.hi
    }

    /// Writes `g`'s commands into `out` (cleared first); returns its type, or `None` when
    /// nothing of it is left in the tile or it cannot be encoded.
    pub(crate) fn shape(
        &mut self,
        input: Input,
        g: GeomRef<'_>,
        out: &mut Vec<u32>,
    ) -> Option<GeomType> {
        out.clear();
        self.bad = false;
        let mut w = CommandWriter::new(out);
        let g = match g {
            GeomRef::Geometry(g) => g,
            GeomRef::LineString(ls) => {
                self.line(input, ls, &mut w);
                return (!self.bad && !out.is_empty()).then_some(GeomType::LineString);
            }
            GeomRef::Polygon(p) => {
                self.polygon(input, p, &mut w);
                return (!self.bad && !out.is_empty()).then_some(GeomType::Polygon);
            }
            GeomRef::MultiPolygon(mp) => {
                for p in &mp.0 {
                    self.polygon(input, p, &mut w);
                }
                return (!self.bad && !out.is_empty()).then_some(GeomType::Polygon);
            }
        };
        let ty = match g {
            Geometry::Point(p) => {
                self.points(input, std::iter::once(p.0), &mut w);
                GeomType::Point
            }
            Geometry::MultiPoint(mp) => {
                self.points(input, mp.0.iter().map(|p| p.0), &mut w);
                GeomType::Point
            }
            Geometry::Line(l) => {
                self.line(input, &LineString::new(vec![l.start, l.end]), &mut w);
                GeomType::LineString
            }
            Geometry::LineString(ls) => {
                self.line(input, ls, &mut w);
                GeomType::LineString
            }
            Geometry::MultiLineString(mls) => {
                for ls in &mls.0 {
                    self.line(input, ls, &mut w);
                }
                GeomType::LineString
            }
            Geometry::Polygon(p) => {
                self.polygon(input, p, &mut w);
                GeomType::Polygon
            }
            Geometry::MultiPolygon(mp) => {
                for p in &mp.0 {
                    self.polygon(input, p, &mut w);
                }
                GeomType::Polygon
            }
            Geometry::Rect(r) => {
                self.polygon(input, &r.to_polygon(), &mut w);
                GeomType::Polygon
            }
            Geometry::Triangle(t) => {
                self.polygon(input, &t.to_polygon(), &mut w);
                GeomType::Polygon
            }
            // MVT has no collections; callers add members as features of their own.
            Geometry::GeometryCollection(_) => return None,
        };
        (!self.bad && !out.is_empty()).then_some(ty)
    }

    fn points(
        &mut self,
        input: Input,
        coords: impl Iterator<Item = Coord<f64>>,
        w: &mut CommandWriter<'_>,
    ) {
        self.ipts.clear();
        for c in coords {
            let p = self.project(input, c);
            if self.inside(p) {
                self.ipts.push([p.0.round() as i32, p.1.round() as i32]);
            }
        }
        w.points(&self.ipts);
    }

    fn line(&mut self, input: Input, ls: &LineString<f64>, w: &mut CommandWriter<'_>) {
        self.f.clear();
        for &c in &ls.0 {
            let p = self.project(input, c);
            self.f.push(p);
        }
        if self.bad || self.f.len() < 2 {
            return;
        }
        let Self {
            f,
            f2,
            ipts,
            keep,
            stack,
            tolerance,
            lo,
            hi,
            ..
        } = self;
        let mut emit = |piece: &[Pt]| {
            quantize(piece, ipts);
            douglas_peucker(ipts, *tolerance, keep, stack);
            if ipts.len() >= 2 {
                w.line(ipts);
            }
        };
        if f.iter()
            .all(|&p| p.0 >= *lo && p.0 <= *hi && p.1 >= *lo && p.1 <= *hi)
        {
            emit(f);
        } else {
            clip_line(f, *lo, *hi, f2, emit);
        }
    }

    fn polygon(&mut self, input: Input, poly: &Polygon<f64>, w: &mut CommandWriter<'_>) {
        let mut ext = std::mem::take(&mut self.f2);
        let Some(bbox) = self.project_ring(input, poly.exterior(), &mut ext) else {
            self.f2 = ext;
            return;
        };
        let (lo, hi) = (self.lo, self.hi);
        if bbox.0 > hi || bbox.1 > hi || bbox.2 < lo || bbox.3 < lo {
            // Entirely outside.
        } else if bbox.0 >= lo && bbox.1 >= lo && bbox.2 <= hi && bbox.3 <= hi {
            // Entirely inside (so are its holes): no clipping.
            self.rings.clear();
            self.ring_ends.clear();
            if let Some(area) = self.finish_ring(&ext, true) {
                let mut hole = std::mem::take(&mut self.f3);
                let mut holes = 0;
                for r in poly.interiors() {
                    if self.project_ring(input, r, &mut hole).is_some() {
                        holes += self.finish_ring(&hole, false).unwrap_or(0);
                    }
                }
                self.f3 = hole;
                self.emit_polygon(area, holes, w);
            }
        } else if !self.clip_polygon_fast(input, poly, &ext, w) {
            self.clip_polygon(input, poly, &ext, w);
        }
        self.f2 = ext;
    }

    /// The common case of a polygon across the border, cheaply: Sutherland-Hodgman on the
    /// exterior when every hole lies wholly inside or outside the square and the clipped ring
    /// has no border bridge. Returns false (having written nothing) when it does not apply.
    fn clip_polygon_fast(
        &mut self,
        input: Input,
        poly: &Polygon<f64>,
        ext: &[Pt],
        w: &mut CommandWriter<'_>,
    ) -> bool {
        let mut hole = std::mem::take(&mut self.f3);
        let mut clipped = Vec::new();
        let mut inside_holes = Vec::new();
        let mut ok = true;
        for (i, r) in poly.interiors().iter().enumerate() {
            if let Some(b) = self.project_ring(input, r, &mut hole) {
                let outside = b.0 > self.hi || b.1 > self.hi || b.2 < self.lo || b.3 < self.lo;
                let inside = b.0 >= self.lo && b.1 >= self.lo && b.2 <= self.hi && b.3 <= self.hi;
                if inside {
                    inside_holes.push(i);
                } else if !outside {
                    ok = false;
                    break;
                }
            }
        }
        if ok && !self.bad {
            let mut tmp = Vec::new();
            clip_ring(ext, self.lo, self.hi, &mut clipped, &mut tmp);
            ok = !has_border_bridge(&clipped, self.lo, self.hi);
        }
        if ok && !self.bad {
            self.rings.clear();
            self.ring_ends.clear();
            if let Some(area) = self.finish_ring(&clipped, true) {
                let mut holes = 0;
                for &i in &inside_holes {
                    if self
                        .project_ring(input, &poly.interiors()[i], &mut hole)
                        .is_some()
                    {
                        holes += self.finish_ring(&hole, false).unwrap_or(0);
                    }
                }
                self.emit_polygon(area, holes, w);
            }
        }
        self.f3 = hole;
        ok || self.bad
    }

    /// A polygon across the buffered square's border: intersected with the square by geo's
    /// boolean operations, which (unlike Sutherland-Hodgman) split it into valid polygons
    /// instead of joining the pieces with zero-width bridges along the border.
    fn clip_polygon(
        &mut self,
        input: Input,
        poly: &Polygon<f64>,
        ext: &[Pt],
        w: &mut CommandWriter<'_>,
    ) {
        // Simplify first (at half the tolerance, the rest is spent after rounding): the
        // boolean operation's cost grows with the vertex count, and a large polygon seen
        // at a low zoom has many vertices per tile unit.
        let half = self.tolerance / 2.0;
        let exterior = presimplify(&mut ext.to_vec(), half, &mut self.keep, &mut self.stack);
        let mut hole = Vec::new();
        let mut holes = Vec::with_capacity(poly.interiors().len());
        for r in poly.interiors() {
            if self.project_ring(input, r, &mut hole).is_some() {
                holes.push(presimplify(
                    &mut hole,
                    half,
                    &mut self.keep,
                    &mut self.stack,
                ));
            }
        }
        if self.bad || exterior.0.len() < 4 {
            return;
        }
        let projected = Polygon::new(exterior, holes);
        let square = Rect::new(
            Coord {
                x: self.lo,
                y: self.lo,
            },
            Coord {
                x: self.hi,
                y: self.hi,
            },
        )
        .to_polygon();
        let clipped = projected.intersection(&square);
        let mut buf = std::mem::take(&mut self.f3);
        for part in &clipped.0 {
            self.rings.clear();
            self.ring_ends.clear();
            buf.clear();
            buf.extend(open_ring(part.exterior()).iter().map(|c| (c.x, c.y)));
            let Some(area) = self.finish_ring(&buf, true) else {
                continue;
            };
            let mut holes = 0;
            for r in part.interiors() {
                buf.clear();
                buf.extend(open_ring(r).iter().map(|c| (c.x, c.y)));
                holes += self.finish_ring(&buf, false).unwrap_or(0);
            }
            self.emit_polygon(area, holes, w);
        }
        self.f3 = buf;
    }

    /// Writes the rings gathered for one polygon unless its holes cover it entirely (a tile
    /// inside a hole), which would leave a zero-area polygon.
    fn emit_polygon(&mut self, exterior: i64, holes: i64, w: &mut CommandWriter<'_>) {
        if self.bad || holes >= exterior {
            return;
        }
        let mut start = 0;
        for &end in &self.ring_ends {
            w.ring(&self.rings[start..end]);
            start = end;
        }
    }

    /// Projects a ring (closing duplicate dropped) into `out`; returns its bounding box
    /// `(min x, min y, max x, max y)` in tile units, or `None` for fewer than 3 vertices.
    fn project_ring(
        &mut self,
        input: Input,
        ring: &LineString<f64>,
        out: &mut Vec<Pt>,
    ) -> Option<(f64, f64, f64, f64)> {
        let coords = open_ring(ring);
        out.clear();
        if coords.len() < 3 {
            return None;
        }
        let mut bbox = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for &c in coords {
            let p = self.project(input, c);
            bbox = (
                bbox.0.min(p.0),
                bbox.1.min(p.1),
                bbox.2.max(p.0),
                bbox.3.max(p.1),
            );
            out.push(p);
        }
        (!self.bad).then_some(bbox)
    }

    /// Rounds, cleans and simplifies a ring already inside the square and appends it to
    /// `rings` oriented as an exterior or interior ring; returns its absolute doubled area,
    /// or `None` when it collapsed.
    fn finish_ring(&mut self, pts: &[Pt], exterior: bool) -> Option<i64> {
        quantize(pts, &mut self.ipts);
        clean_ring(&mut self.ipts);
        if self.ipts.len() >= 3 && self.tolerance > 0.0 {
            // Close the ring so Douglas-Peucker keeps the seam vertex, then reopen it.
            let first = self.ipts[0];
            self.ipts.push(first);
            douglas_peucker(
                &mut self.ipts,
                self.tolerance,
                &mut self.keep,
                &mut self.stack,
            );
            self.ipts.pop();
            clean_ring(&mut self.ipts);
        }
        if self.ipts.len() < 3 {
            return None;
        }
        let area = ring_area2(&self.ipts);
        if area == 0 {
            return None;
        }
        if (area > 0) != exterior {
            self.ipts.reverse();
        }
        self.rings.extend_from_slice(&self.ipts);
        self.ring_ends.push(self.rings.len());
        Some(area.abs())
    }
}

/// Closes a projected ring, simplifies it and makes it a `LineString` for boolean operations.
fn presimplify(
    pts: &mut Vec<Pt>,
    tolerance: f64,
    keep: &mut Vec<bool>,
    stack: &mut Vec<(usize, usize)>,
) -> LineString<f64> {
    if let Some(&first) = pts.first() {
        pts.push(first);
        douglas_peucker(pts, tolerance, keep, stack);
    }
    LineString::from(pts.iter().map(|&(x, y)| Coord { x, y }).collect::<Vec<_>>())
}

/// A ring's coordinates without the closing duplicate.
fn open_ring(ring: &LineString<f64>) -> &[Coord<f64>] {
    match ring.0.as_slice() {
        [rest @ .., last] if rest.first() == Some(last) => rest,
        all => all,
    }
}
