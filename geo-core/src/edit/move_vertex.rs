//! Move a shared vertex: every current grid holding a vertex at `from` moves it to `to`,
//! vertex for vertex, so a border two grids share stays shared (no gap, no overlap opens).

use geo_types::{Coord, MultiPolygon, Rect};

use super::{next_revision, Edit};
use crate::index::{Core, Filter};
use crate::model::Layer;
use crate::{Error, Result};

/// Vertices within this many degrees (about 1 cm) of `from` are the same vertex.
pub(crate) const SAME_VERTEX_DEG: f64 = 1e-7;

/// `geometry` with every vertex at `from` moved to `to`, and how many moved.
pub(crate) fn moved(
    geometry: &MultiPolygon<f64>,
    from: Coord<f64>,
    to: Coord<f64>,
) -> (MultiPolygon<f64>, usize) {
    let mut g = geometry.clone();
    let mut n = 0;
    for poly in &mut g.0 {
        poly.exterior_mut(|r| n += move_in(&mut r.0, from, to));
        poly.interiors_mut(|rs| {
            for r in rs {
                n += move_in(&mut r.0, from, to);
            }
        });
    }
    (g, n)
}

fn move_in(coords: &mut [Coord<f64>], from: Coord<f64>, to: Coord<f64>) -> usize {
    let mut n = 0;
    for c in coords {
        if (c.x - from.x).abs() <= SAME_VERTEX_DEG && (c.y - from.y).abs() <= SAME_VERTEX_DEG {
            *c = to;
            n += 1;
        }
    }
    n
}

/// Plans moving the vertex at `from` to `to` in every current grid holding it.
pub(super) fn plan(core: &Core, from: [f64; 2], to: [f64; 2]) -> Result<Edit> {
    if !from.iter().chain(to.iter()).all(|v| v.is_finite()) {
        return Err(Error::Invalid("vertex coordinates must be finite".into()));
    }
    let (from, to) = (
        Coord {
            x: from[0],
            y: from[1],
        },
        Coord { x: to[0], y: to[1] },
    );
    let d = SAME_VERTEX_DEG;
    let filter = Filter {
        bbox: Some(Rect::new(
            Coord {
                x: from.x - d,
                y: from.y - d,
            },
            Coord {
                x: from.x + d,
                y: from.y + d,
            },
        )),
        ..Filter::default()
    };
    let mut edit = Edit::default();
    for i in core.query(Layer::Grids, &filter)? {
        let g = &core.grids()[i];
        if g.valid_to.is_some() {
            continue;
        }
        let (geometry, n) = moved(&g.geometry, from, to);
        if n > 0 {
            edit.after.push(next_revision(g, geometry));
            edit.before.push((**g).clone());
        }
    }
    if edit.before.is_empty() {
        return Err(Error::NotFound(format!(
            "grid vertex at {:.7},{:.7}",
            from.x, from.y
        )));
    }
    Ok(edit)
}
