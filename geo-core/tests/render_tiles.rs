//! `render_tile` against brute force over `core.to_dataset()`, tiles decoded by the `PyPI`
//! `mapbox-vector-tile` package (`tests/py/mvt_decode.py`; a missing python3 fails).
#![allow(clippy::unwrap_used, clippy::panic)]

mod mvt_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use geo::{Area, BooleanOps, Intersects};
use geo_core::access::Scope;
use geo_core::demo::{generate, DemoConfig, WINDOW_END, WINDOW_START};
use geo_core::index::Core;
use geo_core::model::{Category, Incident, Layer};
use geo_core::render::bounds::buffered_bounds;
use geo_core::render::{
    cluster_resolution, deepest_admin_level, heatmap_resolution, render_tile, schema, tile_options,
    TileFilter, TileLayer, GRID_LABEL_MIN_ZOOM, RAW_MIN_ZOOM,
};
use geo_core::tile::{TileCoord, TileProjection};
use h3o::LatLng;
use serde_json::Value as Json;

const JISHOU: (f64, f64) = (109.74, 28.31);
/// Square tile units under which a polygon's part in a tile may vanish when encoded.
const MAX_SLIVER: f64 = 64.0;

fn core() -> &'static Core {
    static CORE: OnceLock<Core> = OnceLock::new();
    CORE.get_or_init(|| {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(400)
            .with_incidents(50_000)
            .with_cameras(4_000)
            .with_workers(800)
            .with_patrols(200)
            .with_points_per_patrol(100);
        Core::new(generate(&cfg).unwrap())
    })
}

/// Tiles around Jishou at `z`: the one containing it and its 8 neighbours.
fn tiles_at(z: u32) -> Vec<TileCoord> {
    let c = TileCoord::containing(JISHOU.0, JISHOU.1, z).unwrap();
    let mut out = Vec::new();
    for dx in [-1i64, 0, 1] {
        for dy in [-1i64, 0, 1] {
            let x = u32::try_from(i64::from(c.x()) + dx).unwrap();
            let y = u32::try_from(i64::from(c.y()) + dy).unwrap();
            out.push(TileCoord::new(z, x, y).unwrap());
        }
    }
    out
}

fn proj(coord: TileCoord) -> TileProjection {
    TileProjection::new(coord, tile_options()).unwrap()
}

fn in_tile(coord: TileCoord, lon: f64, lat: f64) -> bool {
    let p = proj(coord);
    let (x, y) = p.project(lon, lat);
    p.in_buffer(x, y)
}

/// Decoded features of `layer` (none for an empty tile, which must then be empty bytes).
fn decoded(tiles: &[Vec<u8>]) -> Vec<Json> {
    let nonempty: Vec<Vec<u8>> = tiles.iter().filter(|t| !t.is_empty()).cloned().collect();
    let mut dec = mvt_common::decode(&nonempty).into_iter();
    tiles
        .iter()
        .map(|t| {
            if t.is_empty() {
                serde_json::json!({ "layers": {} })
            } else {
                dec.next().unwrap()
            }
        })
        .collect()
}

fn layer_features<'a>(tile: &'a Json, layer: &str) -> Vec<&'a Json> {
    tile["layers"][layer]["features"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn ids(tile: &Json, layer: &str) -> BTreeSet<u64> {
    layer_features(tile, layer)
        .iter()
        .map(|f| {
            assert_eq!(f["has_id"], true);
            f["id"].as_u64().unwrap()
        })
        .collect()
}

fn prop_str<'a>(f: &'a Json, key: &str) -> &'a str {
    f["props"][key][1].as_str().unwrap()
}

fn render_all(layer: Layer, coords: &[TileCoord], filter: &TileFilter) -> Vec<Vec<u8>> {
    coords
        .iter()
        .map(|&c| render_tile(core(), layer, c, filter, &Scope::ALL).unwrap())
        .collect()
}

