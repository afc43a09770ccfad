//! A small hand-built Dataset with every layer, shared by the formats tests.

#![allow(clippy::unwrap_used, clippy::panic, clippy::too_many_lines, dead_code)] // test helpers

use geo_core::codes::{AdminCode, AdminLevel};
use geo_core::model::{
    AdminUnit, Camera, CameraStatus, Category, Center, Dataset, Direction, Grid, GridKind,
    Incident, IncidentDetails, IncidentId, Lifecycle, Patrol, PatrolId, PositionType, PtzType,
    Source, Step, Supervision, Worker, WorkerId,
};
use geo_types::{coord, LineString, MultiPolygon, Point, Polygon};

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> LineString<f64> {
    LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
}

/// A multipolygon of two parts, the first with a hole.
pub fn holed(x: f64, y: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        Polygon::new(
            rect(x, y, x + 0.01, y + 0.01),
            vec![rect(x + 0.003, y + 0.003, x + 0.006, y + 0.006)],
        ),
        Polygon::new(rect(x + 0.02, y, x + 0.03, y + 0.005), vec![]),
    ])
}

fn code(s: &str) -> AdminCode {
    s.parse().unwrap()
}

fn incident(
    id: u64,
    lon: f64,
    steps: &[(Step, i64)],
    details: bool,
) -> (Incident, Option<IncidentDetails>) {
    let t0 = 1_700_000_000 + id as i64 * 3_600;
    let mut lifecycle = Lifecycle::reported(t0);
    let mut status = Step::Reported;
    for &(s, dt) in steps {
        lifecycle.set(s, t0 + dt).unwrap();
        status = s;
    }
    let category = Category::ALL[id as usize % Category::ALL.len()];
    let inc = Incident {
        id: IncidentId(id),
        location: Point::new(lon, 28.312_345_678_901_23),
        category,
        subcategory: (category.subcategories().len() - 1) as u8,
        source: geo_core::model::Source::ALL[id as usize % 4],
        people: id as u16 * 3,
        status,
        lifecycle,
        deadline: t0 + 7 * 86_400,
        supervision: Supervision::ALL[id as usize % 4],
    };
    let d = details.then(|| IncidentDetails {
        description: format!("第{id}起: 楼道堆放杂物, \"消防\"通道\n堵塞"),
        reporter: format!("王五{id} 13912345678"),
    });
    (inc, d)
}

