//! The core snapshot: a core read back from its snapshot answers exactly as the core it was
//! written from (every layer, tiles of every layer, locate, the incident delta and writes
//! after it), and a snapshot that is damaged, cut short, of another store or not a snapshot
//! at all is refused with an error, never read as something else.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::sync::OnceLock;

use geo_core::access::Scope;
use geo_core::demo::{generate, DemoConfig};
use geo_core::index::{read_snapshot_header, Core, SnapshotError};
use geo_core::model::{Dataset, IncidentId, IncidentStatus};
use geo_core::render::{render_tile, TileFilter, TileLayer};
use geo_core::store::{ChangeKind, ChangeSet, FeatureKey};
use geo_core::tile::TileCoord;

const STORE: &str = "1@1700000000 demo";

fn data() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| generate(&DemoConfig::county_sample()).unwrap())
}

fn written(core: &Core, dir: &Path) -> std::path::PathBuf {
    let path = dir.join("store.gpkg.core");
    let bytes = core.write_snapshot(&path, STORE).unwrap();
    assert_eq!(bytes, std::fs::metadata(&path).unwrap().len());
    path
}

/// Every layer as plain values, compared field by field.
fn assert_same_data(a: &Core, b: &Core) {
    let (a, b) = (a.to_dataset(), b.to_dataset());
    assert_eq!(a.admin, b.admin, "admin");
    assert_eq!(a.grids, b.grids, "grids");
    assert_eq!(a.cameras, b.cameras, "cameras");
    assert_eq!(a.incidents, b.incidents, "incidents");
    assert_eq!(a.patrols, b.patrols, "patrols");
    assert_eq!(a.workers, b.workers, "workers");
    assert_eq!(a.centers, b.centers, "centers");
}

/// The tiles of every layer over the data's extent at a few zooms, byte for byte, and
/// locate at every incident (the indexes, not only the values, came back).
fn assert_same_answers(a: &Core, b: &Core) {
    assert_eq!(a.counts(), b.counts());
    let d = a.to_dataset();
    let probe: Vec<_> = d.incidents.iter().step_by(97).map(|i| i.location).collect();
    let mut tiles = std::collections::BTreeSet::new();
    for p in &probe {
        for z in [8, 10, 12, 14] {
            tiles.insert(TileCoord::containing(p.x(), p.y(), z).unwrap());
        }
    }
    let layers = TileLayer::ALL;
    let raw = TileFilter {
        raw: true,
        ..TileFilter::default()
    };
    let mut rendered = 0;
    for t in &tiles {
        for layer in &layers {
            for filter in [&TileFilter::default(), &raw] {
                let x = render_tile(a, *layer, *t, filter, &Scope::ALL).unwrap();
                let y = render_tile(b, *layer, *t, filter, &Scope::ALL).unwrap();
                assert_eq!(x, y, "{layer:?} tile {t:?}");
                rendered += usize::from(!x.is_empty());
            }
        }
    }
    assert!(rendered > 100, "only {rendered} non-empty tiles compared");
    for p in &probe {
        let x = serde_json::to_string(&a.locate(p.x(), p.y()).unwrap()).unwrap();
        let y = serde_json::to_string(&b.locate(p.x(), p.y()).unwrap()).unwrap();
        assert_eq!(x, y);
    }
}

#[test]
fn a_core_reads_back_as_it_was_written() {
    let core = Core::new(data().clone()).at_seq(41);
    let dir = tempfile::tempdir().unwrap();
    let path = written(&core, dir.path());
    let header = read_snapshot_header(&path).unwrap();
    assert_eq!((header.store.as_str(), header.seq), (STORE, 41));
    let back = Core::read_snapshot(&path, STORE).unwrap();
    assert_eq!(back.seq(), 41);
    assert_same_data(&core, &back);
    assert_same_answers(&core, &back);
}

