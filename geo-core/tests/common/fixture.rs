//! A seeded synthetic dataset: admin units and grids that exactly partition a lattice of
//! jagged cells (shared edges have identical vertices), with a gap, islands in holes, a
//! two-part grid, a past revision, cameras (with exact duplicates), workers, incidents,
//! patrols and centers.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::manual_midpoint,
    clippy::needless_pass_by_value,
    clippy::cast_lossless,
    clippy::redundant_closure_for_method_calls,
    clippy::must_use_candidate,
    clippy::missing_panics_doc,
    clippy::many_single_char_names
)]

use geo_core::codes::{AdminCode, CameraId, DivisionCode, GridCode, VillageCode};
use geo_core::model::{
    AdminUnit, Camera, CameraStatus, Category, Center, Dataset, Direction, Grid, GridKind,
    Incident, IncidentId, Lifecycle, Patrol, PatrolId, PositionType, PtzType, Source, Step,
    Supervision, Worker, WorkerId,
};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Start of the first grid revisions.
pub const T0: i64 = 1_672_531_200; // 2023-01-01
/// When the redrawn grids took effect.
pub const T1: i64 = 1_704_067_200; // 2024-01-01

/// Sizes of the synthetic dataset.
#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    /// Lattice columns and rows (one grid per cell, less gaps and merges).
    pub nx: usize,
    pub ny: usize,
    /// County blocks (columns, rows), township blocks per county, village blocks per township.
    pub counties: (usize, usize),
    pub townships: (usize, usize),
    pub villages: (usize, usize),
    /// Intermediate vertices per cell edge: uniform in this range (0 = straight edge).
    pub edge_vertices: (usize, usize),
    pub cameras: usize,
    pub incidents: usize,
    pub patrols: usize,
}

impl Params {
    /// A county-sized test fixture: 24 x 16 cells, a few hundred grids.
    pub fn small() -> Self {
        Self {
            seed: 20_260_101,
            nx: 24,
            ny: 16,
            counties: (2, 1),
            townships: (2, 2),
            villages: (3, 2),
            edge_vertices: (0, 6),
            cameras: 3_000,
            incidents: 20_000,
            patrols: 200,
        }
    }

    /// Prefecture scale (SPEC section 12): 78 x 69 = 5,382 grids of 30-200 vertices,
    /// 8 counties, 128 townships, ~2,000 villages, 59,000 cameras.
    pub fn prefecture() -> Self {
        Self {
            seed: 4331,
            nx: 78,
            ny: 69,
            counties: (4, 2),
            townships: (4, 4),
            villages: (4, 4),
            edge_vertices: (6, 48),
            cameras: 59_000,
            incidents: 0,
            patrols: 0,
        }
    }
}

/// Lattice cell size in degrees (a power of two, so lattice nodes are exact).
pub const CELL: f64 = 1.0 / 64.0;
/// South-west corner of the lattice.
pub const ORIGIN: (f64, f64) = (109.5, 28.0);

fn node(i: usize, j: usize) -> Coord<f64> {
    Coord {
        x: ORIGIN.0 + i as f64 * CELL,
        y: ORIGIN.1 + j as f64 * CELL,
    }
}

/// The jagged lattice: one polyline per cell edge, shared by both cells.
struct Lattice {
    nx: usize,
    /// `h[j * nx + i]`: from node (i, j) to (i + 1, j).
    h: Vec<Vec<Coord<f64>>>,
    /// `v[i * ny + j]`: from node (i, j) to (i, j + 1).
    v: Vec<Vec<Coord<f64>>>,
    ny: usize,
}

fn jagged(a: Coord<f64>, b: Coord<f64>, m: usize, rng: &mut ChaCha8Rng) -> Vec<Coord<f64>> {
    // Offsets stay inside cones of slope 0.4 at both ends and under 0.2 of the edge,
    // so no two edges of the lattice ever cross.
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    let (nxp, nyp) = (-dy / len, dx / len);
    let mut pts = vec![a];
    for k in 1..=m {
        let t = k as f64 / (m + 1) as f64;
        let cap = (0.4 * t).min(0.4 * (1.0 - t)).min(0.2) * len;
        let off = rng.random_range(-1.0..=1.0) * cap;
        pts.push(Coord {
            x: a.x + t * dx + off * nxp,
            y: a.y + t * dy + off * nyp,
        });
    }
    pts.push(b);
    pts
}

