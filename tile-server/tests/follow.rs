//! A second server over the same store follows the first one's writes through the change
//! table (`AppState::follow`): the same core update, tile invalidation and live feed as a
//! local write, in sequence order, each once. The PostGIS replicas drive it from NOTIFY.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use geo_core::demo::{generate, DemoConfig};
use geo_core::index::Core;
use geo_core::model::{IncidentId, Step};
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeKind, ChangeQuery, ChangeSet, FeatureKey, Store};
use tile_server::{AppState, Config};

async fn state_over(path: &std::path::Path) -> AppState {
    let store = GpkgStore::open(path).unwrap();
    let seq = store.seq().await.unwrap();
    let data = store.load().await.unwrap();
    let state = AppState::new(Arc::new(store), Config::default());
    state.set_core(Core::new(data).at_seq(seq));
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_follows_the_change_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.gpkg");
    {
        let store = GpkgStore::open(&path).unwrap();
        let cfg = DemoConfig::prefecture()
            .with_counties(1)
            .with_grids(100)
            .with_incidents(2_000)
            .with_cameras(200)
            .with_workers(60)
            .with_patrols(5)
            .with_points_per_patrol(10);
        let mut c = ChangeSet::new(ChangeKind::Import, "demo", "demo");
        c.upserts = generate(&cfg).unwrap();
        store.apply(c).await.unwrap();
    }
    let a = state_over(&path).await;
    let b = state_over(&path).await;
    let mut feed = b.live().subscribe();

    // Writes on A: a report, a step on a built incident, a delete.
    let core = a.core().unwrap();
    let (_, first) = core.incidents().iter().next().unwrap();
    let mut report = first.clone();
    report.id = IncidentId(9_000_001);
    let mut c = ChangeSet::new(ChangeKind::Report, "a", "report");
    c.upserts.incidents.push(report);
    a.apply(c).await.unwrap();
    let (_, second) = core.incidents().iter().nth(10).unwrap();
    let mut stepped = second.clone();
    stepped.status = Step::Accepted;
    stepped
        .lifecycle
        .set(Step::Accepted, second.occurred_at() + 60)
        .unwrap();
    let mut c = ChangeSet::new(ChangeKind::Step, "a", "accept");
    c.upserts.incidents.push(stepped.clone());
    a.apply(c).await.unwrap();
    let gone = core.incidents().iter().nth(20).unwrap().1.id;
    let mut c = ChangeSet::new(ChangeKind::Import, "a", "delete");
    c.deletes.push(FeatureKey::Incident(gone));
    a.apply(c).await.unwrap();

    // B follows the records after what it shows.
    let records = b
        .store()
        .changes(ChangeQuery {
            since: b.core().unwrap().seq(),
            limit: 100,
            ..ChangeQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(records.len(), 3);
    for r in records.iter().cloned() {
        b.follow(r).await.unwrap();
    }
    // Following twice changes nothing.
    for r in records.iter().cloned() {
        b.follow(r).await.unwrap();
    }
    let (ca, cb) = (a.core().unwrap(), b.core().unwrap());
    assert_eq!(ca.seq(), cb.seq());
    assert_eq!(ca.incidents().count(), cb.incidents().count());
    assert!(cb.incident_index(IncidentId(9_000_001)).is_some());
    assert!(cb.incident_index(gone).is_none());
    let i = cb.incident_index(stepped.id).unwrap();
    assert_eq!(cb.incidents().get(i).unwrap().status, Step::Accepted);
    // B's live feed announced each once, in order.
    let mut seqs = Vec::new();
    while let Ok(e) = feed.try_recv() {
        seqs.push(e.seq);
    }
    assert_eq!(seqs, records.iter().map(|r| r.seq).collect::<Vec<_>>());
}
