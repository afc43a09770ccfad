//! MVT geometry commands: `MoveTo`, `LineTo`, `ClosePath` with zigzag-encoded deltas from a
//! cursor that starts at (0, 0) for each feature and carries across its parts.

use super::pbf::zigzag32;
use super::simplify::IPt;

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// The MVT `GeomType` of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum GeomType {
    /// `POINT` (one or more points).
    Point = 1,
    /// `LINESTRING` (one or more lines).
    LineString = 2,
    /// `POLYGON` (one or more polygons).
    Polygon = 3,
}

/// Appends commands for one feature's geometry to a `u32` buffer.
pub(crate) struct CommandWriter<'a> {
    out: &'a mut Vec<u32>,
    cursor: IPt,
}

impl<'a> CommandWriter<'a> {
    /// A writer for a new feature (cursor at the origin), appending to `out`.
    pub(crate) fn new(out: &'a mut Vec<u32>) -> Self {
        Self {
            out,
            cursor: [0, 0],
        }
    }

    #[inline]
    fn command(&mut self, id: u32, count: usize) {
        self.out.push(id | ((count as u32) << 3));
    }

    #[inline]
    fn params(&mut self, pts: &[IPt]) {
        for &p in pts {
            self.out.push(zigzag32(p[0].wrapping_sub(self.cursor[0])));
            self.out.push(zigzag32(p[1].wrapping_sub(self.cursor[1])));
            self.cursor = p;
        }
    }

    /// `MoveTo` with one parameter pair per point (a multipoint is one `MoveTo` of n points).
    pub(crate) fn points(&mut self, pts: &[IPt]) {
        if !pts.is_empty() {
            self.command(MOVE_TO, pts.len());
            self.params(pts);
        }
    }

    /// A line: `MoveTo` the first point, `LineTo` the rest (at least two points).
    pub(crate) fn line(&mut self, pts: &[IPt]) {
        if let [first, rest @ ..] = pts {
            if !rest.is_empty() {
                self.command(MOVE_TO, 1);
                self.params(std::slice::from_ref(first));
                self.command(LINE_TO, rest.len());
                self.params(rest);
            }
        }
    }

    /// A ring without its closing duplicate: a line then `ClosePath`.
    pub(crate) fn ring(&mut self, pts: &[IPt]) {
        if pts.len() >= 3 {
            self.line(pts);
            self.command(CLOSE_PATH, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the MVT 2.1 specification, section 4.3.5.3 (polygon).
    #[test]
    fn spec_polygon_example() {
        let mut out = Vec::new();
        CommandWriter::new(&mut out).ring(&[[3, 6], [8, 12], [20, 34]]);
        assert_eq!(out, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    /// Section 4.3.5.1 (multipoint) and 4.3.5.2 (linestring) of the specification.
    #[test]
    fn spec_point_and_line_examples() {
        let mut out = Vec::new();
        CommandWriter::new(&mut out).points(&[[5, 7], [3, 2]]);
        assert_eq!(out, vec![17, 10, 14, 3, 9]);
        out.clear();
        let mut w = CommandWriter::new(&mut out);
        w.line(&[[2, 2], [2, 10], [10, 10]]);
        w.line(&[[1, 1], [3, 5]]);
        assert_eq!(out, vec![9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8]);
    }
}
