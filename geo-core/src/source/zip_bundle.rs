//! The members of a `.zip` (a zipped Shapefile set) or `.kmz` (zipped KML), read in memory.
//!
//! Member names are decoded the way Chinese Windows tools write them: UTF-8 when the bytes
//! are UTF-8, else GB18030 (the zip crate would read such names as CP437 and garble them).
//! macOS resource forks (`__MACOSX/`, `._name`) are not members.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::text;
use super::SourceError;

/// The most a single member may inflate to: larger is a zip bomb, not a boundary file.
const MAX_MEMBER_BYTES: u64 = 2 << 30;

/// One file in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// Position in the archive.
    pub index: usize,
    /// Path inside the archive, `/`-separated, decoded to UTF-8.
    pub name: String,
}

impl Member {
    /// The name's extension, lower case (`shp`, `kml`), or "".
    pub fn extension(&self) -> String {
        self.file_name()
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The path without its extension (`data/grids` for `data/grids.SHP`).
    pub fn stem_path(&self) -> &str {
        match self.name.rsplit_once('.') {
            Some((stem, ext)) if !ext.contains('/') => stem,
            _ => &self.name,
        }
    }

    /// The last path component (`grids.shp`).
    pub fn file_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// An archive opened over bytes in memory.
pub(crate) struct ZipBundle<'a> {
    label: String,
    archive: ZipArchive<Cursor<&'a [u8]>>,
    members: Vec<Member>,
}

impl<'a> ZipBundle<'a> {
    /// Opens `bytes` as a zip; `label` names the file in messages.
    pub fn open(label: &str, bytes: &'a [u8]) -> Result<Self, SourceError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| SourceError::Malformed(format!("{label}: not a readable zip: {e}")))?;
        let mut members = Vec::new();
        for index in 0..archive.len() {
            let Ok(f) = archive.by_index_raw(index) else {
                continue;
            };
            if f.is_dir() {
                continue;
            }
            let raw = f.name_raw();
            let (enc, _) = text::choose(None, [raw]);
            let name = text::decode(enc, raw).replace('\\', "/");
            let base = name.rsplit('/').next().unwrap_or(&name);
            if name.starts_with("__MACOSX/") || base.starts_with("._") || base.is_empty() {
                continue;
            }
            members.push(Member { index, name });
        }
        Ok(Self {
            label: label.to_owned(),
            archive,
            members,
        })
    }

    /// The files in the archive, in archive order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The whole content of `member`.
    pub fn read(&mut self, member: &Member) -> Result<Vec<u8>, SourceError> {
        let what = |e: &dyn std::fmt::Display| {
            SourceError::Malformed(format!("{}: member {}: {e}", self.label, member.name))
        };
        let f = self.archive.by_index(member.index).map_err(|e| what(&e))?;
        let mut out = Vec::with_capacity(usize::try_from(f.size().min(1 << 24)).unwrap_or(0));
        f.take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| what(&e))?;
        if out.len() as u64 > MAX_MEMBER_BYTES {
            return Err(what(&format!(
                "inflates to more than {MAX_MEMBER_BYTES} bytes"
            )));
        }
        Ok(out)
    }
}

/// Whether `bytes` start like a zip archive.
pub(crate) fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn lists_and_reads_members_skipping_mac_forks() {
        let bytes = zip(&[
            ("data/Grids.SHP", b"shp"),
            ("__MACOSX/data/._Grids.SHP", b"fork"),
            ("data/._Grids.dbf", b"fork"),
            ("data/Grids.dbf", b"dbf"),
        ]);
        assert!(looks_like_zip(&bytes));
        let mut z = ZipBundle::open("t.zip", &bytes).unwrap();
        let names: Vec<_> = z.members().iter().map(|m| m.name.clone()).collect();
        assert_eq!(names, ["data/Grids.SHP", "data/Grids.dbf"]);
        let m = z.members()[0].clone();
        assert_eq!(m.extension(), "shp");
        assert_eq!(m.stem_path(), "data/Grids");
        assert_eq!(m.file_name(), "Grids.SHP");
        assert_eq!(z.read(&m).unwrap(), b"shp");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(ZipBundle::open("x.zip", b"PK\x03\x04 not really").is_err());
        assert!(ZipBundle::open("x.zip", &[]).is_err());
    }
}
