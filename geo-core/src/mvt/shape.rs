//! Turns one input geometry into tile-unit geometry commands: project, clip to the buffered
//! square, round, simplify, drop degenerate parts, orient rings (MVT 2.1: exterior rings
//! have positive surveyor's area in tile coordinates, interior rings negative).

use geo_types::{Coord, Geometry, LineString, Polygon};

use super::clip::{clip_line, clip_ring, Pt};
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
    pub(crate) fn shape(&mut self, input: Input, g: &Geometry<f64>, out: &mut Vec<u32>) -> Option<GeomType> {
        out.clear();
        self.bad = false;
        let mut w = CommandWriter::new(out);
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

    fn points(&mut self, input: Input, coords: impl Iterator<Item = Coord<f64>>, w: &mut CommandWriter<'_>) {
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
        let Self { f, f2, ipts, keep, stack, tolerance, lo, hi, .. } = self;
        let mut emit = |piece: &[Pt]| {
            quantize(piece, ipts);
            douglas_peucker(ipts, *tolerance, keep, stack);
            if ipts.len() >= 2 {
                w.line(ipts);
            }
        };
        if f.iter().all(|&p| p.0 >= *lo && p.0 <= *hi && p.1 >= *lo && p.1 <= *hi) {
            emit(f);
        } else {
            clip_line(f, *lo, *hi, f2, emit);
        }
    }

    fn polygon(&mut self, input: Input, poly: &Polygon<f64>, w: &mut CommandWriter<'_>) {
        self.rings.clear();
        self.ring_ends.clear();
        let Some(exterior) = self.ring(input, poly.exterior(), true) else {
            return;
        };
        let mut holes = 0i64;
        for r in poly.interiors() {
            if let Some(a) = self.ring(input, r, false) {
                holes += a;
            }
        }
        // Holes that cover the whole clipped exterior (a tile inside a hole) leave nothing.
        if self.bad || holes >= exterior {
            return;
        }
        let mut start = 0;
        for &end in &self.ring_ends {
            w.ring(&self.rings[start..end]);
            start = end;
        }
    }

    /// Shapes one ring and appends it to `rings` oriented as an exterior or interior ring;
    /// returns its absolute doubled area, or `None` when it was dropped.
    fn ring(&mut self, input: Input, ring: &LineString<f64>, exterior: bool) -> Option<i64> {
        let coords = match ring.0.as_slice() {
            [rest @ .., last] if rest.first() == Some(last) => rest,
            all => all,
        };
        if coords.len() < 3 {
            return None;
        }
        self.f.clear();
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &c in coords {
            let p = self.project(input, c);
            min_x = min_x.min(p.0);
            min_y = min_y.min(p.1);
            max_x = max_x.max(p.0);
            max_y = max_y.max(p.1);
            self.f.push(p);
        }
        if self.bad || max_x < self.lo || max_y < self.lo || min_x > self.hi || min_y > self.hi {
            return None;
        }
        if min_x >= self.lo && min_y >= self.lo && max_x <= self.hi && max_y <= self.hi {
            quantize(&self.f, &mut self.ipts);
        } else {
            clip_ring(&self.f, self.lo, self.hi, &mut self.f2, &mut self.f3);
            quantize(&self.f2, &mut self.ipts);
        }
        clean_ring(&mut self.ipts);
        if self.ipts.len() >= 3 && self.tolerance > 0.0 {
            // Close the ring so Douglas-Peucker keeps the seam vertex, then reopen it.
            let first = self.ipts[0];
            self.ipts.push(first);
            douglas_peucker(&mut self.ipts, self.tolerance, &mut self.keep, &mut self.stack);
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
