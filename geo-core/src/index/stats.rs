//! Figures for a grid or an admin unit (incident counts, closure and on-time rates,
//! cameras, workers, households) and the ranking of grids under a unit.
//!
//! Definitions (SPEC section 3), all as of an instant `as_of` (the end of the window, or
//! now if that is earlier):
//! - an incident is counted when it occurred in the window and passes the category and
//!   status filters; it belongs to the grid revision valid when it occurred, and to every
//!   admin unit whose code is a prefix of that grid's code (an incident in no grid counts
//!   for no area);
//! - **due** for closure: its deadline is before `as_of` and it was not cancelled;
//! - **closed**: due, and closed before `as_of`; **closed on time**: closed no later than
//!   its deadline;
//! - closure rate = closed / due, on-time rate = closed on time / due (`None` when
//!   nothing is due). Raw counts are kept; rates are derived.

use std::collections::HashSet;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::engine::Core;
use super::location::WorkerRef;
use crate::access::Scope;
use crate::codes::{AdminCode, AdminLevel, GridCode};
use crate::model::{Category, Incident, IncidentStatus, Step, UnixTime};
use crate::{Error, Result};

/// Which incidents a statistics query counts. Empty lists and `None` select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsFilter {
    /// Start of the report-time window, inclusive.
    pub from: Option<UnixTime>,
    /// End of the window, exclusive; also the instant rates are computed at (if past).
    pub to: Option<UnixTime>,
    /// Major classes to keep.
    pub categories: Vec<Category>,
    /// Current statuses to keep.
    pub statuses: Vec<IncidentStatus>,
}

impl StatsFilter {
    fn check(&self) -> Result<()> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f > t => Err(Error::Invalid(format!(
                "time window from {f} to {t} ends before it starts"
            ))),
            _ => Ok(()),
        }
    }

    /// The instant "due" and "closed" are judged at: the window's end, or `now` if earlier.
    #[must_use]
    pub fn as_of(&self, now: UnixTime) -> UnixTime {
        self.to.map_or(now, |t| t.min(now))
    }

    fn keeps(&self, inc: &Incident) -> bool {
        (self.categories.is_empty() || self.categories.contains(&inc.category))
            && (self.statuses.is_empty() || self.statuses.contains(&inc.status))
    }
}

/// Raw incident counts of a selection; the rates derive from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentCounts {
    /// Incidents counted.
    pub total: u64,
    /// Per major class, in [`Category::ALL`] order.
    pub by_category: [u64; Category::ALL.len()],
    /// Per current status, in [`Step::ALL`] order.
    pub by_status: [u64; Step::ALL.len()],
    /// Due for closure (deadline passed, not cancelled).
    pub due: u64,
    /// Due and closed.
    pub closed: u64,
    /// Due and closed no later than the deadline.
    pub closed_on_time: u64,
}

impl IncidentCounts {
    /// Counts one incident, judged at `as_of`.
    pub fn add(&mut self, inc: &Incident, as_of: UnixTime) {
        self.total += 1;
        self.by_category[inc.category as usize] += 1;
        self.by_status[inc.status.index()] += 1;
        if inc.status == Step::Cancelled || inc.deadline >= as_of {
            return;
        }
        self.due += 1;
        if let Some(closed) = inc.lifecycle.at(Step::Closed).filter(|&c| c < as_of) {
            self.closed += 1;
            if closed <= inc.deadline {
                self.closed_on_time += 1;
            }
        }
    }

    /// Adds another selection's counts.
    pub fn merge(&mut self, other: &IncidentCounts) {
        self.total += other.total;
        for (a, b) in self.by_category.iter_mut().zip(other.by_category) {
            *a += b;
        }
        for (a, b) in self.by_status.iter_mut().zip(other.by_status) {
            *a += b;
        }
        self.due += other.due;
        self.closed += other.closed;
        self.closed_on_time += other.closed_on_time;
    }

    /// Closed / due, `None` when nothing is due.
    #[must_use]
    pub fn closure_rate(&self) -> Option<f64> {
        (self.due > 0).then(|| self.closed as f64 / self.due as f64)
    }

    /// Closed on time / due, `None` when nothing is due.
    #[must_use]
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.due > 0).then(|| self.closed_on_time as f64 / self.due as f64)
    }
}

