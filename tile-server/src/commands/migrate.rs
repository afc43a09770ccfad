//! `onemap migrate`: copies a store into an empty one (GeoPackage to PostGIS or back):
//! every layer with incident details, users, tokens, workflow steps and raw GPS fixes,
//! then checks the counts of each on both sides. The change history stays behind: the
//! new store's history begins with the migration (its audit entry names the source).

use std::process::ExitCode;

use anyhow::bail;
use futures_util::future::join_all;
use geo_core::model::Layer;
use geo_core::store::{ChangeKind, ChangeSet};

use super::StoreLoc;

/// Incident details read at once (each is one look-up).
const DETAILS_BATCH: usize = 256;

/// Copies every layer (with incident details), the users, tokens, steps and fixes from
/// `from` into the empty store `to` in one write, then compares counts.
#[allow(clippy::print_stdout)]
pub async fn run(from: &StoreLoc, to: &StoreLoc) -> anyhow::Result<ExitCode> {
    if !from.exists() {
        bail!("{from} does not exist");
    }
    let src = super::open_store(from).await?;
    let dst = super::open_store(to).await?;
    if !dst.is_empty().await? {
        bail!("{to} already holds data; migrate into an empty store");
    }
    let mut data = src.load().await?;
    let mut details = Vec::with_capacity(data.incidents.len());
    for chunk in data.incidents.chunks(DETAILS_BATCH) {
        let got = join_all(chunk.iter().map(|i| src.incident_details(i.id))).await;
        for d in got {
            details.push(d?.unwrap_or_default());
        }
    }
    data.incident_details = details;
    let mut changes = ChangeSet::new(ChangeKind::Migrate, "cli", format!("migrate from {from}"));
    changes.origin = "cli".into();
    changes.upserts = data;
    changes.users = src.users().await?;
    let users = changes.users.len();
    let records = src.records().await?;
    changes.steps.clone_from(&records.steps);
    changes.positions.clone_from(&records.positions);
    changes.tokens.clone_from(&records.tokens);
    dst.apply(changes).await?;
    say!("{:<10} {:>10} {:>10}", "layer", "from", "to");
    let mut differ = Vec::new();
    for layer in Layer::ALL {
        let (a, b) = (src.count(layer).await?, dst.count(layer).await?);
        say!("{:<10} {a:>10} {b:>10}", layer.as_str());
        if a != b {
            differ.push(layer.as_str());
        }
    }
    let (got_users, got) = (dst.users().await?.len(), dst.records().await?);
    for (what, a, b) in [
        ("users", users, got_users),
        ("tokens", records.tokens.len(), got.tokens.len()),
        ("steps", records.steps.len(), got.steps.len()),
        ("gps fixes", records.positions.len(), got.positions.len()),
    ] {
        say!("{what:<10} {a:>10} {b:>10}");
        if a != b {
            differ.push(what);
        }
    }
    if !differ.is_empty() {
        bail!("counts differ for {}", differ.join(", "));
    }
    say!("migrated {from} to {to}; the change history stays in {from} (the new store's begins with this migration)");
    Ok(ExitCode::SUCCESS)
}