/// Every layer, Chinese names, holes, revisions, a timed patrol, incidents at various steps.
pub fn dataset() -> Dataset {
    let admin = vec![
        AdminUnit {
            code: code("433101"),
            name: "吉首市".into(),
            parent: Some(code("433100")),
            geometry: holed(109.7, 28.2),
        },
        AdminUnit {
            code: code("433101001"),
            name: "乾州街道".into(),
            parent: Some(code("433101")),
            geometry: MultiPolygon(vec![Polygon::new(
                rect(109.71, 28.21, 109.72, 28.22),
                vec![],
            )]),
        },
        AdminUnit {
            code: code("433101001001"),
            name: "世纪社区".into(),
            parent: Some(code("433101001")),
            geometry: MultiPolygon(vec![Polygon::new(
                rect(109.711, 28.211, 109.715, 28.215),
                vec![],
            )]),
        },
        AdminUnit {
            code: code("430000"),
            name: "湖南省".into(),
            parent: None,
            geometry: MultiPolygon(vec![Polygon::new(rect(108.0, 24.0, 114.0, 30.0), vec![])]),
        },
    ];
    let g1 = "433101001001001".parse().unwrap();
    let g2 = "433101001001002".parse().unwrap();
    let grids = vec![
        Grid {
            code: g1,
            name: "世纪社区第1网格".into(),
            village: "433101001001".parse().unwrap(),
            kind: GridKind::Basic,
            workers: vec![WorkerId("W433101001001001".into()), WorkerId("W2".into())],
            households: 312,
            population: 1_045,
            valid_from: 1_600_000_000,
            valid_to: Some(1_700_000_000),
            revision: 1,
            geometry: MultiPolygon(vec![Polygon::new(
                rect(109.711, 28.211, 109.713, 28.213),
                vec![],
            )]),
        },
        Grid {
            code: g1,
            name: "世纪社区第1网格".into(),
            village: "433101001001".parse().unwrap(),
            kind: GridKind::Basic,
            workers: vec![WorkerId("W433101001001001".into())],
            households: 320,
            population: 1_050,
            valid_from: 1_700_000_000,
            valid_to: None,
            revision: 2,
            geometry: holed(109.711, 28.211),
        },
        Grid {
            code: g2,
            name: "吉首大学专属网格".into(),
            village: "433101001001".parse().unwrap(),
            kind: GridKind::School,
            workers: vec![],
            households: 0,
            population: 8_000,
            valid_from: -86_400,
            valid_to: None,
            revision: 1,
            geometry: MultiPolygon(vec![Polygon::new(
                rect(109.713, 28.211, 109.715, 28.213),
                vec![],
            )]),
        },
    ];
    let cameras = vec![
        Camera {
            id: "43310100001320000001".parse().unwrap(),
            name: "乾州街道世纪大道与人民路口".into(),
            ptz_type: PtzType::Dome,
            position_type: PositionType::new(10).unwrap(),
            direction: Direction::new(1).unwrap(),
            azimuth_deg: Some(123.4),
            fov_deg: Some(0.1),
            range_m: None,
            status: CameraStatus::Online,
            location: Point::new(109.712_345_678_9, 28.212_345_678_9),
        },
        Camera {
            id: "43310100001310000002".parse().unwrap(),
            name: "世纪社区, 北门 \"东\"".into(),
            ptz_type: PtzType::RemoteBullet,
            position_type: PositionType::new(8).unwrap(),
            direction: Direction::new(8).unwrap(),
            azimuth_deg: None,
            fov_deg: Some(60.0),
            range_m: Some(80.5),
            status: CameraStatus::Offline,
            location: Point::new(-179.999_999, -89.5),
        },
    ];
    let all_steps = [
        (Step::Accepted, 60),
        (Step::Filed, 120),
        (Step::Dispatched, 600),
        (Step::Handling, 3_600),
        (Step::Verifying, 86_400),
        (Step::Closed, 90_000),
    ];
    let recs = vec![
        incident(1, 109.712, &[], true),
        incident(
            2,
            109.7121,
            &[
                (Step::Accepted, 0),
                (Step::Filed, 30),
                (Step::Dispatched, 99),
            ],
            true,
        ),
        incident(3, 109.7122, &all_steps, true),
        incident(
            4,
            109.7123,
            &[(Step::Accepted, 10), (Step::Cancelled, 20)],
            true,
        ),
        incident(
            5,
            109.7124,
            &[
                (Step::Accepted, 10),
                (Step::Postponed, 86_400),
                (Step::SentBack, 172_800),
            ],
            true,
        ),
        incident(u64::from(u32::MAX) + 7, 180.0, &[(Step::Accepted, 1)], true),
    ];
    let (incidents, incident_details): (Vec<_>, Vec<_>) = recs
        .into_iter()
        .map(|(i, d)| (i, d.unwrap_or_default()))
        .unzip();
    let patrols = vec![
        Patrol {
            id: PatrolId(1),
            worker: WorkerId("W433101001001001".into()),
            track: LineString(vec![
                coord! { x: 109.711, y: 28.211 },
                coord! { x: 109.7111, y: 28.2112 },
                coord! { x: 109.7115, y: 28.2113 },
                coord! { x: 109.712, y: 28.212 },
                coord! { x: 109.712, y: 28.212 },
            ]),
            times: vec![
                1_700_000_000,
                1_700_000_030,
                1_700_000_060,
                1_700_000_060,
                1_700_000_125,
            ],
        },
        Patrol {
            id: PatrolId(2),
            worker: WorkerId("W2".into()),
            track: LineString(vec![
                coord! { x: 109.0, y: 28.0 },
                coord! { x: 109.1, y: 28.1 },
            ]),
            times: vec![1_700_000_000, 1_700_003_600],
        },
    ];
    let workers = vec![
        Worker {
            id: WorkerId("W433101001001001".into()),
            name: "张三".into(),
            phone: "13800001111".into(),
            grids: vec![g1, g2],
            location: Point::new(109.7119, 28.2118),
            seen_at: 1_700_000_125,
        },
        Worker {
            id: WorkerId("W2".into()),
            name: "李,四\"".into(),
            phone: "13800002222".into(),
            grids: vec![],
            location: Point::new(109.0, 28.0),
            seen_at: 1_700_003_600,
        },
    ];
    let centers = vec![
        Center {
            code: code("433101"),
            level: AdminLevel::County,
            name: "吉首市社会治安综合治理中心".into(),
            location: Point::new(109.7, 28.26),
        },
        Center {
            code: code("433101001001"),
            level: AdminLevel::Village,
            name: "世纪社区综治中心".into(),
            location: Point::new(109.712, 28.212),
        },
    ];
    let _ = Source::ALL;
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

/// The personal strings of the fixture, which must not appear when not asked for.
pub fn personal_strings(d: &Dataset) -> Vec<String> {
    let mut v: Vec<String> = d
        .workers
        .iter()
        .flat_map(|w| [w.name.clone(), w.phone.clone()])
        .collect();
    v.extend(d.incident_details.iter().map(|x| x.reporter.clone()));
    v.push("楼道堆放杂物".into());
    v
}
