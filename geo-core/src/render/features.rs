//! One writer per layer: the features' geometry and their main typed attributes.
//!
//! Feature ids are the numeric key where the model has one (incident id, patrol id) and the
//! index into the core's layer otherwise. Codes are strings (they overflow nothing and keep
//! leading digits readable), names and classes are strings, counts are integers.

use crate::index::Core;
use crate::model::{CameraStatus, PtzType};
use crate::mvt::{LayerBuilder, Value};
use crate::tile::TileCoord;

/// The index as a feature id.
fn fid(i: usize) -> Option<u64> {
    u64::try_from(i).ok()
}

/// Admin units of every level, with a `level` property (outlines pre-projected once).
pub(super) fn admin(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    let mercator = core.admin_mercator();
    for &i in hits {
        let (Some(a), Some(outline)) = (core.admin().get(i), mercator.get(i)) else {
            continue;
        };
        let code = a.code.to_string();
        let parent = a.parent.map(|p| p.to_string()).unwrap_or_default();
        out.add_feature_mercator(
            fid(i),
            outline,
            &[
                ("code", Value::String(&code)),
                ("name", Value::String(&a.name)),
                ("level", Value::String(a.level().as_str())),
                ("parent", Value::String(&parent)),
            ],
        );
    }
}

/// Current grid revisions (`valid_to` unset).
pub(super) fn grids(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    for &i in hits {
        let Some(g) = core.grids().get(i) else {
            continue;
        };
        if g.valid_to.is_some() {
            continue;
        }
        let code = g.code.to_string();
        let village = g.village.to_string();
        out.add_feature(
            fid(i),
            &g.geometry,
            &[
                ("code", Value::String(&code)),
                ("name", Value::String(&g.name)),
                ("village", Value::String(&village)),
                ("kind", Value::String(g.kind.as_str())),
                ("workers", Value::UInt(g.workers.len() as u64)),
                ("households", Value::UInt(u64::from(g.households))),
                ("population", Value::UInt(u64::from(g.population))),
                ("revision", Value::UInt(u64::from(g.revision))),
            ],
        );
    }
}

/// Whether the label point `p` lies in tile `coord` itself (not its buffer): each point is
/// written in exactly one tile of a zoom, so a name is never drawn twice.
fn in_tile(p: geo_types::Coord<f64>, coord: TileCoord) -> bool {
    TileCoord::containing(p.x, p.y, u32::from(coord.z())).is_ok_and(|c| c == coord)
}

/// One label point per admin unit of `hits` whose point lies in the tile.
pub(super) fn admin_labels(out: &mut LayerBuilder, core: &Core, hits: &[usize], coord: TileCoord) {
    for &i in hits {
        let (Some(a), Some(p)) = (core.admin().get(i), core.admin_label(i)) else {
            continue;
        };
        if !in_tile(p, coord) {
            continue;
        }
        let code = a.code.to_string();
        out.add_point(
            fid(i),
            p.x,
            p.y,
            &[
                ("code", Value::String(&code)),
                ("name", Value::String(&a.name)),
                ("level", Value::String(a.level().as_str())),
            ],
        );
    }
}

/// One label point per current grid of `hits` whose point lies in the tile.
pub(super) fn grid_labels(out: &mut LayerBuilder, core: &Core, hits: &[usize], coord: TileCoord) {
    for &i in hits {
        let Some(g) = core.grids().get(i) else {
            continue;
        };
        if g.valid_to.is_some() {
            continue;
        }
        let Some(p) = core.grid_label(i).filter(|&p| in_tile(p, coord)) else {
            continue;
        };
        let code = g.code.to_string();
        out.add_point(
            fid(i),
            p.x,
            p.y,
            &[
                ("code", Value::String(&code)),
                ("name", Value::String(&g.name)),
            ],
        );
    }
}