impl Lattice {
    fn new(p: &Params, rng: &mut ChaCha8Rng) -> Self {
        let (lo, hi) = p.edge_vertices;
        let count = |rng: &mut ChaCha8Rng| {
            // One edge in four is straight, so that edge midpoints are exact boundary points.
            if lo == 0 && rng.random_range(0..4) == 0 {
                0
            } else {
                rng.random_range(lo.max(1).min(hi)..=hi)
            }
        };
        let mut h = Vec::new();
        for j in 0..=p.ny {
            for i in 0..p.nx {
                let m = count(rng);
                h.push(jagged(node(i, j), node(i + 1, j), m, rng));
            }
        }
        let mut v = Vec::new();
        for i in 0..=p.nx {
            for j in 0..p.ny {
                let m = count(rng);
                v.push(jagged(node(i, j), node(i, j + 1), m, rng));
            }
        }
        Self {
            nx: p.nx,
            h,
            v,
            ny: p.ny,
        }
    }

    fn h(&self, i: usize, j: usize) -> &[Coord<f64>] {
        &self.h[j * self.nx + i]
    }

    fn v(&self, i: usize, j: usize) -> &[Coord<f64>] {
        &self.v[i * self.ny + j]
    }

    /// The counter-clockwise boundary of the block of cells [i0, i1) x [j0, j1).
    fn block(&self, i0: usize, i1: usize, j0: usize, j1: usize) -> LineString<f64> {
        let mut ring: Vec<Coord<f64>> = Vec::new();
        let mut add = |pts: &mut dyn Iterator<Item = Coord<f64>>| {
            for c in pts {
                if ring.last() != Some(&c) {
                    ring.push(c);
                }
            }
        };
        for i in i0..i1 {
            add(&mut self.h(i, j0).iter().copied());
        }
        for j in j0..j1 {
            add(&mut self.v(i1, j).iter().copied());
        }
        for i in (i0..i1).rev() {
            add(&mut self.h(i, j1).iter().rev().copied());
        }
        for j in (j0..j1).rev() {
            add(&mut self.v(i0, j).iter().rev().copied());
        }
        LineString(ring) // closed: the last point is the first
    }
}

/// Splits 0..n into k nearly equal ranges.
fn split(n: usize, k: usize) -> Vec<(usize, usize)> {
    (0..k).map(|b| (b * n / k, (b + 1) * n / k)).collect()
}

/// A square ring around a cell's centre (an island), counter-clockwise.
fn island(i: usize, j: usize) -> LineString<f64> {
    let c = node(i, j);
    let (a, b) = (0.375 * CELL, 0.625 * CELL);
    LineString(vec![
        Coord {
            x: c.x + a,
            y: c.y + a,
        },
        Coord {
            x: c.x + b,
            y: c.y + a,
        },
        Coord {
            x: c.x + b,
            y: c.y + b,
        },
        Coord {
            x: c.x + a,
            y: c.y + b,
        },
        Coord {
            x: c.x + a,
            y: c.y + a,
        },
    ])
}

fn reversed(ring: &LineString<f64>) -> LineString<f64> {
    LineString(ring.0.iter().rev().copied().collect())
}

fn mp(polys: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    MultiPolygon(polys)
}

