//! [`Core`]: owns the [`Dataset`] and every index built over it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, MapCoords};
use geo_types::Point;
use h3o::CellIndex;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::buckets::PolygonBuckets;
use super::location::{Chain, GridAnswer, GridRef, UnitRef, WorkerRef};
use super::placement::Placement;
use super::polygons::{EnvEntry, PolygonSet};
use super::sphere::{valid_lon_lat, Nearest, SphereIndex};
use crate::codes::{AdminCode, AdminLevel, CameraId, GridCode};
use crate::h3::{cell_at, IncidentCells, BASE_RESOLUTION};
use crate::model::{AdminUnit, Dataset, Grid, IncidentId, PatrolId, WorkerId};
use crate::Result;

/// An R-tree entry for a point feature.
pub(crate) type PointEntry = GeomWithData<[f64; 2], u32>;

/// The in-memory spatial core: the dataset and every index that answers queries on it.
#[derive(Debug)]
pub struct Core {
    pub(super) data: Dataset,
    pub(super) admin_by_code: HashMap<AdminCode, u32>,
    pub(super) admin_polys: PolygonSet,
    pub(super) admin_tree: RTree<EnvEntry>,
    /// Bucket grids over villages, townships and counties (in that order): the chain of a
    /// point outside every grid.
    pub(super) admin_buckets: [PolygonBuckets; 3],
    /// The admin chain of each admin unit, prepared once.
    pub(super) admin_chains: Vec<Chain>,
    pub(super) grid_polys: PolygonSet,
    /// Current revisions only (`valid_to` is `None`): the hot path of [`Core::locate`].
    pub(super) grid_buckets: PolygonBuckets,
    /// Every revision, for [`Core::locate_at`] and time-filtered queries.
    pub(super) grid_tree_all: RTree<EnvEntry>,
    pub(super) grid_answers: Vec<GridAnswer>,
    /// The empty chain, answered outside every admin unit.
    pub(super) no_chain: Chain,
    pub(super) grid_current: HashMap<GridCode, u32>,
    pub(super) grid_revisions: HashMap<GridCode, Vec<u32>>,
    pub(super) camera_sphere: SphereIndex,
    pub(super) camera_tree: RTree<PointEntry>,
    pub(super) camera_by_id: HashMap<CameraId, u32>,
    pub(super) camera_cells: Vec<Option<CellIndex>>,
    pub(super) worker_sphere: SphereIndex,
    pub(super) worker_tree: RTree<PointEntry>,
    pub(super) worker_by_id: HashMap<WorkerId, u32>,
    pub(super) incident_tree: RTree<PointEntry>,
    /// `(id, index)` sorted by id: 16 bytes per incident, less than a hash map.
    pub(super) incident_by_id: Vec<(IncidentId, u32)>,
    pub(super) incident_by_cell: IncidentCells,
    pub(super) patrol_tree: RTree<EnvEntry>,
    pub(super) patrol_by_id: HashMap<PatrolId, u32>,
    pub(super) center_tree: RTree<PointEntry>,
    pub(super) center_by_code: HashMap<AdminCode, u32>,
    /// Incident and camera -> grid revision, built on the first statistics query.
    pub(super) placement: OnceLock<Placement>,
    /// Admin outlines in Web Mercator metres, built on the first admin tile.
    pub(super) admin_mercator: OnceLock<Vec<geo_types::MultiPolygon<f64>>>,
    /// Patrol tracks in Web Mercator metres, built on the first patrol tile.
    pub(super) patrol_mercator: OnceLock<Vec<geo_types::LineString<f64>>>,
}

/// Point entries for the valid points among `points`.
fn point_tree(points: impl Iterator<Item = Point<f64>>) -> RTree<PointEntry> {
    let entries = points
        .enumerate()
        .filter(|(_, p)| valid_lon_lat(*p))
        .filter_map(|(i, p)| Some(GeomWithData::new([p.x(), p.y()], u32::try_from(i).ok()?)))
        .collect();
    RTree::bulk_load(entries)
}

