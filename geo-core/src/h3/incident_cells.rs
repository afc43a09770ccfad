//! Incidents ordered by their resolution-9 H3 cell, with the columns a filtered count needs:
//! the base of the heatmap and of low-zoom incident clusters.
//!
//! H3 indexes of one resolution sort by base cell, then digit by digit, so the resolution-9
//! descendants of any coarser cell form one contiguous run of this table. Counting the
//! incidents of a cell is two binary searches (no filter) or a scan of its run over three
//! dense columns (time window, category, status): about a nanosecond per incident, whatever
//! the filter, with no per-request index.
//!
//! ```
//! use geo_core::h3::{cell_at, CellFilter, IncidentCells};
//! use geo_core::model::{Category, Step};
//! let cell = cell_at(109.74, 28.31, 9).unwrap();
//! let table = IncidentCells::build(vec![
//!     (cell, 1_700_000_000, Category::Dispute, Step::Closed),
//!     (cell, 1_700_000_600, Category::FireHazard, Step::Reported),
//! ]);
//! let parent = cell.parent(h3o::Resolution::Five).unwrap();
//! assert_eq!(table.count(parent, &CellFilter::default()), 2);
//! let fire = CellFilter::new(None, None, &[Category::FireHazard], &[]);
//! assert_eq!(table.count(parent, &fire), 1);
//! ```

use h3o::{CellIndex, Resolution};

use crate::model::{Category, IncidentStatus, UnixTime};

/// Which incidents a count includes. The default counts every incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellFilter {
    from: UnixTime,
    to: UnixTime,
    /// Bit `c as u8` set: category `c` is counted.
    categories: u16,
    /// Bit `s.index()` set: status `s` is counted.
    statuses: u16,
}

impl Default for CellFilter {
    fn default() -> Self {
        Self {
            from: UnixTime::MIN,
            to: UnixTime::MAX,
            categories: u16::MAX,
            statuses: u16::MAX,
        }
    }
}

impl CellFilter {
    /// Incidents reported in `[from, to)` with one of `categories` and one of `statuses`
    /// (an empty list or `None` selects everything).
    #[must_use]
    pub fn new(
        from: Option<UnixTime>,
        to: Option<UnixTime>,
        categories: &[Category],
        statuses: &[IncidentStatus],
    ) -> Self {
        let mask = |bits: &mut dyn Iterator<Item = u32>| -> u16 {
            let m = bits.fold(0u16, |m, b| m | (1 << b));
            if m == 0 {
                u16::MAX
            } else {
                m
            }
        };
        Self {
            from: from.unwrap_or(UnixTime::MIN),
            to: to.unwrap_or(UnixTime::MAX),
            categories: mask(&mut categories.iter().map(|&c| c as u32)),
            #[allow(clippy::cast_possible_truncation)] // ten steps
            statuses: mask(&mut statuses.iter().map(|s| s.index() as u32)),
        }
    }

    /// Whether this filter selects every incident (counts are run lengths).
    #[must_use]
    pub fn is_all(&self) -> bool {
        *self == Self::default()
    }

    /// Whether an incident reported at `at` with this category and status is counted.
    #[must_use]
    pub fn keeps_incident(&self, at: UnixTime, category: Category, status: IncidentStatus) -> bool {
        #[allow(clippy::cast_possible_truncation)] // ten steps
        let class = (category as u8) << 4 | status.index() as u8;
        self.keeps(at, class)
    }

    fn keeps(&self, at: UnixTime, class: u8) -> bool {
        let category = class >> 4;
        let status = class & 0x0f;
        self.from <= at
            && at < self.to
            && self.categories >> category & 1 == 1
            && self.statuses >> status & 1 == 1
    }
}

/// Incidents sorted by resolution-9 cell: cell, report time and class in three columns.
#[derive(Debug, Clone, Default)]
pub struct IncidentCells {
    cells: Vec<u64>,
    times: Vec<UnixTime>,
    /// Category in the high nibble, status in the low one.
    classes: Vec<u8>,
}

impl IncidentCells {
    /// The table over `(resolution-9 cell, report time, category, status)` rows; cells of
    /// another resolution are brought to resolution 9 (coarser ones are dropped).
    #[must_use]
    pub fn build(
        rows: impl IntoIterator<Item = (CellIndex, UnixTime, Category, IncidentStatus)>,
    ) -> Self {
        let mut rows: Vec<(u64, UnixTime, u8)> = rows
            .into_iter()
            .filter_map(|(cell, at, category, status)| {
                let cell = cell.parent(Resolution::Nine)?;
                #[allow(clippy::cast_possible_truncation)] // ten steps
                let class = (category as u8) << 4 | status.index() as u8;
                Some((u64::from(cell), at, class))
            })
            .collect();
        rows.sort_unstable();
        Self {
            cells: rows.iter().map(|r| r.0).collect(),
            times: rows.iter().map(|r| r.1).collect(),
            classes: rows.iter().map(|r| r.2).collect(),
        }
    }

