//! The store suite (`store_suite`) on the GeoPackage store, and the schema migration of a
//! version 1 store.

#![allow(clippy::unwrap_used, clippy::panic)]

mod store_suite;

use geo_core::store::{GpkgStore, Store};

#[tokio::test]
async fn suite_on_gpkg() {
    let dir = tempfile::tempdir().unwrap();
    let store = GpkgStore::open(dir.path().join("s.gpkg")).unwrap();
    store_suite::run_all(&store).await;
    store.check_integrity().await.unwrap();
}

/// A store written by schema version 1 (no change kinds, steps, positions, users) opens,
/// is migrated in place, keeps its change sequence, and takes the new records.
#[tokio::test]
async fn version_1_store_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.gpkg");
    {
        let store = GpkgStore::open(&path).unwrap();
        store.apply(store_suite_report()).await.unwrap();
    }
    // Take the file back to version 1: drop what version 2 added.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DROP TABLE onemap_incident_steps; DROP TABLE onemap_positions; DROP TABLE onemap_tokens;
             DROP TABLE onemap_users; DROP INDEX onemap_changes_time;
             ALTER TABLE onemap_changes DROP COLUMN kind; ALTER TABLE onemap_changes DROP COLUMN origin;
             ALTER TABLE onemap_changes DROP COLUMN keys;
             UPDATE onemap_meta SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
    }
    let store = GpkgStore::open(&path).unwrap();
    assert_eq!(store.seq().await.unwrap(), 1);
    let old = store
        .changes(geo_core::store::ChangeQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].keys, None, "a version 1 record has no keys");
    store_suite::run_all(&store).await;
    store.check_integrity().await.unwrap();
}

fn store_suite_report() -> geo_core::store::ChangeSet {
    let mut c = geo_core::store::ChangeSet::new(geo_core::store::ChangeKind::Import, "cli", "one");
    c.upserts
        .incidents
        .push(store_suite::incident(1000, 109.7, 28.3));
    c
}
