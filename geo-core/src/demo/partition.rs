//! Partition of a polygon into cells: the Voronoi diagram of seed points (spade's Delaunay
//! triangulation) clipped to the parent (geo's `BooleanOps`), with optional Lloyd
//! relaxation. Cells tile the parent without gaps or overlaps, and after welding
//! neighbours carry bitwise-identical vertices on the 1e-7 degree grid.

use geo::{BooleanOps, BoundingRect, Centroid, Contains, Validation};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use spade::handles::FixedVertexHandle;
use spade::{DelaunayTriangulation, Point2, Triangulation};

use super::geometry::{snap, snap_multipolygon, Welder};
use super::wiggle::Wiggle;
use crate::{Error, Result};

/// One cell of a partition: its (final) seed, strictly inside, and its shape.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The seed the cell grew from; lies inside `shape`.
    pub seed: Point<f64>,
    /// The cell's area inside the parent.
    pub shape: MultiPolygon<f64>,
}

/// Splits `parent` (already snapped) into one cell per seed (each strictly inside
/// `parent`, pairwise distinct), after `lloyd` relaxation steps; with `wiggle`, the
/// edges between cells meander (see [`Wiggle`]), identical on both sides.
pub fn partition(
    parent: &MultiPolygon<f64>,
    mut seeds: Vec<Point<f64>>,
    lloyd: usize,
    wiggle: Option<&Wiggle>,
) -> Result<Vec<Cell>> {
    if seeds.len() <= 1 {
        return Ok(seeds
            .into_iter()
            .map(|seed| Cell {
                seed,
                shape: parent.clone(),
            })
            .collect());
    }
    let bbox = parent
        .bounding_rect()
        .ok_or_else(|| Error::Invalid("cannot partition an empty polygon".into()))?;
    for _ in 0..lloyd {
        let cells = voronoi(&seeds, bbox)?;
        for (seed, cell) in seeds.iter_mut().zip(cells) {
            let clipped = cell.intersection(parent);
            if let Some(c) = clipped.centroid() {
                // A centroid can fall outside a non-convex cell; then the seed stays.
                if parent.contains(&c) {
                    *seed = c;
                }
            }
        }
        dedup_seeds(&mut seeds);
    }
    let mut cells = voronoi(&seeds, bbox)?;
    if let Some(w) = wiggle {
        for cell in &mut cells {
            *cell = wiggled(cell, w, bbox);
        }
    }
    let mut welder = Welder::default();
    welder.seed(parent);
    let mut out = Vec::with_capacity(seeds.len());
    for (seed, cell) in seeds.into_iter().zip(cells) {
        let clipped = cell.intersection(parent);
        let welded = welder.weld_multipolygon(&clipped);
        let shape = if welded.is_valid() {
            welded
        } else {
            // Welding can pinch a sliver; fall back to plain snapping, then to a repair.
            let snapped = snap_multipolygon(&clipped);
            if snapped.is_valid() {
                snapped
            } else {
                snap_multipolygon(&snapped.union(&MultiPolygon::new(vec![])))
            }
        };
        out.push(Cell { seed, shape });
    }
    Ok(out)
}

/// `cell` with its edges that come near `bbox` made wiggly; the far ones, which clipping
/// drops, stay straight.
fn wiggled(cell: &Polygon<f64>, w: &Wiggle, bbox: Rect<f64>) -> Polygon<f64> {
    let ring = &cell.exterior().0;
    let mut out = Vec::with_capacity(ring.len() * 8);
    for pair in ring.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        out.push(a);
        let near = a.x.min(b.x) <= bbox.max().x
            && a.x.max(b.x) >= bbox.min().x
            && a.y.min(b.y) <= bbox.max().y
            && a.y.max(b.y) >= bbox.min().y;
        if near {
            out.extend(w.between(a, b));
        }
    }
    if let Some(first) = ring.first() {
        out.push(*first);
    }
    Polygon::new(LineString::new(out), vec![])
}

/// Nudges seeds that coincide so the triangulation keeps one vertex per seed.
fn dedup_seeds(seeds: &mut [Point<f64>]) {
    let mut seen = std::collections::HashSet::new();
    for (i, s) in seeds.iter_mut().enumerate() {
        while !seen.insert((s.x().to_bits(), s.y().to_bits())) {
            *s = Point::new(s.x() + 1e-9 * (i as f64 + 1.0), s.y());
        }
    }
}