/// The JSON shape: counts, `by_category` and `by_status` as maps keyed by API name (every
/// key present), and the two rates.
impl Serialize for IncidentCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Keyed<'a, const N: usize>(&'a [u64; N], [&'static str; N]);
        impl<const N: usize> Serialize for Keyed<'_, N> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(N))?;
                for (k, v) in self.1.iter().zip(self.0) {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let mut st = s.serialize_struct("IncidentCounts", 8)?;
        st.serialize_field("total", &self.total)?;
        st.serialize_field(
            "by_category",
            &Keyed(&self.by_category, Category::ALL.map(Category::as_str)),
        )?;
        st.serialize_field(
            "by_status",
            &Keyed(&self.by_status, Step::ALL.map(Step::as_str)),
        )?;
        st.serialize_field("due", &self.due)?;
        st.serialize_field("closed", &self.closed)?;
        st.serialize_field("closed_on_time", &self.closed_on_time)?;
        st.serialize_field("closure_rate", &self.closure_rate())?;
        st.serialize_field("on_time_rate", &self.on_time_rate())?;
        st.end()
    }
}

/// What a statistics query covers: one grid (all its revisions) or an admin unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// One grid code.
    Grid(GridCode),
    /// Every grid whose code starts with the unit's code.
    Admin(AdminCode),
}

impl Area {
    /// Whether a grid with this code is in the area (by code prefix for admin units;
    /// provinces and prefectures by their 2 and 4 significant digits).
    #[must_use]
    pub fn contains(self, grid: GridCode) -> bool {
        let (value, digits, significant) = match self {
            Area::Grid(g) => return g == grid,
            Area::Admin(a) => {
                let (digits, significant) = match a.level() {
                    AdminLevel::Province => (6, 2),
                    AdminLevel::Prefecture => (6, 4),
                    AdminLevel::County => (6, 6),
                    AdminLevel::Township => (9, 9),
                    AdminLevel::Village => (12, 12),
                };
                (a.as_u64(), digits, significant)
            }
        };
        value / 10u64.pow(digits - significant)
            == grid.as_u64() / 10u64.pow(GridCode::DIGITS as u32 - significant)
    }
}

/// The figures of one grid or admin unit.
#[derive(Debug, Clone, Default)]
pub struct AreaStats {
    /// Incidents in the window.
    pub incidents: IncidentCounts,
    /// Cameras standing in the area's current grids.
    pub cameras_total: u64,
    /// Of those, online.
    pub cameras_online: u64,
    /// Current grids in the area (1 for a grid that is current, 0 for a retired one).
    pub grids: u64,
    /// Workers of those grids, each once, in grid-code order (a grid's lead first).
    pub workers: Vec<WorkerRef>,
    /// Registered households of those grids.
    pub households: u64,
    /// Registered population of those grids.
    pub population: u64,
}

/// One grid's line in a ranking.
#[derive(Debug, Clone)]
pub struct GridFigures {
    /// Index into `data().grids` of the grid's current revision.
    pub grid: usize,
    /// Its incidents in the window (every revision of the code).
    pub incidents: IncidentCounts,
}

/// What a ranking of grids orders by (best first: most incidents, highest rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankBy {
    /// Incident count.
    #[default]
    Incidents,
    /// Closure rate; grids with nothing due come last.
    ClosureRate,
    /// On-time rate; grids with nothing due come last.
    OnTimeRate,
}

impl RankBy {
    /// Every ordering.
    pub const ALL: [RankBy; 3] = [RankBy::Incidents, RankBy::ClosureRate, RankBy::OnTimeRate];

    /// The name in the API.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RankBy::Incidents => "incidents",
            RankBy::ClosureRate => "closure_rate",
            RankBy::OnTimeRate => "on_time_rate",
        }
    }

    /// Parses the name written by [`RankBy::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The value ranked on (`None` sorts last whatever the direction).
    fn key(self, c: &IncidentCounts) -> Option<f64> {
        match self {
            RankBy::Incidents => Some(c.total as f64),
            RankBy::ClosureRate => c.closure_rate(),
            RankBy::OnTimeRate => c.on_time_rate(),
        }
    }
}

impl Core {
    /// Per grid revision, whether it is in the area: the scans below then test a flag
    /// instead of a code (`NO_GRID` falls past the end: in no area).
    fn revisions_in(&self, area: Area) -> Vec<bool> {
        self.grids
            .grids
            .iter()
            .map(|g| area.contains(g.code))
            .collect()
    }

    /// Whether the area names something that exists for a caller of `scope`: a grid with
    /// any revision, or an admin unit in the admin layer, inside the scope (an area outside
    /// it, or one holding more than it, is not found: its figures would count other units).
    fn check_area(&self, area: Area, scope: &Scope) -> Result<()> {
        let known = match area {
            Area::Grid(g) => self.grids.revisions.contains_key(&g) && scope.contains_grid(g),
            Area::Admin(a) => self.admin.by_code.contains_key(&a) && scope.contains_admin(a),
        };
        if known {
            Ok(())
        } else {
            Err(Error::NotFound(match area {
                Area::Grid(g) => format!("grid {g}"),
                Area::Admin(a) => format!("admin unit {a}"),
            }))
        }
    }

