//! `onemap export LAYER --format F -o FILE`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use geo_core::crs::Crs;
use geo_core::formats;
use geo_core::model::Layer;
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
    /// An ESRI Shapefile (`.shp` set, or a `.zip` of it) with `.prj` and `.cpg`.
    Shp,
    /// FlatGeobuf with a spatial index.
    Fgb,
}

/// Writes `layer` from the store to `output` (without personal data), shifted into `crs`
/// when asked (text formats only: the others record EPSG:4490 in their metadata).
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &super::StoreLoc,
    layer: &str,
    format: Format,
    output: &Path,
    crs: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let layer: Layer = layer.parse()?;
    let crs = crs.map(str::parse::<Crs>).transpose()?;
    if !store_path.exists() {
        bail!("store {store_path} does not exist");
    }
    let store = super::open_store(store_path).await?;
    let mut data = store.load_layer(layer).await?;
    match crs {
        None | Some(Crs::LonLat { .. }) => {}
        Some(c @ (Crs::Gcj02 | Crs::Bd09)) if matches!(format, Format::Geojson | Format::Ndjson | Format::Csv) => {
            let t = c.from_lon_lat()?;
            data.try_map_layer_coords(layer, |p| t.coord(p))?;
        }
        Some(c) => bail!(
            "--crs {c}: exports are in EPSG:4490; only GeoJSON, NDJSON and CSV can be shifted, and only to gcj02 or bd09 (for AMap/Baidu basemaps)"
        ),
    }
    let n = formats::layer_len(&data, layer);
    match format {
        Format::Shp => {
            formats::write_shapefile(&data, layer, false, output)
                .with_context(|| format!("cannot write {}", output.display()))?;
        }
        Format::Fgb => {
            formats::write_flatgeobuf(&data, layer, false, output)
                .with_context(|| format!("cannot write {}", output.display()))?;
        }
        Format::Gpkg => {
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
        }
        Format::Geojson | Format::Ndjson | Format::Csv => {
            let file = File::create(output)
                .with_context(|| format!("cannot create {}", output.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            match format {
                Format::Geojson => formats::write_geojson(&data, layer, None, false, &mut w)?,
                Format::Ndjson => formats::write_ndjson(&data, layer, None, false, &mut w)?,
                _ => formats::write_csv(&data, layer, None, false, &mut w)?,
            };
            w.flush()?;
        }
    }
    say!("exported {n} {layer} features to {}", output.display());
    Ok(ExitCode::SUCCESS)
}
