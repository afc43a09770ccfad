//! The admin part of the core: counties, townships and villages with their point-lookup
//! structures and prepared admin chains. Rebuilt whole on an admin write (rare: an import).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, MapCoords};
use rstar::RTree;

use super::super::buckets::PolygonBuckets;
use super::super::label::LabelPoints;
use super::super::location::{Chain, UnitRef};
use super::super::polygons::{EnvEntry, PolygonSet};
use super::first_index;
use crate::codes::{AdminCode, AdminLevel, VillageCode};
use crate::model::AdminUnit;

/// Admin units and what answers "which unit holds this point" outside every grid.
#[derive(Debug, Default)]
pub(crate) struct AdminPart {
    pub(crate) units: Vec<AdminUnit>,
    pub(crate) by_code: HashMap<AdminCode, u32>,
    pub(crate) polys: PolygonSet,
    pub(crate) tree: RTree<EnvEntry>,
    /// Bucket grids over villages, townships and counties (in that order): the chain of a
    /// point outside every grid.
    pub(crate) buckets: [PolygonBuckets; 3],
    /// The admin chain of each unit, prepared once.
    pub(crate) chains: Vec<Chain>,
    /// Outlines in Web Mercator metres, built on the first admin tile.
    pub(crate) mercator: OnceLock<Vec<geo_types::MultiPolygon<f64>>>,
    /// Each unit's bounding box (`None`: empty outline): what a scoped tile is cut to.
    pub(crate) extents: Vec<Option<geo_types::Rect<f64>>>,
    /// Where each unit's name is drawn, computed on first use (the part is rebuilt on an
    /// admin write, so the points are new with it).
    pub(crate) labels: LabelPoints,
    /// Unique to this build of the part: what a cache depending on the admin polygons is
    /// tagged with (an address could be reused after the part is dropped).
    pub(crate) id: u64,
}

/// The next [`AdminPart::id`].
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl AdminPart {
    /// Indexes `units`.
    pub(crate) fn new(units: Vec<AdminUnit>) -> Self {
        let by_code = first_index(units.iter().map(|a| a.code));
        let polys = PolygonSet::new(units.iter().map(|a| &a.geometry));
        let tree = polys.tree(units.iter().map(|a| &a.geometry), |_| true);
        let buckets = [
            AdminLevel::Village,
            AdminLevel::Township,
            AdminLevel::County,
        ]
        .map(|level| {
            PolygonBuckets::new(
                units
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.level() == level)
                    .map(|(i, a)| (i, &a.geometry)),
                &polys,
            )
        });
        let extents = units.iter().map(|a| a.geometry.bounding_rect()).collect();
        let mut part = Self {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            extents,
            labels: LabelPoints::new(units.len()),
            units,
            by_code,
            polys,
            tree,
            buckets,
            chains: Vec::new(),
            mercator: OnceLock::new(),
        };
        part.chains = part.units.iter().map(|a| part.chain_of(a.code)).collect();
        part
    }

    /// The name of an admin unit, shared.
    fn unit_ref(&self, code: AdminCode) -> Option<UnitRef> {
        self.by_code.get(&code).map(|&i| UnitRef {
            code,
            name: Arc::from(self.units[i as usize].name.as_str()),
        })
    }

    /// The admin chain of a village code: village, its township, its county.
    pub(crate) fn chain_of_village(&self, village: VillageCode) -> Chain {
        let township = village.township();
        Chain {
            county: self.unit_ref(AdminCode::Division(township.county())),
            township: self.unit_ref(AdminCode::Township(township)),
            village: self.unit_ref(AdminCode::Village(village)),
        }
    }

    /// The admin chain of any admin code, filling parents by code.
    pub(crate) fn chain_of(&self, code: AdminCode) -> Chain {
        match code {
            AdminCode::Village(v) => self.chain_of_village(v),
            AdminCode::Township(t) => Chain {
                county: self.unit_ref(AdminCode::Division(t.county())),
                township: self.unit_ref(code),
                village: None,
            },
            AdminCode::Division(_) => Chain {
                county: self.unit_ref(code),
                township: None,
                village: None,
            },
        }
    }

    /// Outlines projected to Web Mercator metres, in unit order.
    pub(crate) fn mercator(&self) -> &[geo_types::MultiPolygon<f64>] {
        self.mercator.get_or_init(|| {
            self.units
                .iter()
                .map(|a| a.geometry.map_coords(super::to_mercator))
                .collect()
        })
    }
}
