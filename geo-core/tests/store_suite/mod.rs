//! One test suite over the [`Store`] trait, run against every store (the GeoPackage store
//! here; the PostGIS store from its own test file): the change table, workflow steps, raw
//! GPS fixes, users and tokens, group commit and reading by key.

#![allow(clippy::unwrap_used, clippy::panic, dead_code)]

use geo_core::access::{Role, TokenRecord, User};
use geo_core::model::{
    Category, Dataset, Incident, IncidentId, Layer, Lifecycle, Source, Step, Supervision, Worker,
    WorkerId,
};
use geo_core::store::{
    ChangeKind, ChangeQuery, ChangeSet, FeatureKey, Position, StepRecord, Store,
};
use geo_types::Point;

const T0: i64 = 1_700_000_000;

/// An incident at (lon, lat) with id `id`, reported at `T0 + id`.
pub fn incident(id: u64, lon: f64, lat: f64) -> Incident {
    Incident {
        id: IncidentId(id),
        location: Point::new(lon, lat),
        category: Category::Dispute,
        subcategory: 1,
        source: Source::Hotline,
        people: 2,
        status: Step::Reported,
        lifecycle: Lifecycle::reported(T0 + id as i64),
        deadline: T0 + 86_400 * 7,
        supervision: Supervision::None,
    }
}

fn worker(id: &str) -> Worker {
    Worker {
        id: WorkerId(id.into()),
        name: "张三".into(),
        phone: "13800000000".into(),
        grids: vec![],
        location: Point::new(109.7, 28.3),
        seen_at: T0,
    }
}

fn report(ids: &[u64]) -> ChangeSet {
    let mut c = ChangeSet::new(ChangeKind::Report, "operator1", "report");
    c.origin = "127.0.0.1".into();
    c.upserts.incidents = ids
        .iter()
        .map(|&i| incident(i, 109.7 + i as f64 * 1e-4, 28.3))
        .collect();
    c
}

