//! Noding: after snapping, a vertex created on a shared boundary (where a child's edge
//! meets its parent's edge) lies up to ~1e-7 degree off that boundary and is missing from
//! the polygons on the other side of it. This pass inserts every such vertex into every
//! edge that passes within [`TOLERANCE`] of it, so that all levels (counties, townships,
//! villages, grids) agree vertex for vertex and tile without slivers.

use geo::{BooleanOps, Validation};

use super::geometry::snap_multipolygon;
use geo_types::{Coord, LineString, MultiPolygon};
use rstar::{RTree, AABB};

/// How close to an edge (in degrees) a vertex must be to be inserted into it: the snapping
/// drift (half a step per axis) plus one welding step, with margin.
pub const TOLERANCE: f64 = 2.5e-7;

/// Inserts every polygon's vertices into every other polygon's edges that pass within
/// [`TOLERANCE`]; returns how many polygons were left un-noded because noding made them
/// invalid.
pub fn node(polygons: &mut [&mut MultiPolygon<f64>]) -> usize {
    let mut points: Vec<[f64; 2]> = polygons
        .iter()
        .flat_map(|m| rings(m).flat_map(|r| r.0.iter().map(|c| [c.x, c.y])))
        .collect();
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    let tree = RTree::bulk_load(points);
    let mut kept = 0;
    for m in polygons.iter_mut() {
        let mut noded = (**m).clone();
        for p in &mut noded.0 {
            p.exterior_mut(|r| *r = node_ring(r, &tree));
            p.interiors_mut(|rs| {
                for r in rs {
                    *r = node_ring(r, &tree);
                }
            });
        }
        // A vertex of a narrow real outline can sit within the tolerance of another of its
        // own edges; inserting it would pinch the ring, so that polygon stays as it was.
        // The repair (i_overlay's union, then re-snapping) keeps the shared vertices.
        if noded.is_valid() {
            **m = noded;
        } else {
            let repaired = snap_multipolygon(&noded.union(&MultiPolygon::new(vec![])));
            if repaired.is_valid() {
                **m = repaired;
            } else {
                kept += 1;
            }
        }
    }
    kept
}

fn rings(m: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

fn node_ring(ring: &LineString<f64>, tree: &RTree<[f64; 2]>) -> LineString<f64> {
    let mut out = Vec::with_capacity(ring.0.len());
    let mut on_edge: Vec<(f64, Coord<f64>)> = Vec::new();
    for seg in ring.lines() {
        let (a, b) = (seg.start, seg.end);
        out.push(a);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        if len2 == 0.0 {
            continue;
        }
        let envelope = AABB::from_corners(
            [a.x.min(b.x) - TOLERANCE, a.y.min(b.y) - TOLERANCE],
            [a.x.max(b.x) + TOLERANCE, a.y.max(b.y) + TOLERANCE],
        );
        on_edge.clear();
        for q in tree.locate_in_envelope(&envelope) {
            let c = Coord { x: q[0], y: q[1] };
            if c == a || c == b {
                continue;
            }
            let t = ((c.x - a.x) * dx + (c.y - a.y) * dy) / len2;
            if t <= 0.0 || t >= 1.0 {
                continue;
            }
            let cross = (c.x - a.x) * dy - (c.y - a.y) * dx;
            if cross * cross <= TOLERANCE * TOLERANCE * len2 {
                on_edge.push((t, c));
            }
        }
        on_edge.sort_by(|x, y| x.0.total_cmp(&y.0));
        out.extend(on_edge.iter().map(|(_, c)| *c));
    }
    if let Some(first) = out.first().copied() {
        out.push(first);
    }
    out.dedup();
    LineString::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::Polygon;

    #[test]
    fn a_vertex_near_an_edge_is_inserted_on_both_sides() {
        let left = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        let right = Polygon::new(
            LineString::from(vec![
                (1.0, 0.0),
                (2.0, 0.0),
                (2.0, 1.0),
                (1.0, 1.0),
                (1.0 + 1e-7, 0.5),
                (1.0, 0.0),
            ]),
            vec![],
        );
        let far = Polygon::new(
            LineString::from(vec![(0.2, 0.2), (0.3, 0.2), (0.3, 0.3), (0.2, 0.2)]),
            vec![],
        );
        let (mut l, mut r, mut f) = (
            MultiPolygon::new(vec![left]),
            MultiPolygon::new(vec![right]),
            MultiPolygon::new(vec![far]),
        );
        node(&mut [&mut l, &mut r, &mut f]);
        assert!(l.0[0].exterior().0.contains(&Coord {
            x: 1.0 + 1e-7,
            y: 0.5
        }));
        assert_eq!(l.0[0].exterior().0.len(), 6);
        assert_eq!(
            r.0[0].exterior().0.len(),
            6,
            "nothing new for the right side"
        );
        assert_eq!(
            f.0[0].exterior().0.len(),
            4,
            "far vertices are not inserted"
        );
    }
}
