//! A core snapshot: the built core written next to the store, so that a restart reads it
//! back in seconds instead of reading every row and recomputing every index (at province
//! scale the incident R-tree and the H3 cell table alone take ~30 s of CPU).
//!
//! A snapshot names the store it was made from (its identity, see [`SnapshotHeader::store`])
//! and the change sequence it shows; the caller checks both against the store and replays
//! the changes after that sequence, or reads the store when the snapshot does not fit.
//! It is a cache: a snapshot that is missing, from another build, another store, damaged or
//! newer than the store is refused with a [`SnapshotError`] and never trusted.
//!
//! Layout (little-endian): the magic, the format version, the build fingerprint, the
//! sequence, the store identity, a table of sections (offset, length, CRC-32) and the
//! header's own CRC-32, then the sections, each a `postcard` value: the small layers (rebuilt into parts on load), the
//! built incidents in report-time order, their id index, their H3 cell table, their R-tree,
//! and the incident delta as upserts and deletes (applied on load). The incident sections
//! are decoded on one thread while the others are decoded and built on another.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rstar::RTree;
use serde::{Deserialize, Serialize};

use super::engine::{timed, worker_lookup, Core};
use super::parts::admin::AdminPart;
use super::parts::grids::GridPart;
use super::parts::incidents::{IncidentMain, IncidentPart};
use super::parts::patrols::PatrolPart;
use super::parts::points::{CameraPart, CenterPart};
use super::parts::workers::WorkerPart;
use super::parts::PointEntry;
use crate::h3::IncidentCells;
use crate::model::{
    AdminUnit, Camera, Center, Dataset, Grid, Incident, IncidentId, Patrol, Worker,
};
use crate::store::{ChangeKind, ChangeSet, FeatureKey};

const MAGIC: &[u8; 8] = b"OMCORE\r\n";
const FORMAT: u32 = 1;
/// Sections, in file order.
const SECTIONS: usize = 6;
const SMALL: usize = 0;
const INCIDENTS: usize = 1;
const BY_ID: usize = 2;
const CELLS: usize = 3;
const TREE: usize = 4;
const DELTA: usize = 5;
/// A store identity longer than this is not one onemap wrote.
const MAX_STORE_ID: u32 = 4096;

/// What the serialized values look like depends on these sources (and on the locked
/// versions of serde, postcard and rstar): a snapshot from a build where any of them
/// differed is refused rather than misread.
const FINGERPRINT: u64 = fingerprint(&[
    include_bytes!("snapshot.rs"),
    include_bytes!("../codes.rs"),
    include_bytes!("../h3/incident_cells.rs"),
    include_bytes!("../model/admin.rs"),
    include_bytes!("../model/camera.rs"),
    include_bytes!("../model/center.rs"),
    include_bytes!("../model/grid.rs"),
    include_bytes!("../model/incident.rs"),
    include_bytes!("../model/patrol.rs"),
    include_bytes!("../model/worker.rs"),
    include_bytes!("../../../Cargo.lock"),
]);

/// FNV-1a over every byte of `parts`, at compile time.
const fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut p = 0;
    while p < parts.len() {
        let bytes = parts[p];
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            i += 1;
        }
        p += 1;
    }
    hash
}

/// Why a snapshot was not used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing the file failed (a missing file is `NotFound` here).
    #[error("core snapshot {path}")]
    Io {
        /// The snapshot file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start like a onemap core snapshot.
    #[error("{0} is not a onemap core snapshot")]
    NotASnapshot(PathBuf),
    /// Written by a build whose data layout differs.
    #[error("core snapshot {0} is from another onemap build")]
    OtherBuild(PathBuf),
    /// Made from another store than the one opened.
    #[error("core snapshot {path} is of store {found:?}, not {expected:?}")]
    OtherStore {
        /// The snapshot file.
        path: PathBuf,
        /// The identity the snapshot names.
        found: String,
        /// The identity of the store opened.
        expected: String,
    },
    /// A section's bytes or checksum do not match (truncated or damaged file).
    #[error("core snapshot {path} is damaged: {what}")]
    Damaged {
        /// The snapshot file.
        path: PathBuf,
        /// Which part, and how.
        what: String,
    },
}

