//! The store suite (`store_suite`) on the PostGIS store, in a fresh database made for the
//! test and dropped after it; plus what only PostgreSQL has: migrations applied once by
//! servers opening together, the change notices, and geometry as PostGIS reads it.
//!
//! The server: `$ONEMAP_TEST_POSTGRES` (an admin URL), by default the local one that
//! `scripts/setup test` starts.

#![allow(clippy::unwrap_used, clippy::panic)]

mod store_suite;

use std::sync::atomic::{AtomicUsize, Ordering};

use geo_core::store::{PostgisStore, Store};

/// The admin connection URL (a database that exists: `postgres`).
fn admin_url() -> String {
    std::env::var("ONEMAP_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
struct TestDb {
    name: String,
}

static N: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    async fn create() -> Self {
        let name = format!(
            "onemap_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let admin = admin().await;
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&sql).await.unwrap();
        }
        Self { name }
    }

    fn url(&self) -> String {
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        format!("{base}/{}", self.name)
    }

    async fn drop_db(self) {
        admin()
            .await
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

async fn admin() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} (run scripts/setup test): {e}",
                admin_url()
            )
        });
    tokio::spawn(conn);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_on_postgis() {
    let db = TestDb::create().await;
    {
        let store = PostgisStore::open(&db.url()).await.unwrap();
        store_suite::run_all(&store).await;
        store.check_integrity().await.unwrap();
    }
    db.drop_db().await;
}

/// Two stores opening one fresh database at once migrate it once; a notice reaches a
/// listener of the other; geometry is stored in EPSG:4490 where PostGIS reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_notices_and_geometry() {
    let db = TestDb::create().await;
    {
        let url = db.url();
        let (a, b) = tokio::join!(PostgisStore::open(&url), PostgisStore::open(&url));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut notices = b.change_notices().unwrap();
        // The listener announces itself once it listens; wait for that first.
        tokio::time::timeout(std::time::Duration::from_secs(5), notices.changed())
            .await
            .unwrap()
            .unwrap();
        let mut c =
            geo_core::store::ChangeSet::new(geo_core::store::ChangeKind::Report, "t", "one");
        c.upserts
            .incidents
            .push(store_suite::incident(7, 109.75, 28.31));
        let applied = a.apply(c).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), notices.changed())
            .await
            .expect("a notice within 5 s")
            .unwrap();
        assert_eq!(b.seq().await.unwrap(), applied.seq);

        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let versions: i64 = client
            .query_one("SELECT COUNT(*) FROM onemap.migrations", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(versions, 1, "migrated once");
        let row = client
            .query_one(
                "SELECT ST_SRID(geom), ST_AsText(geom) FROM onemap.incidents WHERE fid = 7",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, i32>(0), 4490);
        assert_eq!(row.get::<_, String>(1), "POINT(109.75 28.31)");
        let gist: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'onemap' AND indexdef LIKE '%USING gist (geom)%'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(gist, 7, "a GiST index on every layer's geometry");
    }
    db.drop_db().await;
}