fn matches(f: &TileFilter, inc: &Incident) -> bool {
    let t = inc.occurred_at();
    f.from.is_none_or(|from| t >= from)
        && f.to.is_none_or(|to| t < to)
        && (f.categories.is_empty() || f.categories.contains(&inc.category))
        && (f.statuses.is_empty() || f.statuses.contains(&inc.status))
}

#[test]
fn point_layers_hold_exactly_the_points_in_the_buffered_tile() {
    let d = &core().to_dataset();
    let coords: Vec<TileCoord> = [12, 14].into_iter().flat_map(tiles_at).collect();
    let mut checked = 0;
    for layer in [Layer::Cameras, Layer::Workers, Layer::Centers] {
        let tiles = render_all(layer, &coords, &TileFilter::default());
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let points: Vec<(f64, f64)> = match layer {
                Layer::Cameras => d
                    .cameras
                    .iter()
                    .map(|c| (c.location.x(), c.location.y()))
                    .collect(),
                Layer::Workers => d
                    .workers
                    .iter()
                    .map(|c| (c.location.x(), c.location.y()))
                    .collect(),
                _ => d
                    .centers
                    .iter()
                    .map(|c| (c.location.x(), c.location.y()))
                    .collect(),
            };
            let want: BTreeSet<u64> = points
                .iter()
                .enumerate()
                .filter(|(_, &(x, y))| in_tile(*coord, x, y))
                .map(|(i, _)| i as u64)
                .collect();
            assert_eq!(ids(&tile, layer.as_str()), want, "{layer} {coord}");
            checked += want.len();
        }
    }
    assert!(checked > 100, "only {checked} points checked");
}

#[test]
fn raw_incidents_match_brute_force_under_filters() {
    let d = &core().to_dataset();
    let mid = (WINDOW_START + WINDOW_END) / 2;
    let filters = [
        TileFilter::default(),
        TileFilter {
            categories: vec![Category::Dispute, Category::Petition],
            from: Some(mid),
            ..TileFilter::default()
        },
        TileFilter {
            raw: true,
            to: Some(mid),
            ..TileFilter::default()
        },
    ];
    let mut checked = 0;
    for f in &filters {
        let mut coords = tiles_at(u32::from(RAW_MIN_ZOOM));
        if f.raw {
            coords.extend(tiles_at(12));
        }
        let tiles = render_all(Layer::Incidents, &coords, f);
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let want: BTreeSet<u64> = d
                .incidents
                .iter()
                .filter(|i| matches(f, i) && in_tile(*coord, i.location.x(), i.location.y()))
                .map(|i| i.id.0)
                .collect();
            let feats = layer_features(&tile, "incidents");
            assert_eq!(ids(&tile, "incidents"), want, "{coord} {f:?}");
            for feat in feats {
                let cat = prop_str(feat, "category");
                assert!(f.categories.is_empty() || f.categories.iter().any(|c| c.as_str() == cat));
            }
            checked += want.len();
        }
    }
    assert!(checked > 500, "only {checked} incidents checked");
}

/// Brute-force clusters of `coord`: matching incidents per parent cell whose center is in
/// the buffered tile.
fn brute_clusters(coord: TileCoord, f: &TileFilter) -> BTreeMap<u64, u64> {
    let res = cluster_resolution(coord.z());
    let mut out = BTreeMap::new();
    for inc in &core().to_dataset().incidents {
        if !matches(f, inc) {
            continue;
        }
        let Ok(ll) = LatLng::new(inc.location.y(), inc.location.x()) else {
            continue;
        };
        let cell = ll.to_cell(res);
        let c = LatLng::from(cell);
        if in_tile(coord, c.lng(), c.lat()) {
            *out.entry(u64::from(cell)).or_insert(0) += 1;
        }
    }
    out
}

/// `count` by feature id in `layer`, every feature of geometry type `ty` (1 point, 3 polygon).
fn counts_by_id(tile: &Json, layer: &str, ty: u64) -> BTreeMap<u64, u64> {
    layer_features(tile, layer)
        .iter()
        .map(|f| {
            assert_eq!(f["type"], ty);
            assert_eq!(f["props"]["count"][0], "uint_value");
            if ty == 3 {
                assert_eq!(f["valid"], true, "{f}");
            }
            (
                f["id"].as_u64().unwrap(),
                f["props"]["count"][1].as_u64().unwrap(),
            )
        })
        .collect()
}

