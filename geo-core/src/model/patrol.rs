use geo_types::LineString;
use serde::{Deserialize, Serialize};

use super::{UnixTime, WorkerId};

/// China Standard Time, UTC+8 all year: the offset of the local day a track belongs to.
pub const LOCAL_UTC_OFFSET_S: i64 = 8 * 3_600;

/// The local (UTC+8) day number of time `t`: days since 1970-01-01 local midnight. A
/// worker's GPS fixes of one local day make one patrol track.
#[must_use]
pub const fn local_day(t: UnixTime) -> i64 {
    (t + LOCAL_UTC_OFFSET_S).div_euclid(86_400)
}

/// A patrol track's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatrolId(pub u64);

/// A worker's timed GPS track: one time per vertex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patrol {
    /// Track id.
    pub id: PatrolId,
    /// Who walked it.
    pub worker: WorkerId,
    /// The track in lon/lat.
    pub track: LineString<f64>,
    /// Time of each vertex, ascending; same length as `track`.
    pub times: Vec<UnixTime>,
}

impl Patrol {
    /// Time of the first point.
    #[must_use]
    pub fn start(&self) -> Option<UnixTime> {
        self.times.first().copied()
    }

    /// Time of the last point.
    #[must_use]
    pub fn end(&self) -> Option<UnixTime> {
        self.times.last().copied()
    }
}
