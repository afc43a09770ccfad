//! What the fuzz targets share: one import of fuzzed bytes as a file of a given name.

use geo_core::load::{prepare_bytes, LoadOptions};
use geo_core::model::{Dataset, Layer};

/// Reads `data` as a file named `name` into the layer its first byte picks (so every
/// layer's field mapping is fuzzed too). Errors are fine; a panic, a hang or an
/// allocation beyond libFuzzer's limit is a bug.
pub fn import(name: &str, data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let layer = Layer::ALL[usize::from(pick) % Layer::ALL.len()];
    let opts = LoadOptions::new(layer);
    let _ = prepare_bytes(name, rest, &opts, &Dataset::default());
}