/// Every committed write gets the next sequence number and a record that reads back as
/// written: kind, author, origin, keys, dirty box; queries filter and page.
pub async fn change_records(store: &dyn Store) {
    let base = store.seq().await.unwrap();
    let a = store.apply(report(&[1, 2])).await.unwrap();
    let b = store.apply(report(&[3])).await.unwrap();
    assert_eq!(a.seq, base + 1);
    assert_eq!(b.seq, base + 2);
    assert_eq!(store.seq().await.unwrap(), b.seq);
    assert_eq!(a.kind, ChangeKind::Report);
    assert_eq!(a.layers, vec![Layer::Incidents]);
    assert_eq!(
        a.keys,
        Some(vec![
            FeatureKey::Incident(IncidentId(1)),
            FeatureKey::Incident(IncidentId(2))
        ])
    );
    let dirty = a.dirty.unwrap();
    assert!((dirty.min().x - 109.7001).abs() < 1e-9 && (dirty.max().x - 109.7002).abs() < 1e-9);

    let all = store
        .changes(ChangeQuery {
            since: base,
            limit: 10,
            ..ChangeQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all,
        vec![a.clone(), b.clone()],
        "records read back as applied"
    );
    let page = store
        .changes(ChangeQuery {
            since: a.seq,
            limit: 10,
            ..ChangeQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page, vec![b.clone()]);
    let none = store
        .changes(ChangeQuery {
            since: base,
            limit: 10,
            author: Some("somebody else".into()),
            ..ChangeQuery::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let by_kind = store
        .changes(ChangeQuery {
            since: base,
            limit: 1,
            kind: Some(ChangeKind::Report),
            ..ChangeQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_kind, vec![a]);
}

/// Group commit: each change set is all or nothing on its own; a bad one leaves the
/// others written and takes no sequence number.
pub async fn group_commit(store: &dyn Store) {
    let base = store.seq().await.unwrap();
    let mut bad = report(&[20]);
    bad.upserts.incidents[0].location = Point::new(f64::NAN, 28.0);
    let out = store
        .apply_many(vec![report(&[10]), bad, report(&[11, 12])])
        .await
        .unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].as_ref().unwrap().seq, base + 1);
    assert!(out[1].is_err(), "NaN location refused");
    assert_eq!(out[2].as_ref().unwrap().seq, base + 2);
    let got = store
        .load_keys(vec![
            FeatureKey::Incident(IncidentId(10)),
            FeatureKey::Incident(IncidentId(11)),
            FeatureKey::Incident(IncidentId(12)),
            FeatureKey::Incident(IncidentId(20)),
        ])
        .await
        .unwrap();
    let ids: Vec<u64> = got.incidents.iter().map(|i| i.id.0).collect();
    assert_eq!(ids, vec![10, 11, 12]);
    assert_eq!(got.incidents[0], incident(10, 109.7 + 10.0 * 1e-4, 28.3));
}

/// Workflow steps read back in time order with their worker and note.
pub async fn incident_steps(store: &dyn Store) {
    store.apply(report(&[30])).await.unwrap();
    let mut c = ChangeSet::new(ChangeKind::Step, "operator1", "dispatch 30");
    let mut inc = incident(30, 109.7 + 30.0 * 1e-4, 28.3);
    inc.lifecycle.set(Step::Accepted, T0 + 100).unwrap();
    inc.lifecycle.set(Step::Dispatched, T0 + 200).unwrap();
    inc.status = Step::Dispatched;
    c.upserts.incidents.push(inc.clone());
    c.steps = vec![
        StepRecord {
            incident: IncidentId(30),
            step: Step::Dispatched,
            time: T0 + 200,
            author: "operator1".into(),
            worker: Some(WorkerId("W1".into())),
            note: "请尽快处理".into(),
        },
        StepRecord {
            incident: IncidentId(30),
            step: Step::Accepted,
            time: T0 + 100,
            author: "operator1".into(),
            worker: None,
            note: String::new(),
        },
    ];
    store.apply(c).await.unwrap();
    let steps = store.incident_steps(IncidentId(30)).await.unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].step, Step::Accepted);
    assert_eq!(steps[1].worker, Some(WorkerId("W1".into())));
    assert_eq!(steps[1].note, "请尽快处理");
    assert!(store
        .incident_steps(IncidentId(31))
        .await
        .unwrap()
        .is_empty());
    let back = store
        .load_keys(vec![FeatureKey::Incident(IncidentId(30))])
        .await
        .unwrap();
    assert_eq!(back.incidents, vec![inc]);
}

/// Raw fixes: a resent fix (same worker and time) is kept once; reads by window.
pub async fn positions(store: &dyn Store) {
    let fix = |t: i64, lon: f64| Position {
        worker: WorkerId("W9".into()),
        time: t,
        lon,
        lat: 28.3,
        accuracy_m: Some(5.0),
    };
    let mut c = ChangeSet::new(ChangeKind::Positions, "device", "gps");
    c.upserts.workers.push(worker("W9"));
    c.positions = vec![fix(T0 + 20, 109.72), fix(T0 + 10, 109.71)];
    store.apply(c).await.unwrap();
    let mut again = ChangeSet::new(ChangeKind::Positions, "device", "gps");
    again.positions = vec![fix(T0 + 10, 109.99), fix(T0 + 30, 109.73)];
    store.apply(again).await.unwrap();
    let got = store
        .positions(WorkerId("W9".into()), T0, T0 + 25)
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].time, T0 + 10);
    assert!(
        (got[0].lon - 109.71).abs() < 1e-12,
        "the first fix of a time is kept"
    );
    assert_eq!(
        store
            .positions(WorkerId("W9".into()), T0, T0 + 100)
            .await
            .unwrap()
            .len(),
        3
    );
}

/// Users and tokens: created, replaced by name/id, read back; a token joins its user.
pub async fn users_and_tokens(store: &dyn Store) {
    let user = User {
        name: "乡镇操作员".into(),
        role: Role::Operator,
        unit: Some("433101001".parse().unwrap()),
        disabled: false,
        created_at: T0,
    };
    let token = TokenRecord {
        id: "tok1".into(),
        user: user.name.clone(),
        hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        created_at: T0,
        expires_at: None,
        revoked: false,
        label: "cli".into(),
    };
    let mut c = ChangeSet::new(ChangeKind::Users, "admin", "add user");
    c.users.push(user.clone());
    c.tokens.push(token.clone());
    store.apply(c).await.unwrap();
    assert_eq!(store.users().await.unwrap(), vec![user.clone()]);
    assert_eq!(
        store.token("tok1".into()).await.unwrap(),
        Some((token.clone(), user.clone()))
    );
    assert_eq!(store.token("nope".into()).await.unwrap(), None);
    let mut disabled = user.clone();
    disabled.disabled = true;
    let mut revoked = token.clone();
    revoked.revoked = true;
    let mut c = ChangeSet::new(ChangeKind::Users, "admin", "disable user");
    c.users.push(disabled.clone());
    c.tokens.push(revoked.clone());
    store.apply(c).await.unwrap();
    assert_eq!(
        store.token("tok1".into()).await.unwrap(),
        Some((revoked, disabled))
    );
}

