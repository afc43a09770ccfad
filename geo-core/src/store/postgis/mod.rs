//! The PostgreSQL + PostGIS store: every layer, revision, incident step, position, change,
//! user and token in schema `onemap` of one database, over tokio-postgres with a
//! deadpool pool. See [`schema`] for the tables and their versioned migrations (run at
//! open, under an advisory lock so that servers starting together migrate once).
//!
//! Writes: one transaction per `apply` (a savepoint per change set in `apply_many`); the
//! change sequence is a counter row bumped inside the transaction, so it is gapless and in
//! commit order across servers; `NOTIFY onemap_changes` with the last sequence number is
//! delivered on commit. Features go in through binary `COPY` into per-connection staging
//! tables, then one `INSERT ... SELECT ... ON CONFLICT` per layer: the same path for one
//! report and a million-row import.
//!
//! Failures: errors are classified where tokio-postgres makes them, by kind and SQLSTATE
//! ([`pg_error`]): a lost or refused connection is [`Error::Unavailable`] (HTTP 503),
//! a constraint violation [`Error::Invalid`].

mod read;
pub mod schema;
mod write;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::access::{TokenRecord, User};
use crate::model::{Dataset, IncidentDetails, IncidentId, Layer, UnixTime, WorkerId};
use crate::store::{
    Applied, ChangeQuery, ChangeRecord, ChangeSet, FeatureKey, Position, StepRecord, Store,
};
use crate::{Error, Result};

/// The channel every committed write is announced on (payload: its sequence number).
pub const CHANNEL: &str = "onemap_changes";

/// Connections in the pool: loads, writes and detail look-ups in parallel.
const POOL_SIZE: usize = 8;

/// How long a caller waits for a connection before the store is reported unavailable:
/// short, so that writes answer 503 while the database is down instead of hanging.
const WAIT: Duration = Duration::from_secs(3);

/// Classifies a tokio-postgres error where it is made: connection lost, refused or the
/// server shutting down is `Unavailable`; a constraint violation is `Invalid`; anything
/// else is a `Postgres` error.
#[must_use]
#[allow(clippy::needless_pass_by_value)] // used as `.map_err(pg_error)`
pub fn pg_error(e: tokio_postgres::Error) -> Error {
    use tokio_postgres::error::SqlState;
    let io =
        std::error::Error::source(&e).is_some_and(<dyn std::error::Error>::is::<std::io::Error>);
    if let Some(code) = e.code() {
        let c = code.code();
        if c.starts_with("08")
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || *code == SqlState::TOO_MANY_CONNECTIONS
            || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        {
            return Error::Unavailable(format!("PostgreSQL: {e}"));
        }
        if c.starts_with("23") {
            return Error::Invalid(format!("PostgreSQL refused the write: {e}"));
        }
    } else if e.is_closed() || io {
        return Error::Unavailable(format!("PostgreSQL connection lost: {e}"));
    }
    // tokio-postgres prints a server error as "db error"; the server's own message and code
    // say what went wrong.
    match e.as_db_error() {
        Some(db) => Error::Postgres(format!("{} ({})", db.message(), db.code().code())),
        None => Error::Postgres(e.to_string()),
    }
}

/// Classifies a pool error: no connection to be had is `Unavailable`.
fn pool_error(e: PoolError) -> Error {
    match e {
        PoolError::Backend(e) => pg_error(e),
        other => Error::Unavailable(format!("PostgreSQL pool: {other}")),
    }
}

/// The PostGIS store.
pub struct PostgisStore {
    pool: Pool,
    config: tokio_postgres::Config,
    /// The URL without its password, for messages.
    shown: String,
}

impl std::fmt::Debug for PostgisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgisStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// `host:port/dbname` of a config, for messages (never the password).
fn shown(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map_or_else(String::new, |h| match h {
            tokio_postgres::config::Host::Tcp(s) => s.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        });
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{host}:{port}/{}",
        config.get_dbname().unwrap_or("")
    )
}