/// What a snapshot file says about itself, read without decoding the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The identity of the store it was made from.
    pub store: String,
    /// The change sequence the snapshot shows.
    pub seq: u64,
    /// Offset, length and CRC-32 of each section.
    sections: [(u64, u64, u32); SECTIONS],
}

/// The layers rebuilt into parts on load, borrowed from a core for writing.
#[derive(Serialize)]
struct SmallRef<'a> {
    admin: &'a [AdminUnit],
    grids: Vec<&'a Grid>,
    cameras: &'a [Camera],
    patrols: Vec<Patrol>,
    workers: Vec<Worker>,
    centers: &'a [Center],
}

/// The layers rebuilt into parts on load, as read.
#[derive(Deserialize)]
struct Small {
    admin: Vec<AdminUnit>,
    grids: Vec<Grid>,
    cameras: Vec<Camera>,
    patrols: Vec<Patrol>,
    workers: Vec<Worker>,
    centers: Vec<Center>,
}

/// The incident delta as the change that recreates it.
#[derive(Serialize, Deserialize, Default)]
struct Delta {
    upserts: Vec<Incident>,
    deletes: Vec<IncidentId>,
}

/// A writer that counts and checksums what goes through it.
struct Summing<W> {
    inner: W,
    len: u64,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.len += n as u64;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Core {
    /// Writes this core to `path` as a snapshot of the store named `store` (its
    /// identity), atomically: into a scratch file that is synced, then renamed over `path`.
    /// Returns the bytes written.
    pub fn write_snapshot(&self, path: &Path, store: &str) -> Result<u64, SnapshotError> {
        let io = |source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let scratch = scratch_path(path);
        let written = self.write_to(&scratch, store).map_err(io);
        let written = match written {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&scratch);
                return Err(e);
            }
        };
        std::fs::rename(&scratch, path).map_err(io)?;
        // The rename is durable once the folder is synced.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(written)
    }

    fn write_to(&self, scratch: &Path, store: &str) -> std::io::Result<u64> {
        let store_len = u32::try_from(store.len())
            .ok()
            .filter(|&n| n <= MAX_STORE_ID)
            .ok_or_else(|| std::io::Error::other("store identity too long"))?;
        let mut file = File::create(scratch)?;
        let table_at = header_len(store_len);
        file.seek(SeekFrom::Start(table_at))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let main = &self.incidents.main;
        let small = SmallRef {
            admin: self.admin(),
            grids: self.grids().iter().map(AsRef::as_ref).collect(),
            cameras: self.cameras(),
            patrols: self.patrols.to_vec(),
            workers: self.workers.to_vec(),
            centers: self.centers(),
        };
        let mut sections = [(0, 0, 0); SECTIONS];
        let mut at = table_at;
        let mut section = |i: usize,
                           out: &mut BufWriter<File>,
                           write: &dyn Fn(&mut dyn Write) -> postcard::Result<()>|
         -> std::io::Result<()> {
            let mut summing = Summing {
                inner: out,
                len: 0,
                crc: crc32fast::Hasher::new(),
            };
            write(&mut summing).map_err(std::io::Error::other)?;
            sections[i] = (at, summing.len, summing.crc.finalize());
            at += summing.len;
            Ok(())
        };
        section(SMALL, &mut out, &|w| postcard::to_io(&small, w).map(drop))?;
        section(INCIDENTS, &mut out, &|w| {
            postcard::to_io(&main.incidents, w).map(drop)
        })?;
        section(BY_ID, &mut out, &|w| {
            postcard::to_io(&main.by_id, w).map(drop)
        })?;
        section(CELLS, &mut out, &|w| {
            postcard::to_io(&main.cells, w).map(drop)
        })?;
        section(TREE, &mut out, &|w| {
            postcard::to_io(&main.tree, w).map(drop)
        })?;
        let delta = self.incidents.delta_changes();
        section(DELTA, &mut out, &|w| postcard::to_io(&delta, w).map(drop))?;
        let mut file = out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        let mut head = Vec::with_capacity(usize::try_from(table_at).unwrap_or(0));
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&FORMAT.to_le_bytes());
        head.extend_from_slice(&FINGERPRINT.to_le_bytes());
        head.extend_from_slice(&self.seq.to_le_bytes());
        head.extend_from_slice(&store_len.to_le_bytes());
        head.extend_from_slice(store.as_bytes());
        for (offset, len, crc) in sections {
            head.extend_from_slice(&offset.to_le_bytes());
            head.extend_from_slice(&len.to_le_bytes());
            head.extend_from_slice(&crc.to_le_bytes());
        }
        let crc = crc32fast::hash(&head);
        head.extend_from_slice(&crc.to_le_bytes());
        file.write_all(&head)?;
        file.sync_all()?;
        Ok(at)
    }

    /// Reads the snapshot at `path`, refusing one made from another store than `store` (an
    /// identity), by another build, or damaged. The core shows the snapshot's sequence
    /// ([`Core::seq`]); the caller replays the store's changes after it.
    pub fn read_snapshot(path: &Path, store: &str) -> Result<Core, SnapshotError> {
        let header = read_snapshot_header(path)?;
        if header.store != store {
            return Err(SnapshotError::OtherStore {
                path: path.to_path_buf(),
                found: header.store,
                expected: store.to_owned(),
            });
        }
        let file = File::open(path).map_err(|source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let section = |i: usize| read_section(&file, path, &header, i);
        let (incidents, rest) = std::thread::scope(|s| {
            let incidents = s.spawn(|| -> Result<_, SnapshotError> {
                let incidents: Vec<Incident> = timed("snapshot incidents", || {
                    decode(path, "incidents", &section(INCIDENTS)?)
                })?;
                let by_id: Vec<(IncidentId, u32)> = decode(path, "incident ids", &section(BY_ID)?)?;
                Ok((incidents, by_id))
            });
            let rest = (|| -> Result<_, SnapshotError> {
                let cells: IncidentCells = decode(path, "cells", &section(CELLS)?)?;
                let tree: RTree<PointEntry> = timed("snapshot tree", || {
                    decode(path, "incident tree", &section(TREE)?)
                })?;
                let delta: Delta = decode(path, "delta", &section(DELTA)?)?;
                let small: Small = decode(path, "layers", &section(SMALL)?)?;
                let admin = timed("admin", || AdminPart::new(small.admin));
                let workers = timed("workers", || WorkerPart::new(small.workers));
                let grids = timed("grids", || {
                    GridPart::new(small.grids, &admin, &worker_lookup(&workers))
                });
                let cameras = timed("cameras", || CameraPart::new(small.cameras));
                let patrols = timed("patrols", || PatrolPart::new(small.patrols));
                let centers = CenterPart::new(small.centers);
                Ok((
                    cells, tree, delta, admin, workers, grids, cameras, patrols, centers,
                ))
            })();
            let incidents = incidents.join().unwrap_or_else(|_| {
                Err(SnapshotError::Damaged {
                    path: path.to_path_buf(),
                    what: "the incident reader stopped".into(),
                })
            });
            (incidents, rest)
        });
        let (incidents, by_id) = incidents?;
        let (cells, tree, delta, admin, workers, grids, cameras, patrols, centers) = rest?;
        if by_id.iter().any(|&(_, i)| i as usize >= incidents.len())
            || tree.size() > incidents.len()
        {
            return Err(damaged(
                path,
                "the incident index names incidents the file lacks",
            ));
        }
        let main = IncidentMain {
            incidents,
            tree,
            by_id,
            cells,
        };
        let core = Core {
            admin: Arc::new(admin),
            grids: Arc::new(grids),
            cameras: Arc::new(cameras),
            incidents: IncidentPart::from_main(main),
            patrols,
            workers,
            centers: Arc::new(centers),
            placement: Arc::default(),
            seq: 0,
            grids_version: 0,
            version: 0,
        };
        let core = if delta.upserts.is_empty() && delta.deletes.is_empty() {
            core
        } else {
            let mut changes = ChangeSet::new(ChangeKind::Report, "snapshot", "incident delta");
            changes.upserts = Dataset {
                incidents: delta.upserts,
                ..Dataset::default()
            };
            changes.deletes = delta
                .deletes
                .into_iter()
                .map(FeatureKey::Incident)
                .collect();
            core.apply(&changes)
        };
        Ok(core.at_seq(header.seq))
    }
}

