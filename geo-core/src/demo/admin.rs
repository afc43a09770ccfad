//! The admin hierarchy and the grids: real counties, then townships, villages and grids
//! grown inside them by [`partition`](super::partition), with their governance centers.

use std::collections::BTreeMap;

use geo::{unary_union, Contains, InteriorPoint};
use geo_types::{MultiPolygon, Point, Rect};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::geometry::{snap_multipolygon, Sampler};
use super::inputs::{CountyInput, Inputs, Named};
use super::noding::node;
use super::partition::{partition, Cell};
use super::wiggle::Wiggle;
use super::{DemoConfig, Scale, WINDOW_START};
use crate::codes::{AdminCode, AdminLevel, DivisionCode, TownshipCode, VillageCode};
use crate::model::{AdminUnit, Center, Grid, GridKind};
use crate::{Error, Result};

/// What later stages need to know about a grid beyond the model's [`Grid`].
#[derive(Debug, Clone)]
pub struct GridMeta {
    /// The grid's bounding box.
    pub bbox: Rect<f64>,
    /// Points inside the grid where things concentrate (markets, the village seat...).
    pub hotspots: Vec<Point<f64>>,
    /// In a sub-district or a community (城区).
    pub urban: bool,
    /// Holds the township seat.
    pub seat: bool,
    /// Index of the grid's township in `admin`.
    pub township: usize,
    /// Index of the grid's village in `admin`.
    pub village: usize,
}

/// Admin units, grids and centers, with the per-grid extras.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    /// Every admin unit, parents first.
    pub admin: Vec<AdminUnit>,
    /// Every grid, in code order.
    pub grids: Vec<Grid>,
    /// Parallel to `grids`.
    pub meta: Vec<GridMeta>,
    /// Governance centers, one per admin unit.
    pub centers: Vec<Center>,
    /// Polygons the noding pass had to leave alone (see `noding`).
    pub unnoded: usize,
}

/// The counties a config covers, in code order.
fn select<'a>(inputs: &'a Inputs, config: &DemoConfig) -> Vec<&'a CountyInput> {
    let prefix = match config.scale {
        Scale::Prefecture => 4331,
        Scale::Province => 43,
    };
    let digits = if prefix > 100 { 100 } else { 10_000 };
    inputs
        .counties
        .iter()
        .filter(|c| c.code.as_u64() / digits == prefix)
        .take(config.counties.unwrap_or(usize::MAX))
        .collect()
}

fn is_urban_township(name: &str) -> bool {
    name.ends_with("街道")
}

fn is_community(name: &str) -> bool {
    name.ends_with("社区")
}

