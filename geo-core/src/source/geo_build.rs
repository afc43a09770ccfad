//! Building `geo-types` geometries from geozero readers (GeoPackage WKB, FlatGeobuf) without
//! trusting the file: geozero's `GeoWriter` pre-allocates whatever count a blob claims and
//! indexes the first coordinate of a point, so a corrupt blob could exhaust memory or
//! panic. [`SafeGeo`] sits in front of it, caps pre-allocation and nesting, and refuses
//! curve and surface types that `geo-types` cannot hold. Z and M are dropped (it asks for
//! XY only).

use geo_types::Geometry;
use geozero::error::{GeozeroError, Result};
use geozero::geo_types::GeoWriter;
use geozero::{GeomProcessor, GeozeroGeometry};

/// Caps pre-allocation from counts read out of a file, so a corrupt count cannot exhaust memory.
const MAX_PREALLOC: usize = 1 << 16;

/// Deepest geometry collection nesting accepted; deeper input is refused before geozero's
/// recursive readers can exhaust the stack.
const MAX_DEPTH: usize = 32;

/// The geometry `g` describes, `None` when it is empty (an empty point or collection).
pub(crate) fn to_geo(
    g: &impl GeozeroGeometry,
) -> std::result::Result<Option<Geometry<f64>>, String> {
    let mut w = SafeGeo::default();
    g.process_geom(&mut w).map_err(|e| e.to_string())?;
    Ok(w.inner.take_geometry())
}

/// A guarded [`GeoWriter`].
#[derive(Default)]
struct SafeGeo {
    inner: GeoWriter,
    depth: usize,
    /// Coordinates seen since the last `point_begin`, `None` outside a point.
    point_coords: Option<usize>,
}

fn refuse(what: &str) -> Result<()> {
    Err(GeozeroError::Geometry(format!(
        "{what} geometries are not supported; convert them to (multi)polygons or lines first"
    )))
}

impl GeomProcessor for SafeGeo {
    fn xy(&mut self, x: f64, y: f64, idx: usize) -> Result<()> {
        if let Some(n) = self.point_coords.as_mut() {
            *n += 1;
            if *n > 1 {
                return Err(GeozeroError::Geometry(
                    "a point with more than one coordinate".to_owned(),
                ));
            }
        }
        self.inner.xy(x, y, idx)
    }
    fn empty_point(&mut self, _idx: usize) -> Result<()> {
        // An empty point adds nothing: a lone one reads as "no geometry".
        Ok(())
    }
    fn point_begin(&mut self, idx: usize) -> Result<()> {
        self.point_coords = Some(0);
        self.inner.point_begin(idx)
    }
    fn point_end(&mut self, idx: usize) -> Result<()> {
        if self.point_coords.take() != Some(1) {
            return Err(GeozeroError::Geometry(
                "a point without a coordinate".to_owned(),
            ));
        }
        self.inner.point_end(idx)
    }
    fn multipoint_begin(&mut self, size: usize, idx: usize) -> Result<()> {
        self.inner.multipoint_begin(size.min(MAX_PREALLOC), idx)
    }
    fn multipoint_end(&mut self, idx: usize) -> Result<()> {
        self.inner.multipoint_end(idx)
    }
    fn linestring_begin(&mut self, tagged: bool, size: usize, idx: usize) -> Result<()> {
        self.inner
            .linestring_begin(tagged, size.min(MAX_PREALLOC), idx)
    }
    fn linestring_end(&mut self, tagged: bool, idx: usize) -> Result<()> {
        self.inner.linestring_end(tagged, idx)
    }
    fn multilinestring_begin(&mut self, size: usize, idx: usize) -> Result<()> {
        self.inner
            .multilinestring_begin(size.min(MAX_PREALLOC), idx)
    }
    fn multilinestring_end(&mut self, idx: usize) -> Result<()> {
        self.inner.multilinestring_end(idx)
    }
    fn polygon_begin(&mut self, tagged: bool, size: usize, idx: usize) -> Result<()> {
        self.inner
            .polygon_begin(tagged, size.min(MAX_PREALLOC), idx)
    }
    fn polygon_end(&mut self, tagged: bool, idx: usize) -> Result<()> {
        self.inner.polygon_end(tagged, idx)
    }
    fn multipolygon_begin(&mut self, size: usize, idx: usize) -> Result<()> {
        self.inner.multipolygon_begin(size.min(MAX_PREALLOC), idx)
    }
    fn multipolygon_end(&mut self, idx: usize) -> Result<()> {
        self.inner.multipolygon_end(idx)
    }
    fn geometrycollection_begin(&mut self, size: usize, idx: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GeozeroError::Geometry(format!(
                "geometry collections nested more than {MAX_DEPTH} deep"
            )));
        }
        self.inner
            .geometrycollection_begin(size.min(MAX_PREALLOC), idx)
    }
    fn geometrycollection_end(&mut self, idx: usize) -> Result<()> {
        self.depth = self.depth.saturating_sub(1);
        self.inner.geometrycollection_end(idx)
    }
    fn circularstring_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("circular string")
    }
    fn compoundcurve_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("compound curve")
    }
    fn curvepolygon_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("curve polygon")
    }
    fn multicurve_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("multicurve")
    }
    fn multisurface_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("multisurface")
    }
    fn triangle_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> Result<()> {
        refuse("triangle")
    }
    fn polyhedralsurface_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("polyhedral surface")
    }
    fn tin_begin(&mut self, _size: usize, _idx: usize) -> Result<()> {
        refuse("TIN")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::wkb::{GpkgWkb, Wkb};

    fn wkb_header(kind: u32) -> Vec<u8> {
        let mut b = vec![1u8];
        b.extend_from_slice(&kind.to_le_bytes());
        b
    }

    #[test]
    fn huge_counts_and_deep_nesting_are_errors() {
        // A multipolygon claiming 4 billion parts, then nothing.
        let mut b = wkb_header(6);
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(to_geo(&Wkb(&b)).is_err());
        // 10,000 nested geometry collections.
        let mut b = Vec::new();
        for _ in 0..10_000 {
            b.extend(wkb_header(7));
            b.extend_from_slice(&1u32.to_le_bytes());
        }
        let e = to_geo(&Wkb(&b)).unwrap_err();
        assert!(e.contains("nested"), "{e}");
    }

    #[test]
    fn z_and_m_are_dropped_and_empty_points_are_none() {
        // POINT ZM (1 2 3 4), ISO type 3001.
        let mut b = wkb_header(3001);
        for v in [1.0f64, 2.0, 3.0, 4.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(
            to_geo(&Wkb(&b)).unwrap(),
            Some(Geometry::Point(geo_types::Point::new(1.0, 2.0)))
        );
        // GeoPackage empty point (NaN NaN).
        let mut g = vec![b'G', b'P', 0, 0b0001_0001];
        g.extend_from_slice(&4326i32.to_le_bytes());
        g.extend(wkb_header(1));
        g.extend_from_slice(&f64::NAN.to_le_bytes());
        g.extend_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(to_geo(&GpkgWkb(&g)).unwrap(), None);
    }
}
