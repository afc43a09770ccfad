//! The GeoPackage store: round trip, upsert, delete, all-or-nothing, reopen, refusal of
//! foreign files, and GDAL (`ogrinfo`, `ogr2ogr`) as an independent reader and writer.

// Tests may unwrap and panic (BRIEF); helpers outside #[test] fns need it said.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

use std::path::Path;
use std::process::Command;

use geo_core::codes::{AdminCode, AdminLevel};
use geo_core::model::{
    AdminUnit, Camera, CameraStatus, Category, Center, Dataset, Direction, Grid, GridKind,
    Incident, IncidentDetails, IncidentId, Layer, Lifecycle, Patrol, PatrolId, PositionType,
    PtzType, Source, Step, Supervision, Worker, WorkerId,
};
use geo_core::store::gpkg::{decode, Decoded};
use geo_core::store::{ChangeSet, FeatureKey, GpkgStore, Store};
use geo_core::Error;
use geo_types::{coord, polygon, Coord, LineString, MultiPolygon, Point, Rect};

const T0: i64 = 1_700_000_000;

fn square(x: f64, y: f64, size: f64) -> geo_types::Polygon<f64> {
    polygon![(x: x, y: y), (x: x + size, y: y), (x: x + size, y: y + size), (x: x, y: y + size)]
}