fn cluster_counts(tile: &Json) -> BTreeMap<u64, u64> {
    counts_by_id(tile, "incidents", 1)
}

#[test]
fn clusters_count_every_matching_incident_of_their_cells() {
    let mid = (WINDOW_START + WINDOW_END) / 2;
    let coords: Vec<TileCoord> = [8, 10, 12, 13].into_iter().flat_map(tiles_at).collect();
    let mut total = TileFilter::default();
    let filters = [
        total.clone(),
        TileFilter {
            statuses: vec![geo_core::model::IncidentStatus::ALL[0]],
            ..TileFilter::default()
        },
        TileFilter {
            from: Some(mid),
            categories: vec![Category::FireHazard],
            ..TileFilter::default()
        },
    ];
    let mut checked = 0u64;
    for f in &filters {
        let tiles = render_all(Layer::Incidents, &coords, f);
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let want = brute_clusters(*coord, f);
            assert_eq!(cluster_counts(&tile), want, "{coord} {f:?}");
            checked += want.values().sum::<u64>();
        }
    }
    assert!(checked > 10_000, "only {checked} incidents in clusters");

    // Category partitions: per cell, the per-category counts sum to the unfiltered count.
    total.from = Some(mid);
    for coord in tiles_at(11) {
        let all = cluster_counts(
            &decoded(&[render_tile(core(), Layer::Incidents, coord, &total, &Scope::ALL).unwrap()])
                [0],
        );
        let mut sum: BTreeMap<u64, u64> = BTreeMap::new();
        let per_cat: Vec<Vec<u8>> = Category::ALL
            .iter()
            .map(|&c| {
                let f = TileFilter {
                    categories: vec![c],
                    ..total.clone()
                };
                render_tile(core(), Layer::Incidents, coord, &f, &Scope::ALL).unwrap()
            })
            .collect();
        for t in decoded(&per_cat) {
            for (cell, n) in cluster_counts(&t) {
                *sum.entry(cell).or_insert(0) += n;
            }
        }
        assert_eq!(sum, all, "{coord}");
    }
}

#[test]
fn polygon_layers_hold_the_features_meeting_the_buffered_tile() {
    let d = &core().to_dataset();
    let coords: Vec<TileCoord> = [10, 12, 14].into_iter().flat_map(tiles_at).collect();
    let mut checked = 0;
    let mut dropped = 0;
    for layer in [Layer::Grids, Layer::Admin] {
        let tiles = render_all(layer, &coords, &TileFilter::default());
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let r = buffered_bounds(*coord, tile_options());
            let want: BTreeSet<String> = match layer {
                Layer::Grids => d
                    .grids
                    .iter()
                    .filter(|g| g.valid_to.is_none() && g.geometry.intersects(&r))
                    .map(|g| g.code.to_string())
                    .collect(),
                _ => d
                    .admin
                    .iter()
                    .filter(|a| a.level() <= deepest_admin_level(coord.z()))
                    .filter(|a| a.geometry.intersects(&r))
                    .map(|a| a.code.to_string())
                    .collect(),
            };
            let feats = layer_features(&tile, layer.as_str());
            let got: BTreeSet<String> = feats
                .iter()
                .map(|f| prop_str(f, "code").to_owned())
                .collect();
            assert_eq!(got.len(), feats.len(), "duplicate codes in {layer} {coord}");
            // The encoder drops a feature whose clipped part collapses when rounded to
            // tile units: allow a missing one only if its part in the buffered tile is a
            // sliver under MAX_SLIVER square tile units.
            assert!(
                got.is_subset(&want),
                "{layer} {coord}: extra {:?}",
                got.difference(&want)
            );
            for code in want.difference(&got) {
                let geom = match layer {
                    Layer::Grids => d
                        .grids
                        .iter()
                        .find(|g| g.valid_to.is_none() && g.code.to_string() == *code)
                        .unwrap()
                        .geometry
                        .clone(),
                    _ => d
                        .admin
                        .iter()
                        .find(|a| a.code.to_string() == *code)
                        .unwrap()
                        .geometry
                        .clone(),
                };
                let part = geom.intersection(&geo_types::MultiPolygon::new(vec![r.to_polygon()]));
                let units2 = part.unsigned_area() / r.width() / r.height()
                    * f64::from(4096 + 128u32).powi(2);
                assert!(
                    units2 < MAX_SLIVER,
                    "{layer} {coord}: {code} dropped with {units2} units2 inside"
                );
                dropped += 1;
            }
            for f in &feats {
                assert_eq!(f["valid"], true, "{layer} {coord} {}", f["why"]);
            }
            if layer == Layer::Admin {
                for f in &feats {
                    let code = prop_str(f, "code");
                    let a = d.admin.iter().find(|a| a.code.to_string() == code).unwrap();
                    assert_eq!(prop_str(f, "level"), a.level().as_str());
                }
            }
            checked += want.len();
        }
    }
    assert!(checked > 50, "only {checked} polygons checked");
    assert!(
        dropped * 20 < checked,
        "{dropped} of {checked} polygons dropped"
    );
}