/// Reads the header of the snapshot at `path` (store identity, sequence, sections).
pub fn read_snapshot_header(path: &Path) -> Result<SnapshotHeader, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut fixed = [0u8; 32];
    if file.read_exact(&mut fixed).is_err() || &fixed[..8] != MAGIC {
        return Err(SnapshotError::NotASnapshot(path.to_path_buf()));
    }
    let word = |at: usize| u64::from_le_bytes(fixed[at..at + 8].try_into().unwrap_or_default());
    let format = u32::from_le_bytes(fixed[8..12].try_into().unwrap_or_default());
    if format != FORMAT || word(12) != FINGERPRINT {
        return Err(SnapshotError::OtherBuild(path.to_path_buf()));
    }
    let seq = word(20);
    let store_len = u32::from_le_bytes(fixed[28..32].try_into().unwrap_or_default());
    if store_len > MAX_STORE_ID {
        return Err(damaged(path, "the store identity is too long"));
    }
    let mut rest = vec![0u8; store_len as usize + SECTIONS * 20 + 4];
    file.read_exact(&mut rest)
        .map_err(|_| damaged(path, "the header is cut short"))?;
    let (rest, crc) = rest.split_at(rest.len() - 4);
    let mut summed = crc32fast::Hasher::new();
    summed.update(&fixed);
    summed.update(rest);
    if summed.finalize().to_le_bytes() != crc {
        return Err(damaged(path, "the header fails its checksum"));
    }
    let (store, table) = rest.split_at(store_len as usize);
    let store = String::from_utf8(store.to_vec())
        .map_err(|_| damaged(path, "the store identity is not text"))?;
    let mut sections = [(0, 0, 0); SECTIONS];
    let mut expected = header_len(store_len);
    for (i, entry) in table.chunks_exact(20).enumerate() {
        let offset = u64::from_le_bytes(entry[..8].try_into().unwrap_or_default());
        let len = u64::from_le_bytes(entry[8..16].try_into().unwrap_or_default());
        let crc = u32::from_le_bytes(entry[16..20].try_into().unwrap_or_default());
        if offset != expected || len > file_len.saturating_sub(offset) {
            return Err(damaged(
                path,
                "a section lies outside the file (cut short?)",
            ));
        }
        expected = offset + len;
        sections[i] = (offset, len, crc);
    }
    if expected != file_len {
        return Err(damaged(path, "the file is longer than its sections"));
    }
    Ok(SnapshotHeader {
        store,
        seq,
        sections,
    })
}