/// Builds the hierarchy for `config`.
// One pass down county -> township -> village reads best in one place.
#[allow(clippy::too_many_lines)]
pub fn build(inputs: &Inputs, config: &DemoConfig) -> Result<Hierarchy> {
    let counties = select(inputs, config);
    if counties.is_empty() {
        return Err(Error::Invalid("the demo config selects no county".into()));
    }
    let mut townships: BTreeMap<DivisionCode, Vec<_>> = BTreeMap::new();
    for t in &inputs.townships {
        townships.entry(t.parent).or_default().push(t);
    }
    let mut villages: BTreeMap<TownshipCode, Vec<_>> = BTreeMap::new();
    for v in &inputs.villages {
        villages.entry(v.parent).or_default().push(v);
    }
    let mut grid_count = grids_per_village(&counties, &townships, &villages, config.grids);

    let mut h = Hierarchy::default();
    let mut county_units = Vec::new();
    let mut township_units = Vec::new();
    let mut village_units = Vec::new();
    top_units(inputs, config, &counties, &mut h)?;
    // Townships and villages are appended to their own lists, then spliced in parent order;
    // grids keep the index the village will have once spliced.
    let mut pending_grids: Vec<(Grid, GridMeta)> = Vec::new();
    for county in &counties {
        let mut rng = config.rng(1_000_000 + county.code.as_u64());
        let seat = county.seat.filter(|s| county.geometry.contains(s));
        let county_seat = seat.or_else(|| county.geometry.interior_point());
        county_units.push(AdminUnit {
            code: county.code.into(),
            name: county.name.clone(),
            parent: county.code.parent().map(AdminCode::from),
            geometry: county.geometry.clone(),
        });
        if let Some(loc) = county_seat {
            h.centers.push(center(
                county.code.into(),
                &format!("{}社会治安综合治理中心", county.name),
                loc,
            ));
        }
        let towns = townships.get(&county.code).cloned().unwrap_or_default();
        let tseeds = seeds(
            &county.geometry,
            towns.iter().map(|t| {
                (is_urban_township(&t.name))
                    .then_some(())
                    .and(seat)
                    .map(|s| (s, 0.02))
            }),
            &mut rng,
        )?;
        let tw = edges(config, &county.geometry, tseeds.len(), 1);
        let cells = partition(
            &county.geometry,
            tseeds,
            config.lloyd_steps.min(1),
            tw.as_ref(),
        )?;
        for (t, cell) in towns.iter().zip(cells) {
            let t_seat = inside_or_interior(&cell);
            township_units.push(AdminUnit {
                code: t.code.into(),
                name: t.name.clone(),
                parent: Some(county.code.into()),
                geometry: cell.shape.clone(),
            });
            let township_index = township_units.len() - 1;
            if let Some(loc) = t_seat {
                h.centers
                    .push(center(t.code.into(), &format!("{}综治中心", t.name), loc));
            }
            let vills = villages.get(&t.code).cloned().unwrap_or_default();
            let spread = rect_size(&cell.shape) / 8.0;
            let vseeds = seeds(
                &cell.shape,
                vills.iter().map(|v| {
                    is_community(&v.name)
                        .then_some(())
                        .and(t_seat)
                        .map(|s| (s, spread))
                }),
                &mut rng,
            )?;
            let vw = edges(config, &cell.shape, vseeds.len(), 2);
            let vcells = partition(&cell.shape, vseeds, config.lloyd_steps, vw.as_ref())?;
            for (v, vcell) in vills.iter().zip(vcells) {
                let v_seat = inside_or_interior(&vcell);
                village_units.push(AdminUnit {
                    code: v.code.into(),
                    name: v.name.clone(),
                    parent: Some(t.code.into()),
                    geometry: vcell.shape.clone(),
                });
                let village_index = village_units.len() - 1;
                if let Some(loc) = v_seat {
                    h.centers
                        .push(center(v.code.into(), &format!("{}综治中心", v.name), loc));
                }
                let n = grid_count.remove(&v.code).unwrap_or(1).clamp(1, 999);
                let ctx = VillageCtx {
                    code: v.code,
                    name: &v.name,
                    urban: is_community(&v.name) || is_urban_township(&t.name),
                    shape: &vcell.shape,
                    seats: [t_seat, v_seat],
                    township: township_index,
                    village: village_index,
                };
                village_grids(config, &ctx, n, &mut rng, &mut pending_grids)?;
            }
        }
    }
    let top = h.admin.len();
    let t0 = top + county_units.len();
    let v0 = t0 + township_units.len();
    h.admin.extend(county_units);
    h.admin.extend(township_units);
    h.admin.extend(village_units);
    for (g, mut m) in pending_grids {
        m.township += t0;
        m.village += v0;
        h.grids.push(g);
        h.meta.push(m);
    }
    // The province/prefecture unions are display outlines only: noding them could pinch
    // their rings where counties from different city files meet.
    let mut shapes: Vec<&mut MultiPolygon<f64>> =
        h.admin[top..].iter_mut().map(|u| &mut u.geometry).collect();
    shapes.extend(h.grids.iter_mut().map(|g| &mut g.geometry));
    h.unnoded = node(&mut shapes);
    Ok(h)
}

