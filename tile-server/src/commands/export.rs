//! `onemap export LAYER --format F -o FILE`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use geo_core::formats;
use geo_core::model::{Dataset, Layer};
use geo_core::store::gpkg::GpkgStore;
use geo_core::store::{ChangeSet, Store};

/// Export file formats.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// A GeoJSON `FeatureCollection`.
    Geojson,
    /// One GeoJSON feature per line.
    Ndjson,
    /// CSV: lon/lat columns for points, WKT otherwise.
    Csv,
    /// A GeoPackage holding the one layer.
    Gpkg,
}

/// Moves one layer out of a dataset into a dataset of its own.
fn only(layer: Layer, mut data: Dataset) -> Dataset {
    let mut out = Dataset::default();
    match layer {
        Layer::Admin => out.admin = std::mem::take(&mut data.admin),
        Layer::Grids => out.grids = std::mem::take(&mut data.grids),
        Layer::Cameras => out.cameras = std::mem::take(&mut data.cameras),
        Layer::Incidents => out.incidents = std::mem::take(&mut data.incidents),
        Layer::Patrols => out.patrols = std::mem::take(&mut data.patrols),
        Layer::Workers => out.workers = std::mem::take(&mut data.workers),
        Layer::Centers => out.centers = std::mem::take(&mut data.centers),
    }
    out
}

/// Writes `layer` from the store to `output` (without personal data).
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &Path,
    layer: &str,
    format: Format,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let layer: Layer = layer.parse()?;
    if !store_path.exists() {
        bail!("store {} does not exist", store_path.display());
    }
    let store = super::open_store(store_path)?;
    let data = only(layer, store.load().await?);
    let n = formats::layer_len(&data, layer);
    if let Format::Gpkg = format {
        if output.exists() {
            bail!(
                "{} exists; onemap does not overwrite files",
                output.display()
            );
        }
        let out = GpkgStore::open(output)
            .with_context(|| format!("cannot create {}", output.display()))?;
        out.apply(ChangeSet {
            upserts: data,
            author: "onemap export".into(),
            summary: format!("export {layer}"),
            ..ChangeSet::default()
        })
        .await?;
    } else {
        let file =
            File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        match format {
            Format::Geojson => formats::write_geojson(&data, layer, None, false, &mut w)?,
            Format::Ndjson => formats::write_ndjson(&data, layer, None, false, &mut w)?,
            Format::Csv | Format::Gpkg => formats::write_csv(&data, layer, None, false, &mut w)?,
        };
        w.flush()?;
    }
    println!("exported {n} {layer} features to {}", output.display());
    Ok(ExitCode::SUCCESS)
}
