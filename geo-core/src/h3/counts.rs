//! Per-cell incident counts at a few resolutions: sorted `(cell, count)` arrays, compact
//! (16 bytes per occupied cell) and binary-searchable.

use h3o::{CellIndex, Resolution};

/// Counts of points per H3 cell at each of a few resolutions.
#[derive(Debug, Clone, Default)]
pub struct CellCounts {
    levels: Vec<(Resolution, Vec<(CellIndex, u32)>)>,
}

impl CellCounts {
    /// The resolutions counted by default: city (5), district (7) and block (9) scale.
    pub const DEFAULT_RESOLUTIONS: [Resolution; 3] =
        [Resolution::Five, Resolution::Seven, Resolution::Nine];

    /// Counts `cells` (each at a resolution at least as fine as every one in
    /// `resolutions`; coarser ones are skipped) at each of `resolutions`.
    pub fn build(cells: impl IntoIterator<Item = CellIndex>, resolutions: &[Resolution]) -> Self {
        let mut per_level: Vec<Vec<CellIndex>> = vec![Vec::new(); resolutions.len()];
        for c in cells {
            for (parents, &res) in per_level.iter_mut().zip(resolutions) {
                parents.extend(c.parent(res));
            }
        }
        let levels = resolutions
            .iter()
            .zip(per_level)
            .map(|(&res, mut parents)| {
                parents.sort_unstable();
                let mut counted: Vec<(CellIndex, u32)> = Vec::new();
                for cell in parents {
                    match counted.last_mut() {
                        Some((last, n)) if *last == cell => *n = n.saturating_add(1),
                        _ => counted.push((cell, 1)),
                    }
                }
                counted.shrink_to_fit();
                (res, counted)
            })
            .collect();
        Self { levels }
    }

    /// The resolutions that have counts.
    pub fn resolutions(&self) -> impl Iterator<Item = Resolution> + '_ {
        self.levels.iter().map(|(r, _)| *r)
    }

    /// Every occupied cell at `res` with its count, in cell order; `None` if `res` is not counted.
    #[must_use]
    pub fn cells(&self, res: Resolution) -> Option<&[(CellIndex, u32)]> {
        self.levels
            .iter()
            .find(|(r, _)| *r == res)
            .map(|(_, c)| c.as_slice())
    }

    /// How many points fall in `cell` (0 if its resolution is not counted).
    #[must_use]
    pub fn count(&self, cell: CellIndex) -> u32 {
        self.cells(cell.resolution())
            .and_then(|c| {
                c.binary_search_by_key(&cell, |(k, _)| *k)
                    .ok()
                    .map(|i| c[i].1)
            })
            .unwrap_or(0)
    }

    /// Bytes of heap the counts hold.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.levels
            .iter()
            .map(|(_, c)| c.capacity() * std::mem::size_of::<(CellIndex, u32)>())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::h3::cell_at;

    #[test]
    fn counts_match_a_hash_map() {
        let mut cells = Vec::new();
        let mut x: u64 = 7;
        for _ in 0..5000 {
            // A small LCG: deterministic points over ~0.5 degree.
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let lon = 109.5 + (x >> 11) as f64 / (1u64 << 53) as f64 * 0.5;
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let lat = 28.0 + (x >> 11) as f64 / (1u64 << 53) as f64 * 0.5;
            cells.push(cell_at(lon, lat, 9).unwrap());
        }
        let counts = CellCounts::build(cells.iter().copied(), &CellCounts::DEFAULT_RESOLUTIONS);
        for res in CellCounts::DEFAULT_RESOLUTIONS {
            let mut want: HashMap<CellIndex, u32> = HashMap::new();
            for c in &cells {
                *want.entry(c.parent(res).unwrap()).or_default() += 1;
            }
            let got = counts.cells(res).unwrap();
            assert_eq!(got.len(), want.len());
            for (cell, n) in got {
                assert_eq!(want[cell], *n);
                assert_eq!(counts.count(*cell), *n);
            }
            assert_eq!(got.iter().map(|(_, n)| n).sum::<u32>(), 5000);
        }
        assert_eq!(counts.cells(Resolution::Three), None);
    }
}
