//! MVT encoding: a point tile (2,000 cameras with properties) and a polygon tile (200 grid
//! polygons of 100 vertices, about a third crossing the tile border, and 200 all inside),
//! from lon/lat and from pre-projected Web Mercator input; seeded data.

use criterion::{criterion_group, criterion_main, Criterion};
use geo::MapCoordsInPlace;
use geo_core::mvt::{TileBuilder, Value};
use geo_core::tile::{lonlat_to_mercator, mercator_to_lonlat, TileCoord, TileOptions};
use geo_types::{Geometry, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

const KINDS: [&str; 4] = ["dome", "bullet", "ptz", "fisheye"];

fn tile() -> TileCoord {
    TileCoord::containing(112.94, 28.23, 14).expect("valid bench tile")
}

/// Tile units to lon/lat for `t`.
fn lonlat(t: TileCoord, x: f64, y: f64) -> (f64, f64) {
    let m = t.bounds_mercator();
    let size = m.max().x - m.min().x;
    mercator_to_lonlat(m.min().x + x / 4096.0 * size, m.max().y - y / 4096.0 * size)
}

fn points(t: TileCoord, rng: &mut ChaCha8Rng) -> Vec<(f64, f64)> {
    (0..2000)
        .map(|_| {
            lonlat(
                t,
                rng.random_range(0.0..4096.0),
                rng.random_range(0.0..4096.0),
            )
        })
        .collect()
}

/// 200 polygons of 100 vertices with centres in `lo..hi` tile units.
fn polygons(t: TileCoord, rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> Vec<Geometry<f64>> {
    (0..200)
        .map(|_| {
            let c = (rng.random_range(lo..hi), rng.random_range(lo..hi));
            let r = rng.random_range(80.0..250.0);
            let ring: Vec<(f64, f64)> = (0..100)
                .map(|k| {
                    let a = f64::from(k) * std::f64::consts::TAU / 100.0;
                    let rr = r * rng.random_range(0.8..1.0);
                    lonlat(t, c.0 + rr * a.cos(), c.1 + rr * a.sin())
                })
                .collect();
            Geometry::Polygon(Polygon::new(ring.into(), vec![]))
        })
        .collect()
}

// Criterion and geometry read best with their conventional one-letter names here.
#[allow(clippy::many_single_char_names)]
fn bench(c: &mut Criterion) {
    let t = tile();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let pts = points(t, &mut rng);
    let polys = polygons(t, &mut rng, -100.0, 4200.0);
    let inside = polygons(t, &mut rng, 400.0, 3700.0);
    let to_mercator = |g: &Geometry<f64>| {
        let mut g = g.clone();
        g.map_coords_in_place(|c| {
            let (x, y) = lonlat_to_mercator(c.x, c.y);
            geo_types::coord! { x: x, y: y }
        });
        g
    };
    let polys_merc: Vec<Geometry<f64>> = polys.iter().map(to_mercator).collect();
    let inside_merc: Vec<Geometry<f64>> = inside.iter().map(to_mercator).collect();
    let codes: Vec<String> = (0..200).map(|i| format!("4331010010010{i:02}")).collect();

    c.bench_function("mvt/points_2000_lonlat", |b| {
        b.iter(|| {
            let mut tile = TileBuilder::new(t, TileOptions::default()).expect("valid bench tile");
            let layer = tile.layer("cameras");
            for (i, &(lon, lat)) in pts.iter().enumerate() {
                let props = [
                    ("kind", Value::String(KINDS[i % 4])),
                    ("online", Value::Bool(i % 7 != 0)),
                ];
                layer.add_point(Some(i as u64), lon, lat, &props);
            }
            black_box(tile.finish())
        });
    });

    let projected: Vec<(i32, i32)> = {
        let tb = TileBuilder::new(t, TileOptions::default()).expect("valid bench tile");
        pts.iter()
            .map(|&(lon, lat)| {
                let (x, y) = tb.projection().project(lon, lat);
                (x.round() as i32, y.round() as i32)
            })
            .collect()
    };
    c.bench_function("mvt/points_2000_tile_units", |b| {
        b.iter(|| {
            let mut tile = TileBuilder::new(t, TileOptions::default()).expect("valid bench tile");
            let layer = tile.layer("cameras");
            for (i, &(x, y)) in projected.iter().enumerate() {
                let props = [
                    ("kind", Value::String(KINDS[i % 4])),
                    ("online", Value::Bool(i % 7 != 0)),
                ];
                layer.add_tile_point(Some(i as u64), x, y, &props);
            }
            black_box(tile.finish())
        });
    });

    for (name, set, mercator) in [
        ("mvt/polygons_200x100_lonlat", &polys, false),
        ("mvt/polygons_200x100_mercator", &polys_merc, true),
        ("mvt/polygons_200x100_inside_lonlat", &inside, false),
        ("mvt/polygons_200x100_inside_mercator", &inside_merc, true),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut tile =
                    TileBuilder::new(t, TileOptions::default()).expect("valid bench tile");
                let layer = tile.layer("grids");
                for (i, g) in set.iter().enumerate() {
                    let props = [
                        ("code", Value::String(&codes[i])),
                        ("workers", Value::UInt(i as u64 % 5)),
                    ];
                    if mercator {
                        layer.add_feature_mercator(Some(i as u64), g, &props);
                    } else {
                        layer.add_feature(Some(i as u64), g, &props);
                    }
                }
                black_box(tile.finish())
            });
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