    /// Number of incidents in the table.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the table holds no incident.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The rows whose resolution-9 cell descends from `cell` (none for a finer `cell`:
    /// the table does not know where inside a resolution-9 cell an incident lies).
    fn run(&self, cell: CellIndex) -> std::ops::Range<usize> {
        let (first, last) = match cell.resolution().cmp(&Resolution::Nine) {
            std::cmp::Ordering::Greater => return 0..0,
            std::cmp::Ordering::Equal => (u64::from(cell), u64::from(cell)),
            std::cmp::Ordering::Less => {
                let n = cell.children_count(Resolution::Nine);
                let child = |pos| cell.child_at(pos, Resolution::Nine).map_or(0, u64::from);
                (child(0), child(n.saturating_sub(1)))
            }
        };
        let start = self.cells.partition_point(|&c| c < first);
        let end = start + self.cells[start..].partition_point(|&c| c <= last);
        start..end
    }

    /// How many incidents in `cell` (resolution <= 9) `filter` keeps.
    #[must_use]
    pub fn count(&self, cell: CellIndex, filter: &CellFilter) -> u32 {
        let run = self.run(cell);
        let n = if filter.is_all() {
            run.len()
        } else {
            self.times[run.clone()]
                .iter()
                .zip(&self.classes[run])
                .filter(|(&at, &class)| filter.keeps(at, class))
                .count()
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Bytes of heap the table holds.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.cells.capacity() * 8 + self.times.capacity() * 8 + self.classes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h3::cell_at;
    use crate::model::Step;

    /// Deterministic rows over about half a degree, three years and every class.
    fn rows(n: usize) -> Vec<(CellIndex, UnixTime, Category, IncidentStatus)> {
        let mut x: u64 = 11;
        let mut next = move || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 11
        };
        (0..n)
            .map(|_| {
                let lon = 109.5 + next() as f64 / (1u64 << 53) as f64 * 0.5;
                let lat = 28.0 + next() as f64 / (1u64 << 53) as f64 * 0.5;
                let at = 1_600_000_000 + (next() % 94_608_000) as i64;
                let c = Category::ALL[(next() % 7) as usize];
                let s = Step::ALL[(next() % 10) as usize];
                (cell_at(lon, lat, 9).unwrap(), at, c, s)
            })
            .collect()
    }

    #[test]
    fn counts_equal_a_brute_force_filter_at_every_resolution() {
        let rows = rows(4_000);
        let table = IncidentCells::build(rows.clone());
        let filters = [
            (None, None, vec![], vec![]),
            (Some(1_650_000_000), Some(1_660_000_000), vec![], vec![]),
            (
                None,
                Some(1_640_000_000),
                vec![Category::Dispute, Category::Petition],
                vec![Step::Closed],
            ),
        ];
        for (from, to, cats, stats) in filters {
            let f = CellFilter::new(from, to, &cats, &stats);
            for res in [
                Resolution::Three,
                Resolution::Six,
                Resolution::Eight,
                Resolution::Nine,
            ] {
                let mut parents: Vec<CellIndex> =
                    rows.iter().map(|r| r.0.parent(res).unwrap()).collect();
                parents.sort_unstable();
                parents.dedup();
                let mut total = 0;
                for p in parents {
                    let want = rows
                        .iter()
                        .filter(|r| r.0.parent(res) == Some(p))
                        .filter(|r| from.is_none_or(|t| r.1 >= t) && to.is_none_or(|t| r.1 < t))
                        .filter(|r| cats.is_empty() || cats.contains(&r.2))
                        .filter(|r| stats.is_empty() || stats.contains(&r.3))
                        .count();
                    assert_eq!(table.count(p, &f) as usize, want, "{p} {res:?}");
                    total += want;
                }
                let all = rows
                    .iter()
                    .filter(|r| from.is_none_or(|t| r.1 >= t) && to.is_none_or(|t| r.1 < t))
                    .filter(|r| cats.is_empty() || cats.contains(&r.2))
                    .filter(|r| stats.is_empty() || stats.contains(&r.3))
                    .count();
                assert_eq!(total, all);
            }
        }
    }

    #[test]
    fn empty_cells_and_pentagons_count_zero() {
        let table = IncidentCells::build(rows(100));
        let far = cell_at(-70.0, -30.0, 5).unwrap();
        assert_eq!(table.count(far, &CellFilter::default()), 0);
        for pentagon in Resolution::Four.pentagons() {
            assert_eq!(table.count(pentagon, &CellFilter::default()), 0);
        }
        assert_eq!(
            IncidentCells::default().count(far, &CellFilter::default()),
            0
        );
    }
}