/// Map from key to the first index holding it (later duplicates are ignored).
fn first_index<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> HashMap<K, u32> {
    let mut map = HashMap::new();
    for (i, k) in keys.enumerate() {
        if let Ok(i) = u32::try_from(i) {
            map.entry(k).or_insert(i);
        }
    }
    map
}

/// The H3 base-resolution cell of a point, if it has one.
pub(crate) fn base_cell(p: Point<f64>) -> Option<CellIndex> {
    cell_at(p.x(), p.y(), u8::from(BASE_RESOLUTION)).ok()
}

impl Core {
    /// Builds every index over `data`; incidents are reordered by report time (stable).
    #[must_use]
    #[allow(clippy::too_many_lines)] // one step per index, read top to bottom
    pub fn new(mut data: Dataset) -> Core {
        sort_incidents_by_time(&mut data);

        let admin_by_code = first_index(data.admin.iter().map(|a| a.code));
        let admin_polys = PolygonSet::new(data.admin.iter().map(|a| &a.geometry));
        let admin_tree = admin_polys.tree(data.admin.iter().map(|a| &a.geometry), |_| true);
        let admin_buckets = [
            AdminLevel::Village,
            AdminLevel::Township,
            AdminLevel::County,
        ]
        .map(|level| {
            PolygonBuckets::new(
                data.admin
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.level() == level)
                    .map(|(i, a)| (i, &a.geometry)),
                &admin_polys,
            )
        });
        let admin_chains = data
            .admin
            .iter()
            .map(|a| chain_of(&data, &admin_by_code, a.code))
            .collect();

