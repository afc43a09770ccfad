//! Metres and square metres on the ground from lon/lat.
//!
//! Areas are measured on the CGCS2000 ellipsoid through the Lambert cylindrical equal-area
//! projection (authalic latitude, exactly equal-area), for polygons whose edges are
//! straight in lon/lat, the way the overlays that cut overlap and gap pieces see them (see
//! [`ring_area_m2`]). For the edges in boundary data (metres to a few kilometres) that
//! differs from geodesic edges (pyproj's `Geod`, geo's `GeodesicArea`) by far less than
//! 1e-4 of the area, and costs a few sines and `atanh`s per vertex instead of a geodesic
//! inverse per edge.
//!
//! Lengths and widths use a local frame at the shape's latitude (east and north metres from
//! the ellipsoid's radii of curvature), accurate to about 1e-3 over a few kilometres, which
//! is plenty for tolerances of a metre.

use geo::InteriorPoint;
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};

/// CGCS2000 semi-major axis (m).
const A: f64 = 6_378_137.0;
/// CGCS2000 flattening.
const F: f64 = 1.0 / 298.257_222_101;
/// First eccentricity squared.
const E2: f64 = F * (2.0 - F);

/// Northing in the cylindrical equal-area projection (m): `A` times half the authalic
/// function q of the latitude. Eastings are `A` times the longitude in radians.
fn northing(lat: f64) -> f64 {
    let e = E2.sqrt();
    let s = lat.to_radians().sin();
    let q = (1.0 - E2) * (s / (1.0 - E2 * s * s) + (e * s).atanh() / e);
    A * q / 2.0
}

/// Signed area of a ring (m²), positive when counter-clockwise.
///
/// Edges are straight in lon/lat, as every planar tool (shapely, GEOS, `i_overlay`) takes
/// them, so the area is the integral of the ellipsoid's area element over the lon/lat
/// polygon: by Green's theorem the sum over edges of Δeasting times the mean northing
/// along the edge. The northing is not linear in the latitude, so the mean is taken by
/// Simpson's rule (exact to far below a square millimetre on edges of kilometres); the
/// trapezoid rule of a plain shoelace in the projection would give a zero-area sliver of
/// a 300 m edge about 0.3 m².
pub(crate) fn ring_area_m2(ring: &LineString<f64>) -> f64 {
    let pts = &ring.0;
    let Some(first) = pts.first() else {
        return 0.0;
    };
    // Northings relative to the first vertex keep the products small (no cancellation).
    let y0 = northing(first.y);
    let mut sum = 0.0;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let dx = A * (b.x - a.x).to_radians();
        if dx == 0.0 {
            continue;
        }
        let mean = (northing(a.y) + 4.0 * northing(f64::midpoint(a.y, b.y)) + northing(b.y)) / 6.0;
        sum -= dx * (mean - y0);
    }
    sum
}

/// Area of a polygon (m²): its shell less its holes.
pub(crate) fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    let holes: f64 = p.interiors().iter().map(|r| ring_area_m2(r).abs()).sum();
    (ring_area_m2(p.exterior()).abs() - holes).max(0.0)
}

/// Area of a multipolygon (m²), parts assumed not to overlap.
pub(crate) fn area_m2(m: &MultiPolygon<f64>) -> f64 {
    m.0.iter().map(polygon_area_m2).sum()
}

/// A local east/north metric frame around a latitude.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Local {
    lon0: f64,
    lat0: f64,
    /// Metres per degree of longitude.
    kx: f64,
    /// Metres per degree of latitude.
    ky: f64,
}

impl Local {
    /// The frame centred on `c`.
    pub(crate) fn at(c: Coord<f64>) -> Self {
        let phi = c.y.to_radians();
        let w = (1.0 - E2 * phi.sin().powi(2)).sqrt();
        let n = A / w;
        let m = A * (1.0 - E2) / (w * w * w);
        let deg = std::f64::consts::PI / 180.0;
        Self {
            lon0: c.x,
            lat0: c.y,
            kx: n * phi.cos() * deg,
            ky: m * deg,
        }
    }