/// A small dataset with every layer, Chinese names, a hole, a timed patrol, incidents with
/// every step, and a grid with two revisions.
#[allow(clippy::too_many_lines)] // one literal dataset reads best in one place
fn dataset() -> Dataset {
    let county: AdminCode = "433101".parse().unwrap();
    let town: AdminCode = "433101001".parse().unwrap();
    let village: AdminCode = "433101001001".parse().unwrap();
    let with_hole = polygon!(
        exterior: [(x: 109.60, y: 28.20), (x: 109.80, y: 28.20), (x: 109.80, y: 28.40), (x: 109.60, y: 28.40)],
        interiors: [[(x: 109.65, y: 28.25), (x: 109.70, y: 28.25), (x: 109.70, y: 28.30), (x: 109.65, y: 28.30)]],
    );
    let admin = vec![
        AdminUnit {
            code: county,
            name: "吉首市".into(),
            parent: Some("433100".parse().unwrap()),
            geometry: MultiPolygon(vec![with_hole, square(109.9, 28.1, 0.05)]),
        },
        AdminUnit {
            code: town,
            name: "乾州街道".into(),
            parent: Some(county),
            geometry: square(109.70, 28.30, 0.05).into(),
        },
        AdminUnit {
            code: village,
            name: "世纪社区".into(),
            parent: Some(town),
            geometry: square(109.71, 28.31, 0.02).into(),
        },
    ];
    let g1 = "433101001001001".parse().unwrap();
    let g2 = "433101001001002".parse().unwrap();
    let v = "433101001001".parse().unwrap();
    let w1 = WorkerId("W433101001001001".into());
    let w2 = WorkerId("W433101001001002".into());
    let grid = |code, rev: u32, valid_to, size: f64, workers: Vec<WorkerId>| Grid {
        code,
        name: format!("世纪社区第{rev}网格"),
        village: v,
        kind: if rev == 1 {
            GridKind::Basic
        } else {
            GridKind::School
        },
        workers,
        households: 120 * rev,
        population: 350 * rev,
        valid_from: T0 + i64::from(rev) * 1000,
        valid_to,
        revision: rev,
        geometry: square(109.71, 28.31, size).into(),
    };
    let grids = vec![
        grid(g1, 1, Some(T0 + 2000), 0.010, vec![w1.clone()]),
        grid(g1, 2, None, 0.012, vec![w1.clone(), w2.clone()]),
        grid(g2, 1, None, 0.008, vec![]),
    ];
    let cameras = vec![
        Camera {
            id: "43310100001320000001".parse().unwrap(),
            name: "乾州街道世纪大道与人民路口".into(),
            ptz_type: PtzType::Dome,
            position_type: PositionType::new(10).unwrap(),
            direction: Direction::new(6).unwrap(),
            azimuth_deg: Some(47.5),
            fov_deg: Some(62.25),
            range_m: Some(80.0),
            status: CameraStatus::Online,
            location: Point::new(109.7123, 28.3145),
        },
        Camera {
            id: "43310100001310000002".parse().unwrap(),
            name: "世纪社区东门".into(),
            ptz_type: PtzType::FixedBullet,
            position_type: PositionType::new(3).unwrap(),
            direction: Direction::new(1).unwrap(),
            azimuth_deg: None,
            fov_deg: None,
            range_m: None,
            status: CameraStatus::Offline,
            location: Point::new(109.7201, 28.3199),
        },
    ];
    let mut every_step = Lifecycle::reported(T0);
    for (k, s) in Step::ALL.iter().enumerate().skip(1) {
        every_step.set(*s, T0 + 600 * k as i64).unwrap();
    }
    let mut closed = Lifecycle::reported(T0 + 50);
    for s in [
        Step::Accepted,
        Step::Filed,
        Step::Dispatched,
        Step::Handling,
        Step::Verifying,
        Step::Closed,
    ] {
        closed.set(s, T0 + 50 + 3600 * (s.index() as i64)).unwrap();
    }
    let incident = |id: u64, lifecycle: Lifecycle, status, cat: Category, x: f64| Incident {
        id: IncidentId(id),
        location: Point::new(x, 28.315),
        category: cat,
        subcategory: (id % cat.subcategories().len() as u64) as u8,
        source: Source::ALL[(id % 4) as usize],
        people: id as u16 * 3,
        status,
        lifecycle,
        deadline: T0 + 86_400 * 7,
        supervision: Supervision::ALL[(id % 4) as usize],
    };
    let incidents = vec![
        incident(1, every_step, Step::SentBack, Category::Dispute, 109.711),
        incident(2, closed, Step::Closed, Category::FireHazard, 109.712),
        incident(
            3,
            Lifecycle::reported(T0 + 99),
            Step::Reported,
            Category::Petition,
            109.713,
        ),
    ];
    let incident_details = vec![
        IncidentDetails {
            description: "邻里因噪声发生纠纷".into(),
            reporter: "张三 13800000000".into(),
        },
        IncidentDetails {
            description: "楼道电动车违规充电".into(),
            reporter: "李四".into(),
        },
        IncidentDetails::default(),
    ];
    let patrols = vec![Patrol {
        id: PatrolId(7),
        worker: w1.clone(),
        track: LineString::from(vec![
            (109.711, 28.311),
            (109.712, 28.3125),
            (109.7131, 28.314),
        ]),
        times: vec![T0, T0 + 30, T0 + 95],
    }];
    let workers = vec![
        Worker {
            id: w1,
            name: "王五".into(),
            phone: "13900000001".into(),
            grids: vec![g1],
            location: Point::new(109.7131, 28.314),
            seen_at: T0 + 95,
        },
        Worker {
            id: w2,
            name: "赵六".into(),
            phone: "13900000002".into(),
            grids: vec![g1, g2],
            location: Point::new(109.715, 28.316),
            seen_at: T0,
        },
    ];
    let centers = vec![
        Center {
            code: county,
            level: AdminLevel::County,
            name: "吉首市社会治安综合治理中心".into(),
            location: Point::new(109.735, 28.262),
        },
        Center {
            code: town,
            level: AdminLevel::Township,
            name: "乾州街道综治中心".into(),
            location: Point::new(109.72, 28.31),
        },
    ];
    Dataset {
        admin,
        grids,
        cameras,
        incidents,
        incident_details,
        patrols,
        workers,
        centers,
    }
}