    /// Index of the revision that describes a grid code now: the current one, else the
    /// latest.
    #[must_use]
    pub fn grid_latest(&self, code: GridCode) -> Option<usize> {
        self.grid_index(code).or_else(|| {
            self.grids
                .revisions
                .get(&code)
                .and_then(|v| v.last())
                .map(|&i| i as usize)
        })
    }

    /// The figures of a grid or an admin unit; the first call builds the incident -> grid
    /// placement (see [`Core::warm_placement`]). `NotFound` for an area outside `scope`.
    pub fn area_stats(
        &self,
        area: Area,
        f: &StatsFilter,
        now: UnixTime,
        scope: &Scope,
    ) -> Result<AreaStats> {
        self.check_area(area, scope)?;
        f.check()?;
        let placement = self.placement();
        let as_of = f.as_of(now);
        let mut out = AreaStats::default();

        let inside = self.revisions_in(area);
        for (i, inc) in self.incidents().window(f.from, f.to) {
            let g = self.placed_incident(i, placement);
            if inside.get(g as usize) == Some(&true) && f.keeps(inc) {
                out.incidents.add(inc, as_of);
            }
        }
        for (c, &g) in self.cameras().iter().zip(&placement.cameras) {
            if inside.get(g as usize) == Some(&true) {
                out.cameras_total += 1;
                if c.status == crate::model::CameraStatus::Online {
                    out.cameras_online += 1;
                }
            }
        }

        let mut grids: Vec<usize> = match area {
            Area::Grid(code) => self.grid_index(code).into_iter().collect(),
            Area::Admin(_) => self
                .grids
                .current
                .iter()
                .filter(|(code, _)| area.contains(**code))
                .map(|(_, &i)| i as usize)
                .collect(),
        };
        let revisions = self.grids();
        grids.sort_unstable_by_key(|&i| revisions[i].code);
        let mut seen = HashSet::new();
        for &i in &grids {
            let g = &revisions[i];
            out.grids += 1;
            out.households += u64::from(g.households);
            out.population += u64::from(g.population);
            for w in self.grids.answers.get(i).map_or(&[][..], |a| &a.workers) {
                if seen.insert(&w.id) {
                    out.workers.push(w.clone());
                }
            }
        }
        // A retired grid still names the workers of its last revision.
        if let (Area::Grid(code), true) = (area, grids.is_empty()) {
            if let Some(a) = self
                .grid_latest(code)
                .and_then(|i| self.grids.answers.get(i))
            {
                out.workers = a.workers.to_vec();
            }
        }
        Ok(out)
    }