/// Grids per village over the selected counties: at least one each, the rest weighted
/// towards communities and the prefecture seat's urban district (`xxxx01`, e.g. 吉首市).
fn grids_per_village(
    counties: &[&CountyInput],
    townships: &BTreeMap<DivisionCode, Vec<&Named<TownshipCode, DivisionCode>>>,
    villages: &BTreeMap<TownshipCode, Vec<&Named<VillageCode, TownshipCode>>>,
    total: usize,
) -> BTreeMap<VillageCode, usize> {
    let chosen: Vec<_> = counties
        .iter()
        .flat_map(|c| townships.get(&c.code).into_iter().flatten())
        .flat_map(|t| villages.get(&t.code).into_iter().flatten())
        .collect();
    let weights: Vec<f64> = chosen
        .iter()
        .map(|v| {
            let urban = is_community(&v.name) || v.code.township().county().as_u64() % 100 == 1;
            if urban {
                3.0
            } else {
                1.0
            }
        })
        .collect();
    let counts = allocate(total.max(chosen.len()), &weights);
    chosen.iter().map(|v| v.code).zip(counts).collect()
}

/// What the grids of one village need to know about it.
struct VillageCtx<'a> {
    code: VillageCode,
    name: &'a str,
    urban: bool,
    shape: &'a MultiPolygon<f64>,
    /// The township's and the village's seats, if any.
    seats: [Option<Point<f64>>; 2],
    township: usize,
    village: usize,
}

/// Partitions one village into `n` grids and appends them with their extras.
fn village_grids(
    config: &DemoConfig,
    v: &VillageCtx<'_>,
    n: usize,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<(Grid, GridMeta)>,
) -> Result<()> {
    let gseeds = seeds(v.shape, (0..n).map(|_| None), rng)?;
    let gw = edges(config, v.shape, gseeds.len(), 3);
    let gcells = partition(v.shape, gseeds, config.lloyd_steps, gw.as_ref())?;
    for (i, g) in gcells.into_iter().enumerate() {
        let seq = u16::try_from(i + 1).unwrap_or(u16::MAX);
        let code = v
            .code
            .grid(seq)
            .ok_or_else(|| Error::Invalid(format!("village {} has too many grids", v.code)))?;
        let kind = grid_kind(rng, v.urban);
        let households: u32 = match (kind, v.urban) {
            (GridKind::Basic, true) => rng.random_range(300..=800),
            (GridKind::Basic, false) => rng.random_range(120..=450),
            _ => rng.random_range(5..=120),
        };
        let population = (f64::from(households) * rng.random_range(2.4..3.4)) as u32;
        let name = match kind {
            GridKind::Basic => format!("{}第{seq}网格", v.name),
            other => format!("{}第{seq}网格({}专属网格)", v.name, kind_zh(other)),
        };
        let Some(sampler) = Sampler::new(&g.shape) else {
            continue;
        };
        let mut hotspots = vec![g.seed];
        for _ in 0..rng.random_range(0..=2) {
            if let Some(p) = sampler.uniform(rng, 100) {
                hotspots.push(p);
            }
        }
        let seat = v.seats[0].is_some_and(|s| sampler.contains(s));
        hotspots.extend(
            v.seats
                .into_iter()
                .flatten()
                .filter(|p| sampler.contains(*p)),
        );
        let bbox = sampler.bbox();
        out.push((
            Grid {
                code,
                name,
                village: v.code,
                kind,
                workers: Vec::new(),
                households,
                population,
                valid_from: WINDOW_START - 273 * 86_400,
                valid_to: None,
                revision: 1,
                geometry: g.shape,
            },
            GridMeta {
                bbox,
                hotspots,
                urban: v.urban,
                seat,
                township: v.township,
                village: v.village,
            },
        ));
    }
    Ok(())
}