fn code<T: std::str::FromStr>(s: String) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// Builds the dataset.
pub fn dataset(p: &Params) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let lat = Lattice::new(p, &mut rng);
    let mut ds = Dataset::default();
    let cell_ring = |i: usize, j: usize| lat.block(i, i + 1, j, j + 1);
    let mut village_blocks = Vec::new();

    for (ci, &(cx0, cx1)) in split(p.nx, p.counties.0).iter().enumerate() {
        for (cj, &(cy0, cy1)) in split(p.ny, p.counties.1).iter().enumerate() {
            let county: DivisionCode = code(format!("4331{:02}", 1 + ci * p.counties.1 + cj));
            let county_code = AdminCode::Division(county);
            ds.admin.push(AdminUnit {
                code: county_code,
                name: format!("县{county}"),
                parent: None,
                geometry: mp(vec![Polygon::new(lat.block(cx0, cx1, cy0, cy1), vec![])]),
            });
            let mut tseq = 0;
            for &(tx0, tx1) in &split(cx1 - cx0, p.townships.0) {
                for &(ty0, ty1) in &split(cy1 - cy0, p.townships.1) {
                    tseq += 1;
                    let township =
                        code::<geo_core::codes::TownshipCode>(format!("{county}{tseq:03}"));
                    let (tx0, tx1, ty0, ty1) = (cx0 + tx0, cx0 + tx1, cy0 + ty0, cy0 + ty1);
                    ds.admin.push(AdminUnit {
                        code: AdminCode::Township(township),
                        name: format!("镇{township}"),
                        parent: Some(county_code),
                        geometry: mp(vec![Polygon::new(lat.block(tx0, tx1, ty0, ty1), vec![])]),
                    });
                    let mut vseq = 0;
                    for &(vx0, vx1) in &split(tx1 - tx0, p.villages.0) {
                        for &(vy0, vy1) in &split(ty1 - ty0, p.villages.1) {
                            vseq += 1;
                            let village = township.village(vseq).unwrap();
                            let (vx0, vx1, vy0, vy1) = (tx0 + vx0, tx0 + vx1, ty0 + vy0, ty0 + vy1);
                            ds.admin.push(AdminUnit {
                                code: AdminCode::Village(village),
                                name: format!("村{village}"),
                                parent: Some(AdminCode::Township(township)),
                                geometry: mp(vec![Polygon::new(
                                    lat.block(vx0, vx1, vy0, vy1),
                                    vec![],
                                )]),
                            });
                            village_blocks.push((village, vx0, vx1, vy0, vy1));
                        }
                    }
                }
            }
        }
    }

    let grid =
        |village: VillageCode, seq: u16, geometry: MultiPolygon<f64>, rng: &mut ChaCha8Rng| {
            let code: GridCode = village.grid(seq).unwrap();
            Grid {
                code,
                name: format!("网格{code}"),
                village,
                kind: if seq % 7 == 0 {
                    GridKind::School
                } else {
                    GridKind::Basic
                },
                workers: vec![WorkerId(format!("W{code}"))],
                households: rng.random_range(100..600),
                population: rng.random_range(300..2000),
                valid_from: T0,
                valid_to: None,
                revision: 1,
                geometry,
            }
        };

    for (vi, &(village, vx0, vx1, vy0, vy1)) in village_blocks.iter().enumerate() {
        let mut seq: u16 = 0;
        let mut next = || {
            seq += 1;
            seq
        };
        let cells: Vec<(usize, usize)> = (vy0..vy1)
            .flat_map(|j| (vx0..vx1).map(move |i| (i, j)))
            .collect();
        let mut skip = vec![false; cells.len()];
        // Village 0: cells 0 and 2 of its first row form one two-part grid.
        if vi == 0 && vx1 - vx0 >= 3 {
            let g = grid(
                village,
                next(),
                mp(vec![
                    Polygon::new(cell_ring(cells[0].0, cells[0].1), vec![]),
                    Polygon::new(cell_ring(cells[2].0, cells[2].1), vec![]),
                ]),
                &mut rng,
            );
            ds.grids.push(g);
            skip[0] = true;
            skip[2] = true;
        }
        // Every 5th village leaves its last cell without a grid: a gap inside the village.
        if vi % 5 == 3 && cells.len() > 1 {
            *skip.last_mut().unwrap() = true;
        }
        // Every 4th village redrew its first free pair of cells at T1: one grid became two.
        let redraw = (vi % 4 == 1 && cells.len() >= 2 && vx1 - vx0 >= 2)
            .then(|| {
                (0..cells.len() - 1)
                    .find(|&k| !skip[k] && !skip[k + 1] && cells[k].1 == cells[k + 1].1)
            })
            .flatten();
        if let Some(k) = redraw {
            let (a, b) = (cells[k], cells[k + 1]);
            let s = next();
            let mut old = grid(
                village,
                s,
                mp(vec![
                    Polygon::new(cell_ring(a.0, a.1), vec![]),
                    Polygon::new(cell_ring(b.0, b.1), vec![]),
                ]),
                &mut rng,
            );
            old.valid_to = Some(T1);
            let mut new_a = grid(
                village,
                s,
                mp(vec![Polygon::new(cell_ring(a.0, a.1), vec![])]),
                &mut rng,
            );
            new_a.valid_from = T1;
            new_a.revision = 2;
            let mut new_b = grid(
                village,
                next(),
                mp(vec![Polygon::new(cell_ring(b.0, b.1), vec![])]),
                &mut rng,
            );
            new_b.valid_from = T1;
            ds.grids.extend([old, new_a, new_b]);
            skip[k] = true;
            skip[k + 1] = true;
        }
        for (k, &(i, j)) in cells.iter().enumerate() {
            if skip[k] {
                continue;
            }
            let ring = cell_ring(i, j);
            // Every 6th cell holds an island grid in a hole.
            if (i + 2 * j) % 6 == 0 {
                let isl = island(i, j);
                let outer = grid(
                    village,
                    next(),
                    mp(vec![Polygon::new(ring, vec![reversed(&isl)])]),
                    &mut rng,
                );
                let inner = grid(
                    village,
                    next(),
                    mp(vec![Polygon::new(isl, vec![])]),
                    &mut rng,
                );
                ds.grids.extend([outer, inner]);
            } else {
                let g = grid(
                    village,
                    next(),
                    mp(vec![Polygon::new(ring, vec![])]),
                    &mut rng,
                );
                ds.grids.push(g);
            }
        }
    }
    // One grid names a worker who is not in the workers layer; one has two workers.
    if let Some(g) = ds.grids.get_mut(1) {
        g.workers.push(WorkerId("W000000000000000".into()));
    }

    let (w, h) = (p.nx as f64 * CELL, p.ny as f64 * CELL);
    let random_point = |rng: &mut ChaCha8Rng, margin: f64| {
        Point::new(
            ORIGIN.0 - margin * w + rng.random::<f64>() * w * (1.0 + 2.0 * margin),
            ORIGIN.1 - margin * h + rng.random::<f64>() * h * (1.0 + 2.0 * margin),
        )
    };

    for g in &ds.grids {
        if g.valid_to.is_some() {
            continue;
        }
        for id in &g.workers {
            if id.0.starts_with("W0")
                || ds
                    .workers
                    .iter()
                    .rev()
                    .take(2)
                    .any(|w: &Worker| &w.id == id)
            {
                continue;
            }
            ds.workers.push(Worker {
                id: id.clone(),
                name: format!("员{}", &id.0[10..]),
                phone: "13800000000".into(),
                grids: vec![g.code],
                location: random_point(&mut rng, 0.0),
                seen_at: T1 + rng.random_range(0..86_400),
            });
        }
    }

    for n in 0..p.cameras {
        // Every 50th camera shares the previous one's position: exact ties for k-NN.
        let location = match ds.cameras.last() {
            Some(prev) if n % 50 == 49 => prev.location,
            _ => random_point(&mut rng, 0.05),
        };
        let id: CameraId = code(format!(
            "4331010000132{}{:06}",
            n / 1_000_000 % 10,
            n % 1_000_000
        ));
        ds.cameras.push(Camera {
            id,
            name: format!("摄像机{n}"),
            ptz_type: PtzType::from_code(rng.random_range(1..=4)).unwrap(),
            position_type: PositionType::new(rng.random_range(1..=10)).unwrap(),
            direction: Direction::new(rng.random_range(1..=8)).unwrap(),
            azimuth_deg: None,
            fov_deg: Some(60.0),
            range_m: Some(80.0),
            status: if n % 9 == 0 {
                CameraStatus::Offline
            } else {
                CameraStatus::Online
            },
            location,
        });
    }

    for n in 0..p.incidents {
        let t = rng.random_range(T0 - 30 * 86_400..T1 + 365 * 86_400);
        ds.incidents.push(Incident {
            // Ids out of time order, so that Core::new has to reorder.
            id: IncidentId(1_000_000 + (n as u64 * 7_919) % 1_000_003),
            location: random_point(&mut rng, 0.02),
            category: Category::ALL[rng.random_range(0..Category::ALL.len())],
            subcategory: 0,
            source: Source::ALL[rng.random_range(0..Source::ALL.len())],
            people: rng.random_range(1..5),
            status: Step::ALL[rng.random_range(0..Step::ALL.len())],
            lifecycle: Lifecycle::reported(t),
            deadline: t + 7 * 86_400,
            supervision: Supervision::None,
        });
    }

    for n in 0..p.patrols {
        let mut pt = random_point(&mut rng, 0.0);
        let len = if n % 37 == 0 {
            0
        } else {
            rng.random_range(1..30)
        };
        let start = rng.random_range(T0..T1 + 86_400 * 100);
        let mut track = Vec::new();
        let mut times = Vec::new();
        for k in 0..len {
            track.push(pt.0);
            times.push(start + k as i64 * 60);
            pt = Point::new(
                pt.x() + rng.random_range(-0.002..0.002),
                pt.y() + rng.random_range(-0.002..0.002),
            );
        }
        ds.patrols.push(Patrol {
            id: PatrolId(n as u64 + 1),
            worker: WorkerId(format!("P{n}")),
            track: LineString(track),
            times,
        });
    }

    for a in &ds.admin {
        if a.level() == geo_core::codes::AdminLevel::Village {
            continue;
        }
        ds.centers.push(Center {
            code: a.code,
            level: a.level(),
            name: format!("{}综治中心", a.name),
            location: random_point(&mut rng, 0.0),
        });
    }
    ds
}

/// Boundary points of `ds`'s current grids: every vertex and the midpoint of every edge
/// (exactly on the edge when it is axis-aligned).
pub fn boundary_points(ds: &Dataset, max: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for g in ds.grids.iter().filter(|g| g.valid_to.is_none()) {
        for poly in &g.geometry.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for w in ring.0.windows(2) {
                    out.push((w[0].x, w[0].y));
                    out.push(((w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0));
                }
            }
        }
    }
    // Spread the sample over the whole set.
    let step = (out.len() / max.max(1)).max(1);
    out.into_iter().step_by(step).take(max).collect()
}