fn changes(upserts: Dataset, deletes: Vec<FeatureKey>) -> ChangeSet {
    ChangeSet {
        upserts,
        deletes,
        author: "测试".into(),
        summary: "test".into(),
        ..ChangeSet::default()
    }
}

/// Brute-force bounding box of every coordinate in a dataset, per layer and overall.
fn coords(d: &Dataset, layer: Layer) -> Vec<Coord<f64>> {
    let mp = |m: &MultiPolygon<f64>| {
        m.iter()
            .flat_map(|p| p.exterior().0.clone())
            .collect::<Vec<_>>()
    };
    match layer {
        Layer::Admin => d.admin.iter().flat_map(|a| mp(&a.geometry)).collect(),
        Layer::Grids => d.grids.iter().flat_map(|g| mp(&g.geometry)).collect(),
        Layer::Cameras => d.cameras.iter().map(|c| c.location.0).collect(),
        Layer::Incidents => d.incidents.iter().map(|c| c.location.0).collect(),
        Layer::Patrols => d.patrols.iter().flat_map(|p| p.track.0.clone()).collect(),
        Layer::Workers => d.workers.iter().map(|c| c.location.0).collect(),
        Layer::Centers => d.centers.iter().map(|c| c.location.0).collect(),
    }
}

fn bbox(cs: &[Coord<f64>]) -> Option<Rect<f64>> {
    let first = cs.first()?;
    let (mut lo, mut hi) = (*first, *first);
    for c in cs {
        lo = coord! {x: lo.x.min(c.x), y: lo.y.min(c.y)};
        hi = coord! {x: hi.x.max(c.x), y: hi.y.max(c.y)};
    }
    Some(Rect::new(lo, hi))
}

fn count_of(d: &Dataset, layer: Layer) -> usize {
    match layer {
        Layer::Admin => d.admin.len(),
        Layer::Grids => d.grids.len(),
        Layer::Cameras => d.cameras.len(),
        Layer::Incidents => d.incidents.len(),
        Layer::Patrols => d.patrols.len(),
        Layer::Workers => d.workers.len(),
        Layer::Centers => d.centers.len(),
    }
}

fn assert_same(got: &Dataset, want: &Dataset) {
    assert_eq!(got.admin, want.admin);
    assert_eq!(got.grids, want.grids);
    assert_eq!(got.cameras, want.cameras);
    assert_eq!(got.incidents, want.incidents);
    assert_eq!(got.patrols, want.patrols);
    assert_eq!(got.workers, want.workers);
    assert_eq!(got.centers, want.centers);
    assert!(
        got.incident_details.is_empty(),
        "load leaves incident details out"
    );
}

fn temp() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("onemap.gpkg");
    (dir, path)
}