    /// The current grids under an admin unit with their incident figures, ranked by `by`
    /// (descending, or ascending if `ascending`); grids with no value (nothing due) come
    /// last, ties by code. `NotFound` for a unit outside `scope`.
    pub fn grid_ranking(
        &self,
        parent: AdminCode,
        f: &StatsFilter,
        now: UnixTime,
        by: RankBy,
        ascending: bool,
        scope: &Scope,
    ) -> Result<Vec<GridFigures>> {
        let area = Area::Admin(parent);
        self.check_area(area, scope)?;
        f.check()?;
        let revisions = self.grids();
        let placement = self.placement();
        let as_of = f.as_of(now);
        // Counts per revision first (cheap, indexable), folded into codes below.
        let mut per_revision = vec![IncidentCounts::default(); revisions.len()];
        let inside = self.revisions_in(area);
        for (i, inc) in self.incidents().window(f.from, f.to) {
            let g = self.placed_incident(i, placement);
            if inside.get(g as usize) == Some(&true) && f.keeps(inc) {
                per_revision[g as usize].add(inc, as_of);
            }
        }
        let mut out: Vec<GridFigures> = self
            .grids
            .current
            .iter()
            .filter(|(code, _)| area.contains(**code))
            .map(|(code, &current)| {
                let mut incidents = IncidentCounts::default();
                for &r in self
                    .grids
                    .revisions
                    .get(code)
                    .map_or(&[][..], Vec::as_slice)
                {
                    incidents.merge(&per_revision[r as usize]);
                }
                GridFigures {
                    grid: current as usize,
                    incidents,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            let (ka, kb) = (by.key(&a.incidents), by.key(&b.incidents));
            let order = match (ka, kb) {
                (Some(x), Some(y)) if ascending => x.total_cmp(&y),
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            order.then_with(|| revisions[a.grid].code.cmp(&revisions[b.grid].code))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AdminUnit, Dataset, Grid, GridKind, Lifecycle, Source, Supervision};
    use geo_types::Point;

    fn incident(status: Step, deadline: UnixTime, closed: Option<UnixTime>) -> Incident {
        let mut lifecycle = Lifecycle::reported(0);
        if let Some(c) = closed {
            lifecycle.set(Step::Closed, c).unwrap();
        }
        Incident {
            id: crate::model::IncidentId(1),
            location: Point::new(0.0, 0.0),
            category: Category::Dispute,
            subcategory: 0,
            source: Source::Public,
            people: 1,
            status,
            lifecycle,
            deadline,
            supervision: Supervision::None,
        }
    }

    #[test]
    fn due_closed_on_time() {
        let mut c = IncidentCounts::default();
        let as_of = 1_000;
        c.add(&incident(Step::Closed, 500, Some(400)), as_of); // due, closed on time
        c.add(&incident(Step::Closed, 500, Some(600)), as_of); // due, closed late
        c.add(&incident(Step::Closed, 500, Some(1_200)), as_of); // due, closed after as_of
        c.add(&incident(Step::Handling, 500, None), as_of); // due, open
        c.add(&incident(Step::Cancelled, 500, None), as_of); // not due: cancelled
        c.add(&incident(Step::Closed, 2_000, Some(300)), as_of); // not due yet
        assert_eq!(c.total, 6);
        assert_eq!((c.due, c.closed, c.closed_on_time), (4, 2, 1));
        assert_eq!(c.closure_rate(), Some(0.5));
        assert_eq!(c.on_time_rate(), Some(0.25));
        assert_eq!(c.by_status[Step::Closed.index()], 4);
        assert_eq!(IncidentCounts::default().closure_rate(), None);
        let mut twice = c;
        twice.merge(&c);
        assert_eq!((twice.total, twice.due), (12, 8));
        assert_eq!(twice.closure_rate(), c.closure_rate());
    }

    #[test]
    fn area_prefixes() {
        let g: GridCode = "433101001002003".parse().unwrap();
        for (code, inside) in [
            ("430000", true),
            ("433100", true),
            ("433101", true),
            ("433102", false),
            ("433101001", true),
            ("433101002", false),
            ("433101001002", true),
            ("433101001003", false),
            ("440000", false),
        ] {
            let a: AdminCode = code.parse().unwrap();
            assert_eq!(Area::Admin(a).contains(g), inside, "{code}");
        }
        assert!(Area::Grid(g).contains(g));
        assert!(!Area::Grid("433101001002004".parse().unwrap()).contains(g));
    }

    fn square(x0: f64, x1: f64) -> geo_types::MultiPolygon<f64> {
        use geo_types::{polygon, MultiPolygon};
        MultiPolygon(vec![polygon![
            (x: 109.0 + x0, y: 28.0), (x: 109.0 + x1, y: 28.0),
            (x: 109.0 + x1, y: 28.1), (x: 109.0 + x0, y: 28.1), (x: 109.0 + x0, y: 28.0),
        ]])
    }

    fn grid(code: &str, revision: u32, x: (f64, f64), valid: (i64, Option<i64>)) -> Grid {
        let code: GridCode = code.parse().unwrap();
        Grid {
            code,
            name: format!("网格{}", code.sequence()),
            village: code.village(),
            kind: GridKind::Basic,
            workers: vec![],
            households: 10,
            population: 30,
            valid_from: valid.0,
            valid_to: valid.1,
            revision,
            geometry: square(x.0, x.1),
        }
    }

    /// Grid 001 covered the whole village until t = 1000; then it shrank to the west half
    /// and 002 took the east half. An incident in the east half belongs to 001 before the
    /// redraw and to 002 after it.
    #[test]
    #[allow(clippy::too_many_lines)] // one fixture, every figure, scoped and not
    fn incidents_follow_the_revision_in_force() {
        let village: AdminCode = "433101001001".parse().unwrap();
        let at = |id: u64, x: f64, t: i64| {
            let mut i = incident(Step::Reported, t + 10_000, None);
            i.id = crate::model::IncidentId(id);
            i.location = Point::new(109.0 + x, 28.05);
            i.lifecycle = Lifecycle::reported(t);
            i
        };
        let data = Dataset {
            admin: vec![AdminUnit {
                code: village,
                name: "村".into(),
                parent: None,
                geometry: square(0.0, 0.1),
            }],
            grids: vec![
                grid("433101001001001", 1, (0.0, 0.1), (0, Some(1_000))),
                grid("433101001001001", 2, (0.0, 0.05), (1_000, None)),
                grid("433101001001002", 1, (0.05, 0.1), (1_000, None)),
            ],
            incidents: vec![at(1, 0.075, 500), at(2, 0.075, 1_500), at(3, 0.025, 1_500)],
            ..Dataset::default()
        };
        let core = Core::new(data);
        assert_eq!(core.incident_grid(0), Some(0));
        assert_eq!(core.incident_grid(1), Some(2));
        assert_eq!(core.incident_grid(2), Some(1));
        let all = StatsFilter::default();
        let g1 = core
            .area_stats(
                Area::Grid("433101001001001".parse().unwrap()),
                &all,
                2_000,
                &Scope::ALL,
            )
            .unwrap();
        let g2 = core
            .area_stats(
                Area::Grid("433101001001002".parse().unwrap()),
                &all,
                2_000,
                &Scope::ALL,
            )
            .unwrap();
        assert_eq!((g1.incidents.total, g2.incidents.total), (2, 1));
        assert_eq!((g1.households, g1.grids), (10, 1));
        let v = core
            .area_stats(Area::Admin(village), &all, 2_000, &Scope::ALL)
            .unwrap();
        assert_eq!((v.incidents.total, v.grids, v.population), (3, 2, 60));
        // Window after the redraw: 001 keeps only the west incident.
        let later = StatsFilter {
            from: Some(1_000),
            ..StatsFilter::default()
        };
        let ranked = core
            .grid_ranking(
                village,
                &later,
                2_000,
                RankBy::Incidents,
                false,
                &Scope::ALL,
            )
            .unwrap();
        let totals: Vec<u64> = ranked.iter().map(|r| r.incidents.total).collect();
        assert_eq!(totals, [1, 1]);
        let ranked = core
            .grid_ranking(village, &all, 2_000, RankBy::Incidents, true, &Scope::ALL)
            .unwrap();
        let totals: Vec<u64> = ranked.iter().map(|r| r.incidents.total).collect();
        assert_eq!(totals, [1, 2]);
        assert!(matches!(
            core.area_stats(
                Area::Grid("433101001001009".parse().unwrap()),
                &all,
                0,
                &Scope::ALL
            ),
            Err(Error::NotFound(_))
        ));
        // Inside the village's scope the figures are there; under another village, or
        // another village's scope, they are not.
        let own = Scope::unit(village);
        assert_eq!(
            core.area_stats(Area::Admin(village), &all, 2_000, &own)
                .unwrap()
                .incidents
                .total,
            3
        );
        let other = Scope::unit(AdminCode::Village("433101001002".parse().unwrap()));
        for scope in [other, Scope::unit("433101002".parse().unwrap())] {
            assert!(matches!(
                core.area_stats(Area::Admin(village), &all, 2_000, &scope),
                Err(Error::NotFound(_))
            ));
            assert!(matches!(
                core.area_stats(
                    Area::Grid("433101001001001".parse().unwrap()),
                    &all,
                    2_000,
                    &scope
                ),
                Err(Error::NotFound(_))
            ));
            assert!(matches!(
                core.grid_ranking(village, &all, 2_000, RankBy::Incidents, false, &scope),
                Err(Error::NotFound(_))
            ));
        }
        // A unit holding the scope is refused too: its figures would count other units.
        let parent = AdminCode::Township("433101001".parse().unwrap());
        assert!(matches!(
            core.area_stats(Area::Admin(parent), &all, 2_000, &own),
            Err(Error::NotFound(_))
        ));
        let backwards = StatsFilter {
            from: Some(10),
            to: Some(5),
            ..StatsFilter::default()
        };
        assert!(matches!(
            core.area_stats(Area::Admin(village), &backwards, 0, &Scope::ALL),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn counts_serialise_with_every_key() {
        let mut c = IncidentCounts::default();
        c.add(&incident(Step::Closed, 500, Some(400)), 1_000);
        let v = serde_json::to_value(c).unwrap();
        assert_eq!(v["by_category"]["dispute"], 1);
        assert_eq!(v["by_category"]["petition"], 0);
        assert_eq!(v["by_status"]["sent_back"], 0);
        assert_eq!(v["closure_rate"], 1.0);
        assert_eq!(
            serde_json::to_value(IncidentCounts::default()).unwrap()["on_time_rate"],
            serde_json::Value::Null
        );
    }
}
