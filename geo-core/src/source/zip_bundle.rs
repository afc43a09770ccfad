//! The members of a `.zip` (a zipped Shapefile set) or `.kmz` (zipped KML), read in memory.
//!
//! Member names are decoded the way Chinese Windows tools write them: UTF-8 when the bytes
//! are UTF-8, else GB18030 (the zip crate would read such names as CP437 and garble them).
//! macOS resource forks (`__MACOSX/`, `._name`) are not members.
//!
//! The archive is untrusted: its member count, the bytes its members inflate to (all of
//! them together) and each member's expansion ratio are held to [`Limits`]. The sizes a
//! header declares are checked before a member is inflated (refused early when they already
//! say too much), and the inflated bytes are counted while they come out ([`Counted`]): the
//! inflation stops at the first byte past the declared size or a limit, whichever is less,
//! so a header that lies costs no more than what it declared (already within the limits). A
//! zip inside the zip is a member like any other: never opened.

use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};

use zip::ZipArchive;

use super::text;
use super::SourceError;
use crate::limits::{Counted, LimitError, Limits, ZIP_RATIO_FLOOR};

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
    limits: Limits,
    /// Archive size: no member's compressed size can be more.
    archive_len: u64,
    /// Bytes inflated so far by [`ZipBundle::read`], all members together.
    inflated: u64,
}

