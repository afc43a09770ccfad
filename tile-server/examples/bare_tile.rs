//! The bare axum peer of `scripts/bench-tiles`: one fixed tile's bytes, held in memory,
//! served at onemap's tile path shape with onemap's tile headers and nothing else (no
//! compression, CORS or other middleware, no lookup). It is the ceiling onemap's cached
//! tile path is measured against (SPEC 12: cached >= 80% of a bare axum handler).
//!
//! ```text
//! cargo run --release -p tile-server --example bare_tile -- TILE.mvt [127.0.0.1:0] [--middleware]
//! ```
//!
//! Prints `bare_tile listening on http://ADDR/` once bound; any
//! `/tiles/{layer}/{z}/{x}/{y}` answers 200 with the file's bytes. `--middleware` wraps the
//! router in the layers onemap's `app` adds (compression, CORS), to tell their share of
//! the gap from the cache lookup's.

use std::path::PathBuf;
use std::process::ExitCode;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The prepared answer: the tile's bytes and its `ETag`, shared by every request.
#[derive(Clone)]
struct Tile {
    /// The MVT bytes (cloning `Bytes` only bumps a reference count).
    bytes: Bytes,
    /// The strong `ETag`, computed once as onemap computes it per tile.
    etag: HeaderValue,
}

/// `GET /tiles/{layer}/{z}/{x}/{y}`: the same bytes whatever the address. The path is
/// extracted (and dropped) so the router does the same matching work as onemap's.
async fn tile(
    State(tile): State<Tile>,
    Path(_address): Path<(String, String, String, String)>,
) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(tile_server::routes::tiles::CONTENT_TYPE),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
            (header::ETAG, tile.etag),
        ],
        tile.bytes,
    )
}

#[allow(clippy::print_stdout)]
async fn run(file: PathBuf, bind: String, middleware: bool) -> anyhow::Result<()> {
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the tile {}: {e}", file.display()))?;
    let etag = HeaderValue::from_str(&tile_server::tile_cache::etag(&bytes))?;
    let state = Tile {
        bytes: Bytes::from(bytes),
        etag,
    };
    let mut app = Router::new()
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tile))
        .with_state(state);
    if middleware {
        app = app
            .layer(tower_http::compression::CompressionLayer::new())
            .layer(tower_http::cors::CorsLayer::permissive());
    }
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("bare_tile listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn main() -> ExitCode {
    let (flags, mut args): (Vec<String>, Vec<String>) =
        std::env::args().skip(1).partition(|a| a.starts_with("--"));
    let middleware = flags.iter().any(|f| f == "--middleware");
    if args.is_empty() || args.len() > 2 || flags.len() != usize::from(middleware) {
        eprintln!("usage: bare_tile TILE.mvt [BIND_ADDR] [--middleware]");
        return ExitCode::from(2);
    }
    let bind = if args.len() == 2 {
        args.remove(1)
    } else {
        "127.0.0.1:0".into()
    };
    let file = args.remove(0);
    // The same runtime onemap's binary uses: multi-threaded, one worker per core.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bare_tile: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(PathBuf::from(file), bind, middleware)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare_tile: {e:#}");
            ExitCode::FAILURE
        }
    }
}