#[tokio::test]
async fn round_trip_every_layer() {
    let (_dir, path) = temp();
    let store = GpkgStore::open(&path).unwrap();
    assert!(store.is_empty().await.unwrap());
    let data = dataset();
    let applied = store.apply(changes(data.clone(), vec![])).await.unwrap();
    assert_eq!(applied.seq, 1);
    assert_eq!(applied.layers, Layer::ALL.to_vec());
    let total: usize = Layer::ALL.iter().map(|l| count_of(&data, *l)).sum();
    assert_eq!(applied.rows, total as u64);
    let all: Vec<Coord<f64>> = Layer::ALL.iter().flat_map(|l| coords(&data, *l)).collect();
    assert_eq!(applied.dirty, bbox(&all));

    assert!(!store.is_empty().await.unwrap());
    assert_same(&store.load().await.unwrap(), &data);
    for layer in Layer::ALL {
        assert_eq!(
            store.count(layer).await.unwrap(),
            count_of(&data, layer) as u64,
            "{layer}"
        );
    }
    for (i, det) in data.incidents.iter().zip(&data.incident_details) {
        assert_eq!(
            store.incident_details(i.id).await.unwrap().as_ref(),
            Some(det)
        );
    }
    assert_eq!(store.incident_details(IncidentId(999)).await.unwrap(), None);
    store.check_integrity().await.unwrap();

    // The file itself: GeoPackage header values, SRS rows and extents, read with plain SQLite.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    let ver: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((app.to_be_bytes(), ver), (*b"GPKG", 10300));
    let srs: Vec<i64> = conn
        .prepare("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(srs, [-1, 0, 4326, 4490]);
    for layer in Layer::ALL {
        let ext: (f64, f64, f64, f64, i64) = conn
            .query_row(
                "SELECT min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents WHERE table_name = ?1",
                [layer.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        let want = bbox(&coords(&data, layer)).unwrap();
        assert_eq!(
            ext,
            (want.min().x, want.min().y, want.max().x, want.max().y, 4490),
            "{layer}"
        );
    }
    let changes_row: (i64, String, String, i64) = conn
        .query_row(
            "SELECT seq, author, layers, rows FROM onemap_changes",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        changes_row,
        (
            1,
            "测试".into(),
            "admin,grids,centers,workers,cameras,incidents,patrols".into(),
            total as i64
        )
    );
}

#[tokio::test]
async fn upsert_replaces_and_keeps_details_when_none_given() {
    let (_dir, path) = temp();
    let store = GpkgStore::open(&path).unwrap();
    let data = dataset();
    store.apply(changes(data.clone(), vec![])).await.unwrap();

    let mut cam = data.cameras[1].clone();
    cam.name = "世纪社区东门(迁移)".into();
    cam.location = Point::new(109.75, 28.35);
    cam.status = CameraStatus::Online;
    let mut inc = data.incidents[2].clone();
    inc.status = Step::Accepted;
    inc.lifecycle.set(Step::Accepted, T0 + 500).unwrap();
    let mut grid = data.grids[1].clone();
    grid.population = 999;
    let upd = Dataset {
        cameras: vec![cam.clone()],
        incidents: vec![inc.clone()],
        grids: vec![grid.clone()],
        ..Dataset::default()
    };
    let applied = store.apply(changes(upd, vec![])).await.unwrap();
    assert_eq!((applied.seq, applied.rows), (2, 3));
    assert_eq!(
        applied.layers,
        vec![Layer::Grids, Layer::Cameras, Layer::Incidents]
    );
    let dirty = applied.dirty.unwrap();
    let old = data.cameras[1].location.0;
    for c in [old, cam.location.0, inc.location.0] {
        assert!(
            dirty.min().x <= c.x
                && c.x <= dirty.max().x
                && dirty.min().y <= c.y
                && c.y <= dirty.max().y
        );
    }

    let mut want = data.clone();
    want.cameras[1] = cam;
    want.incidents[2] = inc;
    want.grids[1] = grid;
    assert_same(&store.load().await.unwrap(), &want);
    assert_eq!(store.count(Layer::Cameras).await.unwrap(), 2);

    // Details: kept when the upsert carries none, replaced when it does.
    let mut inc0 = data.incidents[0].clone();
    inc0.people = 1;
    store
        .apply(changes(
            Dataset {
                incidents: vec![inc0.clone()],
                ..Dataset::default()
            },
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(
        store.incident_details(inc0.id).await.unwrap().as_ref(),
        Some(&data.incident_details[0])
    );
    let new_det = IncidentDetails {
        description: "已调解".into(),
        reporter: "张三".into(),
    };
    store
        .apply(changes(
            Dataset {
                incidents: vec![inc0.clone()],
                incident_details: vec![new_det.clone()],
                ..Dataset::default()
            },
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(
        store.incident_details(inc0.id).await.unwrap(),
        Some(new_det)
    );
}

#[tokio::test]
async fn deletes_remove_rows_and_shrink_extents() {
    let (_dir, path) = temp();
    let store = GpkgStore::open(&path).unwrap();
    let data = dataset();
    store.apply(changes(data.clone(), vec![])).await.unwrap();
    let deletes = vec![
        FeatureKey::Grid(data.grids[0].code), // both revisions
        FeatureKey::Incident(IncidentId(2)),
        FeatureKey::Admin(data.admin[0].code),
        FeatureKey::Camera(data.cameras[0].id),
        FeatureKey::Patrol(PatrolId(7)),
        FeatureKey::Worker(data.workers[1].id.clone()),
        FeatureKey::Center(data.centers[1].code),
        FeatureKey::Incident(IncidentId(12345)), // absent: deletes nothing
    ];
    let applied = store
        .apply(changes(Dataset::default(), deletes))
        .await
        .unwrap();
    assert_eq!(applied.rows, 8);
    let mut want = data.clone();
    want.grids.retain(|g| g.code != data.grids[0].code);
    want.incidents.retain(|i| i.id != IncidentId(2));
    want.admin.remove(0);
    want.cameras.remove(0);
    want.patrols.clear();
    want.workers.remove(1);
    want.centers.remove(1);
    // The dirty box covers everything deleted: here the county's far square.
    let gone: Vec<Coord<f64>> = coords(&data, Layer::Admin)[..].to_vec();
    let d = applied.dirty.unwrap();
    let g = bbox(&gone).unwrap();
    assert!(d.min().x <= g.min().x && d.max().x >= g.max().x);
    assert_same(&store.load().await.unwrap(), &want);
    assert_eq!(store.incident_details(IncidentId(2)).await.unwrap(), None);

    let conn = rusqlite::Connection::open(&path).unwrap();
    for layer in [Layer::Admin, Layer::Grids, Layer::Cameras, Layer::Incidents] {
        let ext: (f64, f64, f64, f64) = conn
            .query_row(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?1",
                [layer.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        let w = bbox(&coords(&want, layer)).unwrap();
        assert_eq!(ext, (w.min().x, w.min().y, w.max().x, w.max().y), "{layer}");
    }
    let empty: Option<f64> = conn
        .query_row(
            "SELECT min_x FROM gpkg_contents WHERE table_name = 'patrols'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(empty, None);
}

#[tokio::test]
async fn invalid_change_set_writes_nothing() {
    type Spoil = Box<dyn Fn(&mut Dataset)>;
    let (_dir, path) = temp();
    let store = GpkgStore::open(&path).unwrap();
    let good = dataset();
    let bad_sets: Vec<Spoil> = vec![
        Box::new(|d| {
            d.patrols[0].times.pop();
        }),
        Box::new(|d| d.incidents[1].location = Point::new(f64::NAN, 28.0)),
        Box::new(|d| d.cameras[0].location = Point::new(190.0, 28.0)),
        Box::new(|d| {
            d.incident_details.pop();
        }),
        Box::new(|d| d.cameras[0].fov_deg = Some(f32::INFINITY)),
        Box::new(|d| d.grids[2].geometry = MultiPolygon(vec![])),
        Box::new(|d| d.incidents[0].id = IncidentId(u64::MAX)),
        Box::new(|d| d.workers[0].id = WorkerId("a,b".into())),
        Box::new(|d| d.patrols[0].times = vec![T0 + 10, T0, T0 + 20]),
        Box::new(|d| d.incidents[0].subcategory = 200),
    ];
    for (n, spoil) in bad_sets.iter().enumerate() {
        let mut d = good.clone();
        spoil(&mut d);
        let err = store
            .apply(changes(d, vec![FeatureKey::Incident(IncidentId(1))]))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "case {n}: {err}");
        assert!(store.is_empty().await.unwrap(), "case {n} wrote something");
    }
    // No sequence number was used by the refused writes.
    assert_eq!(store.apply(changes(good, vec![])).await.unwrap().seq, 1);
}

#[tokio::test]
async fn reopen_after_drop_keeps_everything() {
    let (_dir, path) = temp();
    let data = dataset();
    {
        let store = GpkgStore::open(&path).unwrap();
        store.apply(changes(data.clone(), vec![])).await.unwrap();
    }
    // Dropping the store closed every connection, so SQLite folded the WAL into the file.
    assert!(!path.with_extension("gpkg-wal").exists());
    let store = GpkgStore::open(&path).unwrap();
    assert_same(&store.load().await.unwrap(), &data);
    assert_eq!(
        store
            .incident_details(IncidentId(1))
            .await
            .unwrap()
            .as_ref(),
        Some(&data.incident_details[0])
    );
    store.check_integrity().await.unwrap();
    assert_eq!(
        store
            .apply(changes(Dataset::default(), vec![]))
            .await
            .unwrap()
            .seq,
        2
    );
}

fn refused(path: &Path) -> String {
    match GpkgStore::open(path) {
        Err(Error::Corrupt(msg)) => msg,
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn foreign_files_are_refused_with_a_clear_error() {
    let (dir, _) = temp();
    let text = dir.path().join("notes.gpkg");
    std::fs::write(
        &text,
        "这不是数据库 — just some text that is long enough to look like a header.....".repeat(20),
    )
    .unwrap();
    assert!(
        refused(&text).contains("not an SQLite database"),
        "{}",
        refused(&text)
    );

    let sqlite = dir.path().join("plain.sqlite");
    rusqlite::Connection::open(&sqlite)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(
        refused(&sqlite).contains("not a GeoPackage"),
        "{}",
        refused(&sqlite)
    );

    let newer = dir.path().join("newer.gpkg");
    drop(GpkgStore::open(&newer).unwrap());
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("UPDATE onemap_meta SET value = '99' WHERE key = 'schema_version'")
        .unwrap();
    assert!(refused(&newer).contains("newer"), "{}", refused(&newer));

    let future = dir.path().join("future.gpkg");
    drop(GpkgStore::open(&future).unwrap());
    rusqlite::Connection::open(&future)
        .unwrap()
        .execute_batch("PRAGMA user_version = 20000")
        .unwrap();
    assert!(
        refused(&future).contains("GeoPackage version 20000"),
        "{}",
        refused(&future)
    );

    // A GeoPackage made by GDAL is valid but not onemap's: import it instead.
    let gdal = dir.path().join("gdal.gpkg");
    let geojson = dir.path().join("in.geojson");
    std::fs::write(&geojson, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"点"},"geometry":{"type":"Point","coordinates":[109.7,28.3]}}]}"#).unwrap();
    let st = Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gdal)
        .arg(&geojson)
        .status()
        .expect("ogr2ogr (Debian gdal-bin) must be installed");
    assert!(st.success());
    assert!(
        refused(&gdal).contains("not an onemap store"),
        "{}",
        refused(&gdal)
    );
}

fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (Debian gdal-bin) must be installed for this test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo {args:?} failed: {stderr}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Warning"),
        "ogrinfo {args:?} complained: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn ogrinfo_reads_every_layer() {
    let (_dir, path) = temp();
    let store = GpkgStore::open(&path).unwrap();
    let data = dataset();
    store.apply(changes(data.clone(), vec![])).await.unwrap();
    let file = path.to_str().unwrap();
    for layer in Layer::ALL {
        let out = ogrinfo(&["-so", file, layer.as_str()]);
        let field = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name} in ogrinfo output:\n{out}"))
                .trim()
                .to_owned()
        };
        let want_geom = match layer {
            Layer::Admin | Layer::Grids => "Multi Polygon",
            // GDAL's name for wkbLineStringM.
            Layer::Patrols => "Measured Line String",
            _ => "Point",
        };
        assert_eq!(field("Geometry:"), want_geom, "{layer}");
        assert_eq!(
            field("Feature Count:"),
            count_of(&data, layer).to_string(),
            "{layer}"
        );
        let b = bbox(&coords(&data, layer)).unwrap();
        let ext = field("Extent:");
        let nums: Vec<f64> = ext
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter(|s| !s.is_empty() && *s != "-")
            .map(|s| s.parse().unwrap())
            .collect();
        let want = [b.min().x, b.min().y, b.max().x, b.max().y];
        assert!(
            nums.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6),
            "{layer}: {ext} vs {want:?}"
        );
        assert!(
            out.contains("China Geodetic Coordinate System 2000") || out.contains("CGCS2000"),
            "{layer}: {out}"
        );
    }
    // GDAL decodes our blobs on its own: the patrol's vertices and M times match.
    let out = ogrinfo(&["-q", file, "patrols"]);
    let wkt = out
        .lines()
        .find(|l| l.trim_start().starts_with("LINESTRING M"))
        .unwrap();
    let inner = wkt.trim().split_once('(').unwrap().1.trim_end_matches(')');
    let pts: Vec<Vec<f64>> = inner
        .split(',')
        .map(|p| {
            p.split_whitespace()
                .map(|n| n.parse().unwrap_or_else(|_| panic!("{n:?} in {wkt}")))
                .collect()
        })
        .collect();
    let p = &data.patrols[0];
    assert_eq!(pts.len(), p.track.0.len());
    for ((got, c), t) in pts.iter().zip(&p.track.0).zip(&p.times) {
        // Whole seconds are exact in an f64 M value, so they must come back exactly.
        #[allow(clippy::float_cmp)]
        let same_time = got[2] == *t as f64;
        assert!(
            (got[0] - c.x).abs() < 1e-9 && (got[1] - c.y).abs() < 1e-9 && same_time,
            "{got:?}"
        );
    }
    // And the Chinese attributes come through as UTF-8.
    assert!(ogrinfo(&["-q", file, "admin"]).contains("吉首市"));

    // GDAL's GeoPackage conformance validator (Debian python3-gdal) finds nothing to report.
    drop(store);
    let out = Command::new("/usr/bin/python3")
        .arg("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")
        .arg(file)
        .output()
        .expect("python3-gdal's validate_gpkg.py must be installed");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "validate_gpkg.py: {report}"
    );
}

#[test]
fn decodes_what_gdal_writes() {
    let (dir, _) = temp();
    let src = dir.path().join("in.geojson");
    std::fs::write(
        &src,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[109.7,28.3]}},
        {"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]],[[[10,10],[11,10],[11,11],[10,10]]]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,5]]]}}
        ]}"#,
    )
    .unwrap();
    let out = dir.path().join("gdal.gpkg");
    let st = Command::new("ogr2ogr")
        .args(["-f", "GPKG", "-nlt", "GEOMETRY"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("ogr2ogr (Debian gdal-bin) must be installed");
    assert!(st.success());
    let conn = rusqlite::Connection::open(&out).unwrap();
    let blobs: Vec<Vec<u8>> = conn
        .prepare("SELECT geom FROM \"in\" ORDER BY fid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        decode(&blobs[0]).unwrap(),
        Decoded::Point(Point::new(109.7, 28.3))
    );
    let Decoded::Polygons(mp) = decode(&blobs[1]).unwrap() else {
        panic!()
    };
    assert_eq!(mp.0.len(), 2);
    assert_eq!(mp.0[0].interiors().len(), 1);
    assert_eq!(mp.0[1].exterior().0[1], coord! {x: 11.0, y: 10.0});
    let Decoded::Polygons(p) = decode(&blobs[2]).unwrap() else {
        panic!()
    };
    assert_eq!(
        p.0,
        vec![polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 6.)]]
    );
}

#[test]
fn store_is_usable_as_arc_dyn() {
    let (_dir, path) = temp();
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(GpkgStore::open(&path).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(rt.block_on(store.is_empty()).unwrap());
}
