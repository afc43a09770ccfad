//! The embedded store: one GeoPackage 1.3 file (SQLite, bundled) that QGIS and `ogrinfo`
//! open directly. See [`schema`] for the tables and column conventions.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a committed `apply` is on disk
//! (the WAL is fsynced at each commit) before it is acknowledged. One writer thread owns
//! the write connection; two reader threads own read-only connections, which WAL lets run
//! beside the writer. Async callers await replies over `tokio::sync::oneshot`, so the
//! store works on any executor.

pub(crate) mod geom;
mod read;
mod records;
pub mod schema;
mod threads;
mod validate;

pub(crate) use validate::validate;
mod write;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use crate::access::{TokenRecord, User};
use crate::model::{Dataset, IncidentDetails, IncidentId, Layer, UnixTime, WorkerId};
use crate::store::{
    Applied, ChangeQuery, ChangeRecord, ChangeSet, FeatureKey, Position, StepRecord, Store,
};
use crate::Result;
use threads::ConnThreads;

pub use geom::{
    blob_bbox, decode, encode_linestring_m, encode_multipolygon, encode_point, Decoded,
};

/// Read connections: loads and detail look-ups run beside the writer.
const READERS: usize = 2;

/// The embedded GeoPackage store.
pub struct GpkgStore {
    path: PathBuf,
    // Readers are declared first so they close first; the writer's close then
    // checkpoints the WAL into the main file.
    readers: ConnThreads,
    writer: ConnThreads,
}

impl std::fmt::Debug for GpkgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpkgStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // 64 MiB page cache: bulk loads of a million rows touch many B-tree pages.
    conn.pragma_update(None, "cache_size", -65_536)?;
    Ok(())
}

impl GpkgStore {
    /// Creates a new onemap GeoPackage at `path`, or opens an existing one; refuses files
    /// that are not SQLite, not GeoPackages, or not (or a newer) onemap schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let fresh = match std::fs::metadata(&path) {
            Ok(m) => m.len() == 0,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(e.into()),
        };
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        if fresh {
            schema::create(&mut conn)?;
        } else {
            schema::check(&conn, &shown)?;
            schema::migrate(&mut conn)?;
        }
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(crate::Error::Unavailable(format!(
                "{shown}: cannot use WAL journal (got {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        // A bulk import grows the WAL to the size of the data; shrink it back after checkpoints.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        configure(&conn)?;
        let mut first = Some(conn);
        let writer = ConnThreads::start("writer", 1, move || {
            first
                .take()
                .ok_or_else(|| crate::Error::Unavailable("writer connection already taken".into()))
        })?;
        let read_path = path.clone();
        let readers = ConnThreads::start("reader", READERS, move || {
            let c = Connection::open_with_flags(
                &read_path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&c)?;
            Ok(c)
        })?;
        Ok(Self {
            path,
            readers,
            writer,
        })
    }

    /// The file this store writes.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Store for GpkgStore {
    async fn is_empty(&self) -> Result<bool> {
        self.readers.run(|c| read::is_empty(c)).await
    }

    async fn load(&self) -> Result<Dataset> {
        self.readers.run(read::load).await
    }

    async fn load_layer(&self, layer: Layer) -> Result<Dataset> {
        self.readers.run(move |c| read::load_layer(c, layer)).await
    }

    async fn load_keys(&self, keys: Vec<FeatureKey>) -> Result<Dataset> {
        self.readers.run(move |c| read::load_keys(c, &keys)).await
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        self.writer.run(move |c| write::apply(c, &changes)).await
    }

    async fn apply_many(&self, changes: Vec<ChangeSet>) -> Result<Vec<Result<Applied>>> {
        self.writer
            .run(move |c| write::apply_many(c, &changes))
            .await
    }

    async fn seq(&self) -> Result<u64> {
        self.readers.run(|c| records::seq(c)).await
    }

    async fn changes(&self, query: ChangeQuery) -> Result<Vec<ChangeRecord>> {
        self.readers.run(move |c| records::changes(c, &query)).await
    }

    async fn incident_steps(&self, id: IncidentId) -> Result<Vec<StepRecord>> {
        self.readers
            .run(move |c| records::incident_steps(c, id))
            .await
    }

    async fn positions(
        &self,
        worker: WorkerId,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<Vec<Position>> {
        self.readers
            .run(move |c| records::positions(c, &worker, from, to))
            .await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.readers.run(|c| records::users(c)).await
    }

    async fn records(&self) -> Result<super::Records> {
        self.readers.run(|c| records::all(c)).await
    }

    async fn token(&self, id: String) -> Result<Option<(TokenRecord, User)>> {
        self.readers.run(move |c| records::token(c, &id)).await
    }

    async fn incident_details(&self, id: IncidentId) -> Result<Option<IncidentDetails>> {
        self.readers
            .run(move |c| read::incident_details(c, id))
            .await
    }

    async fn count(&self, layer: Layer) -> Result<u64> {
        self.readers.run(move |c| read::count(c, layer)).await
    }

    async fn check_integrity(&self) -> Result<()> {
        let shown = self.path.display().to_string();
        self.readers
            .run(move |c| {
                read::check_integrity(c)?;
                schema::check(c, &shown)
            })
            .await
    }
}
