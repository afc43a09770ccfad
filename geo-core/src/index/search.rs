//! Finding admin units, grids and cameras by code prefix or name substring, for the
//! map's search box.

use super::engine::Core;
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
    /// admin before grids before cameras, then by code. Grids are current revisions.
    /// A blank query finds nothing.
    #[must_use]
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = query.trim();
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let digits = q.bytes().all(|b| b.is_ascii_digit());
        let d = &self.data;
        // (exact first, name length, layer order, code), hit
        let mut found: Vec<((bool, usize, usize, String), SearchHit)> = Vec::new();
        let mut consider = |layer: usize, index: usize, code: &dyn Fn() -> String, name: &str| {
            let (code_match, exact, key) = if digits {
                let key = code();
                (key.starts_with(q), key == q, key)
            } else {
                (false, false, String::new())
            };
            if code_match || name.contains(q) {
                let key = if digits { key } else { code() };
                let hit = SearchHit {
                    layer: LAYERS[layer],
                    index,
                    exact,
                };
                found.push(((!exact, name.chars().count(), layer, key), hit));
            }
        };
        for (i, a) in d.admin.iter().enumerate() {
            if self.admin_index(a.code) == Some(i) {
                consider(0, i, &|| a.code.to_string(), &a.name);
            }
        }
        for &i in self.grid_current.values() {
            let g = &d.grids[i as usize];
            consider(1, i as usize, &|| g.code.to_string(), &g.name);
        }
        for (i, c) in d.cameras.iter().enumerate() {
            if self.camera_index(&c.id) == Some(i) {
                consider(2, i, &|| c.id.as_str().to_owned(), &c.name);
            }
        }
        if found.len() > limit {
            found.select_nth_unstable_by(limit - 1, |a, b| a.0.cmp(&b.0));
            found.truncate(limit);
        }
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        found.into_iter().map(|(_, hit)| hit).collect()
    }
}

#[cfg(test)]
mod tests {
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
            .data()
            .admin
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::County)
            .unwrap();
        let code = county.code.to_string();
        let hits = core.search(&code, 100);
        assert!(hits[0].exact && hits[0].layer == Layer::Admin);
        assert_eq!(core.data().admin[hits[0].index].code, county.code);
        assert!(hits[1..].iter().all(|h| !h.exact));
        assert_eq!(hits.len(), 100);
        // A village's name finds the village before its grids and cameras.
        let village = core
            .data()
            .admin
            .iter()
            .find(|a| a.level() == crate::codes::AdminLevel::Village)
            .unwrap();
        let hits = core.search(&village.name, 20);
        assert_eq!(hits[0].layer, Layer::Admin);
        let lens: Vec<usize> = hits
            .iter()
            .map(|h| match h.layer {
                Layer::Admin => core.data().admin[h.index].name.chars().count(),
                Layer::Grids => core.data().grids[h.index].name.chars().count(),
                _ => core.data().cameras[h.index].name.chars().count(),
            })
            .collect();
        assert!(lens.windows(2).all(|w| w[0] <= w[1]), "{lens:?}");
        assert!(core.search("  ", 10).is_empty());
        assert!(core.search("不存在的地名", 10).is_empty());
    }
}