/// Reading by key: every revision of a grid, workers by id; unknown keys left out.
pub async fn load_keys(store: &dyn Store) {
    let mut c = ChangeSet::new(ChangeKind::Import, "cli", "workers");
    c.upserts.workers = vec![worker("W1"), worker("W2")];
    store.apply(c).await.unwrap();
    let got = store
        .load_keys(vec![
            FeatureKey::Worker(WorkerId("W2".into())),
            FeatureKey::Worker(WorkerId("W404".into())),
        ])
        .await
        .unwrap();
    assert_eq!(got.workers, vec![worker("W2")]);
    assert!(Dataset::is_empty(&Dataset {
        workers: vec![],
        ..got
    }));
}

/// Every test of the suite, in order, on one (empty) store.
pub async fn run_all(store: &dyn Store) {
    change_records(store).await;
    group_commit(store).await;
    incident_steps(store).await;
    positions(store).await;
    users_and_tokens(store).await;
    load_keys(store).await;
    all_records(store).await;
    one_vertex_track(store).await;
    roster_without_fix(store).await;
}

/// A roster imported without positions: stored as an empty point, read back without a fix,
/// no box to redraw; the first GPS fix (a move, as ingest writes it) gives it a place.
pub async fn roster_without_fix(store: &dyn Store) {
    let mut w = worker("W-ROSTER-1");
    w.location = Worker::NO_FIX;
    w.seen_at = 0;
    let mut c = ChangeSet::new(ChangeKind::Import, "test", "roster");
    c.upserts.workers.push(w.clone());
    let applied = store.apply(c).await.unwrap();
    assert_eq!(
        applied.dirty, None,
        "a worker without a fix is nowhere on the map"
    );
    let back = store.load_layer(Layer::Workers).await.unwrap();
    let got = back.workers.iter().find(|x| x.id == w.id).unwrap();
    assert!(!got.has_fix(), "{got:?}");
    assert_eq!(got, &w);
    let mut moved = got.clone();
    moved.location = Point::new(109.7, 28.3);
    moved.seen_at = T0;
    let mut c = ChangeSet::new(ChangeKind::Positions, "test", "first fix");
    c.upserts.workers.push(moved.clone());
    let applied = store.apply(c).await.unwrap();
    assert!(applied.dirty.is_some());
    let back = store.load_layer(Layer::Workers).await.unwrap();
    assert_eq!(back.workers.iter().find(|x| x.id == w.id).unwrap(), &moved);
}

/// A day's track after its first GPS fix has one vertex: it is stored and read back as it
/// is (PostGIS refuses a one-point `LineString`; its store keeps the vertex twice).
pub async fn one_vertex_track(store: &dyn Store) {
    let patrol = geo_core::model::Patrol {
        id: geo_core::model::PatrolId(77_001),
        worker: WorkerId("W1".into()),
        track: geo_types::LineString::from(vec![(109.71, 28.31)]),
        times: vec![T0 + 5],
    };
    let mut c = ChangeSet::new(ChangeKind::Positions, "test", "first fix of the day");
    c.upserts.patrols.push(patrol.clone());
    store.apply(c).await.unwrap();
    let back = store.load_layer(Layer::Patrols).await.unwrap();
    let got = back.patrols.iter().find(|p| p.id == patrol.id).unwrap();
    assert_eq!(got, &patrol);
    // A second fix makes it a line of two.
    let mut two = patrol.clone();
    two.track.0.push(geo_types::coord! { x: 109.712, y: 28.31 });
    two.times.push(T0 + 35);
    let mut c = ChangeSet::new(ChangeKind::Positions, "test", "second fix");
    c.upserts.patrols.push(two.clone());
    store.apply(c).await.unwrap();
    let back = store.load_layer(Layer::Patrols).await.unwrap();
    assert_eq!(
        back.patrols.iter().find(|p| p.id == patrol.id).unwrap(),
        &two
    );
}

/// Every step, fix and token read at once (what `onemap migrate` copies): the same records
/// the single reads give, in order.
pub async fn all_records(store: &dyn Store) {
    let r = store.records().await.unwrap();
    for id in [30, 31] {
        let one = store.incident_steps(IncidentId(id)).await.unwrap();
        let all: Vec<_> = r
            .steps
            .iter()
            .filter(|s| s.incident == IncidentId(id))
            .cloned()
            .collect();
        assert_eq!(all, one, "incident {id}");
    }
    assert!(r.steps.len() >= 2);
    let w9 = WorkerId("W9".into());
    let one = store
        .positions(w9.clone(), i64::MIN, i64::MAX)
        .await
        .unwrap();
    let all: Vec<_> = r
        .positions
        .iter()
        .filter(|p| p.worker == w9)
        .cloned()
        .collect();
    assert_eq!(all, one);
    assert!(one.len() >= 3, "{one:?}");
    assert!(r.tokens.iter().any(|t| t.id == "tok1"), "{:?}", r.tokens);
    for t in &r.tokens {
        let (got, _) = store.token(t.id.clone()).await.unwrap().unwrap();
        assert_eq!(&got, t);
    }
}
