//! [`Core`]: the in-memory core, made of one part per layer (see [`super::parts`]), each
//! shared behind an `Arc` so that a write replaces only the parts it touches.

use std::sync::{Arc, OnceLock};

use geo::BoundingRect;
use h3o::CellIndex;

use super::location::Chain;
use super::parts::admin::AdminPart;
use super::parts::grids::GridPart;
use super::parts::incidents::{IncidentPart, NO_GRID};
use super::parts::patrols::PatrolPart;
use super::parts::points::{CameraPart, CenterPart};
use super::parts::workers::WorkerPart;
use super::placement::Placement;
use super::sphere::Nearest;
use crate::codes::{AdminCode, CameraId, GridCode};
use crate::h3::CellFilter;
use crate::model::{
    AdminUnit, Camera, Center, Dataset, Grid, Incident, IncidentId, Patrol, PatrolId, UnixTime,
    Worker, WorkerId,
};
use crate::Result;

/// The chain answered outside every admin unit.
pub(super) static NO_CHAIN: Chain = Chain {
    county: None,
    township: None,
    village: None,
};

/// The in-memory spatial core: every layer and every index that answers queries on it.
///
/// Cloning a core is cheap (a few reference counts): a write clones the current core,
/// replaces the parts it changed ([`Core::apply`](super::Core::apply)) and publishes the
/// result, while readers keep the core they hold.
#[derive(Debug, Clone)]
pub struct Core {
    pub(super) admin: Arc<AdminPart>,
    pub(super) grids: Arc<GridPart>,
    pub(super) cameras: Arc<CameraPart>,
    pub(super) incidents: IncidentPart,
    pub(super) patrols: PatrolPart,
    pub(super) workers: WorkerPart,
    pub(super) centers: Arc<CenterPart>,
    /// Built incident and camera -> grid revision, built on the first statistics query
    /// (or kept up to date once built).
    pub(super) placement: Arc<OnceLock<Placement>>,
    /// The change sequence number this core shows (0: as loaded).
    pub(super) seq: u64,
    /// Bumped on every grid change: what a placement was computed against.
    pub(super) grids_version: u64,
    /// Bumped on every write applied: orders the incident delta's entries for a fold.
    pub(super) version: u64,
}

/// Runs `build`, logging how long the part `name` took (start-up profiling).
pub(super) fn timed<T>(name: &str, build: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = build();
    tracing::debug!(
        part = name,
        secs = started.elapsed().as_secs_f64(),
        "core part built"
    );
    out
}

/// A worker id resolved against a workers part: index and name.
pub(super) fn worker_lookup(
    workers: &WorkerPart,
) -> impl Fn(&WorkerId) -> Option<(usize, Arc<str>)> + '_ {
    |id| {
        let i = workers.index(id)?;
        Some((i, Arc::from(workers.get(i)?.name.as_str())))
    }
}

impl Core {
    /// Builds every part over `data`; incidents are reordered by report time (stable).
    #[must_use]
    pub fn new(data: Dataset) -> Core {
        let admin = timed("admin", || AdminPart::new(data.admin));
        let workers = timed("workers", || WorkerPart::new(data.workers));
        let grids = timed("grids", || {
            GridPart::new(data.grids, &admin, &worker_lookup(&workers))
        });
        Core {
            grids: Arc::new(grids),
            admin: Arc::new(admin),
            cameras: Arc::new(timed("cameras", || CameraPart::new(data.cameras))),
            incidents: timed("incidents", || IncidentPart::new(data.incidents)),
            patrols: timed("patrols", || PatrolPart::new(data.patrols)),
            workers,
            centers: Arc::new(timed("centers", || CenterPart::new(data.centers))),
            placement: Arc::default(),
            seq: 0,
            grids_version: 0,
            version: 0,
        }
    }

    /// The change sequence number of the last write this core shows.
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The same core, marked as showing change `seq` (after loading a store at `seq`).
    #[must_use]
    pub fn at_seq(mut self, seq: u64) -> Core {
        self.seq = seq;
        self
    }