        let grid_polys = PolygonSet::new(data.grids.iter().map(|g| &g.geometry));
        let grid_buckets = PolygonBuckets::new(
            data.grids
                .iter()
                .enumerate()
                .filter(|(_, g)| g.valid_to.is_none())
                .map(|(i, g)| (i, &g.geometry)),
            &grid_polys,
        );
        let grid_tree_all = grid_polys.tree(data.grids.iter().map(|g| &g.geometry), |_| true);
        let mut grid_current = HashMap::new();
        let mut grid_revisions: HashMap<GridCode, Vec<u32>> = HashMap::new();
        for (i, g) in data.grids.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { continue };
            grid_revisions.entry(g.code).or_default().push(i);
            if g.valid_to.is_none() {
                // With two current revisions of one code, the higher revision wins.
                let keep = grid_current
                    .get(&g.code)
                    .is_some_and(|&j: &u32| data.grids[j as usize].revision > g.revision);
                if !keep {
                    grid_current.insert(g.code, i);
                }
            }
        }
        for revs in grid_revisions.values_mut() {
            revs.sort_by_key(|&i| (data.grids[i as usize].revision, i));
        }

        let worker_by_id = first_index(data.workers.iter().map(|w| w.id.clone()));
        let grid_answers = grid_answers(&data, &admin_by_code, &worker_by_id);

        let camera_sphere = SphereIndex::new(data.cameras.iter().map(|c| c.location));
        let camera_tree = point_tree(data.cameras.iter().map(|c| c.location));
        let camera_by_id = first_index(data.cameras.iter().map(|c| c.id));
        let camera_cells = data.cameras.iter().map(|c| base_cell(c.location)).collect();

        let worker_sphere = SphereIndex::new(data.workers.iter().map(|w| w.location));
        let worker_tree = point_tree(data.workers.iter().map(|w| w.location));

        let incident_tree = point_tree(data.incidents.iter().map(|i| i.location));
        let mut incident_by_id: Vec<(IncidentId, u32)> = data
            .incidents
            .iter()
            .enumerate()
            .filter_map(|(i, inc)| Some((inc.id, u32::try_from(i).ok()?)))
            .collect();
        incident_by_id.sort_unstable();
        // Keep the first index of a duplicated id, as the other layers do.
        incident_by_id.dedup_by_key(|(id, _)| *id);
        incident_by_id.shrink_to_fit();
        let incident_by_cell = IncidentCells::build(data.incidents.iter().filter_map(|inc| {
            Some((
                base_cell(inc.location)?,
                inc.occurred_at(),
                inc.category,
                inc.status,
            ))
        }));

        let patrol_tree = RTree::bulk_load(
            data.patrols
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let r = p.track.bounding_rect()?;
                    let (lo, hi) = (r.min(), r.max());
                    let finite = [lo.x, lo.y, hi.x, hi.y].iter().all(|v| v.is_finite());
                    finite.then_some(GeomWithData::new(
                        Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]),
                        u32::try_from(i).ok()?,
                    ))
                })
                .collect(),
        );
        let patrol_by_id = first_index(data.patrols.iter().map(|p| p.id));
        let center_tree = point_tree(data.centers.iter().map(|c| c.location));
        let center_by_code = first_index(data.centers.iter().map(|c| c.code));

        Core {
            data,
            admin_by_code,
            admin_polys,
            admin_tree,
            admin_buckets,
            admin_chains,
            grid_polys,
            grid_buckets,
            grid_tree_all,
            grid_answers,
            no_chain: Chain::default(),
            grid_current,
            grid_revisions,
            camera_sphere,
            camera_tree,
            camera_by_id,
            camera_cells,
            worker_sphere,
            worker_tree,
            worker_by_id,
            incident_tree,
            incident_by_id,
            incident_by_cell,
            patrol_tree,
            patrol_by_id,
            center_tree,
            center_by_code,
            placement: OnceLock::new(),
            admin_mercator: OnceLock::new(),
            patrol_mercator: OnceLock::new(),
        }
    }

    /// The dataset the core answers from (incidents in report-time order).
    #[must_use]
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The `k` cameras nearest to a point, nearest first.
    pub fn nearest_cameras(&self, lon: f64, lat: f64, k: usize) -> Result<Vec<Nearest>> {
        crate::h3::check_lon_lat(lon, lat)?;
        Ok(self.camera_sphere.nearest(lon, lat, k))
    }

    /// The `k` workers nearest to a point (by last known position), nearest first.
    pub fn nearest_workers(&self, lon: f64, lat: f64, k: usize) -> Result<Vec<Nearest>> {
        crate::h3::check_lon_lat(lon, lat)?;
        Ok(self.worker_sphere.nearest(lon, lat, k))
    }

    /// The admin unit with this code.
    #[must_use]
    pub fn admin_by_code(&self, code: AdminCode) -> Option<&AdminUnit> {
        self.admin_index(code).map(|i| &self.data.admin[i])
    }

    /// Index into `data().admin` of the unit with this code.
    #[must_use]
    pub fn admin_index(&self, code: AdminCode) -> Option<usize> {
        self.admin_by_code.get(&code).map(|&i| i as usize)
    }

    /// The current revision of the grid with this code.
    #[must_use]
    pub fn grid_by_code(&self, code: GridCode) -> Option<&Grid> {
        self.grid_index(code).map(|i| &self.data.grids[i])
    }

    /// Index into `data().grids` of the current revision of this grid.
    #[must_use]
    pub fn grid_index(&self, code: GridCode) -> Option<usize> {
        self.grid_current.get(&code).map(|&i| i as usize)
    }

    /// Indices into `data().grids` of every revision of this grid, oldest revision first.
    #[must_use]
    pub fn grid_revisions(&self, code: GridCode) -> Vec<usize> {
        self.grid_revisions
            .get(&code)
            .map(|v| v.iter().map(|&i| i as usize).collect())
            .unwrap_or_default()
    }

    /// Index into `data().cameras` of the camera with this id.
    #[must_use]
    pub fn camera_index(&self, id: &CameraId) -> Option<usize> {
        self.camera_by_id.get(id).map(|&i| i as usize)
    }

    /// Index into `data().workers` of the worker with this id.
    #[must_use]
    pub fn worker_index(&self, id: &WorkerId) -> Option<usize> {
        self.worker_by_id.get(id).map(|&i| i as usize)
    }

    /// Index into `data().incidents` of the incident with this id.
    #[must_use]
    pub fn incident_index(&self, id: IncidentId) -> Option<usize> {
        self.incident_by_id
            .binary_search_by_key(&id, |(k, _)| *k)
            .ok()
            .map(|j| self.incident_by_id[j].1 as usize)
    }

    /// Index into `data().patrols` of the track with this id.
    #[must_use]
    pub fn patrol_index(&self, id: PatrolId) -> Option<usize> {
        self.patrol_by_id.get(&id).map(|&i| i as usize)
    }

    /// Index into `data().centers` of the center serving this unit.
    #[must_use]
    pub fn center_index(&self, code: AdminCode) -> Option<usize> {
        self.center_by_code.get(&code).map(|&i| i as usize)
    }

    /// The resolution-9 H3 cell of incident `i` (`None` for an invalid location).
    #[must_use]
    pub fn incident_cell(&self, i: usize) -> Option<CellIndex> {
        base_cell(self.data.incidents.get(i)?.location)
    }

    /// The resolution-9 H3 cell of camera `i` (`None` for an invalid location).
    #[must_use]
    pub fn camera_cell(&self, i: usize) -> Option<CellIndex> {
        self.camera_cells.get(i).copied().flatten()
    }

    /// Incidents ordered by resolution-9 cell: filtered counts for any cell at resolution <= 9.
    #[must_use]
    pub fn incident_cells(&self) -> &IncidentCells {
        &self.incident_by_cell
    }

    /// Admin outlines projected to Web Mercator (EPSG:3857) metres, in `data().admin`
    /// order: county outlines carry thousands of vertices, and projecting them once
    /// instead of per tile takes most of the cost out of an admin tile.
    #[must_use]
    pub fn admin_mercator(&self) -> &[geo_types::MultiPolygon<f64>] {
        self.admin_mercator.get_or_init(|| {
            self.data
                .admin
                .iter()
                .map(|a| a.geometry.map_coords(to_mercator))
                .collect()
        })
    }

    /// Patrol tracks projected to Web Mercator metres, in `data().patrols` order (16 bytes
    /// a vertex: 16 MB for the demo prefecture's million track points).
    #[must_use]
    pub fn patrol_mercator(&self) -> &[geo_types::LineString<f64>] {
        self.patrol_mercator.get_or_init(|| {
            self.data
                .patrols
                .iter()
                .map(|p| p.track.map_coords(to_mercator))
                .collect()
        })
    }

    /// Approximate heap bytes held by the indexes (not the dataset), for RAM budgets.
    #[must_use]
    pub fn index_heap_bytes(&self) -> usize {
        use std::mem::size_of;
        // R-tree nodes add about a fifth on top of their leaves.
        let tree = |n: usize, leaf: usize| n * leaf * 6 / 5;
        self.grid_polys.heap_bytes()
            + self.admin_polys.heap_bytes()
            + tree(self.incident_tree.size(), size_of::<PointEntry>())
            + tree(self.camera_tree.size(), size_of::<PointEntry>())
            + tree(self.grid_tree_all.size(), size_of::<EnvEntry>())
            + self.grid_buckets.heap_bytes()
            + self
                .admin_buckets
                .iter()
                .map(PolygonBuckets::heap_bytes)
                .sum::<usize>()
            + self.incident_by_id.capacity() * size_of::<(IncidentId, u32)>()
            + self.incident_by_cell.heap_bytes()
            + self.placement.get().map_or(0, Placement::heap_bytes)
    }
}

