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
//! use geo_core::h3::{cell_at, CellFilter, IncidentCells, IncidentRow};
//! use geo_core::model::{Category, Step};
//! let row = |at, category, status| IncidentRow { lon: 109.74, lat: 28.31, at, category, status };
//! let table = IncidentCells::build(vec![
//!     row(1_700_000_000, Category::Dispute, Step::Closed),
//!     row(1_700_000_600, Category::FireHazard, Step::Reported),
//! ]);
//! let parent = cell_at(109.74, 28.31, 5).unwrap();
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

/// One incident as the cell table counts it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRow {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Report time.
    pub at: UnixTime,
    /// Category.
    pub category: Category,
    /// Status.
    pub status: IncidentStatus,
}

/// Resolutions coarser than the table's own (0-8), where a cell's resolution-9 descendants
/// and the incidents inside it differ.
const COARSER: usize = 9;

/// The incidents of one coarser resolution that lie in another cell than their
/// resolution-9 cell's parent.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Displaced {
    /// Their rows, ascending: inside a parent's run, the rows it counts out.
    rows: Vec<u32>,
    /// `(cell the incident lies in, row)`, sorted: the rows a cell counts in.
    into: Vec<(u64, u32)>,
}

/// Incidents sorted by resolution-9 cell: cell, report time and class in three columns,
/// and per coarser resolution the few incidents whose cell is not their resolution-9
/// cell's parent.
///
/// H3 children do not tile their parent exactly: at each coarser resolution, 6-9% of the
/// points whose resolution-9 cell descends from a cell lie in a neighbour of it (measured
/// over Xiangxi with the `h3` package), so this costs about 8 bytes per incident. A count is the run of the cell's descendants, minus the displaced rows inside
/// the run, plus the rows displaced into the cell: exactly the incidents whose
/// `latlng_to_cell` at the cell's resolution is the cell, as the `h3` library says.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct IncidentCells {
    cells: Vec<u64>,
    times: Vec<UnixTime>,
    /// Category in the high nibble, status in the low one.
    classes: Vec<u8>,
    /// Index = resolution 0-8.
    displaced: Vec<Displaced>,
}

/// A row's class byte: category in the high nibble, status in the low one.
fn class_of(category: Category, status: IncidentStatus) -> u8 {
    #[allow(clippy::cast_possible_truncation)] // ten steps
    let status = status.index() as u8;
    (category as u8) << 4 | status
}