/// The province and prefecture units above the counties, with their centers.
fn top_units(
    inputs: &Inputs,
    config: &DemoConfig,
    counties: &[&CountyInput],
    h: &mut Hierarchy,
) -> Result<()> {
    let mut groups: BTreeMap<DivisionCode, Vec<&CountyInput>> = BTreeMap::new();
    for c in counties {
        if let Some(p) = c.code.parent() {
            groups.entry(p).or_default().push(c);
        }
    }
    let union_of = |cs: &[&CountyInput]| outline(cs);
    let seat_of = |cs: &[&CountyInput]| {
        cs.iter()
            .find_map(|c| c.seat.filter(|s| c.geometry.contains(s)))
            .or_else(|| cs.first().and_then(|c| c.geometry.interior_point()))
    };
    if config.scale == Scale::Province {
        let code: DivisionCode = "430000".parse()?;
        h.admin.push(AdminUnit {
            code: code.into(),
            name: "湖南省".into(),
            parent: None,
            geometry: union_of(counties),
        });
        // 长沙 (the capital) comes first in code order.
        if let Some(loc) = seat_of(counties) {
            h.centers
                .push(center(code.into(), "湖南省社会治安综合治理中心", loc));
        }
    }
    for (code, cs) in &groups {
        let name = inputs
            .prefectures
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_string(), |(_, n)| n.clone());
        h.admin.push(AdminUnit {
            code: (*code).into(),
            name: name.clone(),
            parent: code
                .parent()
                .filter(|_| config.scale == Scale::Province)
                .map(AdminCode::from),
            geometry: union_of(cs),
        });
        if let Some(loc) = seat_of(cs) {
            h.centers.push(center(
                (*code).into(),
                &format!("{name}社会治安综合治理中心"),
                loc,
            ));
        }
    }
    Ok(())
}

/// The union of counties as a display outline: sliver holes where separately digitised
/// city files leave gaps are filled, then snapped; if snapping pinches a ring, the
/// unsnapped (valid) union is kept.
fn outline(counties: &[&CountyInput]) -> MultiPolygon<f64> {
    use geo::{Area, Validation};
    let union = unary_union(counties.iter().flat_map(|c| c.geometry.0.iter()));
    let filled = MultiPolygon::new(
        union
            .0
            .into_iter()
            .map(|p| {
                let (ext, holes) = p.into_inner();
                let holes = holes
                    .into_iter()
                    .filter(|h| geo_types::Polygon::new(h.clone(), vec![]).unsigned_area() > 1e-4)
                    .collect();
                geo_types::Polygon::new(ext, holes)
            })
            .collect(),
    );
    let snapped = snap_multipolygon(&filled);
    if snapped.is_valid() || !filled.is_valid() {
        snapped
    } else {
        filled
    }
}

fn center(code: AdminCode, name: &str, location: Point<f64>) -> Center {
    let level: AdminLevel = code.level();
    Center {
        code,
        level,
        name: name.to_owned(),
        location,
    }
}

/// The cell's seed if it is inside the (snapped) shape, else an interior point.
fn inside_or_interior(cell: &Cell) -> Option<Point<f64>> {
    if cell.shape.contains(&cell.seed) {
        Some(cell.seed)
    } else {
        cell.shape.interior_point()
    }
}

/// How the edges between the `n` cells of `parent` wiggle (level 1 townships, 2 villages,
/// 3 grids): about `config.edge_vertices` vertices per edge, so a cell's own edges give it
/// ~6 times that whatever its size; none when the config asks for straight edges.
fn edges(config: &DemoConfig, parent: &MultiPolygon<f64>, n: usize, level: u64) -> Option<Wiggle> {
    use geo::{Area, Centroid};
    if config.edge_vertices == 0 || n < 2 {
        return None;
    }
    let lat = parent.centroid()?.y();
    let m2 = parent.unsigned_area() * lat.to_radians().cos() * 111_320.0 * 111_320.0;
    let cell_m = (m2 / n as f64).sqrt();
    let seed = config.seed ^ level.wrapping_mul(0xA24B_AED4_963E_E407) ^ parent.0.len() as u64;
    Some(Wiggle::for_cells(cell_m, config.edge_vertices as f64, seed))
}