#[test]
fn patrols_follow_the_time_window() {
    let d = &core().to_dataset();
    let mid = (WINDOW_START + WINDOW_END) / 2;
    let coords = tiles_at(12);
    for f in [
        TileFilter::default(),
        TileFilter {
            from: Some(mid),
            ..TileFilter::default()
        },
    ] {
        let tiles = render_all(Layer::Patrols, &coords, &f);
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let r = buffered_bounds(*coord, tile_options());
            let want: BTreeSet<u64> = d
                .patrols
                .iter()
                .filter(|p| p.track.intersects(&r))
                .filter(|p| f.from.is_none_or(|from| p.end().is_some_and(|e| e >= from)))
                .map(|p| p.id.0)
                .collect();
            assert_eq!(ids(&tile, "patrols"), want, "{coord} {f:?}");
        }
    }
}

#[test]
fn empty_tiles_are_empty_bytes() {
    // Far from the data (the South Atlantic) every layer is empty.
    let coord = TileCoord::containing(-20.0, -40.0, 12).unwrap();
    for layer in Layer::ALL {
        assert!(
            render_tile(core(), layer, coord, &TileFilter::default(), &Scope::ALL)
                .unwrap()
                .is_empty(),
            "{layer}"
        );
    }
    let z0 = TileCoord::new(0, 0, 0).unwrap();
    assert!(!render_tile(
        core(),
        Layer::Incidents,
        z0,
        &TileFilter::default(),
        &Scope::ALL
    )
    .unwrap()
    .is_empty());
}

/// Brute-force heatmap of `coord`: matching incidents per resolution-`r` cell, for every
/// cell whose hexagon meets the buffered tile.
fn brute_heatmap(coord: TileCoord, f: &TileFilter) -> BTreeMap<u64, u64> {
    let res = heatmap_resolution(coord.z());
    let r = buffered_bounds(coord, tile_options());
    let mut out = BTreeMap::new();
    for inc in &core().to_dataset().incidents {
        if !matches(f, inc) {
            continue;
        }
        let Ok(ll) = LatLng::new(inc.location.y(), inc.location.x()) else {
            continue;
        };
        let cell = ll.to_cell(res);
        *out.entry(cell).or_insert(0) += 1;
    }
    out.into_iter()
        .filter(|(cell, _)| {
            let ring: geo_types::LineString<f64> =
                cell.boundary().iter().map(|p| (p.lng(), p.lat())).collect();
            geo_types::Polygon::new(ring, vec![]).intersects(&r)
        })
        .map(|(c, n)| (u64::from(c), n))
        .collect()
}