impl IncidentCells {
    /// The table over `rows`; rows without an H3 cell (coordinates out of range) are left
    /// out. Cells are computed on every core the machine has.
    #[must_use]
    pub fn build(rows: impl IntoIterator<Item = IncidentRow>) -> Self {
        let mut rows: Vec<(u64, UnixTime, u8, f64, f64)> = rows
            .into_iter()
            .filter_map(|r| {
                let cell = super::cell_at(r.lon, r.lat, 9).ok()?;
                Some((
                    u64::from(cell),
                    r.at,
                    class_of(r.category, r.status),
                    r.lon,
                    r.lat,
                ))
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.0, r.1, r.2));
        let points: Vec<(u64, f64, f64)> = rows.iter().map(|r| (r.0, r.3, r.4)).collect();
        let displaced = displaced_rows(&points);
        Self {
            cells: rows.iter().map(|r| r.0).collect(),
            times: rows.iter().map(|r| r.1).collect(),
            classes: rows.iter().map(|r| r.2).collect(),
            displaced,
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

    /// How many of `rows` `filter` keeps.
    fn kept(&self, rows: impl Iterator<Item = usize>, filter: &CellFilter) -> usize {
        rows.filter(|&i| filter.keeps(self.times[i], self.classes[i]))
            .count()
    }

    /// How many incidents in `cell` (resolution <= 9) `filter` keeps.
    #[must_use]
    pub fn count(&self, cell: CellIndex, filter: &CellFilter) -> u32 {
        let run = self.run(cell);
        let all = filter.is_all();
        let mut n = if all {
            run.len()
        } else {
            self.kept(run.clone(), filter)
        };
        if let Some(d) = self.displaced.get(usize::from(u8::from(cell.resolution()))) {
            let lo = d.rows.partition_point(|&r| (r as usize) < run.start);
            let hi = d.rows.partition_point(|&r| (r as usize) < run.end);
            let key = u64::from(cell);
            let from = d.into.partition_point(|&(c, _)| c < key);
            let to = d.into.partition_point(|&(c, _)| c <= key);
            let (out, into) = if all {
                (hi - lo, to - from)
            } else {
                (
                    self.kept(d.rows[lo..hi].iter().map(|&r| r as usize), filter),
                    self.kept(d.into[from..to].iter().map(|&(_, r)| r as usize), filter),
                )
            };
            n = (n + into).saturating_sub(out);
        }
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Bytes of heap the table holds.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let displaced: usize = self
            .displaced
            .iter()
            .map(|d| d.rows.capacity() * 4 + d.into.capacity() * 16)
            .sum();
        self.cells.capacity() * 8 + self.times.capacity() * 8 + self.classes.capacity() + displaced
    }
}

/// Per resolution 0-8, the rows (of `points`: resolution-9 cell, lon, lat, in row order)
/// that lie in another cell than their resolution-9 cell's parent. `latlng_to_cell` nine
/// more times per incident is the cost of exact counts; the rows are split over the
/// machine's cores.
fn displaced_rows(points: &[(u64, f64, f64)]) -> Vec<Displaced> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let chunk = points.len().div_ceil(threads).max(1 << 14);
    let parts: Vec<Vec<Displaced>> = std::thread::scope(|s| {
        let handles: Vec<_> = points
            .chunks(chunk)
            .enumerate()
            .map(|(k, part)| s.spawn(move || displaced_in(part, k * chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut out = vec![Displaced::default(); COARSER];
    for part in parts {
        for (all, mut p) in out.iter_mut().zip(part) {
            all.rows.append(&mut p.rows);
            all.into.append(&mut p.into);
        }
    }
    for d in &mut out {
        d.into.sort_unstable();
        d.rows.shrink_to_fit();
        d.into.shrink_to_fit();
    }
    out
}

/// [`displaced_rows`] of one slice of rows, the first being row `first`.
fn displaced_in(points: &[(u64, f64, f64)], first: usize) -> Vec<Displaced> {
    let mut out = vec![Displaced::default(); COARSER];
    for (k, &(nine, lon, lat)) in points.iter().enumerate() {
        let (Ok(nine), Ok(ll)) = (CellIndex::try_from(nine), h3o::LatLng::new(lat, lon)) else {
            continue;
        };
        let Ok(row) = u32::try_from(first + k) else {
            continue;
        };
        for (r, d) in out.iter_mut().enumerate() {
            let Ok(res) = Resolution::try_from(r as u8) else {
                continue;
            };
            let inside = ll.to_cell(res);
            if nine.parent(res) != Some(inside) {
                d.rows.push(row);
                d.into.push((u64::from(inside), row));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h3::cell_at;
    use crate::model::Step;

    /// Deterministic rows over about half a degree, three years and every class.
    fn rows(n: usize) -> Vec<IncidentRow> {
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
                IncidentRow {
                    lon,
                    lat,
                    at,
                    category: c,
                    status: s,
                }
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
            let keep = |row: &IncidentRow| {
                from.is_none_or(|t| row.at >= t)
                    && to.is_none_or(|t| row.at < t)
                    && (cats.is_empty() || cats.contains(&row.category))
                    && (stats.is_empty() || stats.contains(&row.status))
            };
            for r in 0..=9u8 {
                let res = Resolution::try_from(r).unwrap();
                let mut want: std::collections::HashMap<CellIndex, usize> = rows
                    .iter()
                    .map(|row| (cell_at(row.lon, row.lat, r).unwrap(), 0))
                    .collect();
                for row in rows.iter().filter(|row| keep(row)) {
                    *want
                        .entry(cell_at(row.lon, row.lat, r).unwrap())
                        .or_default() += 1;
                }
                let mut total = 0;
                for (&p, &n) in &want {
                    assert_eq!(table.count(p, &f) as usize, n, "{p} {res:?}");
                    total += n;
                }
                let all = rows.iter().filter(|row| keep(row)).count();
                assert_eq!(total, all);
                if (4..9).contains(&r) {
                    // The rows exercise the correction: some lie outside their parent
                    // (half a degree is inside one cell at the coarsest resolutions).
                    assert!(!table.displaced[usize::from(r)].rows.is_empty(), "{res:?}");
                }
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