impl PostgisStore {
    /// Connects to `url` (`postgres://user@host:port/db`), creates the PostGIS extension
    /// and schema `onemap` if missing and runs pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| Error::Invalid(format!("PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        config.application_name("onemap");
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .build()
            .map_err(|e| Error::Unavailable(format!("PostgreSQL pool: {e}")))?;
        let store = Self {
            pool,
            shown: shown(&config),
            config,
        };
        let mut client = store.client().await?;
        schema::migrate(&mut client).await?;
        Ok(store)
    }

    /// Where the store is (`postgres://host:port/db`, no password).
    #[must_use]
    pub fn shown(&self) -> &str {
        &self.shown
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Listens on [`CHANNEL`] on a connection of its own, reconnecting after failures; the
    /// value counts notices and reconnections, so a follower that sees it change reads the
    /// change table (and catches up after a reconnection, when notices may have been missed).
    fn listen(&self) -> tokio::sync::watch::Receiver<u64> {
        let (tx, rx) = tokio::sync::watch::channel(0u64);
        let config = self.config.clone();
        tokio::spawn(async move {
            loop {
                if tx.is_closed() {
                    return;
                }
                if let Err(e) = listen_once(&config, &tx).await {
                    tracing::warn!("change notices: {e}; reconnecting");
                }
                tx.send_modify(|n| *n += 1);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        rx
    }
}

/// One listening connection, until it fails.
async fn listen_once(
    config: &tokio_postgres::Config,
    tx: &tokio::sync::watch::Sender<u64>,
) -> Result<()> {
    use futures_util::StreamExt;
    let (client, mut conn) = config.connect(NoTls).await.map_err(pg_error)?;
    let (ntx, mut nrx) = tokio::sync::mpsc::unbounded_channel::<Result<()>>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                    if ntx.send(Ok(())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = ntx.send(Err(pg_error(e)));
                    return;
                }
            }
        }
        let _ = ntx.send(Err(Error::Unavailable(
            "listening connection closed".into(),
        )));
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(pg_error)?;
        // Listening again: whatever was committed meanwhile is read now.
        tx.send_modify(|n| *n += 1);
        while let Some(m) = nrx.recv().await {
            m?;
            tx.send_modify(|n| *n += 1);
            if tx.is_closed() {
                return Ok(());
            }
        }
        Ok(())
    }
    .await;
    driver.abort();
    result
}

#[async_trait]
impl Store for PostgisStore {
    async fn is_empty(&self) -> Result<bool> {
        read::is_empty(&**self.client().await?).await
    }

    async fn load(&self) -> Result<Dataset> {
        let mut c = self.client().await?;
        read::load(&mut c, None).await
    }

    async fn load_layer(&self, layer: Layer) -> Result<Dataset> {
        let mut c = self.client().await?;
        read::load(&mut c, Some(layer)).await
    }

    async fn load_keys(&self, keys: Vec<FeatureKey>) -> Result<Dataset> {
        let mut c = self.client().await?;
        read::load_keys(&mut c, &keys).await
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        crate::store::gpkg::validate(&changes)?;
        let mut c = self.client().await?;
        write::apply_many(&mut c, vec![changes])
            .await?
            .pop()
            .unwrap_or_else(|| Err(Error::Unavailable("no answer from the writer".into())))
    }

    async fn apply_many(&self, changes: Vec<ChangeSet>) -> Result<Vec<Result<Applied>>> {
        let mut c = self.client().await?;
        write::apply_many(&mut c, changes).await
    }

    async fn seq(&self) -> Result<u64> {
        read::seq(&**self.client().await?).await
    }

    async fn changes(&self, query: ChangeQuery) -> Result<Vec<ChangeRecord>> {
        read::changes(&**self.client().await?, &query).await
    }

    async fn incident_details(&self, id: IncidentId) -> Result<Option<IncidentDetails>> {
        read::incident_details(&**self.client().await?, id).await
    }

    async fn incident_steps(&self, id: IncidentId) -> Result<Vec<StepRecord>> {
        read::incident_steps(&**self.client().await?, id).await
    }

    async fn positions(
        &self,
        worker: WorkerId,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<Vec<Position>> {
        read::positions(&**self.client().await?, &worker, from, to).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        read::users(&**self.client().await?).await
    }

    async fn records(&self) -> Result<super::Records> {
        read::records(&**self.client().await?).await
    }

    async fn token(&self, id: String) -> Result<Option<(TokenRecord, User)>> {
        read::token(&**self.client().await?, &id).await
    }

    async fn count(&self, layer: Layer) -> Result<u64> {
        read::count(&**self.client().await?, layer).await
    }

    async fn check_integrity(&self) -> Result<()> {
        let c = self.client().await?;
        schema::check(&c, &self.shown).await
    }

    fn change_notices(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.listen())
    }
}