    /// Admin units (counties, townships, villages), in load order.
    #[must_use]
    pub fn admin(&self) -> &[AdminUnit] {
        &self.admin.units
    }

    /// Every grid revision; an index names the same revision for the life of the data.
    #[must_use]
    pub fn grids(&self) -> &[Arc<Grid>] {
        &self.grids.grids
    }

    /// Cameras.
    #[must_use]
    pub fn cameras(&self) -> &[Camera] {
        &self.cameras.cameras
    }

    /// Governance centers.
    #[must_use]
    pub fn centers(&self) -> &[Center] {
        &self.centers.centers
    }

    /// Incidents: built ones in report-time order, then those added since.
    #[must_use]
    pub fn incidents(&self) -> Incidents<'_> {
        Incidents(&self.incidents)
    }

    /// Grid workers, at their last known positions.
    #[must_use]
    pub fn workers(&self) -> Workers<'_> {
        Workers(&self.workers)
    }

    /// Patrol tracks.
    #[must_use]
    pub fn patrols(&self) -> Patrols<'_> {
        Patrols(&self.patrols)
    }

    /// Every layer as plain values (incidents without details): what an import is checked
    /// against, and exports. Copies the data.
    #[must_use]
    pub fn to_dataset(&self) -> Dataset {
        Dataset {
            admin: self.admin().to_vec(),
            grids: self.grids().iter().map(|g| (**g).clone()).collect(),
            cameras: self.cameras().to_vec(),
            incidents: self.incidents().iter().map(|(_, i)| i.clone()).collect(),
            incident_details: Vec::new(),
            patrols: self.patrols.to_vec(),
            workers: self.workers.to_vec(),
            centers: self.centers().to_vec(),
        }
    }

    /// The admin units and grid revisions (copied): what an import is checked against.
    #[must_use]
    pub fn import_context(&self) -> Dataset {
        Dataset {
            admin: self.admin().to_vec(),
            grids: self.grids().iter().map(|g| (**g).clone()).collect(),
            ..Dataset::default()
        }
    }

    /// The `k` cameras nearest to a point, nearest first.
    pub fn nearest_cameras(&self, lon: f64, lat: f64, k: usize) -> Result<Vec<Nearest>> {
        crate::h3::check_lon_lat(lon, lat)?;
        Ok(self.cameras.sphere.nearest(lon, lat, k))
    }

    /// The `k` workers nearest to a point (by last known position), nearest first.
    pub fn nearest_workers(&self, lon: f64, lat: f64, k: usize) -> Result<Vec<Nearest>> {
        crate::h3::check_lon_lat(lon, lat)?;
        Ok(self.workers.nearest(lon, lat, k))
    }

    /// The admin unit with this code.
    #[must_use]
    pub fn admin_by_code(&self, code: AdminCode) -> Option<&AdminUnit> {
        self.admin_index(code).map(|i| &self.admin.units[i])
    }

    /// Index into `admin()` of the unit with this code.
    #[must_use]
    pub fn admin_index(&self, code: AdminCode) -> Option<usize> {
        self.admin.by_code.get(&code).map(|&i| i as usize)
    }

    /// The current revision of the grid with this code.
    #[must_use]
    pub fn grid_by_code(&self, code: GridCode) -> Option<&Grid> {
        self.grid_index(code).map(|i| &*self.grids.grids[i])
    }

    /// Index into `grids()` of the current revision of this grid.
    #[must_use]
    pub fn grid_index(&self, code: GridCode) -> Option<usize> {
        self.grids.current.get(&code).map(|&i| i as usize)
    }

    /// Indices into `grids()` of every revision of this grid, oldest revision first.
    #[must_use]
    pub fn grid_revisions(&self, code: GridCode) -> Vec<usize> {
        self.grids
            .revisions
            .get(&code)
            .map(|v| v.iter().map(|&i| i as usize).collect())
            .unwrap_or_default()
    }

    /// Index into `grids()` of revision (`code`, `revision`).
    #[must_use]
    pub fn grid_revision(&self, code: GridCode, revision: u32) -> Option<usize> {
        self.grids.find(code, revision)
    }

    /// Index into `cameras()` of the camera with this id.
    #[must_use]
    pub fn camera_index(&self, id: &CameraId) -> Option<usize> {
        self.cameras.by_id.get(id).map(|&i| i as usize)
    }

    /// Index into `workers()` of the worker with this id.
    #[must_use]
    pub fn worker_index(&self, id: &WorkerId) -> Option<usize> {
        self.workers.index(id)
    }

    /// Index into `incidents()` of the incident with this id.
    #[must_use]
    pub fn incident_index(&self, id: IncidentId) -> Option<usize> {
        self.incidents.index(id)
    }

    /// Index into `patrols()` of the track with this id.
    #[must_use]
    pub fn patrol_index(&self, id: PatrolId) -> Option<usize> {
        self.patrols.index(id)
    }

    /// Index into `centers()` of the center serving this unit.
    #[must_use]
    pub fn center_index(&self, code: AdminCode) -> Option<usize> {
        self.centers.by_code.get(&code).map(|&i| i as usize)
    }

    /// The resolution-9 H3 cell of incident `i` (`None` for an invalid location).
    #[must_use]
    pub fn incident_cell(&self, i: usize) -> Option<CellIndex> {
        super::parts::base_cell(self.incidents.get(i)?.location)
    }

    /// The resolution-9 H3 cell of camera `i` (`None` for an invalid location).
    #[must_use]
    pub fn camera_cell(&self, i: usize) -> Option<CellIndex> {
        self.cameras.cells.get(i).copied().flatten()
    }

    /// How many incidents in `cell` (resolution <= 9) `filter` keeps, fresh ones included:
    /// the heatmap's and the clusters' count.
    #[must_use]
    pub fn incident_count(&self, cell: CellIndex, filter: &CellFilter) -> u32 {
        self.incidents.count_cell(cell, filter)
    }

    /// Admin outlines projected to Web Mercator (EPSG:3857) metres, in `admin()` order:
    /// county outlines carry thousands of vertices, and projecting them once instead of per
    /// tile takes most of the cost out of an admin tile.
    #[must_use]
    pub fn admin_mercator(&self) -> &[geo_types::MultiPolygon<f64>] {
        self.admin.mercator()
    }

    /// Patrol track `i` projected to Web Mercator metres (built tracks projected once).
    #[must_use]
    pub fn patrol_mercator(
        &self,
        i: usize,
    ) -> Option<std::borrow::Cow<'_, geo_types::LineString<f64>>> {
        self.patrols.mercator(i)
    }

    /// Approximate heap bytes held by the indexes (not the layers' values), for RAM budgets.
    #[must_use]
    pub fn index_heap_bytes(&self) -> usize {
        use super::parts::PointEntry;
        use super::polygons::EnvEntry;
        use std::mem::size_of;
        // R-tree nodes add about a fifth on top of their leaves.
        let tree = |n: usize, leaf: usize| n * leaf * 6 / 5;
        let inc = &self.incidents.main;
        self.grids.polys.heap_bytes()
            + self.admin.polys.heap_bytes()
            + tree(inc.tree.size(), size_of::<PointEntry>())
            + tree(self.cameras.tree.size(), size_of::<PointEntry>())
            + tree(self.grids.tree_all.size(), size_of::<EnvEntry>())
            + self.grids.buckets.heap_bytes()
            + self
                .admin
                .buckets
                .iter()
                .map(super::buckets::PolygonBuckets::heap_bytes)
                .sum::<usize>()
            + inc.by_id.capacity() * size_of::<(IncidentId, u32)>()
            + inc.cells.heap_bytes()
            + self.placement.get().map_or(0, Placement::heap_bytes)
    }

    /// Where the name of grid revision `i` is drawn: a point inside its outline (its pole
    /// of inaccessibility, see [`super::label_point`]), computed once per revision.
    #[must_use]
    pub fn grid_label(&self, i: usize) -> Option<geo_types::Coord<f64>> {
        let g = self.grids.grids.get(i)?;
        self.grids.labels.get(i, &g.geometry)
    }

    /// Where the name of admin unit `i` is drawn: a point inside its outline, computed once
    /// per unit.
    #[must_use]
    pub fn admin_label(&self, i: usize) -> Option<geo_types::Coord<f64>> {
        let a = self.admin.units.get(i)?;
        self.admin.labels.get(i, &a.geometry)
    }

    /// The bounding box of grid revision `i`.
    #[must_use]
    pub fn grid_bbox(&self, i: usize) -> Option<geo_types::Rect<f64>> {
        self.grids.grids.get(i)?.geometry.bounding_rect()
    }

    /// The grid revision of incident `i`: the delta's for a live one, else the built placement.
    pub(super) fn placed_incident(&self, i: usize, built: &Placement) -> u32 {
        self.incidents
            .live_grid(i)
            .unwrap_or_else(|| built.incidents.get(i).unwrap_or(NO_GRID))
    }
}

