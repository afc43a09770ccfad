//! The GPX importer on arbitrary bytes (the first byte picks the layer).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onemap_fuzz::import("x.gpx", data));
