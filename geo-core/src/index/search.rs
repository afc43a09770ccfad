//! Finding admin units, grids and cameras by code prefix or name substring, for the
//! map's search box.

use super::engine::Core;
use crate::access::Scope;
use crate::codes::{AdminCode, GridCode};
use crate::model::Layer;

/// One search result: a feature of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchHit {
    /// Admin, grids or cameras.
    pub layer: Layer,
    /// Index into that layer's `data()` vector (grids: a current revision).
    pub index: usize,
    /// The query is the feature's whole code or id.
    pub exact: bool,
}

/// The layers searched, in the order equal matches are listed.
const LAYERS: [Layer; 3] = [Layer::Admin, Layer::Grids, Layer::Cameras];

impl Core {
    /// Up to `limit` features whose code or id starts with `query` (when it is all
    /// digits) or whose name contains it: exact codes first, then shorter names, then
    /// admin before grids before cameras, then by code (cameras by position). Grids are current revisions.
    /// A blank query finds nothing; only features inside `scope` are found (cameras by the
    /// grid they stand in).
    #[must_use]
    pub fn search(&self, query: &str, limit: usize, scope: &Scope) -> Vec<SearchHit> {
        let q = query.trim();
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        // A code query as a number: a code of `width` digits starts with it when its
        // leading digits equal it (codes never start with 0, so `q`'s leading zeros
        // cannot match). No string is built per feature.
        let number: Option<u128> = if q.bytes().all(|b| b.is_ascii_digit()) && q.len() <= 20 {
            q.parse().ok()
        } else {
            None
        };
        let code_match = |value: u128, width: usize| -> (bool, bool) {
            match number {
                Some(n) if q.len() <= width => {
                    let head = value / 10u128.pow((width - q.len()) as u32);
                    (head == n, head == n && q.len() == width)
                }
                _ => (false, false),
            }
        };
        // (exact first, name length, layer order, code or index), hit
        let mut found: Vec<((bool, usize, usize, u128), SearchHit)> = Vec::new();
        let mut consider =
            |layer: usize, index: usize, code: (bool, bool), key: u128, name: &str| {
                let (prefix, exact) = code;
                if prefix || name.contains(q) {
                    let hit = SearchHit {
                        layer: LAYERS[layer],
                        index,
                        exact,
                    };
                    found.push(((!exact, name.chars().count(), layer, key), hit));
                }
            };
        for (i, a) in self.admin().iter().enumerate() {
            if self.admin_index(a.code) == Some(i) && scope.contains_admin(a.code) {
                let width = match a.code {
                    AdminCode::Division(_) => 6,
                    AdminCode::Township(_) => 9,
                    AdminCode::Village(_) => 12,
                };
                let value = u128::from(a.code.as_u64());
                consider(0, i, code_match(value, width), value, &a.name);
            }
        }
        for &i in self.grids.current.values() {
            let g = &self.grids.grids[i as usize];
            if !scope.contains_grid(g.code) {
                continue;
            }
            let value = u128::from(g.code.as_u64());
            let m = code_match(value, GridCode::DIGITS);
            consider(1, i as usize, m, value, &g.name);
        }
        for (i, c) in self.cameras().iter().enumerate() {
            if self.camera_index(&c.id) == Some(i) && self.camera_in_scope(scope, i) {
                // Ids are 20 digits: compare as text, and order equal hits by index.
                let id = c.id.as_str();
                let prefix = number.is_some() && id.starts_with(q);
                let m = (prefix, prefix && id.len() == q.len());
                consider(2, i, m, i as u128, &c.name);
            }
        }
        if found.len() > limit {
            found.select_nth_unstable_by_key(limit - 1, |a| a.0);
            found.truncate(limit);
        }
        found.sort_unstable_by_key(|a| a.0);
        found.into_iter().map(|(_, hit)| hit).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::access::Scope;
    use crate::demo::{generate, DemoConfig};
    use crate::index::Core;
    use crate::model::Layer;

    #[test]
    fn codes_then_names() {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(60)
            .with_incidents(100)
            .with_cameras(300)
            .with_workers(50)
            .with_patrols(1)
            .with_points_per_patrol(5);
        let core = Core::new(generate(&cfg).unwrap());
        let county = core
            .admin()
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::County)
            .unwrap();
        let code = county.code.to_string();
        let hits = core.search(&code, 100, &Scope::ALL);
        assert!(hits[0].exact && hits[0].layer == Layer::Admin);
        assert_eq!(core.admin()[hits[0].index].code, county.code);
        assert!(hits[1..].iter().all(|h| !h.exact));
        assert_eq!(hits.len(), 100);
        // A village's name finds the village before its grids and cameras.
        let village = core
            .admin()
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::Village)
            .unwrap();
        let hits = core.search(&village.name, 20, &Scope::ALL);
        assert_eq!(hits[0].layer, Layer::Admin);
        let lens: Vec<usize> = hits
            .iter()
            .map(|h| match h.layer {
                Layer::Admin => core.admin()[h.index].name.chars().count(),
                Layer::Grids => core.grids()[h.index].name.chars().count(),
                _ => core.cameras()[h.index].name.chars().count(),
            })
            .collect();
        assert!(lens.windows(2).all(|w| w[0] <= w[1]), "{lens:?}");
        // A grid by a prefix of its code; a leading zero matches no code.
        let grid = &core.grids()[7];
        let code = grid.code.to_string();
        let hits = core.search(&code[..14], 100, &Scope::ALL);
        assert!(hits
            .iter()
            .any(|h| h.layer == Layer::Grids && core.grids()[h.index].code == grid.code));
        assert!(hits.iter().all(|h| h.layer != Layer::Grids
            || core.grids()[h.index]
                .code
                .to_string()
                .starts_with(&code[..14])));
        let hits = core.search(&code, 5, &Scope::ALL);
        assert!(hits[0].exact && hits[0].layer == Layer::Grids);
        assert!(core
            .search(&format!("0{}", &code[..5]), 10, &Scope::ALL)
            .is_empty());
        assert!(core.search("  ", 10, &Scope::ALL).is_empty());
        assert!(core.search("不存在的地名", 10, &Scope::ALL).is_empty());
    }

    #[test]
    fn a_township_finds_only_its_own() {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(60)
            .with_incidents(100)
            .with_cameras(300)
            .with_workers(50)
            .with_patrols(1)
            .with_points_per_patrol(5);
        let core = Core::new(generate(&cfg).unwrap());
        let county = core
            .admin()
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::County)
            .unwrap()
            .code;
        let township = core
            .admin()
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::Township)
            .unwrap()
            .code;
        let scope = Scope::unit(township);
        // The county's code prefixes everything; the township sees its own part only.
        let all = core.search(&county.to_string(), 1_000, &Scope::ALL);
        let cut = core.search(&county.to_string(), 1_000, &scope);
        assert!(
            !cut.is_empty() && cut.len() < all.len(),
            "{} of {}",
            cut.len(),
            all.len()
        );
        let t = township.to_string();
        for h in &cut {
            let inside = match h.layer {
                Layer::Admin => core.admin()[h.index].code.to_string().starts_with(&t),
                Layer::Grids => core.grids()[h.index].code.to_string().starts_with(&t),
                _ => {
                    let c = &core.cameras()[h.index];
                    let g = core.grid_at(c.location.x(), c.location.y()).unwrap();
                    core.grids()[g].code.to_string().starts_with(&t)
                }
            };
            assert!(inside, "{h:?}");
        }
        // Every hit of the whole search inside the township is still found.
        let want = all
            .iter()
            .filter(|h| core.in_scope(h.layer, &scope, h.index))
            .count();
        assert_eq!(cut.len(), want);
    }
}
