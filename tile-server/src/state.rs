//! The service's state: one struct behind an `Arc`, shared by every handler, and the one
//! write path every writer goes through.

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use arc_swap::ArcSwapOption;
use geo_core::index::Core;
use geo_core::store::{Applied, ChangeSet, Store};

use crate::auth::Sessions;
use crate::config::Config;
use crate::error::ApiError;
use crate::live::LiveFeed;
use crate::metrics::Metrics;
use crate::tile_cache::TileCache;

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    /// The current core: readers take it without a lock and keep it as long as they need.
    core: ArcSwapOption<Core>,
    config: Config,
    tiles: TileCache,
    live: LiveFeed,
    sessions: Sessions,
    metrics: Metrics,
    status: RwLock<String>,
    /// Serialises writes: store, core and cache change in one order.
    write: tokio::sync::Mutex<()>,
    /// An incident fold is running in the background.
    folding: AtomicBool,
    /// Writes waiting for the write lock: the one that gets it commits them all.
    queue: std::sync::Mutex<Vec<Pending>>,
    /// Sequence numbers this server committed that its follower has not passed yet (only
    /// kept while a follower runs): the follower skips them.
    own: std::sync::Mutex<std::collections::BTreeSet<u64>>,
    /// A follower runs (the store is shared with other servers).
    following: AtomicBool,
    /// The follower is behind the store (start, or after losing it): `/ready` says 503.
    catching_up: AtomicBool,
    /// How the core was loaded at start (set once, shown by `/ready`).
    startup: OnceLock<Startup>,
    /// The change sequence the core snapshot on disk shows (`NO_SNAPSHOT` while none).
    snapshot_seq: AtomicU64,
}

/// `snapshot_seq` while no snapshot has been read or written.
const NO_SNAPSHOT: u64 = u64::MAX;

/// How the core was loaded at start: what `/ready` tells operators and tests.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Startup {
    /// `"snapshot"` (the core snapshot, with the store's later changes replayed) or `"store"`.
    pub from: &'static str,
    /// Seconds from the start of loading until the core was installed.
    pub load_s: f64,
}

/// How often a follower reads the change table without a notice (catch-up after missed
/// notices or a reconnection).
pub const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Change records a follower reads at a time.
const FOLLOW_BATCH: usize = 1_000;

/// Most writes committed in one group (one transaction, one sync).
const MAX_GROUP: usize = 64;

/// The answer a write gets: its change record and what its build returned.
type WriteAnswer = Result<(Applied, Box<dyn Any + Send>), ApiError>;

/// How a queued write makes its change set (and its answer) from the current core.
type Build = Box<dyn FnOnce(&Core) -> Result<(ChangeSet, Box<dyn Any + Send>), ApiError> + Send>;

/// A write waiting in the queue: how to build its change set, and where to answer.
struct Pending {
    build: Build,
    reply: tokio::sync::oneshot::Sender<WriteAnswer>,
}

