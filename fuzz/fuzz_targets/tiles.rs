//! Tile addresses and filters from arbitrary bytes, rendered over a small demo core:
//! every layer, any z/x/y, any time window and class set, any scope.
#![no_main]

use std::sync::OnceLock;

use geo_core::access::Scope;
use geo_core::demo::DemoConfig;
use geo_core::index::Core;
use geo_core::model::{Category, Step};
use geo_core::render::{render_tile, TileFilter, TileLayer};
use geo_core::tile::TileCoord;

fn core() -> &'static Core {
    static CORE: OnceLock<Core> = OnceLock::new();
    CORE.get_or_init(|| {
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_incidents(20_000);
        Core::new(geo_core::demo::generate(&cfg).expect("demo"))
    })
}

fn word(d: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, x) in b.iter_mut().enumerate() {
        *x = d.get(at + i).copied().unwrap_or(0);
    }
    u32::from_le_bytes(b)
}

libfuzzer_sys::fuzz_target!(|d: &[u8]| {
    let layer = TileLayer::ALL[usize::from(d.first().copied().unwrap_or(0)) % TileLayer::ALL.len()];
    let Ok(coord) = TileCoord::new(word(d, 1) % 25, word(d, 5), word(d, 9)) else {
        return;
    };
    let t = |at| i64::from(word(d, at) as i32) * 1_000;
    let mask = word(d, 21);
    let filter = TileFilter {
        from: (mask & 1 != 0).then(|| t(13)),
        to: (mask & 2 != 0).then(|| t(17)),
        categories: Category::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask >> (4 + i) & 1 != 0)
            .map(|(_, c)| c)
            .collect(),
        statuses: Step::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask >> (12 + i) & 1 != 0)
            .map(|(_, s)| s)
            .collect(),
        raw: mask & 8 != 0,
    };
    let core = core();
    let scope = match mask >> 24 {
        0..=127 => Scope::ALL,
        n => core
            .admin()
            .get(n as usize % core.admin().len().max(1))
            .map_or(Scope::ALL, |a| Scope::unit(a.code)),
    };
    let _ = render_tile(core, layer, coord, &filter, &scope);
});
