//! Split: a line drawn across a grid cuts it in two. The part left of the line (walking
//! it from its first point) keeps the code as a new revision; the part right of it becomes
//! a new grid with the village's next free code. Households and population are shared out
//! by area (the register is redrawn later).
//!
//! The cut: the line, extended at both ends to a box around the grid, closes with the
//! box's boundary counter-clockwise into the polygon left of it; the pieces are the grid's
//! intersection with it and difference from it.

use geo::{Area, BooleanOps, BoundingRect};
use geo_types::{Coord, LineString, MultiPolygon, Polygon, Rect};

use super::{current, free_code, next_revision, Edit};
use crate::codes::GridCode;
use crate::index::Core;
use crate::model::Grid;
use crate::{Error, Result};

/// Plans cutting `grid` along `line`.
pub(super) fn plan(core: &Core, grid: GridCode, line: &[[f64; 2]]) -> Result<Edit> {
    let old = current(core, grid)?;
    let (left, right) = cut(&old.geometry, line)?;
    let new_code = free_code(core, grid.village(), &[])?;
    let (la, ra) = (left.unsigned_area(), right.unsigned_area());
    let share = la / (la + ra);
    let kept = Grid {
        households: (f64::from(old.households) * share).round() as u32,
        population: (f64::from(old.population) * share).round() as u32,
        ..next_revision(old, left)
    };
    let split_off = Grid {
        code: new_code,
        name: format!("{}-{}", old.name, new_code.sequence()),
        revision: 1,
        households: old.households - kept.households,
        population: old.population - kept.population,
        geometry: right,
        ..old.clone()
    };
    Ok(Edit {
        before: vec![old.clone()],
        after: vec![kept, split_off],
        ..Edit::default()
    })
}

/// The pieces of `area` left and right of `line`; an error unless both are non-empty.
pub fn cut(
    area: &MultiPolygon<f64>,
    line: &[[f64; 2]],
) -> Result<(MultiPolygon<f64>, MultiPolygon<f64>)> {
    let pts: Vec<Coord<f64>> = line.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    if pts.len() < 2 || !pts.iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
        return Err(Error::Invalid(
            "a split line needs two or more finite points".into(),
        ));
    }
    let bbox = area
        .bounding_rect()
        .ok_or_else(|| Error::Invalid("the grid has no geometry".into()))?;
    let line_box = LineString::from(pts.clone())
        .bounding_rect()
        .ok_or_else(|| Error::Invalid("empty split line".into()))?;
    let (lo, hi) = (
        Coord {
            x: bbox.min().x.min(line_box.min().x),
            y: bbox.min().y.min(line_box.min().y),
        },
        Coord {
            x: bbox.max().x.max(line_box.max().x),
            y: bbox.max().y.max(line_box.max().y),
        },
    );
    let margin = ((hi.x - lo.x) + (hi.y - lo.y)).max(1e-6);
    let frame = Rect::new(
        Coord {
            x: lo.x - margin,
            y: lo.y - margin,
        },
        Coord {
            x: hi.x + margin,
            y: hi.y + margin,
        },
    );
    let n = pts.len();
    let start = exit(pts[1], pts[0], frame)
        .ok_or_else(|| Error::Invalid("the split line's first segment has no length".into()))?;
    let end = exit(pts[n - 2], pts[n - 1], frame)
        .ok_or_else(|| Error::Invalid("the split line's last segment has no length".into()))?;
    let mut ring = vec![start];
    ring.extend(pts.iter().copied());
    ring.push(end);
    // Round the frame counter-clockwise from where the line leaves to where it enters.
    ring.extend(corners_between(
        frame,
        perimeter(frame, end),
        perimeter(frame, start),
    ));
    ring.push(start);
    let left_side = Polygon::new(LineString::from(ring), vec![]);
    let left = area.intersection(&MultiPolygon(vec![left_side.clone()]));
    let right = area.difference(&MultiPolygon(vec![left_side]));
    let tiny = area.unsigned_area() * 1e-9;
    if left.unsigned_area() <= tiny || right.unsigned_area() <= tiny {
        return Err(Error::Invalid(
            "the split line does not cross the grid (both ends must lie outside it)".into(),
        ));
    }
    Ok((left, right))
}

/// Where the ray from `a` through `b` leaves `frame` (`b` inside it).
fn exit(a: Coord<f64>, b: Coord<f64>, frame: Rect<f64>) -> Option<Coord<f64>> {
    let d = Coord {
        x: b.x - a.x,
        y: b.y - a.y,
    };
    if d.x == 0.0 && d.y == 0.0 {
        return None;
    }
    let mut t = f64::INFINITY;
    if d.x > 0.0 {
        t = t.min((frame.max().x - b.x) / d.x);
    } else if d.x < 0.0 {
        t = t.min((frame.min().x - b.x) / d.x);
    }
    if d.y > 0.0 {
        t = t.min((frame.max().y - b.y) / d.y);
    } else if d.y < 0.0 {
        t = t.min((frame.min().y - b.y) / d.y);
    }
    Some(Coord {
        x: b.x + d.x * t,
        y: b.y + d.y * t,
    })
}

/// Position of boundary point `p` along the frame, counter-clockwise from the lower left
/// corner: 0..1 bottom, 1..2 right, 2..3 top, 3..4 left.
fn perimeter(frame: Rect<f64>, p: Coord<f64>) -> f64 {
    let (lo, hi) = (frame.min(), frame.max());
    let (w, h) = (hi.x - lo.x, hi.y - lo.y);
    let eps = (w + h) * 1e-12;
    if (p.y - lo.y).abs() <= eps && p.x < hi.x {
        (p.x - lo.x) / w
    } else if (p.x - hi.x).abs() <= eps && p.y < hi.y {
        1.0 + (p.y - lo.y) / h
    } else if (p.y - hi.y).abs() <= eps && p.x > lo.x {
        2.0 + (hi.x - p.x) / w
    } else {
        3.0 + (hi.y - p.y) / h
    }
}

/// The frame's corners passed going counter-clockwise from position `from` to `to`.
fn corners_between(frame: Rect<f64>, from: f64, to: f64) -> Vec<Coord<f64>> {
    let (lo, hi) = (frame.min(), frame.max());
    // Corner k sits at position k: lower left 0, lower right 1, upper right 2, upper left 3.
    let corner = [
        lo,
        Coord { x: hi.x, y: lo.y },
        hi,
        Coord { x: lo.x, y: hi.y },
    ];
    let to = if to <= from { to + 4.0 } else { to };
    let mut out = Vec::new();
    let mut k = from.floor() + 1.0;
    while k < to {
        out.push(corner[(k as usize) % 4]);
        k += 1.0;
    }
    out
}