/// New, changed and deleted incidents since the built part (the delta) come back, and a
/// write after the read lands as on the original.
#[test]
fn the_incident_delta_and_later_writes_come_back() {
    let core = Core::new(data().clone());
    let built = core.to_dataset().incidents;
    let mut added: Vec<_> = built.iter().take(30).cloned().collect();
    for (n, i) in added.iter_mut().enumerate() {
        i.id = IncidentId(9_000_000 + n as u64);
    }
    let mut changed = built[100].clone();
    changed.status = IncidentStatus::ALL[(changed.status.index() + 1) % IncidentStatus::ALL.len()];
    let mut write = ChangeSet::new(ChangeKind::Report, "test", "delta");
    write.upserts.incidents = added.clone();
    write.upserts.incidents.push(changed);
    write.deletes = vec![
        FeatureKey::Incident(built[7].id),
        FeatureKey::Incident(added[3].id),
    ];
    let core = core.apply(&write).at_seq(2);
    assert_eq!(core.incidents().count(), built.len() + 30 - 2);

    let dir = tempfile::tempdir().unwrap();
    let path = written(&core, dir.path());
    let back = Core::read_snapshot(&path, STORE).unwrap();
    assert_same_data(&core, &back);
    assert_same_answers(&core, &back);

    let mut later = ChangeSet::new(ChangeKind::Report, "test", "after");
    let mut again = built[200].clone();
    again.id = IncidentId(9_500_000);
    later.upserts.incidents = vec![again];
    later.deletes = vec![
        FeatureKey::Incident(added[5].id),
        FeatureKey::Incident(built[9].id),
    ];
    assert_same_answers(&core.apply(&later), &back.apply(&later));
}

fn refused(path: &Path) -> SnapshotError {
    match Core::read_snapshot(path, STORE) {
        Ok(_) => panic!("{} was read", path.display()),
        Err(e) => e,
    }
}

#[test]
fn damaged_or_cut_snapshots_are_refused() {
    let core = Core::new(data().clone()).at_seq(3);
    let dir = tempfile::tempdir().unwrap();
    let path = written(&core, dir.path());
    let good = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.core");
    // One flipped bit anywhere: header, section table, every section.
    let step = (good.len() / 97).max(1);
    for at in (0..200).chain((200..good.len()).step_by(step)) {
        let mut bytes = good.clone();
        bytes[at] ^= 0x10;
        std::fs::write(&bad, &bytes).unwrap();
        let e = refused(&bad);
        assert!(
            matches!(
                e,
                SnapshotError::Damaged { .. }
                    | SnapshotError::NotASnapshot(_)
                    | SnapshotError::OtherBuild(_)
                    | SnapshotError::OtherStore { .. }
            ),
            "byte {at}: {e}"
        );
    }
    // Cut short anywhere, or with bytes after the end.
    for len in [0, 7, 8, 31, 32, 100, good.len() / 2, good.len() - 1] {
        std::fs::write(&bad, &good[..len]).unwrap();
        let e = refused(&bad);
        assert!(
            matches!(
                e,
                SnapshotError::Damaged { .. } | SnapshotError::NotASnapshot(_)
            ),
            "{len} bytes: {e}"
        );
    }
    let mut longer = good.clone();
    longer.push(0);
    std::fs::write(&bad, &longer).unwrap();
    assert!(matches!(refused(&bad), SnapshotError::Damaged { .. }));
    // Not a snapshot at all; missing.
    std::fs::write(&bad, b"SQLite format 3\0 and more bytes than a header has").unwrap();
    assert!(matches!(refused(&bad), SnapshotError::NotASnapshot(_)));
    let missing = dir.path().join("missing.core");
    assert!(matches!(refused(&missing), SnapshotError::Io { .. }));
    // The good one still reads.
    assert_eq!(Core::read_snapshot(&path, STORE).unwrap().seq(), 3);
}

#[test]
fn a_snapshot_of_another_store_is_refused() {
    let core = Core::new(data().clone());
    let dir = tempfile::tempdir().unwrap();
    let path = written(&core, dir.path());
    let e = Core::read_snapshot(&path, "1@1800000000 demo")
        .err()
        .unwrap();
    assert!(matches!(e, SnapshotError::OtherStore { .. }), "{e}");
    assert!(e.to_string().contains("1@1700000000 demo"), "{e}");
}

/// A write that fails leaves the previous snapshot as it was, and no scratch file.
#[test]
fn a_failed_write_keeps_the_old_snapshot() {
    let core = Core::new(data().clone()).at_seq(5);
    let dir = tempfile::tempdir().unwrap();
    let path = written(&core, dir.path());
    let before = std::fs::read(&path).unwrap();
    let too_long = "x".repeat(5000);
    assert!(core.at_seq(6).write_snapshot(&path, &too_long).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}
