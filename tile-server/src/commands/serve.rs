//! `onemap serve`: bind first, then load (demo data on an empty store), then answer.

use std::process::ExitCode;

use anyhow::Context;
use geo_core::demo::DemoConfig;
use tile_server::auth::AccessMode;
use tile_server::{app, AppState, Config};

/// Runs the service until Ctrl-C.
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &super::StoreLoc,
    bind: &str,
    mut config: Config,
    force_login: bool,
) -> anyhow::Result<ExitCode> {
    let store = super::open_store(store_path).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    // Open to read without login only where nothing real can leak: a loopback bind over
    // the demo data (or an empty store, which gets it).
    let demo = store.is_empty().await? || super::holds_demo(store.as_ref()).await?;
    config.access = if addr.ip().is_loopback() && demo && !force_login {
        AccessMode::Open
    } else {
        AccessMode::Login
    };
    let state = AppState::new(store.clone(), config);
    say!("onemap listening on http://{addr}/");
    match state.config().access {
        AccessMode::Open => say!(
            "local demo: open to read without login; every write needs a signed-in user \
             (本地演示：无需登录即可浏览，写入需登录)"
        ),
        AccessMode::Login => say!("login required: every request needs a token (需要登录)"),
    }

    let loader = state.clone();
    tokio::spawn(async move {
        if let Err(e) = prepare(&loader).await {
            tracing::error!("cannot load data: {e:#}");
            loader.set_status(&format!("failed: {e:#}"));
        }
    });

    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::print_stdout)]
async fn prepare(state: &AppState) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = state.store().clone();
    if store.is_empty().await? {
        state.set_status("generating the demo prefecture (first start)");
        super::load_demo(store.as_ref(), &DemoConfig::prefecture()).await?;
    }
    state.set_status("loading");
    let loading = std::time::Instant::now();
    let snapshot = state.config().snapshot.clone();
    let loaded = match &snapshot {
        Some(path) => super::load_core_with_snapshot(store.as_ref(), path).await?,
        None => super::Loaded {
            core: super::load_core(store.as_ref()).await?,
            snapshot_seq: None,
        },
    };
    // The snapshot on disk shows `written`; with changes replayed onto it, it is rewritten
    // at once (the next start then replays nothing).
    let written = loaded.snapshot_seq;
    let startup = tile_server::state::Startup {
        from: if written.is_some() {
            "snapshot"
        } else {
            "store"
        },
        load_s: loading.elapsed().as_secs_f64(),
    };
    if let Some(seq) = written {
        state.set_snapshot_seq(seq);
    }
    state.set_loaded_core(loaded.core, startup);
    say!("onemap ready in {:.1} s", started.elapsed().as_secs_f64());
    if let Some(path) = snapshot {
        let keeper = state.clone();
        tokio::spawn(async move { keep_snapshot(&keeper, path, written).await });
    }
    // Place every incident in its grid now, in the background, so that the first figures
    // a dashboard asks for do not wait for it (the tiles never need it).
    if let Ok(core) = state.core() {
        drop(tokio::task::spawn_blocking(move || core.warm_placement()));
    }
    // Other servers on the same database: follow their writes.
    let follower = state.clone();
    tokio::spawn(async move { follower.run_follower().await });
    Ok(())
}

/// Keeps the core snapshot at `path` showing the data: written at once unless the core was
/// read from it (`written`: the sequence it shows), then again every `snapshot_every` while
/// writes come in. A failed write is logged and tried again next time; the snapshot is a
/// cache, the store stays the truth.
async fn keep_snapshot(state: &AppState, path: std::path::PathBuf, mut written: Option<u64>) {
    let every = state.config().snapshot_every;
    loop {
        if let Ok(core) = state.core() {
            let seq = core.seq();
            if written != Some(seq) {
                match write_snapshot(state, core, &path).await {
                    Ok(true) => {
                        written = Some(seq);
                        state.set_snapshot_seq(seq);
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!("cannot write the core snapshot: {e:#}"),
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// Writes `core` as the snapshot at `path`, off the runtime; false when the store has no
/// identity yet (no change recorded), so there is nothing a snapshot could be checked against.
async fn write_snapshot(
    state: &AppState,
    core: std::sync::Arc<geo_core::index::Core>,
    path: &std::path::Path,
) -> anyhow::Result<bool> {
    use anyhow::Context as _;
    let Some(identity) = super::store_identity(state.store().as_ref()).await? else {
        return Ok(false);
    };
    let seq = core.seq();
    let started = std::time::Instant::now();
    let target = path.to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(core.write_snapshot(&target, &identity)?)
    })
    .await
    .context("core snapshot writer stopped")??;
    tracing::info!(
        snapshot = %path.display(),
        seq,
        bytes,
        secs = started.elapsed().as_secs_f64(),
        "core snapshot written"
    );
    Ok(true)
}
