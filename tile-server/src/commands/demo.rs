//! `onemap demo`: write the demo dataset into a fresh store.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use geo_core::demo::DemoConfig;

/// Generates the prefecture or province demo (or its first `counties`) into `store_path`.
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &Path,
    province: bool,
    seed: u64,
    counties: Option<usize>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    if store_path.exists() {
        if !force {
            bail!(
                "{} exists; pass --force to replace it",
                store_path.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = store_path.as_os_str().to_owned();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let mut config = if province {
        DemoConfig::province()
    } else {
        DemoConfig::prefecture()
    };
    config.seed = seed;
    if let Some(n) = counties {
        // The first counties only, with their share of grids, cameras and incidents.
        config = config.with_counties(n);
    }
    let store = super::open_store(store_path)?;
    super::load_demo(store.as_ref(), &config).await?;
    for layer in geo_core::model::Layer::ALL {
        println!("{:<10} {:>10}", layer.as_str(), store.count(layer).await?);
    }
    println!("demo written to {}", store_path.display());
    Ok(ExitCode::SUCCESS)
}