/// The Voronoi cell of every seed as a convex polygon with snapped vertices; far dummy
/// sites around `bbox` make every real cell bounded.
fn voronoi(seeds: &[Point<f64>], bbox: Rect<f64>) -> Result<Vec<Polygon<f64>>> {
    let insert_err = |e: spade::InsertionError| Error::Invalid(format!("voronoi seed: {e:?}"));
    let mut t: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    for (i, s) in seeds.iter().enumerate() {
        let h = t.insert(Point2::new(s.x(), s.y())).map_err(insert_err)?;
        if h.index() != i {
            return Err(Error::Invalid(format!("duplicate voronoi seed {s:?}")));
        }
    }
    let c = bbox.center();
    let r = 10.0 * (bbox.width() + bbox.height()) + 1.0;
    for k in 0..8 {
        let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
        t.insert(Point2::new(c.x + r * a.cos(), c.y + r * a.sin()))
            .map_err(insert_err)?;
    }
    let mut centres = vec![Coord { x: 0.0, y: 0.0 }; t.num_all_faces()];
    for f in t.inner_faces() {
        let cc = f.circumcenter();
        centres[f.fix().index()] = snap(Coord { x: cc.x, y: cc.y });
    }
    let mut cells = Vec::with_capacity(seeds.len());
    for i in 0..seeds.len() {
        let v = t.vertex(FixedVertexHandle::from_index(i));
        let mut ring = Vec::new();
        for e in v.out_edges() {
            let face = e
                .face()
                .as_inner()
                .ok_or_else(|| Error::Invalid("voronoi cell of a real seed is unbounded".into()))?;
            ring.push(centres[face.fix().index()]);
        }
        ring.dedup();
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        cells.push(Polygon::new(LineString::new(ring), vec![]));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn cells_tile_a_square() {
        let square = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (0.01, 0.0),
                (0.01, 0.01),
                (0.0, 0.01),
                (0.0, 0.0),
            ]),
            vec![],
        )]);
        let seeds: Vec<_> = (0..20)
            .map(|i| {
                Point::new(
                    0.0005 + 0.00045 * f64::from(i),
                    0.0005 + 0.0004 * f64::from((i * 7) % 20),
                )
            })
            .collect();
        let cells = partition(&square, seeds, 2, None).unwrap();
        assert_eq!(cells.len(), 20);
        let sum: f64 = cells.iter().map(|c| c.shape.unsigned_area()).sum();
        assert!((sum - 1e-4).abs() < 1e-4 * 1e-6, "{sum}");
        for c in &cells {
            assert!(c.shape.is_valid());
            assert!(c.shape.contains(&c.seed));
        }
    }

    #[test]
    fn wiggly_cells_still_tile_and_share_their_vertices() {
        let square = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (109.7, 28.3),
                (109.74, 28.3),
                (109.74, 28.34),
                (109.7, 28.34),
                (109.7, 28.3),
            ]),
            vec![],
        )]);
        let seeds: Vec<_> = (0..12)
            .map(|i| {
                Point::new(
                    109.703 + 0.0028 * f64::from(i),
                    28.303 + 0.0028 * f64::from((i * 5) % 12),
                )
            })
            .collect();
        let w = Wiggle::for_cells(1_500.0, 30.0, 3);
        let cells = partition(&square, seeds, 2, Some(&w)).unwrap();
        let sum: f64 = cells.iter().map(|c| c.shape.unsigned_area()).sum();
        assert!((sum - 0.0016).abs() < 0.0016 * 1e-6, "{sum}");
        let vertices: usize = cells
            .iter()
            .map(|c| {
                c.shape
                    .0
                    .iter()
                    .map(|p| p.exterior().0.len())
                    .sum::<usize>()
            })
            .sum();
        assert!(
            vertices > 12 * 60,
            "{vertices} vertices: the edges did not wiggle"
        );
        let mut seen = std::collections::HashMap::<(u64, u64), usize>::new();
        for c in &cells {
            assert!(c.shape.is_valid());
            for p in &c.shape.0 {
                for v in &p.exterior().0[1..] {
                    *seen.entry((v.x.to_bits(), v.y.to_bits())).or_default() += 1;
                }
            }
        }
        // Inserted vertices of an inner edge are on both of its cells: most vertices are
        // shared bitwise (the rest lie on the square's outline).
        let shared = seen.values().filter(|&&n| n >= 2).count();
        assert!(
            shared * 2 > seen.len(),
            "{shared} of {} vertices shared",
            seen.len()
        );
    }
}
