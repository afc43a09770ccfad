//! Point -> grid revision -> admin chain and workers ([`Core::locate`], [`Core::locate_at`]).

use geo_types::Coord;
use h3o::LatLng;

use super::engine::Core;
use super::location::Location;
use crate::h3::check_lon_lat;
use crate::model::UnixTime;
use crate::{Error, Result};

/// `lon`/`lat` checked finite and in range, as H3 wants it (its cell is computed later,
/// only if asked for).
fn checked_point(lon: f64, lat: f64) -> Result<LatLng> {
    check_lon_lat(lon, lat)?;
    LatLng::new(lat, lon)
        .map_err(|e| Error::Invalid(format!("longitude/latitude {lon},{lat}: {e}")))
}

impl Core {
    /// Where `lon`/`lat` lies now: the current grid revision containing it, its admin chain
    /// and workers (and, on demand, its H3 cell). Outside every grid the chain comes from
    /// admin polygons.
    #[inline]
    pub fn locate(&self, lon: f64, lat: f64) -> Result<Location<'_>> {
        let cell = checked_point(lon, lat)?;
        let p = Coord { x: lon, y: lat };
        let grid = self.grids.buckets.first_containing(&self.grids.polys, p);
        Ok(self.answer(grid, p, cell))
    }

    /// Where `lon`/`lat` lay at time `t`: as [`Core::locate`], with the grid revision that
    /// was valid at `t` (`valid_from <= t < valid_to`).
    pub fn locate_at(&self, lon: f64, lat: f64, t: UnixTime) -> Result<Location<'_>> {
        let cell = checked_point(lon, lat)?;
        let p = Coord { x: lon, y: lat };
        let grids = &self.grids.grids;
        let grid = self
            .grids
            .polys
            .first_containing(&self.grids.tree_all, p, |i| {
                grids.get(i as usize).is_some_and(|g| g.valid_at(t))
            });
        Ok(self.answer(grid, p, cell))
    }

    /// The grid index containing `p` among current revisions (`None` outside every grid).
    #[must_use]
    pub fn grid_at(&self, lon: f64, lat: f64) -> Option<usize> {
        check_lon_lat(lon, lat).ok()?;
        self.grids
            .buckets
            .first_containing(&self.grids.polys, Coord { x: lon, y: lat })
            .map(|i| i as usize)
    }

    #[inline]
    fn answer(&self, grid: Option<u32>, p: Coord<f64>, point: LatLng) -> Location<'_> {
        if let Some(answer) = grid.and_then(|i| self.grids.answers.get(i as usize)) {
            return answer.location(point);
        }
        // Outside every grid: the deepest admin polygon holding the point (lowest index
        // among equals), then its parents by code.
        let chain = self
            .admin
            .buckets
            .iter()
            .find_map(|b| b.first_containing(&self.admin.polys, p))
            .and_then(|i| self.admin.chains.get(i as usize));
        chain.unwrap_or(&super::engine::NO_CHAIN).location(point)
    }
}
