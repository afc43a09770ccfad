//! Grid workers (every grid has at least one; each covers one or two grids of a village)
//! and their patrol tracks: walks at walking pace that stay inside the worker's grid.

use std::collections::HashMap;

use geo_types::{Coord, LineString, Point};
use rand::Rng;

use super::admin::Hierarchy;
use super::geometry::{gaussian_pair, Sampler, METRES_PER_DEGREE};
use super::{names, stream, DemoConfig, WINDOW_END};
use crate::codes::VillageCode;
use crate::model::{Patrol, PatrolId, Worker, WorkerId};
use crate::{Error, Result};

/// Generates the workers (and fills `grids[..].workers`) and the patrols.
pub fn generate(config: &DemoConfig, h: &mut Hierarchy) -> Result<(Vec<Worker>, Vec<Patrol>)> {
    let mut rng = config.rng(stream::WORKERS);
    let n_grids = h.grids.len();
    let n_workers = config.workers.max(n_grids);
    let mut per_village: HashMap<VillageCode, u16> = HashMap::new();
    // Grid index of each grid's siblings, for second assignments.
    let mut first_of_village: HashMap<VillageCode, (usize, usize)> = HashMap::new();
    for (i, g) in h.grids.iter().enumerate() {
        let e = first_of_village.entry(g.village).or_insert((i, 0));
        e.1 += 1;
    }
    let mut workers = Vec::with_capacity(n_workers);
    for k in 0..n_workers {
        // The first pass gives every grid its lead; the rest go to random grids.
        let gi = if k < n_grids {
            k
        } else {
            rng.random_range(0..n_grids)
        };
        let grid = &h.grids[gi];
        let seq = per_village.entry(grid.village).or_insert(0);
        *seq += 1;
        let id = WorkerId(format!("W{}{:03}", grid.village, *seq));
        let mut grids = vec![grid.code];
        if let Some(&(first, count)) = first_of_village.get(&grid.village) {
            if count > 1 && rng.random_bool(0.25) {
                let other = first + rng.random_range(0..count);
                if other != gi {
                    grids.push(h.grids[other].code);
                    h.grids[other].workers.push(id.clone());
                }
            }
        }
        let list = &mut h.grids[gi].workers;
        let at = if k < n_grids { 0 } else { list.len() };
        list.insert(at, id.clone());
        let sampler = Sampler::new(&h.grids[gi].geometry)
            .ok_or_else(|| Error::Invalid(format!("grid {} is empty", h.grids[gi].code)))?;
        let location = sampler
            .uniform(&mut rng, 10_000)
            .unwrap_or(h.meta[gi].hotspots[0]);
        workers.push((
            gi,
            Worker {
                id,
                name: names::person(&mut rng),
                phone: names::phone(&mut rng),
                grids,
                location,
                seen_at: WINDOW_END - rng.random_range(60..86_400),
            },
        ));
    }
    let patrols = patrols(config, h, &workers);
    Ok((workers.into_iter().map(|(_, w)| w).collect(), patrols))
}

fn patrols(config: &DemoConfig, h: &Hierarchy, workers: &[(usize, Worker)]) -> Vec<Patrol> {
    let mut rng = config.rng(stream::PATROLS);
    let mut out = Vec::with_capacity(config.patrols);
    if workers.is_empty() {
        return out;
    }
    for k in 0..config.patrols {
        let (gi, worker) = &workers[rng.random_range(0..workers.len())];
        let Some(sampler) = Sampler::new(&h.grids[*gi].geometry) else {
            continue;
        };
        let spread = (config.points_per_patrol / 20).max(1);
        let n = (config.points_per_patrol + rng.random_range(0..=2 * spread))
            .saturating_sub(spread)
            .max(2);
        // Daytime start within the last 60 days (08:00-16:00 CST).
        let day = rng.random_range(1..=60);
        let mut t = WINDOW_END - day * 86_400 + rng.random_range(0..8 * 3_600);
        let mut here = worker.location;
        let lat_scale = METRES_PER_DEGREE;
        let lon_scale = METRES_PER_DEGREE * here.y().to_radians().cos().max(0.1);
        let mut heading: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        let mut coords = Vec::with_capacity(n);
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            coords.push(Coord {
                x: here.x(),
                y: here.y(),
            });
            times.push(t);
            let dt = rng.random_range(10..=30);
            t += dt;
            let dist = rng.random_range(0.8..1.6) * dt as f64;
            heading += gaussian_pair(&mut rng).0 * 0.4;
            // A worker who cannot step on (a tiny grid) waits where they are.
            for _ in 0..12 {
                let next = Point::new(
                    here.x() + dist * heading.sin() / lon_scale,
                    here.y() + dist * heading.cos() / lat_scale,
                );
                if sampler.contains(next) {
                    here = next;
                    break;
                }
                heading = rng.random_range(0.0..std::f64::consts::TAU);
            }
        }
        out.push(Patrol {
            id: PatrolId(k as u64 + 1),
            worker: worker.id.clone(),
            track: LineString::new(coords),
            times,
        });
    }
    out
}