/// A lon/lat coordinate in Web Mercator metres.
fn to_mercator(c: geo_types::Coord<f64>) -> geo_types::Coord<f64> {
    let (x, y) = crate::tile::lonlat_to_mercator(c.x, c.y);
    geo_types::coord! { x: x, y: y }
}

/// Stable sort of incidents (and their details, when parallel) by report time.
fn sort_incidents_by_time(data: &mut Dataset) {
    let sorted = data
        .incidents
        .windows(2)
        .all(|w| w[0].occurred_at() <= w[1].occurred_at());
    if sorted {
        return;
    }
    if data.incident_details.len() == data.incidents.len() {
        let mut pairs: Vec<_> = std::mem::take(&mut data.incidents)
            .into_iter()
            .zip(std::mem::take(&mut data.incident_details))
            .collect();
        pairs.sort_by_key(|(i, _)| i.occurred_at());
        (data.incidents, data.incident_details) = pairs.into_iter().unzip();
    } else {
        data.incidents
            .sort_by_key(crate::model::Incident::occurred_at);
    }
}

/// The name of an admin unit, shared.
fn unit_ref(data: &Dataset, by_code: &HashMap<AdminCode, u32>, code: AdminCode) -> Option<UnitRef> {
    by_code.get(&code).map(|&i| UnitRef {
        code,
        name: Arc::from(data.admin[i as usize].name.as_str()),
    })
}