    /// The frame centred on a box.
    pub(crate) fn around(r: Rect<f64>) -> Self {
        Self::at(r.center())
    }

    /// Lon/lat to local metres.
    pub(crate) fn xy(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }

    /// Local metres back to lon/lat.
    pub(crate) fn lon_lat(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.kx + self.lon0,
            y: c.y / self.ky + self.lat0,
        }
    }

    /// Degrees of longitude and latitude that make `m` metres (for envelope searches).
    pub(crate) fn degrees(&self, m: f64) -> (f64, f64) {
        (m / self.kx, m / self.ky)
    }

    /// Length of a ring or line in metres.
    pub(crate) fn length(&self, ls: &LineString<f64>) -> f64 {
        ls.0.windows(2)
            .map(|w| {
                let (a, b) = (self.xy(w[0]), self.xy(w[1]));
                (b.x - a.x).hypot(b.y - a.y)
            })
            .sum()
    }

    /// Perimeter of a polygon in metres (shell and holes).
    pub(crate) fn perimeter(&self, p: &Polygon<f64>) -> f64 {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|r| self.length(r))
            .sum()
    }
}

/// The frame for a polygon (centred on its box), if it has any coordinates.
pub(crate) fn local_for(p: &Polygon<f64>) -> Option<Local> {
    use geo::BoundingRect;
    p.bounding_rect().map(Local::around)
}

/// Mean width of a piece (m): twice its area over its perimeter. Exact for a long strip,
/// half the side for a square; a piece narrower than a tolerance by this measure is a
/// sliver.
pub(crate) fn width_m(p: &Polygon<f64>) -> f64 {
    let Some(local) = local_for(p) else {
        return 0.0;
    };
    let perimeter = local.perimeter(p);
    if perimeter > 0.0 {
        2.0 * polygon_area_m2(p) / perimeter
    } else {
        0.0
    }
}

/// A point inside `m` (in its largest part), for placing a finding on the map.
pub(crate) fn inside_point(m: &MultiPolygon<f64>) -> Option<Point<f64>> {
    let largest =
        m.0.iter()
            .max_by(|a, b| polygon_area_m2(a).total_cmp(&polygon_area_m2(b)))?;
    largest.interior_point()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn one_degree_cell_at_the_equator_matches_the_ellipsoid() {
        // pyproj Geod (GRS80 = CGCS2000's ellipsoid) on the cell with its parallels densified
        // to 20,000 points: 12,308,463,893.57 m².
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        let a = polygon_area_m2(&p);
        assert!((a - 12_308_463_893.57).abs() / a < 1e-6, "{a}");
    }

    #[test]
    fn a_vertex_on_an_edge_changes_nothing() {
        let (a, b) = ((109.344_975_3, 28.204_599), (109.348_459_1, 28.200_961_3));
        let p = polygon![(x: a.0, y: a.1), (x: b.0, y: b.1), (x: 109.36, y: 28.21)];
        let mid = (f64::midpoint(a.0, b.0), f64::midpoint(a.1, b.1));
        let q = polygon![(x: a.0, y: a.1), (x: mid.0, y: mid.1), (x: b.0, y: b.1), (x: 109.36, y: 28.21)];
        let (a, b) = (polygon_area_m2(&p), polygon_area_m2(&q));
        assert!((a - b).abs() < 1e-6, "{a} {b}");
    }

    #[test]
    fn a_strip_is_as_wide_as_it_is() {
        let l = Local::at(Coord { x: 109.7, y: 28.3 });
        let (dx, dy) = l.degrees(1.0);
        let (w, h) = (200.0 * dx, 0.5 * dy);
        let p = polygon![(x: 109.7, y: 28.3), (x: 109.7 + w, y: 28.3), (x: 109.7 + w, y: 28.3 + h), (x: 109.7, y: 28.3 + h)];
        let width = width_m(&p);
        assert!((width - 0.5).abs() < 0.01, "{width}");
        let area = polygon_area_m2(&p);
        assert!((area - 100.0).abs() < 0.2, "{area}");
    }
}