/// The side of a square with the bounding box's area, in degrees.
fn rect_size(m: &MultiPolygon<f64>) -> f64 {
    use geo::BoundingRect;
    m.bounding_rect()
        .map_or(0.0, |r| (r.width() * r.height()).sqrt())
}

/// One seed per item strictly inside `parent`: near a centre when one is given (clustered
/// townships and communities), uniform otherwise.
fn seeds(
    parent: &MultiPolygon<f64>,
    clusters: impl Iterator<Item = Option<(Point<f64>, f64)>>,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Point<f64>>> {
    let sampler =
        Sampler::new(parent).ok_or_else(|| Error::Invalid("empty parent polygon".into()))?;
    clusters
        .map(|c| {
            let p = match c {
                Some((centre, sigma)) => sampler.near(rng, centre, sigma),
                None => sampler.uniform(rng, 10_000),
            };
            p.or_else(|| parent.interior_point())
                .ok_or_else(|| Error::Invalid("no point inside a parent polygon".into()))
        })
        .collect()
}

/// Splits `total` into integer parts proportional to `weights` (largest remainder), each >= 1.
fn allocate(total: usize, weights: &[f64]) -> Vec<usize> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let spare = total.saturating_sub(n) as f64;
    let sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exact: Vec<f64> = weights.iter().map(|w| spare * w / sum).collect();
    let mut parts: Vec<usize> = exact.iter().map(|e| 1 + e.floor() as usize).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

fn grid_kind(rng: &mut ChaCha8Rng, urban: bool) -> GridKind {
    let r: f64 = rng.random();
    let table: [(GridKind, f64); 5] = if urban {
        [
            (GridKind::School, 0.05),
            (GridKind::Market, 0.04),
            (GridKind::Enterprise, 0.03),
            (GridKind::Hospital, 0.02),
            (GridKind::Scenic, 0.01),
        ]
    } else {
        [
            (GridKind::School, 0.03),
            (GridKind::Market, 0.01),
            (GridKind::Enterprise, 0.02),
            (GridKind::Hospital, 0.005),
            (GridKind::Scenic, 0.02),
        ]
    };
    let mut acc = 0.0;
    for (k, p) in table {
        acc += p;
        if r < acc {
            return k;
        }
    }
    GridKind::Basic
}

fn kind_zh(k: GridKind) -> &'static str {
    match k {
        GridKind::Basic => "基础",
        GridKind::School => "学校",
        GridKind::Enterprise => "企业",
        GridKind::Market => "市场",
        GridKind::Hospital => "医院",
        GridKind::Scenic => "景区",
        GridKind::Dedicated => "专属",
    }
}

impl Hierarchy {
    /// A point in grid `gi`: with probability `hot_share` near one of the grid's hotspots
    /// (spread: the grid's size divided by `spread_div`), otherwise uniform in the grid.
    /// `None` when the grid cannot be sampled.
    pub fn sample_in_grid(
        &self,
        rng: &mut impl rand::Rng,
        gi: usize,
        hot_share: f64,
        spread_div: f64,
    ) -> Option<Point<f64>> {
        let (g, m) = (self.grids.get(gi)?, self.meta.get(gi)?);
        let sampler = super::geometry::Sampler::new(&g.geometry)?;
        if rng.random_bool(hot_share) && !m.hotspots.is_empty() {
            let size = (m.bbox.width() * m.bbox.height()).sqrt();
            let hot = m.hotspots[rng.random_range(0..m.hotspots.len())];
            sampler.near(rng, hot, size / spread_div)
        } else {
            sampler.uniform(rng, 1_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn allocation_sums_and_is_at_least_one() {
        let w = [3.0, 1.0, 1.0, 0.5, 2.0];
        for total in [5, 6, 17, 1000] {
            let parts = allocate(total, &w);
            assert_eq!(parts.iter().sum::<usize>(), total);
            assert!(parts.iter().all(|&p| p >= 1));
        }
    }
}
