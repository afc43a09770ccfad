//! What a point lookup answers: the admin chain, the grid and its workers, the H3 cell.

use std::sync::Arc;

use h3o::{CellIndex, LatLng};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::codes::{AdminCode, GridCode};
use crate::h3::BASE_RESOLUTION;
use crate::model::WorkerId;

/// An admin unit named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRef {
    /// The unit's code.
    pub code: AdminCode,
    /// The unit's name.
    pub name: Arc<str>,
}

/// A grid revision named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridRef {
    /// The grid's code.
    pub code: GridCode,
    /// The grid's name.
    pub name: Arc<str>,
    /// Which revision of the grid.
    pub revision: u32,
    /// Index into `data().grids`.
    #[serde(skip)]
    pub index: usize,
}

/// A grid worker named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerRef {
    /// The worker's id.
    pub id: WorkerId,
    /// The worker's name; empty when the id is not in the workers layer.
    pub name: Arc<str>,
    /// Index into `data().workers`, when the worker is there.
    #[serde(skip)]
    pub index: Option<usize>,
}

/// The answer to "where is this point": admin chain, grid, the grid's workers, H3 cell.
///
/// A unit or grid is `None` when the point is in none (or its code is not in the admin layer).
/// It borrows the answer the [`Core`](super::Core) prepared once per grid revision (or per
/// admin unit outside every grid), so a lookup copies a few pointers and touches no reference
/// counts; the H3 cell is computed only when asked for (or serialised).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location<'a> {
    /// County (6-digit code).
    pub county: Option<&'a UnitRef>,
    /// Township (9 digits).
    pub township: Option<&'a UnitRef>,
    /// Village or community (12 digits).
    pub village: Option<&'a UnitRef>,
    /// The grid revision the point lies in.
    pub grid: Option<&'a GridRef>,
    /// That grid's workers, lead first.
    pub workers: &'a [WorkerRef],
    /// The query point, checked finite and in range.
    point: LatLng,
}

impl Location<'_> {
    /// The query point's H3 cell at resolution 9.
    #[must_use]
    pub fn h3_res9(&self) -> CellIndex {
        self.point.to_cell(BASE_RESOLUTION)
    }

    /// The query point's longitude, degrees.
    #[must_use]
    pub fn lon(&self) -> f64 {
        self.point.lng()
    }

    /// The query point's latitude, degrees.
    #[must_use]
    pub fn lat(&self) -> f64 {
        self.point.lat()
    }
}

/// The JSON shape of an answer: the fields above, with `h3_res9` as a 15-digit hex string.
impl Serialize for Location<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// Writes a cell as its hex string, without an intermediate `String`.
        struct Hex(CellIndex);
        impl Serialize for Hex {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }
        let mut st = s.serialize_struct("Location", 6)?;
        st.serialize_field("county", &self.county)?;
        st.serialize_field("township", &self.township)?;
        st.serialize_field("village", &self.village)?;
        st.serialize_field("grid", &self.grid)?;
        st.serialize_field("workers", self.workers)?;
        st.serialize_field("h3_res9", &Hex(self.h3_res9()))?;
        st.end()
    }
}

/// The admin chain of a point: county, township, village.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chain {
    pub(crate) county: Option<UnitRef>,
    pub(crate) township: Option<UnitRef>,
    pub(crate) village: Option<UnitRef>,
}

/// What a point in a given grid revision answers, prepared once per revision.
#[derive(Debug, Clone)]
pub(crate) struct GridAnswer {
    pub(crate) chain: Chain,
    pub(crate) grid: GridRef,
    pub(crate) workers: Box<[WorkerRef]>,
}

impl GridAnswer {
    /// The full answer for the (checked) query point `point`, borrowing this answer.
    #[inline]
    pub(crate) fn location(&self, point: LatLng) -> Location<'_> {
        Location {
            county: self.chain.county.as_ref(),
            township: self.chain.township.as_ref(),
            village: self.chain.village.as_ref(),
            grid: Some(&self.grid),
            workers: &self.workers,
            point,
        }
    }
}

impl Chain {
    /// The answer outside every grid: this chain, no grid, no workers.
    pub(crate) fn location(&self, point: LatLng) -> Location<'_> {
        Location {
            county: self.county.as_ref(),
            township: self.township.as_ref(),
            village: self.village.as_ref(),
            grid: None,
            workers: &[],
            point,
        }
    }
}