fn heat_counts(tile: &Json) -> BTreeMap<u64, u64> {
    counts_by_id(tile, "heatmap", 3)
}

#[test]
fn heatmap_hexagons_count_every_matching_incident() {
    let mid = (WINDOW_START + WINDOW_END) / 2;
    let filters = [
        TileFilter::default(),
        TileFilter {
            from: Some(mid),
            to: Some(mid + 90 * 86_400),
            ..TileFilter::default()
        },
        TileFilter {
            categories: vec![Category::Dispute, Category::FireHazard],
            statuses: vec![geo_core::model::IncidentStatus::Closed],
            ..TileFilter::default()
        },
    ];
    let coords: Vec<TileCoord> = [9, 11, 13, 15].into_iter().flat_map(tiles_at).collect();
    let mut checked = 0u64;
    for f in &filters {
        let tiles: Vec<Vec<u8>> = coords
            .iter()
            .map(|&c| render_tile(core(), TileLayer::Heatmap, c, f, &Scope::ALL).unwrap())
            .collect();
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let got = heat_counts(&tile);
            let want = brute_heatmap(*coord, f);
            // A hexagon barely touching the buffer may clip to nothing in tile units.
            assert!(got.keys().all(|k| want.contains_key(k)), "{coord} {f:?}");
            for (cell, n) in &want {
                if let Some(g) = got.get(cell) {
                    assert_eq!(g, n, "{coord} cell {cell:x}");
                } else {
                    let c = h3o::CellIndex::try_from(*cell).unwrap();
                    let ll = LatLng::from(c);
                    assert!(
                        !in_tile(*coord, ll.lng(), ll.lat()),
                        "{coord}: cell {c} centered in the tile is missing"
                    );
                }
            }
            checked += got.values().sum::<u64>();
        }
    }
    assert!(checked > 10_000, "only {checked} incidents in hexagons");
}

