//! Admin and grid codes, CRS names and time parameters from arbitrary text.
#![no_main]

use geo_core::codes::{AdminCode, GridCode};
use geo_core::crs::Crs;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = s.parse::<AdminCode>() {
        // A parsed code prints back to what parses to it, and contains itself.
        let again: AdminCode = a.to_string().parse().expect("a code's text parses");
        assert_eq!(again, a);
        assert!(a.contains_code(&a.to_string()));
    }
    if let Ok(g) = s.parse::<GridCode>() {
        let again: GridCode = g.to_string().parse().expect("a grid code's text parses");
        assert_eq!(again, g);
    }
    let _ = s.parse::<Crs>();
});
