//! The `onemap` command line: serve, demo, import, validate, export, bench.

/// `println!` that a closed stdout (`onemap validate f | head`) does not turn into a
/// panic: the output ends, the command goes on; any other write error is said on stderr.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say(::std::format_args!($($arg)*))
    };
}

mod commands;

/// What [`say!`] calls.
#[allow(clippy::print_stderr)]
fn say(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = writeln!(std::io::stdout().lock(), "{args}") {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("onemap: cannot write the output: {e}");
        }
    }
}

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: the tile path allocates small buffers per request, glibc's malloc was an
/// eighth of its CPU time under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// The PostGIS store instead: a PostgreSQL URL (`postgres://user@host:5432/db`); several
    /// `onemap serve` on one database follow each other's writes.
    #[arg(long, env = "ONEMAP_POSTGRES")]
    postgres: Option<String>,
}

impl StoreArgs {
    fn loc(&self) -> commands::StoreLoc {
        match &self.postgres {
            Some(url) => commands::StoreLoc::Postgres(url.clone()),
            None => commands::StoreLoc::File(self.store.clone()),
        }
    }
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
        /// Days to closure per incident category, as JSON (`{"dispute": 7, "petition": 15}`):
        /// the deadline of a report that states none. Unnamed categories keep the defaults.
        #[arg(long)]
        deadlines: Option<PathBuf>,
        /// Require login even for the local demo (a loopback bind over demo data is
        /// otherwise open to read without one).
        #[arg(long)]
        login: bool,
        /// Requests per second one signed-in user may make, sustained, with bursts of ten
        /// seconds' worth (0: no limit); beyond it 429.
        #[arg(long, default_value_t = tile_server::auth::DEFAULT_RATE_PER_S)]
        rate_per_user: u32,
        /// The core snapshot, read at start instead of rebuilding every index (seconds
        /// instead of a minute for a province) and rewritten as the data changes. Default:
        /// beside the GeoPackage (`FILE.core`), or in ~/.cache/onemap/ for a database.
        #[arg(long, env = "ONEMAP_SNAPSHOT")]
        snapshot: Option<PathBuf>,
        /// No core snapshot: every start reads the whole store.
        #[arg(long, conflicts_with = "snapshot")]
        no_snapshot: bool,
        /// Seconds between rewrites of the snapshot while the data changes.
        #[arg(long, default_value_t = tile_server::config::DEFAULT_SNAPSHOT_EVERY.as_secs())]
        snapshot_every: u64,
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
        /// Only the first N counties (a smaller dataset, e.g. for tests).
        #[arg(long)]
        counties: Option<usize>,
        /// This many grids instead of the scale's (5,382 for the prefecture).
        #[arg(long)]
        grids: Option<usize>,
        /// Vertices on each generated edge between townships, villages and grids, which
        /// then meander like roads and rivers (100: ~180 per grid, as real grids have);
        /// 0 for straight Voronoi edges.
        #[arg(long, default_value_t = 0)]
        edge_vertices: usize,
        /// Replace an existing store file.
        #[arg(long)]
        force: bool,
    },
    /// Import a file into a layer: checked first, then all or nothing.
    Import {
        /// admin, grids, cameras, incidents, patrols, workers or centers.
        layer: String,
        #[command(flatten)]
        load: LoadFlags,
        #[command(flatten)]
        store: StoreArgs,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the valid features and list the ones left out, instead of refusing the file.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Check a file and print (and optionally write) the validation report; writes nothing.
    Validate {
        #[command(flatten)]
        load: LoadFlags,
        /// The layer to check the file as (default: guessed from geometry and codes).
        #[arg(long)]
        layer: Option<String>,
        /// The store whose villages and admin units the file is checked against, if it exists.
        #[command(flatten)]
        store: StoreArgs,
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
        /// Shift the coordinates for an `AMap` (gcj02) or Baidu (bd09) basemap; GeoJSON,
        /// NDJSON and CSV only.
        #[arg(long)]
        crs: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage users and their access tokens.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Copy a store into an empty one, GeoPackage to PostGIS (`--from FILE --postgres URL`)
    /// or back (`--from-postgres URL --to FILE`); counts are checked per layer.
    Migrate {
        /// The GeoPackage to copy from.
        #[arg(long, conflicts_with = "from_postgres", requires = "postgres")]
        from: Option<PathBuf>,
        /// The PostgreSQL database to copy into.
        #[arg(long)]
        postgres: Option<String>,
        /// The PostgreSQL database to copy from.
        #[arg(long, requires = "to", conflicts_with = "postgres")]
        from_postgres: Option<String>,
        /// The GeoPackage to copy into (created).
        #[arg(long)]
        to: Option<PathBuf>,
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

/// `onemap user ...`.
#[derive(Debug, Subcommand)]
enum UserAction {
    /// Create a user bound to an admin unit; prints its token once.
    Add {
        /// Login name.
        name: String,
        /// viewer, operator, planner, gis or admin.
        #[arg(long)]
        role: String,
        /// The admin unit code the user sees (e.g. 433100).
        #[arg(long)]
        unit: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users: name, role, unit, state.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disable a user (their tokens stop working).
    Disable {
        /// Login name.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Issue a new token for a user and print it once.
    Token {
        /// Login name.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// How to read and check a file (import and validate).
#[derive(Debug, clap::Args)]
struct LoadFlags {
    /// The file: .geojson, .ndjson, .shp or .zip, .gpkg, .kml/.kmz, .csv, .fgb, .gpx.
    file: PathBuf,
    /// The coordinates' CRS when the file does not say or says wrong: EPSG:4490, 4326, 3857,
    /// 4491-4554 (CGCS2000 Gauss-Kruger), gcj02, bd09.
    #[arg(long)]
    crs: Option<String>,
    /// Attribute text encoding (GBK, UTF-8...), overriding the .cpg and detection.
    #[arg(long)]
    encoding: Option<String>,
    /// The GeoPackage table or KML folder to read.
    #[arg(long)]
    table: Option<String>,
    /// CSV: the longitude column.
    #[arg(long)]
    lon: Option<String>,
    /// CSV: the latitude column.
    #[arg(long)]
    lat: Option<String>,
    /// CSV: the WKT column.
    #[arg(long)]
    wkt: Option<String>,
    /// Repairs to apply (repeatable): make-valid, snap, assign-overlaps.
    #[arg(long, value_enum)]
    repair: Vec<RepairKind>,
    /// Snapping distance in metres for --repair snap; gaps and overlaps thinner than this
    /// are the ones the report offers to snap.
    #[arg(long, default_value_t = geo_core::validate::Tolerances::default().snap_m)]
    snap_m: f64,
    /// Admin units and grids: misfits between neighbours narrower than this (metres) are
    /// closed before the checks, shared edges made identical; 0 keeps the file as drawn.
    #[arg(long, default_value_t = 0.5)]
    tolerance_m: f64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Patrols: the worker id of every track in the file (a GPX track names none, or
    /// another).
    #[arg(long)]
    worker: Option<String>,
    /// Incidents: days to closure per category as JSON (`{"dispute": 7}`, as `serve
    /// --deadlines`), the deadline of a row that gives none.
    #[arg(long)]
    deadlines: Option<PathBuf>,
    /// A mapping file (.toml or .json): file columns to onemap properties and file values to
    /// onemap values (`"事件类型" = "category"`, `"01" = "dispute"`); the wizard saves one.
    #[arg(long = "map", value_name = "FILE")]
    map: Option<PathBuf>,
}

impl LoadFlags {
    fn into_args(self, skip_invalid: bool) -> commands::import::LoadArgs {
        let has = |k: RepairKind| self.repair.contains(&k);
        commands::import::LoadArgs {
            repairs: geo_core::validate::Repairs {
                make_valid: has(RepairKind::MakeValid),
                snap_m: has(RepairKind::Snap).then_some(self.snap_m),
                assign_overlaps: has(RepairKind::AssignOverlaps),
            },
            file: self.file,
            crs: self.crs,
            encoding: self.encoding,
            table: self.table,
            lon: self.lon,
            lat: self.lat,
            wkt: self.wkt,
            skip_invalid,
            report: self.report,
            tolerance_m: self.tolerance_m,
            snap_m: self.snap_m,
            worker: self.worker,
            deadlines: self.deadlines,
            map: self.map,
        }
    }
}

/// Repairs offered by the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RepairKind {
    /// Rebuild self-intersecting polygons.
    MakeValid,
    /// Snap vertices onto neighbours within --snap-m.
    Snap,
    /// Give overlapping pieces to the neighbour with the longer shared border.
    AssignOverlaps,
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
    Shp,
    Fgb,
}

/// The deadline policy of `serve --deadlines FILE`, or the defaults.
fn deadline_policy(
    path: Option<&std::path::Path>,
) -> anyhow::Result<geo_core::model::DeadlinePolicy> {
    let Some(path) = path else {
        return Ok(geo_core::model::DeadlinePolicy::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    geo_core::model::DeadlinePolicy::from_json(&text)
        .with_context(|| format!("deadline policy {}", path.display()))
}

#[allow(clippy::too_many_lines)] // one match arm per command
fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,tokio_postgres=warn".into()),
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
                deadlines,
                login,
                rate_per_user,
                snapshot,
                no_snapshot,
                snapshot_every,
            } => {
                let deadlines = deadline_policy(deadlines.as_deref())?;
                let loc = store.loc();
                let snapshot = if no_snapshot {
                    None
                } else {
                    snapshot.or_else(|| commands::default_snapshot(&loc))
                };
                let config = tile_server::Config {
                    web_dir: web.join("index.html").is_file().then_some(web),
                    tile_cache_bytes: tile_cache_mb.saturating_mul(1 << 20),
                    basemap_url: basemap,
                    deadlines,
                    rate_per_user,
                    snapshot,
                    snapshot_every: std::time::Duration::from_secs(snapshot_every.max(1)),
                    ..tile_server::Config::default()
                };
                commands::serve::run(&loc, &bind, config, login).await
            }
            Command::Demo {
                store,
                scale,
                seed,
                counties,
                grids,
                edge_vertices,
                force,
            } => {
                commands::demo::run(
                    &store.loc(),
                    matches!(scale, Scale::Province),
                    seed,
                    counties,
                    grids,
                    edge_vertices,
                    force,
                )
                .await
            }
            Command::Import {
                layer,
                load,
                store,
                dry_run,
                skip_invalid,
            } => {
                commands::import::run(&store.loc(), &layer, &load.into_args(skip_invalid), dry_run)
                    .await
            }
            Command::Validate { load, layer, store } => {
                commands::import::validate(&store.loc(), layer.as_deref(), &load.into_args(false))
                    .await
            }
            Command::Export {
                layer,
                format,
                output,
                crs,
                store,
            } => {
                let format = match format {
                    ExportFormat::Geojson => commands::export::Format::Geojson,
                    ExportFormat::Ndjson => commands::export::Format::Ndjson,
                    ExportFormat::Csv => commands::export::Format::Csv,
                    ExportFormat::Gpkg => commands::export::Format::Gpkg,
                    ExportFormat::Shp => commands::export::Format::Shp,
                    ExportFormat::Fgb => commands::export::Format::Fgb,
                };
                commands::export::run(&store.loc(), &layer, format, &output, crs.as_deref()).await
            }
            Command::User { action } => match action {
                UserAction::Add {
                    name,
                    role,
                    unit,
                    store,
                } => commands::user::add(&store.loc(), &name, &role, &unit).await,
                UserAction::List { store } => commands::user::list(&store.loc()).await,
                UserAction::Disable { name, store } => {
                    commands::user::disable(&store.loc(), &name).await
                }
                UserAction::Token { name, store } => {
                    commands::user::new_token(&store.loc(), &name).await
                }
            }
            .map(|()| ExitCode::SUCCESS),
            Command::Migrate {
                from,
                postgres,
                from_postgres,
                to,
            } => {
                let (src, dst) = match (from, postgres, from_postgres, to) {
                    (Some(f), Some(url), None, None) => {
                        (commands::StoreLoc::File(f), commands::StoreLoc::Postgres(url))
                    }
                    (None, None, Some(url), Some(t)) => {
                        (commands::StoreLoc::Postgres(url), commands::StoreLoc::File(t))
                    }
                    _ => anyhow::bail!(
                        "say `--from FILE.gpkg --postgres URL` or `--from-postgres URL --to FILE.gpkg`"
                    ),
                };
                commands::migrate::run(&src, &dst).await
            }
            Command::Bench { store, queries } => commands::bench::run(&store.loc(), queries).await,
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