impl AppState {
    /// State over a store; the core is installed once it has been loaded.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                core: ArcSwapOption::empty(),
                tiles: TileCache::new(config.tile_cache_bytes),
                live: LiveFeed::new(),
                sessions: Sessions::default(),
                metrics: Metrics::new(),
                config,
                status: RwLock::new("starting".to_owned()),
                write: tokio::sync::Mutex::new(()),
                folding: AtomicBool::new(false),
                queue: std::sync::Mutex::new(Vec::new()),
                own: std::sync::Mutex::new(std::collections::BTreeSet::new()),
                following: AtomicBool::new(false),
                catching_up: AtomicBool::new(false),
                startup: OnceLock::new(),
                snapshot_seq: AtomicU64::new(NO_SNAPSHOT),
            }),
        }
    }

    /// The service's configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The encoded-tile cache.
    #[must_use]
    pub fn tiles(&self) -> &TileCache {
        &self.inner.tiles
    }

    /// Tokens verified lately.
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The figures `/metrics` exposes.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The live feed (Server-Sent Events and the change pages).
    #[must_use]
    pub fn live(&self) -> &LiveFeed {
        &self.inner.live
    }

    /// Commits a write: the store first (acknowledged once on disk), then the core shows it
    /// and every cached tile the write touched is dropped.
    pub async fn apply(&self, changes: ChangeSet) -> Result<Applied, ApiError> {
        self.write(move |_| Ok((changes, ())))
            .await
            .map(|(a, ())| a)
    }

    /// The one write path: `build` makes the change set from the current core while no other
    /// write runs (so a check against the core, such as "is this step allowed now" or "is the
    /// edit's base revision still current", holds until the write is committed); then the
    /// core that shows it is built (only the parts it touches), the store commits it
    /// durably, the new core is published, the tiles it touched are dropped and the live
    /// feed announces it. The reply comes after all of that: the next read sees the write.
    ///
    /// Writes that arrive while one is being committed are committed together (group
    /// commit): the first to get the write lock builds every queued change set in order,
    /// each against the core the previous one made, and the store writes them in one
    /// transaction with one sync to disk, each all or nothing on its own.
    ///
    /// A `build` error writes nothing and is returned as is; so is a store error, and the
    /// core stays as it was.
    pub async fn write<T: Send + 'static>(
        &self,
        build: impl FnOnce(&Core) -> Result<(ChangeSet, T), ApiError> + Send + 'static,
    ) -> Result<(Applied, T), ApiError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let pending = Pending {
            build: Box::new(move |core: &Core| {
                build(core).map(|(c, out)| (c, Box::new(out) as Box<dyn Any + Send>))
            }),
            reply,
        };
        self.inner
            .queue
            .lock()
            .map_err(|_| ApiError::Internal("write queue poisoned".into()))?
            .push(pending);
        {
            let _one_writer = self.inner.write.lock().await;
            // Whatever is queued now (ours may already have been committed by the writer
            // before us) is this group.
            let group: Vec<Pending> = match self.inner.queue.lock() {
                Ok(mut q) => {
                    let n = q.len().min(MAX_GROUP);
                    q.drain(..n).collect()
                }
                Err(_) => Vec::new(),
            };
            if !group.is_empty() {
                self.commit_group(group).await;
            }
        }
        let (applied, out) = answer
            .await
            .map_err(|_| ApiError::Internal("the write was dropped".into()))??;
        let out = out
            .downcast::<T>()
            .map_err(|_| ApiError::Internal("write answer of the wrong type".into()))?;
        Ok((applied, *out))
    }

    /// The store's commit of one group of change sets, timed for `/metrics`.
    async fn store_group(
        &self,
        changes: Vec<ChangeSet>,
    ) -> geo_core::Result<Vec<geo_core::Result<Applied>>> {
        let started = std::time::Instant::now();
        let writes = changes.len();
        let stored = self.inner.store.apply_many(changes).await;
        let ok = stored.as_ref().is_ok_and(|r| r.iter().all(Result::is_ok));
        self.inner
            .metrics
            .observe_write(writes, started.elapsed(), ok);
        stored
    }

    /// Builds, commits and publishes one group of queued writes (under the write lock),
    /// answering each.
    async fn commit_group(&self, group: Vec<Pending>) {
        let core = match self.core() {
            Ok(c) => c,
            Err(e) => {
                for p in group {
                    let _ = p.reply.send(Err(ApiError::Unavailable(e.to_string())));
                }
                return;
            }
        };
        let started = std::time::Instant::now();
        let writes = group.len();
        // Build each against the core the one before made; a refused build answers at once.
        let built = tokio::task::spawn_blocking(move || {
            let mut tip = (*core).clone();
            let mut ok = Vec::new();
            for p in group {
                match (p.build)(&tip) {
                    Ok((changes, out)) => {
                        tip = tip.apply(&changes);
                        ok.push((changes, out, p.reply));
                    }
                    Err(e) => {
                        let _ = p.reply.send(Err(e));
                    }
                }
            }
            (tip, ok)
        })
        .await;
        let Ok((tip, ok)) = built else {
            tracing::error!("a write's build panicked; the group is dropped");
            return;
        };
        if ok.is_empty() {
            return;
        }
        let (changes, rest): (Vec<ChangeSet>, Vec<_>) = ok
            .into_iter()
            .map(|(c, out, reply)| (c, (out, reply)))
            .unzip();
        let built_at = started.elapsed();
        let results = match self.store_group(changes).await {
            Ok(r) => r,
            Err(e) => {
                let e = ApiError::from(e);
                for (_, reply) in rest {
                    let _ = reply.send(Err(ApiError::Unavailable(e.to_string())));
                }
                return;
            }
        };
        let stored_at = started.elapsed();
        let all_written = results.iter().all(Result::is_ok);
        let next = if all_written {
            tip
        } else {
            // The store refused one after the core had taken it: the core is made again
            // from what the store holds (rare: the builds check what the store checks).
            match self.inner.store.load().await {
                Ok(data) => match tokio::task::spawn_blocking(move || Core::new(data)).await {
                    Ok(c) => c,
                    Err(_) => return,
                },
                Err(e) => {
                    tracing::error!("cannot reload the core after a refused write: {e}");
                    return;
                }
            }
        };
        let last = results
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|a| a.seq))
            .max();
        let next = Arc::new(match last {
            Some(seq) => next.at_seq(seq),
            None => next,
        });
        self.inner.core.store(Some(Arc::clone(&next)));
        if self.inner.following.load(Ordering::Acquire) {
            if let Ok(mut own) = self.inner.own.lock() {
                own.extend(results.iter().flatten().map(|a| a.seq));
            }
        }
        for r in results.iter().flatten() {
            self.inner.tiles.invalidate(r);
            self.inner.live.announce(&next, r);
        }
        for (result, (out, reply)) in results.into_iter().zip(rest) {
            let _ = reply.send(result.map(|a| (a, out)).map_err(ApiError::from));
        }
        tracing::debug!(
            writes,
            build_ms = built_at.as_secs_f64() * 1e3,
            store_ms = stored_at.saturating_sub(built_at).as_secs_f64() * 1e3,
            publish_ms = started.elapsed().saturating_sub(stored_at).as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "write group committed"
        );
        if next.wants_fold() {
            self.fold_in_background();
        }
    }

    /// Makes the core show a change another server committed to the same store (a replica
    /// following the change table): reads the features the record names and applies them
    /// through the same core update, tile invalidation and live feed as a local write. A
    /// record this server wrote itself is skipped (while a follower runs, see
    /// [`AppState::run_follower`]; otherwise one the core's sequence already covers); one
    /// without keys (a bulk import) reloads the whole core. Records must come in sequence
    /// order.
    ///
    /// With several servers, a local write may commit after another server's and so take a
    /// later number than one this server has not followed yet: the core's sequence then
    /// jumps past it, which is why a running follower tracks its own writes instead.
    pub async fn follow(&self, record: Applied) -> Result<(), ApiError> {
        let _one_writer = self.inner.write.lock().await;
        let core = self.core()?;
        if self.inner.following.load(Ordering::Acquire) {
            let mine = self.inner.own.lock().is_ok_and(|mut own| {
                // Numbers below this one were passed: forget them too.
                let mine = own.remove(&record.seq);
                *own = own.split_off(&record.seq);
                mine
            });
            if mine {
                return Ok(());
            }
        } else if record.seq <= core.seq() {
            return Ok(());
        }
        let seq = record.seq.max(core.seq());
        let next = if let Some(keys) = &record.keys {
            {
                let changes = geo_core::store::changes_for(
                    self.inner.store.as_ref(),
                    ChangeSet::new(record.kind, record.author.clone(), record.summary.clone()),
                    keys.clone(),
                )
                .await?;
                tokio::task::spawn_blocking(move || core.apply(&changes))
                    .await
                    .map_err(|e| ApiError::Internal(format!("follow stopped: {e}")))?
            }
        } else {
            let data = self.inner.store.load().await?;
            tokio::task::spawn_blocking(move || Core::new(data))
                .await
                .map_err(|e| ApiError::Internal(format!("reload stopped: {e}")))?
        };
        let next = Arc::new(next.at_seq(seq));
        self.publish(&next, &record);
        Ok(())
    }

    /// Follows the other servers writing to the same store, forever: on each notice (and
    /// every [`FOLLOW_POLL`] as a catch-up after missed notices) reads the change records
    /// after the last one followed and applies each with [`AppState::follow`]. Returns at
    /// once for a store no other process writes. Start it once the core is loaded.
    pub async fn run_follower(&self) {
        let Some(mut notices) = self.inner.store.change_notices() else {
            return;
        };
        let Ok(core) = self.core() else {
            return;
        };
        self.inner.following.store(true, Ordering::Release);
        let mut cursor = core.seq();
        drop(core);
        loop {
            let query = geo_core::store::ChangeQuery {
                since: cursor,
                limit: FOLLOW_BATCH,
                ..Default::default()
            };
            match self.inner.store.changes(query).await {
                Ok(records) => {
                    let full = records.len() == FOLLOW_BATCH;
                    let mut failed = false;
                    for r in records {
                        let seq = r.seq;
                        if let Err(e) = self.follow(r).await {
                            tracing::warn!("cannot follow change {seq}: {e}");
                            failed = true;
                            break;
                        }
                        cursor = seq;
                    }
                    self.inner
                        .catching_up
                        .store(failed || full, Ordering::Release);
                    if full && !failed {
                        continue;
                    }
                }
                // The store is down: reads go on from memory, and the next pass after it is
                // back catches up (a full batch then marks the server as catching up).
                Err(e) => tracing::warn!("cannot read the change table: {e}"),
            }
            tokio::select! {
                changed = notices.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(FOLLOW_POLL).await;
                    }
                }
                () = tokio::time::sleep(FOLLOW_POLL) => {}
            }
        }
    }

    /// Whether the follower is behind the shared store (`/ready` answers 503 meanwhile).
    #[must_use]
    pub fn catching_up(&self) -> bool {
        self.inner.catching_up.load(Ordering::Acquire)
    }

    /// Installs a core that shows `applied`, then drops the tiles it touched and announces
    /// it. Invalidating after the swap: a tile rendered from the old core in between
    /// carries an older cache generation and is not stored.
    fn publish(&self, core: &Arc<Core>, applied: &Applied) {
        self.inner.core.store(Some(Arc::clone(core)));
        self.inner.tiles.invalidate(applied);
        self.inner.live.announce(core, applied);
    }

    /// Folds the incident delta into a new built part off the write path, then swaps it in
    /// under the write lock with whatever was written meanwhile carried over.
    fn fold_in_background(&self) {
        if self.inner.folding.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            let result = async {
                let snapshot = state.core()?;
                let folded = tokio::task::spawn_blocking(move || snapshot.fold_incidents())
                    .await
                    .map_err(|e| ApiError::Internal(format!("fold stopped: {e}")))?;
                let _one_writer = state.inner.write.lock().await;
                let current = state.core()?;
                let next = tokio::task::spawn_blocking(move || current.with_folded(folded))
                    .await
                    .map_err(|e| ApiError::Internal(format!("fold stopped: {e}")))?;
                // Same content, new layout: no tile changes.
                state.inner.core.store(Some(Arc::new(next)));
                Ok::<_, ApiError>(())
            }
            .await;
            if let Err(e) = result {
                tracing::warn!("incident fold failed (the delta stays): {e}");
            }
            state.inner.folding.store(false, Ordering::Release);
        });
    }

    /// The durable store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The in-memory core, or 503 while it is loading.
    pub fn core(&self) -> Result<Arc<Core>, ApiError> {
        self.inner
            .core
            .load_full()
            .ok_or_else(|| ApiError::Unavailable(format!("not ready: {}", self.status())))
    }

    /// Installs a freshly built core (start-up).
    pub fn set_core(&self, core: Core) {
        self.inner.core.store(Some(Arc::new(core)));
        self.set_status("ready");
    }

    /// Installs the core loaded at start and records how it was loaded.
    pub fn set_loaded_core(&self, core: Core, startup: Startup) {
        let _ = self.inner.startup.set(startup);
        self.set_core(core);
    }

    /// How the core was loaded at start, once it is.
    #[must_use]
    pub fn startup(&self) -> Option<Startup> {
        self.inner.startup.get().copied()
    }

    /// The change sequence the core snapshot on disk shows, if there is one.
    #[must_use]
    pub fn snapshot_seq(&self) -> Option<u64> {
        Some(self.inner.snapshot_seq.load(Ordering::Acquire)).filter(|&s| s != NO_SNAPSHOT)
    }

    /// Records that the core snapshot on disk now shows change `seq`.
    pub fn set_snapshot_seq(&self, seq: u64) {
        self.inner.snapshot_seq.store(seq, Ordering::Release);
    }

    /// What the service is doing while not ready (loading, generating demo data...).
    #[must_use]
    pub fn status(&self) -> String {
        self.inner
            .status
            .read()
            .map_or_else(|_| "unknown".to_owned(), |s| s.clone())
    }

    /// Updates the start-up status shown by `/ready`.
    pub fn set_status(&self, status: &str) {
        if let Ok(mut s) = self.inner.status.write() {
            status.clone_into(&mut s);
        }
    }

    /// Where the web map's build lives, if it is served.
    #[must_use]
    pub fn web_dir(&self) -> Option<&PathBuf> {
        self.inner.config.web_dir.as_ref()
    }
}
