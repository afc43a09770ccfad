//! The H3 cell of a lon/lat point, with a typed error for input h3o would silently wrap.

use h3o::{CellIndex, LatLng, Resolution};

/// The resolution at which the core keeps one cell per incident and camera; coarser cells
/// are derived with [`CellIndex::parent`]. Resolution 9 cells are about 0.1 km².
pub const BASE_RESOLUTION: Resolution = Resolution::Nine;

/// Why a point has no H3 cell.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CellError {
    /// A coordinate is NaN or infinite.
    #[error("{axis} {value} is not a finite number")]
    NotFinite {
        /// `longitude` or `latitude`.
        axis: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A coordinate is outside its range.
    #[error("{axis} {value} is out of range; a {axis} lies in {min}..={max}")]
    OutOfRange {
        /// `longitude` or `latitude`.
        axis: &'static str,
        /// The offending value.
        value: f64,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// The resolution is not 0-15.
    #[error("H3 resolution {0} does not exist; resolutions are 0-15")]
    Resolution(u8),
}

impl From<CellError> for crate::Error {
    fn from(e: CellError) -> Self {
        crate::Error::Invalid(e.to_string())
    }
}

/// The cells a point lies in at resolutions 0 to 9 (index = resolution), each by
/// `latlng_to_cell` at that resolution (not the resolution-9 cell's parents, which differ
/// near cell edges): what the heatmap and clusters count. `None` for a point with no cell.
#[must_use]
pub fn counted_cells(lon: f64, lat: f64) -> Option<[u64; 10]> {
    cell_at(lon, lat, 9).ok()?;
    let ll = LatLng::new(lat, lon).ok()?;
    let mut out = [0u64; 10];
    for (r, slot) in out.iter_mut().enumerate() {
        *slot = u64::from(ll.to_cell(Resolution::try_from(r as u8).ok()?));
    }
    Some(out)
}

/// Checks that `lon`/`lat` are finite degrees within -180..=180 and -90..=90.
pub(crate) fn check_lon_lat(lon: f64, lat: f64) -> Result<(), CellError> {
    for (axis, value, max) in [("longitude", lon, 180.0), ("latitude", lat, 90.0)] {
        if !value.is_finite() {
            return Err(CellError::NotFinite { axis, value });
        }
        if !(-max..=max).contains(&value) {
            return Err(CellError::OutOfRange {
                axis,
                value,
                min: -max,
                max,
            });
        }
    }
    Ok(())
}

/// The H3 cell containing the point `lon`/`lat` (degrees) at resolution `res` (0-15).
pub fn cell_at(lon: f64, lat: f64, res: u8) -> Result<CellIndex, CellError> {
    let res = Resolution::try_from(res).map_err(|_| CellError::Resolution(res))?;
    check_lon_lat(lon, lat)?;
    let ll = LatLng::new(lat, lon).map_err(|_| CellError::NotFinite {
        axis: "coordinate",
        value: f64::NAN,
    })?;
    Ok(ll.to_cell(res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(
            cell_at(f64::NAN, 0.0, 9),
            Err(CellError::NotFinite { .. })
        ));
        assert!(matches!(
            cell_at(0.0, f64::INFINITY, 9),
            Err(CellError::NotFinite { .. })
        ));
        assert!(matches!(
            cell_at(180.5, 0.0, 9),
            Err(CellError::OutOfRange { .. })
        ));
        assert!(matches!(
            cell_at(0.0, -90.1, 9),
            Err(CellError::OutOfRange { .. })
        ));
        assert_eq!(cell_at(0.0, 0.0, 16), Err(CellError::Resolution(16)));
        let msg = cell_at(200.0, 0.0, 9).unwrap_err().to_string();
        assert!(msg.contains("longitude 200"), "{msg}");
    }

    #[test]
    fn cells_have_the_asked_resolution_and_round_trip() {
        for (lon, lat) in [
            (109.74, 28.31),
            (-73.98, 40.75),
            (0.0, 0.0),
            (180.0, 90.0),
            (-180.0, -90.0),
        ] {
            for res in 0..=15u8 {
                let cell = cell_at(lon, lat, res).unwrap();
                assert_eq!(u8::from(cell.resolution()), res);
                // The cell's centre lies in the same cell.
                let centre = h3o::LatLng::from(cell);
                assert_eq!(cell_at(centre.lng(), centre.lat(), res).unwrap(), cell);
            }
        }
    }
}