/// The incidents of a [`Core`]: built ones and those written since, by index.
#[derive(Debug, Clone, Copy)]
pub struct Incidents<'a>(&'a IncidentPart);

impl<'a> Incidents<'a> {
    /// One past the highest index (deleted incidents keep their index until the next fold).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no incident.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.count() == 0
    }

    /// Number of incidents present.
    #[must_use]
    pub fn count(&self) -> usize {
        self.0.count()
    }

    /// The first and last report time.
    #[must_use]
    pub fn span(&self) -> Option<(UnixTime, UnixTime)> {
        self.0.span()
    }

    /// The highest incident id (new reports without an id get the next one).
    #[must_use]
    pub fn max_id(&self) -> Option<u64> {
        self.0.max_id()
    }

    /// Incident `i`, `None` if deleted or out of range.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&'a Incident> {
        self.0.get(i)
    }

    /// Every incident present as `(index, incident)`.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a Incident)> + 'a {
        self.0.window(None, None)
    }

    /// The incidents reported in `[from, to)` as `(index, incident)`.
    pub fn window(
        &self,
        from: Option<UnixTime>,
        to: Option<UnixTime>,
    ) -> impl Iterator<Item = (usize, &'a Incident)> + 'a {
        self.0.window(from, to)
    }
}

/// The workers of a [`Core`], at their last known positions.
#[derive(Debug, Clone, Copy)]
pub struct Workers<'a>(&'a WorkerPart);

impl<'a> Workers<'a> {
    /// Number of workers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no worker.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Worker `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&'a Worker> {
        self.0.get(i)
    }

    /// Every worker as `(index, worker)`.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a Worker)> + 'a {
        let part = self.0;
        (0..part.len()).filter_map(move |i| Some((i, part.get(i)?)))
    }
}

/// The patrol tracks of a [`Core`].
#[derive(Debug, Clone, Copy)]
pub struct Patrols<'a>(&'a PatrolPart);

impl<'a> Patrols<'a> {
    /// One past the highest index.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no track.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Track `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&'a Patrol> {
        self.0.get(i)
    }

    /// Every track as `(index, track)`.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a Patrol)> + 'a {
        let part = self.0;
        (0..part.len()).filter_map(move |i| Some((i, part.get(i)?)))
    }

    /// The highest track id.
    #[must_use]
    pub fn max_id(&self) -> Option<u64> {
        self.0.max_id()
    }

    /// The track of `worker` for local day `day` ([`crate::model::local_day`]).
    #[must_use]
    pub fn of_worker_day(&self, worker: &WorkerId, day: i64) -> Option<usize> {
        self.0.track_of_day(worker, day)
    }
}
