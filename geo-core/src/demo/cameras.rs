//! Cameras: clustered in towns and township seats, with GB/T 28181 20-digit ids
//! (8-digit center code from the county, 2-digit industry, 3-digit type, network, serial).

use std::collections::HashMap;

use rand::Rng;

use super::admin::Hierarchy;
use super::weighted::Weighted;
use super::{stream, DemoConfig};
use crate::codes::CameraId;
use crate::model::{Camera, CameraStatus, Direction, GridKind, PositionType, PtzType};

/// Generates `config.cameras` cameras inside the grids.
pub fn generate(config: &DemoConfig, h: &Hierarchy) -> Vec<Camera> {
    let mut rng = config.rng(stream::CAMERAS);
    let table = Weighted::new(h.grids.iter().zip(&h.meta).map(|(g, m)| {
        let mut w = if m.urban { 6.0 } else { 1.0 };
        if m.seat {
            w *= 4.0;
        }
        if matches!(
            g.kind,
            GridKind::Market | GridKind::School | GridKind::Hospital
        ) {
            w *= 2.0;
        }
        w
    }));
    let mut serials: HashMap<u64, u32> = HashMap::new();
    let mut per_village: HashMap<usize, u32> = HashMap::new();
    let mut out = Vec::with_capacity(config.cameras);
    while out.len() < config.cameras {
        let Some(gi) = table.draw(&mut rng) else {
            break;
        };
        let Some(location) = h.sample_in_grid(&mut rng, gi, 0.75, 10.0) else {
            continue;
        };
        let (g, m) = (&h.grids[gi], &h.meta[gi]);
        let county = g.code.village().township().county().as_u64();
        let serial = serials.entry(county).or_insert(0);
        *serial += 1;
        let industry = match rng.random_range(0..100) {
            0..80 => "00",
            80..92 => "01",
            _ => "04",
        };
        let device = if rng.random_bool(0.75) { 132 } else { 131 };
        let Ok(id) =
            format!("{county}00{industry}{device}0{:06}", *serial % 1_000_000).parse::<CameraId>()
        else {
            continue;
        };
        let ptz = match rng.random_range(0..100) {
            0..20 => PtzType::Dome,
            20..45 => PtzType::Hemisphere,
            45..90 => PtzType::FixedBullet,
            _ => PtzType::RemoteBullet,
        };
        let position = match g.kind {
            GridKind::School => 8,
            GridKind::Market => 6,
            _ if m.seat && rng.random_bool(0.3) => 2,
            _ => [9, 10, 10, 4, 3, 6, 5, 7, 1][rng.random_range(0..9)],
        };
        let direction = rng.random_range(1..=8);
        let (Some(dir), Some(position_type)) =
            (Direction::new(direction), PositionType::new(position))
        else {
            continue;
        };
        let azimuth = rng.random_bool(0.3).then(|| {
            ((dir.azimuth_deg() + rng.random_range(-20.0..20.0)).rem_euclid(360.0)) as f32
        });
        let fov = rng
            .random_bool(0.3)
            .then(|| rng.random_range(40.0..110.0_f32));
        let range = rng
            .random_bool(0.3)
            .then(|| rng.random_range(20.0..150.0_f32));
        let n = per_village.entry(m.village).or_insert(0);
        *n += 1;
        let village = &h.admin[m.village].name;
        let township = &h.admin[m.township].name;
        out.push(Camera {
            id,
            name: format!("{township}{village}{}{}号", position_type.name(), n),
            ptz_type: ptz,
            position_type,
            direction: dir,
            azimuth_deg: azimuth,
            fov_deg: fov,
            range_m: range,
            status: if rng.random_bool(0.08) {
                CameraStatus::Offline
            } else {
                CameraStatus::Online
            },
            location,
        });
    }
    out
}
