//! `onemap import LAYER FILE` and `onemap validate FILE`: read, check, report every finding,
//! then write all or nothing.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use geo_core::crs::Crs;
use geo_core::limits::Limits;
use geo_core::load::{self, LoadOptions, Prepared};
use geo_core::model::{Dataset, Layer};
use geo_core::source::{self, Source, SourceFormat, SourceOptions};
use geo_core::store::ChangeSet;
use geo_core::validate::Repairs;
use indicatif::{ProgressBar, ProgressStyle};

/// What the user said about reading and checking one file.
#[derive(Debug, Clone, Default)]
pub struct LoadArgs {
    /// The file.
    pub file: PathBuf,
    /// Its CRS, overriding the file's own (`EPSG:4545`, `gcj02`...).
    pub crs: Option<String>,
    /// Attribute text encoding, overriding `.cpg` and detection.
    pub encoding: Option<String>,
    /// GeoPackage table or KML folder.
    pub table: Option<String>,
    /// CSV longitude column.
    pub lon: Option<String>,
    /// CSV latitude column.
    pub lat: Option<String>,
    /// CSV WKT column.
    pub wkt: Option<String>,
    /// Repairs to apply.
    pub repairs: Repairs,
    /// Leave out invalid features instead of refusing the file.
    pub skip_invalid: bool,
    /// Where to write the JSON report.
    pub report: Option<PathBuf>,
    /// Misfits narrower than this (m) between neighbouring areas are closed; 0: none.
    pub tolerance_m: f64,
    /// Gaps and overlaps thinner than this (m) are offered to Snap (`--snap-m`).
    pub snap_m: f64,
    /// The worker of every patrol track (GPX).
    pub worker: Option<String>,
    /// The deadline policy file (JSON), else onemap's defaults.
    pub deadlines: Option<PathBuf>,
    /// The mapping file (TOML or JSON) of columns and values.
    pub map: Option<PathBuf>,
}

impl LoadArgs {
    fn options(&self, layer: Layer) -> anyhow::Result<LoadOptions> {
        let mut opts = LoadOptions::new(layer);
        opts.crs = self.crs.as_deref().map(str::parse::<Crs>).transpose()?;
        opts.source = self.source_options();
        opts.repairs = self.repairs;
        opts.tolerances.misfit_m = self.tolerance_m;
        opts.tolerances.snap_m = self.snap_m;
        opts.skip_invalid = self.skip_invalid;
        opts.worker = self.worker.clone();
        if let Some(path) = &self.deadlines {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            opts.deadlines = geo_core::model::DeadlinePolicy::from_json(&text)
                .with_context(|| format!("deadline policy {}", path.display()))?;
        }
        if let Some(m) = self.mapping()? {
            opts.set_mapping(m)?;
        }
        Ok(opts)
    }

    /// The mapping file, read (its names are checked once the layer is known).
    fn mapping(&self) -> anyhow::Result<Option<load::Mapping>> {
        Ok(self.map.as_deref().map(load::Mapping::read).transpose()?)
    }

    fn source_options(&self) -> SourceOptions {
        SourceOptions {
            layer: self.table.clone(),
            encoding: self.encoding.clone(),
            lon: self.lon.clone(),
            lat: self.lat.clone(),
            wkt: self.wkt.clone(),
            // The operator's own file on the operator's machine: as many features as it
            // holds (a province's incidents are millions); zip and vertex limits stay.
            limits: Limits {
                features: usize::MAX,
                ..Limits::default()
            },
        }
    }
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A file as read from disk: its bytes, or (for sets of files) already parsed.
enum Input {
    Bytes(Vec<u8>),
    Parsed(Source),
}

/// Reads the file with a progress bar over its bytes (a `.shp` or `.gpkg` is read by path:
/// sidecar files, SQLite).
fn read_input(args: &LoadArgs) -> anyhow::Result<Input> {
    let file = &args.file;
    let name = file.display().to_string();
    let format = SourceFormat::from_name(&name);
    if matches!(
        format,
        Some(SourceFormat::Shapefile | SourceFormat::GeoPackage)
    ) && !name.to_ascii_lowercase().ends_with(".zip")
    {
        let bar = spinner(format!("reading {name}"));
        let out = source::read_path(file, &args.source_options());
        bar.finish_and_clear();
        return Ok(Input::Parsed(out?));
    }
    let f = File::open(file).with_context(|| format!("cannot open {name}"))?;
    let len = f.metadata().map_or(0, |m| m.len());
    let bar = ProgressBar::new(len).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("reading {name}"));
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    BufReader::with_capacity(1 << 20, bar.wrap_read(f))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    bar.finish_and_clear();
    Ok(Input::Bytes(bytes))
}

fn parse(args: &LoadArgs, bytes: &[u8]) -> anyhow::Result<Source> {
    let name = args.file.display().to_string();
    let bar = spinner(format!("parsing {name}"));
    let out = source::read_bytes(&name, bytes, &args.source_options());
    bar.finish_and_clear();
    Ok(out?)
}

/// Reads, reprojects, maps and checks `args.file` as `layer` against `context`.
pub fn prepare(args: &LoadArgs, layer: Layer, context: &Dataset) -> anyhow::Result<Prepared> {
    prepare_input(read_input(args)?, args, layer, context)
}

