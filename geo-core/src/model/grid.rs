use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::{UnixTime, WorkerId};
use crate::codes::{GridCode, VillageCode};

/// What a grid covers: a basic residential grid or a dedicated one around a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridKind {
    /// 基础网格: residential area.
    Basic,
    /// 专属网格: school.
    School,
    /// 专属网格: enterprise or industrial park.
    Enterprise,
    /// 专属网格: market.
    Market,
    /// 专属网格: hospital.
    Hospital,
    /// 专属网格: scenic area.
    Scenic,
    /// 专属网格 (专业网格, 专项网格) without a site type: the common name for every
    /// non-basic grid in vendors' exports.
    Dedicated,
}

impl GridKind {
    /// Every kind, in code order.
    pub const ALL: [GridKind; 7] = [
        GridKind::Basic,
        GridKind::School,
        GridKind::Enterprise,
        GridKind::Market,
        GridKind::Hospital,
        GridKind::Scenic,
        GridKind::Dedicated,
    ];

    /// The kind's name in the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            GridKind::Basic => "basic",
            GridKind::School => "school",
            GridKind::Enterprise => "enterprise",
            GridKind::Market => "market",
            GridKind::Hospital => "hospital",
            GridKind::Scenic => "scenic",
            GridKind::Dedicated => "dedicated",
        }
    }

    /// Parses the name written by [`GridKind::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One revision of a governance grid. A redraw ends this revision (`valid_to`) and starts
/// a new one with the same code and a higher `revision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// 15-digit grid code; its first 12 digits are the village.
    pub code: GridCode,
    /// Display name, e.g. 世纪社区第3网格.
    pub name: String,
    /// The village the grid belongs to (always `code.village()`).
    pub village: VillageCode,
    /// Basic or dedicated.
    pub kind: GridKind,
    /// The grid workers responsible; the first is the lead.
    pub workers: Vec<WorkerId>,
    /// Registered households.
    pub households: u32,
    /// Registered population.
    pub population: u32,
    /// Start of this revision's validity.
    pub valid_from: UnixTime,
    /// End of validity; `None` while current.
    pub valid_to: Option<UnixTime>,
    /// Revision number, 1 for the first drawing.
    pub revision: u32,
    /// Boundary in lon/lat.
    pub geometry: MultiPolygon<f64>,
}

impl Grid {
    /// Whether this revision was in force at time `t`.
    #[must_use]
    pub fn valid_at(&self, t: UnixTime) -> bool {
        self.valid_from <= t && self.valid_to.is_none_or(|end| t < end)
    }
}
