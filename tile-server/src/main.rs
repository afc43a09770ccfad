//! The `onemap` command line: serve, demo, import, export, bench.

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// onemap: a county's, prefecture's or province's governance picture on one map.
#[derive(Debug, Parser)]
#[command(name = "onemap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives.
#[derive(Debug, clap::Args)]
struct StoreArgs {
    /// The embedded store: a GeoPackage file (created if missing).
    #[arg(long, default_value = "onemap.gpkg")]
    store: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the map, tiles and APIs; an empty store first gets the demo prefecture.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// The web map's build folder (served at /).
        #[arg(long, default_value = "web-map/dist")]
        web: PathBuf,
        /// Memory for encoded tiles, in MiB (0 turns the tile cache off).
        #[arg(long, default_value_t = tile_server::config::DEFAULT_TILE_CACHE_MB)]
        tile_cache_mb: u64,
        /// Raster basemap beneath the layers: an XYZ URL template (Tianditu Web Mercator or
        /// a local tile server). Unset: no basemap and no request leaves the origin.
        #[arg(long, env = "ONEMAP_BASEMAP")]
        basemap: Option<String>,
    },
    /// Generate the demo dataset into a fresh store.
    Demo {
        #[command(flatten)]
        store: StoreArgs,
        /// Prefecture (Xiangxi, 1M incidents) or province (Hunan, ten times that).
        #[arg(long, value_enum, default_value_t = Scale::Prefecture)]
        scale: Scale,
        /// Random seed; the same seed gives the same data.
        #[arg(long, default_value_t = 2_260)]
        seed: u64,
        /// Replace an existing store file.
        #[arg(long)]
        force: bool,
    },
    /// Import a file (onemap's GeoJSON, NDJSON or CSV) into a layer: all or nothing.
    Import {
        /// admin, grids, cameras, incidents, patrols, workers or centers.
        layer: String,
        /// The file to read.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        /// Validate and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the findings as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Export a layer to a file.
    Export {
        /// admin, grids, cameras, incidents, patrols, workers or centers.
        layer: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Measure locate and nearest-camera throughput on the store's data.
    Bench {
        #[command(flatten)]
        store: StoreArgs,
        /// Queries per measurement.
        #[arg(long, default_value_t = 1_000_000)]
        queries: usize,
    },
}

/// Demo dataset size.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scale {
    Prefecture,
    Province,
}

/// Export file formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Geojson,
    Ndjson,
    Csv,
    Gpkg,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("onemap: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve {
                store,
                bind,
                web,
                tile_cache_mb,
                basemap,
            } => {
                let config = tile_server::Config {
                    web_dir: web.join("index.html").is_file().then_some(web),
                    tile_cache_bytes: tile_cache_mb.saturating_mul(1 << 20),
                    basemap_url: basemap,
                };
                commands::serve::run(&store.store, &bind, config).await
            }
            Command::Demo {
                store,
                scale,
                seed,
                force,
            } => {
                commands::demo::run(&store.store, matches!(scale, Scale::Province), seed, force)
                    .await
            }
            Command::Import {
                layer,
                file,
                store,
                dry_run,
                report,
            } => {
                commands::import::run(&store.store, &layer, &file, dry_run, report.as_deref()).await
            }
            Command::Export {
                layer,
                format,
                output,
                store,
            } => {
                let format = match format {
                    ExportFormat::Geojson => commands::export::Format::Geojson,
                    ExportFormat::Ndjson => commands::export::Format::Ndjson,
                    ExportFormat::Csv => commands::export::Format::Csv,
                    ExportFormat::Gpkg => commands::export::Format::Gpkg,
                };
                commands::export::run(&store.store, &layer, format, &output).await
            }
            Command::Bench { store, queries } => commands::bench::run(&store.store, queries).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("onemap: {e:#}");
            ExitCode::FAILURE
        }
    }
}
