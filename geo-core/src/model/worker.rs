use geo_types::Point;
use serde::{Deserialize, Serialize};

use super::UnixTime;
use crate::codes::GridCode;

/// A grid worker's id, e.g. `W433101001001001`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(pub String);

impl std::fmt::Display for WorkerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A grid worker (网格员).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Worker {
    /// Stable id.
    pub id: WorkerId,
    /// Name (personal data).
    pub name: String,
    /// Mobile phone (personal data).
    pub phone: String,
    /// Grids the worker is responsible for.
    pub grids: Vec<GridCode>,
    /// Last known position; [`Worker::NO_FIX`] until the first GPS fix (a roster import).
    pub location: Point<f64>,
    /// When the position was reported; 0 with [`Worker::NO_FIX`].
    pub seen_at: UnixTime,
}

impl Worker {
    /// The position of a worker no GPS fix has come from yet: NaN, which every index,
    /// tile and count leaves out as not a lon/lat (the store writes it as an empty point).
    pub const NO_FIX: Point<f64> = Point(geo_types::Coord {
        x: f64::NAN,
        y: f64::NAN,
    });

    /// Whether the worker has a position (a GPS fix or an imported one).
    #[must_use]
    pub fn has_fix(&self) -> bool {
        self.location.x().is_finite() && self.location.y().is_finite()
    }
}

/// Equal when every field is, two positions without a fix counting as the same (NaN is
/// not equal to itself, and a roster read back from the store must equal the one written).
impl PartialEq for Worker {
    fn eq(&self, other: &Self) -> bool {
        let same_place = self.location == other.location || (!self.has_fix() && !other.has_fix());
        self.id == other.id
            && self.name == other.name
            && self.phone == other.phone
            && self.grids == other.grids
            && same_place
            && self.seen_at == other.seen_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_fix_equals_no_fix() {
        let w = Worker {
            id: WorkerId("W1".into()),
            name: String::new(),
            phone: String::new(),
            grids: Vec::new(),
            location: Worker::NO_FIX,
            seen_at: 0,
        };
        assert!(!w.has_fix());
        assert_eq!(w, w.clone());
        let mut fixed = w.clone();
        fixed.location = Point::new(109.7, 28.3);
        assert!(fixed.has_fix());
        assert_ne!(w, fixed);
    }
}
