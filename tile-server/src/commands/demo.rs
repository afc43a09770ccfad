//! `onemap demo`: write the demo dataset into a fresh store.

use std::process::ExitCode;

use anyhow::bail;
use geo_core::demo::DemoConfig;

/// Generates the prefecture or province demo (or its first `counties`; `grids` of them
/// instead of the scale's number) into `store_path`.
#[allow(clippy::print_stdout)]
pub async fn run(
    store_path: &super::StoreLoc,
    province: bool,
    seed: u64,
    counties: Option<usize>,
    grids: Option<usize>,
    edge_vertices: usize,
    force: bool,
) -> anyhow::Result<ExitCode> {
    if let super::StoreLoc::File(store_path) = store_path {
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
    }
    let mut config = if province {
        DemoConfig::province()
    } else {
        DemoConfig::prefecture()
    };
    config.seed = seed;
    config.edge_vertices = edge_vertices;
    if let Some(n) = counties {
        // The first counties only, with their share of grids, cameras, incidents, workers
        // and patrols (Xiangxi has 8 counties, Hunan 122).
        let all = if province { 122 } else { 8 };
        let share = |x: usize| (x * n.min(all)).div_ceil(all);
        config = DemoConfig {
            grids: share(config.grids),
            incidents: share(config.incidents),
            cameras: share(config.cameras),
            workers: share(config.workers),
            patrols: share(config.patrols),
            ..config
        }
        .with_counties(n);
    }
    if let Some(n) = grids {
        config = config.with_grids(n);
    }
    let store = super::open_store(store_path).await?;
    if !store.is_empty().await? {
        bail!("{store_path} already holds data; the demo goes into an empty store");
    }
    super::load_demo(store.as_ref(), &config).await?;
    for layer in geo_core::model::Layer::ALL {
        say!("{:<10} {:>10}", layer.as_str(), store.count(layer).await?);
    }
    say!("demo written to {store_path}");
    Ok(ExitCode::SUCCESS)
}