/// The admin chain of a village code: village, its township, its county.
pub(super) fn chain_of_village(
    data: &Dataset,
    by_code: &HashMap<AdminCode, u32>,
    village: crate::codes::VillageCode,
) -> Chain {
    let township = village.township();
    Chain {
        county: unit_ref(data, by_code, AdminCode::Division(township.county())),
        township: unit_ref(data, by_code, AdminCode::Township(township)),
        village: unit_ref(data, by_code, AdminCode::Village(village)),
    }
}

/// The admin chain of any admin code, filling parents by code.
pub(super) fn chain_of(
    data: &Dataset,
    by_code: &HashMap<AdminCode, u32>,
    code: AdminCode,
) -> Chain {
    match code {
        AdminCode::Village(v) => chain_of_village(data, by_code, v),
        AdminCode::Township(t) => Chain {
            county: unit_ref(data, by_code, AdminCode::Division(t.county())),
            township: unit_ref(data, by_code, code),
            village: None,
        },
        AdminCode::Division(_) => Chain {
            county: unit_ref(data, by_code, code),
            township: None,
            village: None,
        },
    }
}

/// One prepared answer per grid revision; names are shared, not copied per lookup.
fn grid_answers(
    data: &Dataset,
    admin_by_code: &HashMap<AdminCode, u32>,
    worker_by_id: &HashMap<WorkerId, u32>,
) -> Vec<GridAnswer> {
    let mut village_chains: HashMap<crate::codes::VillageCode, Chain> = HashMap::new();
    data.grids
        .iter()
        .enumerate()
        .map(|(i, g)| {
            // The grid's code is authoritative for its village (the model keeps them equal).
            let village = g.code.village();
            let chain = village_chains
                .entry(village)
                .or_insert_with(|| chain_of_village(data, admin_by_code, village))
                .clone();
            let workers = g
                .workers
                .iter()
                .map(|id| {
                    let index = worker_by_id.get(id).map(|&w| w as usize);
                    WorkerRef {
                        id: id.clone(),
                        name: index.map_or_else(
                            || Arc::from(""),
                            |w| Arc::from(data.workers[w].name.as_str()),
                        ),
                        index,
                    }
                })
                .collect();
            GridAnswer {
                chain,
                grid: GridRef {
                    code: g.code,
                    name: Arc::from(g.name.as_str()),
                    revision: g.revision,
                    index: i,
                },
                workers,
            }
        })
        .collect()
}