#[test]
fn heatmap_counts_over_a_tile_equal_the_incidents_in_the_window() {
    let d = &core().to_dataset();
    let mid = (WINDOW_START + WINDOW_END) / 2;
    // The 3x3 z7 tiles around Jishou hold the whole one-county demo: the counts of the
    // hexagons centered in each tile (half-open bounds: each center in one tile) must add
    // up to every matching incident.
    let coords = tiles_at(7);
    let block = coords
        .iter()
        .map(|c| c.bounds_lonlat())
        .reduce(|a, b| {
            geo_types::Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .unwrap();
    assert!(d.incidents.iter().all(|i| block.intersects(&i.location)));
    for f in [
        TileFilter::default(),
        TileFilter {
            from: Some(mid),
            to: Some(mid + 30 * 86_400),
            statuses: vec![geo_core::model::IncidentStatus::Closed],
            ..TileFilter::default()
        },
    ] {
        let tiles: Vec<Vec<u8>> = coords
            .iter()
            .map(|&c| render_tile(core(), TileLayer::Heatmap, c, &f, &Scope::ALL).unwrap())
            .collect();
        let mut sum = 0;
        for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
            let r = coord.bounds_lonlat();
            sum += layer_features(&tile, "heatmap")
                .iter()
                .filter(|feat| {
                    let c = h3o::CellIndex::try_from(feat["id"].as_u64().unwrap()).unwrap();
                    let ll = LatLng::from(c);
                    (r.min().x..r.max().x).contains(&ll.lng())
                        && (r.min().y..r.max().y).contains(&ll.lat())
                })
                .map(|feat| feat["props"]["count"][1].as_u64().unwrap())
                .sum::<u64>();
        }
        let want = d.incidents.iter().filter(|i| matches(&f, i)).count() as u64;
        assert!(want > 100, "{want}");
        assert_eq!(sum, want, "{f:?}");
    }
}

#[test]
fn tiles_carry_only_the_fields_their_schema_lists() {
    let coords: Vec<TileCoord> = [10, 13, 15].into_iter().flat_map(tiles_at).collect();
    let mut seen = 0;
    for layer in TileLayer::ALL {
        let tiles: Vec<Vec<u8>> = coords
            .iter()
            .map(|&c| render_tile(core(), layer, c, &TileFilter::default(), &Scope::ALL).unwrap())
            .collect();
        let own = (layer.as_str(), geo_core::render::schema::fields(layer));
        let label = schema::label_layer(layer).map(|l| (l.name, l.fields));
        for tile in decoded(&tiles) {
            for (name, fields) in std::iter::once(own).chain(label) {
                for f in layer_features(&tile, name) {
                    for (key, value) in f["props"].as_object().unwrap() {
                        let (_, ty) = fields
                            .iter()
                            .find(|(k, _)| k == key)
                            .unwrap_or_else(|| panic!("{name}: {key} is not in the schema"));
                        let number = value[0] != "string_value";
                        assert_eq!(number, *ty == "Number", "{name}.{key}: {value}");
                        seen += 1;
                    }
                }
            }
            // No layer the schema does not name.
            for name in tile["layers"].as_object().unwrap().keys() {
                assert!(
                    name == own.0 || label.is_some_and(|l| l.0 == name),
                    "{layer}: layer {name}"
                );
            }
        }
    }
    assert!(seen > 1000, "{seen}");
}

/// The label point of every grid (from its zoom on) and of every admin unit the tile draws
/// lies in exactly one tile of a zoom: written there, with its code and name, and nowhere
/// else, so a name is drawn once however many tiles its polygon crosses.
#[test]
fn label_points_are_written_once_in_the_tile_holding_them() {
    let core = core();
    let extent = f64::from(tile_options().extent);
    for z in [9u32, 12, 14] {
        let coords = tiles_at(z);
        for layer in [Layer::Admin, Layer::Grids] {
            let tiles: Vec<Vec<u8>> = coords
                .iter()
                .map(|&c| render_tile(core, layer, c, &TileFilter::default(), &Scope::ALL).unwrap())
                .collect();
            let name = schema::label_layer(layer.into()).unwrap().name;
            let mut written: BTreeMap<String, (TileCoord, String)> = BTreeMap::new();
            for (coord, tile) in coords.iter().zip(decoded(&tiles)) {
                for f in layer_features(&tile, name) {
                    let code = f["props"]["code"][1].as_str().unwrap().to_owned();
                    let label = f["props"]["name"][1].as_str().unwrap().to_owned();
                    let xy = &f["geometry"]["coordinates"];
                    let (x, y) = (xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap());
                    assert!(
                        (0.0..=extent).contains(&x) && (0.0..=extent).contains(&y),
                        "{name} {coord}: {x} {y}"
                    );
                    let again = written.insert(code.clone(), (*coord, label));
                    assert!(again.is_none(), "{name} z{z}: {code} written twice");
                }
            }
            let held = |p: Option<geo_types::Coord<f64>>| {
                let p = p?;
                let c = TileCoord::containing(p.x, p.y, z).ok()?;
                coords.contains(&c).then_some(c)
            };
            let want: BTreeMap<String, (TileCoord, String)> = match layer {
                Layer::Admin => core
                    .admin()
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.level() <= deepest_admin_level(u8::try_from(z).unwrap()))
                    .filter_map(|(i, a)| {
                        Some((
                            a.code.to_string(),
                            (held(core.admin_label(i))?, a.name.clone()),
                        ))
                    })
                    .collect(),
                _ => core
                    .grids()
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.valid_to.is_none() && z >= u32::from(GRID_LABEL_MIN_ZOOM))
                    .filter_map(|(i, g)| {
                        Some((
                            g.code.to_string(),
                            (held(core.grid_label(i))?, g.name.clone()),
                        ))
                    })
                    .collect(),
            };
            assert_eq!(written, want, "{name} z{z}");
            if layer == Layer::Admin || z >= u32::from(GRID_LABEL_MIN_ZOOM) {
                assert!(!want.is_empty(), "{name} z{z}: no label point in the tiles");
            }
        }
    }
}