const fn ptz_str(p: PtzType) -> &'static str {
    match p {
        PtzType::Dome => "dome",
        PtzType::Hemisphere => "hemisphere",
        PtzType::FixedBullet => "fixed_bullet",
        PtzType::RemoteBullet => "remote_bullet",
    }
}

const fn camera_status_str(s: CameraStatus) -> &'static str {
    match s {
        CameraStatus::Online => "online",
        CameraStatus::Offline => "offline",
    }
}

/// Cameras: id, name, PTZ type, position type, status, facing and (when surveyed) the
/// view sector's width and reach.
pub(super) fn cameras(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    // Every camera brings two unique strings: its id and its name.
    out.reserve_strings(2 * hits.len());
    for &i in hits {
        let Some(c) = core.cameras().get(i) else {
            continue;
        };
        let mut props = vec![
            ("id", Value::String(c.id.as_str())),
            ("name", Value::String(&c.name)),
            ("ptz_type", Value::String(ptz_str(c.ptz_type))),
            ("position_type", Value::String(c.position_type.name())),
            ("status", Value::String(camera_status_str(c.status))),
            ("facing_deg", Value::Float(c.facing_deg() as f32)),
        ];
        props.extend(c.fov_deg.map(|v| ("fov_deg", Value::Float(v))));
        props.extend(c.range_m.map(|v| ("range_m", Value::Float(v))));
        out.add_point(fid(i), c.location.x(), c.location.y(), &props);
    }
}

/// Raw incident points, id = incident id.
pub(super) fn incidents(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    for &i in hits {
        let Some(inc) = core.incidents().get(i) else {
            continue;
        };
        out.add_point(
            Some(inc.id.0),
            inc.location.x(),
            inc.location.y(),
            &[
                ("category", Value::String(inc.category.as_str())),
                ("subcategory", Value::String(inc.subcategory_names().0)),
                ("source", Value::String(inc.source.as_str())),
                ("status", Value::String(inc.status.as_str())),
                ("supervision", Value::String(inc.supervision.as_str())),
                ("people", Value::UInt(u64::from(inc.people))),
                ("reported_at", Value::SInt(inc.occurred_at())),
            ],
        );
    }
}

/// Patrol tracks, id = patrol id (tracks pre-projected once, fresh ones per tile).
pub(super) fn patrols(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    for &i in hits {
        let (Some(p), Some(track)) = (core.patrols().get(i), core.patrol_mercator(i)) else {
            continue;
        };
        out.add_feature_mercator(
            Some(p.id.0),
            &*track,
            &[
                ("worker", Value::String(&p.worker.0)),
                ("start", Value::SInt(p.start().unwrap_or_default())),
                ("end", Value::SInt(p.end().unwrap_or_default())),
                ("points", Value::UInt(p.track.0.len() as u64)),
            ],
        );
    }
}

/// Grid workers' last known positions.
pub(super) fn workers(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    for &i in hits {
        // A worker without a GPS fix has no place on the map.
        let Some(w) = core.workers().get(i).filter(|w| w.has_fix()) else {
            continue;
        };
        out.add_point(
            fid(i),
            w.location.x(),
            w.location.y(),
            &[
                // No name: tiles are shared by every role, and a worker's name is
                // personal below the operator role (the API gives it to those who may).
                ("id", Value::String(&w.id.0)),
                ("grids", Value::UInt(w.grids.len() as u64)),
                ("seen_at", Value::SInt(w.seen_at)),
            ],
        );
    }
}

/// Governance centers.
pub(super) fn centers(out: &mut LayerBuilder, core: &Core, hits: &[usize]) {
    for &i in hits {
        let Some(c) = core.centers().get(i) else {
            continue;
        };
        let code = c.code.to_string();
        out.add_point(
            fid(i),
            c.location.x(),
            c.location.y(),
            &[
                ("code", Value::String(&code)),
                ("name", Value::String(&c.name)),
                ("level", Value::String(c.level.as_str())),
            ],
        );
    }
}
