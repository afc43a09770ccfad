//! `onemap import LAYER FILE`: read, report every problem, then write all or nothing.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use geo_core::formats::{self, CsvOptions, ReadReport};
use geo_core::model::{Dataset, Layer};
use geo_core::store::ChangeSet;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// The file formats `import` reads, chosen by extension.
#[derive(Debug, Clone, Copy)]
enum Format {
    Geojson,
    Ndjson,
    Csv,
}

fn format_of(file: &Path) -> anyhow::Result<Format> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "geojson" | "json" => Format::Geojson,
        "ndjson" | "geojsonl" | "geojsons" | "jsonl" => Format::Ndjson,
        "csv" | "txt" => Format::Csv,
        _ => bail!(
            "{}: unknown file type {ext:?}; onemap imports .geojson, .ndjson or .csv (more formats arrive with the import issue)",
            file.display()
        ),
    })
}

/// Reads `file` as `layer` with a progress bar over the bytes read.
pub fn read(layer: Layer, file: &Path) -> anyhow::Result<(Dataset, ReadReport)> {
    let format = format_of(file)?;
    let f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let len = f.metadata().map_or(0, |m| m.len());
    let bar = ProgressBar::new(len).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("reading {}", file.display()));
    let r = BufReader::with_capacity(1 << 20, bar.wrap_read(f));
    let out = match format {
        Format::Geojson => formats::read_geojson(r, layer),
        Format::Ndjson => formats::read_ndjson(r, layer),
        Format::Csv => formats::read_csv(r, layer, &CsvOptions::default()),
    };
    bar.finish_and_clear();
    Ok(out?)
}

fn report_json(file: &Path, layer: Layer, report: &ReadReport, written: bool) -> serde_json::Value {
    json!({
        "file": file.display().to_string(),
        "layer": layer.as_str(),
        "features": report.features,
        "written": written,
        "problems": report.problems.iter().map(|p| json!({
            "index": p.index, "id": p.id, "message": p.message,
        })).collect::<Vec<_>>(),
    })
}

/// Runs the import; exit code 1 when the file has problems (nothing is written then).
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &Path,
    layer: &str,
    file: &Path,
    dry_run: bool,
    report_path: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let layer: Layer = layer.parse()?;
    let (data, report) = read(layer, file)?;
    let clean = report.is_clean();
    let write = clean && !dry_run;
    if let Some(path) = report_path {
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&report_json(file, layer, &report, write))?,
        )
        .with_context(|| format!("cannot write report {}", path.display()))?;
    }
    println!("{report}");
    if !clean {
        println!("nothing written: fix the problems above and import again");
        return Ok(ExitCode::FAILURE);
    }
    if dry_run {
        println!("dry run: nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    let store = super::open_store(store_path)?;
    let applied = store
        .apply(ChangeSet {
            upserts: data,
            author: whoami(),
            summary: format!("import {} into {layer}", file.display()),
            ..ChangeSet::default()
        })
        .await?;
    println!(
        "imported {} {layer} features into {} (change {})",
        report.features,
        store_path.display(),
        applied.seq
    );
    Ok(ExitCode::SUCCESS)
}

fn whoami() -> String {
    std::env::var("USER").map_or_else(|_| "cli".to_owned(), |u| format!("cli:{u}"))
}
