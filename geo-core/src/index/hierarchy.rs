//! Drill-down through the admin hierarchy: root units, a unit's children by code, a
//! village's current grids.

use geo::BoundingRect;
use geo_types::Rect;

use super::engine::Core;
use crate::access::Scope;
use crate::codes::{AdminCode, VillageCode};
use crate::{Error, Result};

impl Core {
    /// The nearest unit above `code` that is in the admin layer (parents by code prefix,
    /// skipping levels the data does not have).
    #[must_use]
    pub fn admin_ancestor(&self, code: AdminCode) -> Option<usize> {
        let mut up = code.parent();
        while let Some(c) = up {
            if let Some(i) = self.admin_index(c) {
                return Some(i);
            }
            up = c.parent();
        }
        None
    }

    /// Indices into `data().admin` of the units with no ancestor in the layer (the highest
    /// level present), by code: where the drill-down starts. Under a scope, the drill-down
    /// starts at the scope's unit (its units with no ancestor inside the scope).
    #[must_use]
    pub fn admin_roots(&self, scope: &Scope) -> Vec<usize> {
        self.admin_where(|a| {
            scope.contains_admin(a)
                && self
                    .admin_ancestor(a)
                    .is_none_or(|p| !self.admin_in_scope(scope, p))
        })
    }

    /// Indices into `data().admin` of the units directly under `code` (whose nearest
    /// ancestor in the layer is it), by code; `NotFound` for an unknown unit.
    ///
    /// A unit outside `scope` does not exist for the caller: `NotFound` too.
    pub fn admin_children(&self, code: AdminCode, scope: &Scope) -> Result<Vec<usize>> {
        let me = self
            .admin_index(code)
            .filter(|_| scope.contains_admin(code))
            .ok_or_else(|| Error::NotFound(format!("admin unit {code}")))?;
        Ok(self.admin_where(|a| a.level() > code.level() && self.admin_ancestor(a) == Some(me)))
    }

    fn admin_where(&self, keep: impl Fn(AdminCode) -> bool) -> Vec<usize> {
        let admin = &self.admin.units;
        let mut out: Vec<usize> = admin
            .iter()
            .enumerate()
            .filter(|(i, a)| self.admin_index(a.code) == Some(*i) && keep(a.code))
            .map(|(i, _)| i)
            .collect();
        out.sort_by_key(|&i| admin[i].code);
        out
    }

    /// Indices into `data().grids` of a village's current grids, by code.
    #[must_use]
    pub fn village_grids(&self, village: VillageCode) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .grids
            .current
            .iter()
            .filter(|(code, _)| code.village() == village)
            .map(|(_, &i)| i as usize)
            .collect();
        out.sort_by_key(|&i| self.grids.grids[i].code);
        out
    }

    /// The bounding box of admin unit `i` (`None`: empty geometry or no such unit).
    #[must_use]
    pub fn admin_bbox(&self, i: usize) -> Option<Rect<f64>> {
        self.admin.units.get(i)?.geometry.bounding_rect()
    }

    /// The bounding box of everything mapped (admin units and grids, from the R-tree
    /// roots, so it costs nothing), or of the point layers when there are no polygons.
    #[must_use]
    pub fn bounds(&self) -> Option<Rect<f64>> {
        use rstar::{Envelope, RTree, RTreeObject, AABB};
        fn root<T: RTreeObject<Envelope = AABB<[f64; 2]>>>(t: &RTree<T>) -> Option<AABB<[f64; 2]>> {
            (t.size() > 0).then(|| t.root().envelope())
        }
        let merge = |a: Option<AABB<[f64; 2]>>, b: Option<AABB<[f64; 2]>>| match (a, b) {
            (Some(a), Some(b)) => Some(a.merged(&b)),
            (a, b) => a.or(b),
        };
        let polygons = merge(root(&self.admin.tree), root(&*self.grids.tree_all));
        let env = polygons.or_else(|| {
            merge(
                merge(root(&self.incidents.main.tree), root(&self.cameras.tree)),
                root(&self.workers.main.tree),
            )
        });
        let e = env?;
        let (lo, hi) = (e.lower(), e.upper());
        Some(Rect::new(
            geo_types::coord! { x: lo[0], y: lo[1] },
            geo_types::coord! { x: hi[0], y: hi[1] },
        ))
    }
}
