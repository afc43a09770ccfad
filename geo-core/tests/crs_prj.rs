//! `Crs::from_prj` on the real strings GDAL writes: `gdalsrsinfo -o wkt_esri` (a `.prj`,
//! without any EPSG code), `-o wkt1` and `-o wkt2`, for every code onemap reads (4326, 4490,
//! 3857, 4491-4554); and the WKT1/WKT2 again with the outermost EPSG code cut out, so that
//! names and parameters alone must carry the answer. A missing `gdalsrsinfo` (GDAL, from
//! `scripts/setup`) fails the test.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;
use std::sync::Mutex;

use geo_core::crs::Crs;

const FORMATS: [&[&str]; 4] = [
    &["-o", "wkt_esri"],
    &["-o", "wkt_esri", "--single-line"],
    &["-o", "wkt1"],
    &["-o", "wkt2"],
];

fn gdalsrsinfo(args: &[&str], code: u32) -> String {
    let out = Command::new("gdalsrsinfo")
        .args(args)
        .arg(format!("EPSG:{code}"))
        .output()
        .unwrap_or_else(|e| panic!("gdalsrsinfo could not be started ({e}); GDAL is required"));
    assert!(
        out.status.success(),
        "gdalsrsinfo {args:?} EPSG:{code} failed"
    );
    let text = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(
        !text.is_empty(),
        "gdalsrsinfo {args:?} EPSG:{code} printed nothing"
    );
    text
}

/// `wkt` without its outermost `AUTHORITY["EPSG","n"]` / `ID["EPSG",n]` (the last one).
fn without_outer_code(wkt: &str) -> Option<String> {
    let start = wkt
        .rfind("AUTHORITY[\"EPSG\"")
        .or_else(|| wkt.rfind("ID[\"EPSG\""))?;
    let end = start + wkt[start..].find(']')? + 1;
    let comma = wkt[..start].rfind(',')?;
    Some(format!("{}{}", &wkt[..comma], &wkt[end..]))
}

#[test]
fn every_code_is_recognised_in_every_gdal_flavour() {
    let codes: Vec<u32> = [4326, 4490, 3857].into_iter().chain(4491..=4554).collect();
    let failures = Mutex::new(Vec::new());
    let checked = Mutex::new(0_usize);
    // A few gdalsrsinfo processes at a time; each takes ~0.1 s.
    std::thread::scope(|s| {
        for chunk in codes.chunks(codes.len().div_ceil(3)) {
            let (failures, checked) = (&failures, &checked);
            s.spawn(move || {
                for &code in chunk {
                    let want = Some(Crs::from_epsg(code).unwrap());
                    for args in FORMATS {
                        let wkt = gdalsrsinfo(args, code);
                        let mut variants = vec![(args.join(" "), wkt.clone())];
                        if args[1] == "wkt_esri" {
                            assert!(!wkt.contains("AUTHORITY"), "{wkt}");
                        } else {
                            assert!(wkt.contains(&code.to_string()), "{wkt}");
                            let bare = without_outer_code(&wkt).unwrap();
                            assert!(!bare.contains(&format!("EPSG\",{code}]")), "{bare}");
                            assert!(!bare.contains(&format!("EPSG\",\"{code}\"]")), "{bare}");
                            variants.push((format!("{} without its code", args.join(" ")), bare));
                        }
                        for (flavour, text) in variants {
                            *checked.lock().unwrap() += 1;
                            let got = Crs::from_prj(&text);
                            if got != want {
                                failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("EPSG:{code} {flavour}: got {got:?}\n{text}"));
                            }
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let checked = checked.into_inner().unwrap();
    eprintln!(
        "{checked} WKT strings from gdalsrsinfo, {} not recognised",
        failures.len()
    );
    assert_eq!(checked, codes.len() * 6);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_code_cutter_cuts_only_the_outermost_code() {
    let wkt = r#"PROJCS["x",GEOGCS["g",AUTHORITY["EPSG","4490"]],AUTHORITY["EPSG","4545"]]"#;
    assert_eq!(
        without_outer_code(wkt).unwrap(),
        r#"PROJCS["x",GEOGCS["g",AUTHORITY["EPSG","4490"]]]"#
    );
}