/// Where a snapshot of `path` is written before it replaces `path`.
fn scratch_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// Bytes before the first section.
fn header_len(store_len: u32) -> u64 {
    32 + u64::from(store_len) + (SECTIONS as u64) * 20 + 4
}

fn damaged(path: &Path, what: &str) -> SnapshotError {
    SnapshotError::Damaged {
        path: path.to_path_buf(),
        what: what.to_owned(),
    }
}

/// Section `i`'s bytes, checked against its checksum.
fn read_section(
    file: &File,
    path: &Path,
    header: &SnapshotHeader,
    i: usize,
) -> Result<Vec<u8>, SnapshotError> {
    let (offset, len, crc) = header.sections[i];
    let len = usize::try_from(len).map_err(|_| damaged(path, "a section is too large"))?;
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, offset)
        .map_err(|source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if crc32fast::hash(&bytes) != crc {
        return Err(damaged(path, &format!("section {i} fails its checksum")));
    }
    Ok(bytes)
}

fn decode<'de, T: Deserialize<'de>>(
    path: &Path,
    what: &str,
    bytes: &'de [u8],
) -> Result<T, SnapshotError> {
    let (value, rest) =
        postcard::take_from_bytes(bytes).map_err(|e| damaged(path, &format!("{what}: {e}")))?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(damaged(path, &format!("{what}: bytes after the value")))
    }
}

impl IncidentPart {
    /// The delta as the change that recreates it on the built part.
    fn delta_changes(&self) -> Delta {
        let mut live: Vec<_> = self.delta.live.iter().collect();
        live.sort_by_key(|(i, _)| **i);
        let mut delta = Delta::default();
        for (_, l) in live {
            match &l.incident {
                Some(incident) => delta.upserts.push(incident.clone()),
                None => delta.deletes.push(l.id),
            }
        }
        delta
    }
}