/// [`prepare`] on a file already read.
fn prepare_input(
    input: Input,
    args: &LoadArgs,
    layer: Layer,
    context: &Dataset,
) -> anyhow::Result<Prepared> {
    let opts = args.options(layer)?;
    let name = args.file.display().to_string();
    let bar = spinner(format!("checking {name}"));
    let prepared = match input {
        Input::Bytes(bytes) => load::prepare_bytes(&name, &bytes, &opts, context),
        Input::Parsed(source) => Ok(load::prepare(source, &name, &opts, context)),
    };
    bar.finish_and_clear();
    Ok(prepared?)
}

fn write_report(path: Option<&Path>, prepared: &Prepared) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(path, serde_json::to_vec_pretty(&prepared.report)?)
            .with_context(|| format!("cannot write report {}", path.display()))?;
    }
    Ok(())
}

/// What an import needs from the store to check a layer: villages and stored grids for
/// grids, the admin hierarchy for admin units.
async fn context(store: &dyn geo_core::store::Store, layer: Layer) -> anyhow::Result<Dataset> {
    Ok(match layer {
        Layer::Admin => store.load_layer(Layer::Admin).await?,
        // Grids: the villages, and the stored grids a file's new grids must fit beside.
        // Incidents: the same units, to place a row that has a grid code but no coordinates.
        Layer::Grids | Layer::Incidents => {
            let mut data = store.load_layer(Layer::Admin).await?;
            data.grids = store.load_layer(Layer::Grids).await?.grids;
            data
        }
        _ => Dataset::default(),
    })
}

/// `onemap validate FILE`: the report alone; exit code 1 when it has errors.
#[allow(clippy::print_stdout)]
pub async fn validate(
    store_path: &super::StoreLoc,
    layer: Option<&str>,
    args: &LoadArgs,
) -> anyhow::Result<ExitCode> {
    // Read once: guessing the layer needs the parsed features, and they are checked next.
    let mut input = read_input(args)?;
    let layer = if let Some(l) = layer {
        l.parse::<Layer>()?
    } else if let Some(l) = args.mapping()?.and_then(|m| m.layer) {
        // The mapping says what it is for.
        l
    } else {
        let source = match input {
            Input::Parsed(s) => s,
            Input::Bytes(b) => parse(args, &b)?,
        };
        let guessed = load::guess_layer(&source).unwrap_or(Layer::Grids);
        say!("checking as layer {guessed} (say --layer to choose)");
        input = Input::Parsed(source);
        guessed
    };
    // The store gives villages and parents to check against, when there is one.
    let context = if store_path.exists() {
        let store = super::open_store(store_path).await?;
        context(store.as_ref(), layer).await?
    } else {
        Dataset::default()
    };
    let args = args.clone();
    let prepared = tokio::task::spawn_blocking(move || {
        prepare_input(input, &args, layer, &context).map(|p| (p, args))
    })
    .await
    .context("validation stopped")??;
    let (prepared, args) = prepared;
    write_report(args.report.as_deref(), &prepared)?;
    say!("{}", prepared.report);
    Ok(if prepared.report.errors() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `onemap import LAYER FILE`: exit code 1 when nothing could be written.
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &super::StoreLoc,
    layer: &str,
    args: &LoadArgs,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let layer: Layer = layer.parse()?;
    let store = super::open_store(store_path).await?;
    let context = context(store.as_ref(), layer).await?;
    let owned = args.clone();
    let mut prepared = tokio::task::spawn_blocking(move || prepare(&owned, layer, &context))
        .await
        .context("import stopped")??;
    let n = geo_core::formats::layer_len(&prepared.data, layer);
    let writable = n > 0 && (prepared.report.errors() == 0 || args.skip_invalid);
    if !writable || dry_run {
        write_report(args.report.as_deref(), &prepared)?;
        say!("{}", prepared.report);
        if dry_run {
            say!("dry run: nothing written");
            return Ok(
                if prepared.report.errors() == 0 || (args.skip_invalid && n > 0) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                },
            );
        }
        say!("nothing written: fix the errors above (or --skip-invalid, or --repair) and import again");
        return Ok(ExitCode::FAILURE);
    }
    let bar = spinner(format!("writing {n} {layer} features"));
    let data = std::mem::take(&mut prepared.data);
    let applied = store
        .apply(ChangeSet {
            upserts: data,
            author: whoami(),
            summary: format!("import {} into {layer}", args.file.display()),
            ..ChangeSet::default()
        })
        .await;
    bar.finish_and_clear();
    let applied = applied?;
    prepared.report.written = true;
    write_report(args.report.as_deref(), &prepared)?;
    say!("{}", prepared.report);
    if !prepared.report.skipped.is_empty() {
        say!(
            "skipped {} invalid features (positions {:?})",
            prepared.report.skipped.len(),
            prepared.report.skipped
        );
    }
    say!(
        "imported {n} {layer} features into {} (change {})",
        store_path,
        applied.seq
    );
    Ok(ExitCode::SUCCESS)
}

fn whoami() -> String {
    std::env::var("USER").map_or_else(|_| "cli".to_owned(), |u| format!("cli:{u}"))
}