impl<'a> ZipBundle<'a> {
    /// Opens `bytes` as a zip under `limits`; `label` names the file in messages.
    pub fn open(label: &str, bytes: &'a [u8], limits: Limits) -> Result<Self, SourceError> {
        let unreadable = |e: &dyn std::fmt::Display| {
            SourceError::Malformed(format!("{label}: not a readable zip: {e}"))
        };
        // The zip crate parses the central directory of a file from outside; a panic in it
        // must not take the service down.
        let mut archive = catch_unwind(AssertUnwindSafe(|| ZipArchive::new(Cursor::new(bytes))))
            .map_err(|_| unreadable(&"its directory is damaged"))?
            .map_err(|e| unreadable(&e))?;
        if archive.len() > limits.zip_entries {
            return Err(LimitError::ZipEntries {
                file: label.to_owned(),
                entries: archive.len(),
                max: limits.zip_entries,
            }
            .into());
        }
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
            limits,
            archive_len: bytes.len() as u64,
            inflated: 0,
        })
    }

    /// The files in the archive, in archive order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The whole content of `member`, refused as soon as it would pass a limit.
    pub fn read(&mut self, member: &Member) -> Result<Vec<u8>, SourceError> {
        let label = self.label.clone();
        let what = |e: &dyn std::fmt::Display| {
            SourceError::Malformed(format!("{label}: member {}: {e}", member.name))
        };
        let limits = self.limits;
        let left = limits.zip_uncompressed.saturating_sub(self.inflated);
        let too_big = || LimitError::ZipUncompressed {
            file: label.clone(),
            member: member.name.clone(),
            max: limits.zip_uncompressed,
        };
        let archive = &mut self.archive;
        let f = catch_unwind(AssertUnwindSafe(move || {
            // Moved in, so that the member may borrow the archive past the closure.
            let archive = archive;
            archive.by_index(member.index)
        }))
        .map_err(|_| what(&"its header is damaged"))?
        .map_err(|e| what(&e))?;
        let compressed = f.compressed_size().min(self.archive_len);
        // What the member may inflate to by its ratio; a small member never counts as a bomb.
        let by_ratio = compressed
            .saturating_mul(limits.zip_ratio)
            .max(ZIP_RATIO_FLOOR);
        let too_dense = || LimitError::ZipRatio {
            file: label.clone(),
            member: member.name.clone(),
            compressed,
            max: limits.zip_ratio,
        };
        // Refused before inflating anything when the header already says too much.
        if f.size() > left {
            return Err(too_big().into());
        }
        if f.size() > by_ratio {
            return Err(too_dense().into());
        }
        // The header may lie: the bytes are counted as they come out, and one byte past the
        // declared size or a limit stops the inflation (declared <= the limits here; the
        // limits stay in the budget so that it never rests on the header alone).
        let declared = f.size();
        let budget = declared.min(left).min(by_ratio);
        let mut out = Vec::with_capacity(usize::try_from(budget.min(1 << 24)).unwrap_or(0));
        let mut counted = Counted::new(f, budget);
        let read = catch_unwind(AssertUnwindSafe(|| counted.read_to_end(&mut out)));
        self.inflated += counted.count();
        if counted.exceeded() {
            drop(out);
            return Err(if budget == declared {
                LimitError::ZipDeclared {
                    file: label.clone(),
                    member: member.name.clone(),
                    declared,
                }
            } else if budget == left {
                too_big()
            } else {
                too_dense()
            }
            .into());
        }
        match read {
            Ok(Ok(_)) => Ok(out),
            Ok(Err(e)) => Err(what(&e)),
            Err(_) => Err(what(&"it cannot be inflated")),
        }
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
        let mut z = ZipBundle::open("t.zip", &bytes, Limits::default()).unwrap();
        let names: Vec<_> = z.members().iter().map(|m| m.name.clone()).collect();
        assert_eq!(names, ["data/Grids.SHP", "data/Grids.dbf"]);
        let m = z.members()[0].clone();
        assert_eq!(m.extension(), "shp");
        assert_eq!(m.stem_path(), "data/Grids");
        assert_eq!(m.file_name(), "Grids.SHP");
        assert_eq!(z.read(&m).unwrap(), b"shp");
    }

    fn deflated(name: &str, len: usize, byte: impl Fn(usize) -> u8) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file(name, o).unwrap();
        let data: Vec<u8> = (0..len).map(byte).collect();
        w.write_all(&data).unwrap();
        w.finish().unwrap().into_inner()
    }

    /// Rewrites every member's declared uncompressed size (local header and central
    /// directory) to `size`: a header that lies.
    fn lie_about_size(bytes: &mut [u8], size: u32) {
        for at in 0..bytes.len().saturating_sub(30) {
            let off = match &bytes[at..at + 4] {
                b"PK\x03\x04" => 22,
                b"PK\x01\x02" => 24,
                _ => continue,
            };
            bytes[at + off..at + off + 4].copy_from_slice(&size.to_le_bytes());
        }
    }

    fn limit_of(e: SourceError) -> LimitError {
        match e {
            SourceError::Limit(l) => l,
            other => panic!("expected a limit, got {other}"),
        }
    }

    #[test]
    fn entry_count_limit_at_the_boundary() {
        let bytes = zip(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let at = |n| Limits {
            zip_entries: n,
            ..Limits::default()
        };
        assert_eq!(
            ZipBundle::open("t.zip", &bytes, at(3))
                .unwrap()
                .members()
                .len(),
            3
        );
        let e = limit_of(ZipBundle::open("t.zip", &bytes, at(2)).err().unwrap());
        assert_eq!(
            e,
            LimitError::ZipEntries {
                file: "t.zip".into(),
                entries: 3,
                max: 2
            }
        );
        assert!(e.to_string().contains("limit zip_entries"), "{e}");
    }

    #[test]
    fn total_uncompressed_counts_every_member_read() {
        let bytes = zip(&[("a.shp", &[1; 600]), ("a.dbf", &[2; 600])]);
        let at = |n| Limits {
            zip_uncompressed: n,
            ..Limits::default()
        };
        let mut z = ZipBundle::open("t.zip", &bytes, at(1200)).unwrap();
        let (a, b) = (z.members()[0].clone(), z.members()[1].clone());
        assert_eq!(z.read(&a).unwrap().len(), 600);
        assert_eq!(
            z.read(&b).unwrap().len(),
            600,
            "exactly at the limit is allowed"
        );
        let mut z = ZipBundle::open("t.zip", &bytes, at(1199)).unwrap();
        assert!(z.read(&a).is_ok());
        let e = limit_of(z.read(&b).unwrap_err());
        assert!(
            matches!(e, LimitError::ZipUncompressed { max: 1199, .. }),
            "{e}"
        );
    }

    #[test]
    fn a_lying_header_is_stopped_while_inflating() {
        // 4 MiB of varied bytes (compressing about 1:1, so the ratio stays fine) declared as 100.
        let mut bytes = deflated("big.shp", 4 << 20, |i| {
            (i.wrapping_mul(2_654_435_761) >> 13) as u8
        });
        lie_about_size(&mut bytes, 100);
        let limits = Limits {
            zip_uncompressed: 1 << 20,
            ..Limits::default()
        };
        let mut z = ZipBundle::open("t.zip", &bytes, limits).unwrap();
        let m = z.members()[0].clone();
        let e = limit_of(z.read(&m).unwrap_err());
        assert!(
            matches!(e, LimitError::ZipDeclared { declared: 100, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("limit zip_declared_size"), "{e}");
        assert_eq!(z.inflated, 100, "inflation stopped at the declared size");
        // Declared right, inflated exactly to it: read.
        let mut exact = bytes.clone();
        lie_about_size(&mut exact, 4 << 20);
        let mut z = ZipBundle::open("t.zip", &exact, Limits::default()).unwrap();
        assert_eq!(z.read(&m).unwrap().len(), 4 << 20);
        // Declared past the total allowed: refused before inflating.
        let mut z = ZipBundle::open("t.zip", &exact, limits).unwrap();
        let e = limit_of(z.read(&m).unwrap_err());
        assert!(matches!(e, LimitError::ZipUncompressed { .. }), "{e}");
        assert_eq!(z.inflated, 0, "the declared size was already too much");
    }

    #[test]
    fn expansion_ratio_refused_from_the_header_and_while_inflating() {
        // 32 MiB of zeros deflate to about 32 KiB: 1000:1.
        let honest = deflated("bomb.shp", 32 << 20, |_| 0);
        let mut z = ZipBundle::open("t.zip", &honest, Limits::default()).unwrap();
        let m = z.members()[0].clone();
        let e = limit_of(z.read(&m).unwrap_err());
        assert!(
            matches!(e, LimitError::ZipRatio { max, .. } if max == crate::limits::MAX_ZIP_RATIO),
            "{e}"
        );
        assert!(e.to_string().contains("limit zip_ratio"), "{e}");
        assert_eq!(
            z.inflated, 0,
            "refused before inflating: the header said so"
        );

        let mut lying = honest.clone();
        lie_about_size(&mut lying, 1000);
        let mut z = ZipBundle::open("t.zip", &lying, Limits::default()).unwrap();
        let e = limit_of(z.read(&m).unwrap_err());
        assert!(matches!(e, LimitError::ZipDeclared { .. }), "{e}");
        assert_eq!(
            z.inflated, 1000,
            "stopped at the first byte past what the header said"
        );
        // Declared just under the ratio budget, which is the floor here: allowed until the
        // inflation passes the declared size.
        let mut almost = honest.clone();
        lie_about_size(&mut almost, ZIP_RATIO_FLOOR as u32);
        let mut z = ZipBundle::open("t.zip", &almost, Limits::default()).unwrap();
        let e = limit_of(z.read(&m).unwrap_err());
        assert!(matches!(e, LimitError::ZipDeclared { .. }), "{e}");
        assert_eq!(z.inflated, ZIP_RATIO_FLOOR);

        // Under the floor, a high ratio is fine: small files of repeated text.
        let small = deflated("a.cpg", 1 << 20, |_| b' ');
        let mut z = ZipBundle::open("t.zip", &small, Limits::default()).unwrap();
        let m = z.members()[0].clone();
        assert_eq!(z.read(&m).unwrap().len(), 1 << 20);
    }

    #[test]
    fn damaged_archives_are_errors_not_panics() {
        let good = zip(&[("a.shp", &[7; 5000]), ("a.dbf", b"dbf")]);
        for cut in [4, 30, good.len() / 2, good.len() - 10, good.len() - 1] {
            if let Ok(mut z) = ZipBundle::open("t.zip", &good[..cut], Limits::default()) {
                for m in z.members().to_vec() {
                    let _ = z.read(&m);
                }
            }
        }
        // Absurd header values: every size and offset field set to its maximum.
        let mut absurd = good.clone();
        // (0xFFFFFFFF would mean "see the zip64 field"; one less is a plain absurd size.)
        lie_about_size(&mut absurd, u32::MAX - 1);
        let mut z = ZipBundle::open("t.zip", &absurd, Limits::default()).unwrap();
        let m = z.members()[0].clone();
        assert!(matches!(z.read(&m), Err(SourceError::Limit(_))));
        // An end-of-directory record claiming 65,535 entries at a bogus offset.
        let mut eocd = b"PK\x05\x06".to_vec();
        eocd.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        eocd.extend_from_slice(&u32::MAX.to_le_bytes());
        eocd.extend_from_slice(&0u32.to_le_bytes());
        eocd.extend_from_slice(&[0, 0]);
        assert!(ZipBundle::open("t.zip", &eocd, Limits::default()).is_err());
        // A zip inside the zip is a member, never opened.
        let inner = zip(&[("x.shp", b"shp")]);
        let outer = zip(&[("inner.zip", &inner)]);
        let z = ZipBundle::open("t.zip", &outer, Limits::default()).unwrap();
        assert_eq!(z.members()[0].extension(), "zip");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(ZipBundle::open("x.zip", b"PK\x03\x04 not really", Limits::default()).is_err());
        assert!(ZipBundle::open("x.zip", &[], Limits::default()).is_err());
    }
}
