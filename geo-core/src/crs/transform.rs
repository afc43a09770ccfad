//! Moving one coordinate between a supported CRS and onemap's lon/lat.

use geo_types::Coord;

use super::{Crs, CrsError};

/// A ready transform between one CRS and onemap's lon/lat, in one direction.
#[derive(Debug, Clone)]
pub struct Transform {
    crs: Crs,
    to_lon_lat: bool,
}

impl Transform {
    pub(super) fn new(crs: Crs, to_lon_lat: bool) -> Result<Self, CrsError> {
        Ok(Self { crs, to_lon_lat })
    }

    /// The CRS on the far side of onemap's lon/lat.
    #[must_use]
    pub fn crs(&self) -> Crs {
        self.crs
    }

    /// Transforms one coordinate; refuses one that cannot be in the source CRS.
    pub fn coord(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        match self.crs {
            Crs::LonLat { .. } => {
                if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
                    return Err(CrsError::Implausible {
                        x: c.x,
                        y: c.y,
                        crs: self.crs.to_string(),
                        why: "longitude must be within ±180 and latitude within ±90; projected metres need --crs".into(),
                    });
                }
                Ok(c)
            }
            _ => Err(CrsError::Unknown(format!(
                "{} ({})",
                self.crs,
                if self.to_lon_lat {
                    "to lon/lat"
                } else {
                    "from lon/lat"
                }
            ))),
        }
    }
}
