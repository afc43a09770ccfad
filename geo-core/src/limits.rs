//! What one import may cost: every limit on a file from outside, in one place.
//!
//! A file is refused with [`LimitError`] as soon as reading it goes past a limit (a zip
//! member while it inflates, a feature as soon as it is read), never after the whole file
//! was expanded or parsed: a limit that is checked afterwards has already been paid for.
//! The HTTP service answers 413 with the error's message, which names the limit.

use std::io::Read;

use geo::CoordsIter;
use geo_types::Geometry;

/// Most members a zip (zipped Shapefile, KMZ) may list; a Shapefile set is 3 to 8 files.
pub const MAX_ZIP_ENTRIES: usize = 1_000;

/// Most bytes all members read from one zip may inflate to, together.
pub const MAX_ZIP_UNCOMPRESSED: u64 = 512 << 20;

/// Most a zip member may inflate to per byte it takes in the archive. Deflate reaches
/// about 1,000:1 on zeros; real Shapefiles, DBFs and KML stay well under 50:1.
pub const MAX_ZIP_RATIO: u64 = 100;

/// A member inflating to less than this is never refused for its ratio: small files of
/// repeated text (a `.cpg`, a `.prj`, an almost empty `.dbf`) compress very well.
pub const ZIP_RATIO_FLOOR: u64 = 8 << 20;

/// Most vertices one feature's geometry may have: a grid boundary following roads and
/// rivers has 100-300; a county's a few thousand.
pub const MAX_VERTICES_PER_GEOMETRY: usize = 100_000;

/// Most features one import may hold.
pub const MAX_FEATURES_PER_IMPORT: usize = 2_000_000;

/// The limits an import is read under; [`Limits::default`] is the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Members a zip may list ([`MAX_ZIP_ENTRIES`]).
    pub zip_entries: usize,
    /// Bytes the members read from a zip may inflate to ([`MAX_ZIP_UNCOMPRESSED`]).
    pub zip_uncompressed: u64,
    /// Inflated bytes per compressed byte of a member ([`MAX_ZIP_RATIO`]).
    pub zip_ratio: u64,
    /// Vertices per geometry ([`MAX_VERTICES_PER_GEOMETRY`]).
    pub vertices: usize,
    /// Features per import ([`MAX_FEATURES_PER_IMPORT`]).
    pub features: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            zip_entries: MAX_ZIP_ENTRIES,
            zip_uncompressed: MAX_ZIP_UNCOMPRESSED,
            zip_ratio: MAX_ZIP_RATIO,
            vertices: MAX_VERTICES_PER_GEOMETRY,
            features: MAX_FEATURES_PER_IMPORT,
        }
    }
}

impl Limits {
    /// Refuses the feature at `index` (0-based position in `file`) when `held` features
    /// are already read and one more is past the feature limit, or when its geometry has
    /// too many vertices.
    pub fn check_feature(
        &self,
        file: &str,
        index: usize,
        held: usize,
        geometry: Option<&Geometry<f64>>,
    ) -> Result<(), LimitError> {
        self.check_count(file, held)?;
        match geometry {
            Some(g) => self.check_vertices(file, index, g.coords_count()),
            None => Ok(()),
        }
    }

    /// Refuses one more feature when `held` are already read and that is the limit.
    pub fn check_count(&self, file: &str, held: usize) -> Result<(), LimitError> {
        if held >= self.features {
            return Err(LimitError::Features {
                file: file.to_owned(),
                max: self.features,
            });
        }
        Ok(())
    }

    /// Refuses the feature at `index` when its geometry has `vertices` > the limit.
    pub fn check_vertices(
        &self,
        file: &str,
        index: usize,
        vertices: usize,
    ) -> Result<(), LimitError> {
        if vertices > self.vertices {
            return Err(LimitError::Vertices {
                file: file.to_owned(),
                index,
                vertices,
                max: self.vertices,
            });
        }
        Ok(())
    }
}

/// A file refused because reading it would go past one of the [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The zip lists more members than [`Limits::zip_entries`].
    #[error(
        "{file}: the zip lists {entries} members; onemap reads at most {max} (limit zip_entries)"
    )]
    ZipEntries {
        /// The archive.
        file: String,
        /// Members it lists.
        entries: usize,
        /// The limit.
        max: usize,
    },
    /// The members read would inflate to more than [`Limits::zip_uncompressed`] bytes.
    #[error("{file}: member {member} takes the zip past {max} bytes uncompressed (limit zip_uncompressed); nothing was imported")]
    ZipUncompressed {
        /// The archive.
        file: String,
        /// The member being read when the limit was reached.
        member: String,
        /// The limit, bytes.
        max: u64,
    },
    /// A member inflates more than [`Limits::zip_ratio`] times its compressed size.
    #[error("{file}: member {member} expands more than {max}:1 ({compressed} bytes compressed), like a zip bomb (limit zip_ratio); nothing was imported")]
    ZipRatio {
        /// The archive.
        file: String,
        /// The member.
        member: String,
        /// Its compressed size, bytes.
        compressed: u64,
        /// The limit.
        max: u64,
    },
    /// A member inflates to more than its header declares: the header lies (the zip-bomb
    /// trick), and the declared size is what was checked against the other limits.
    #[error("{file}: member {member} inflates to more than the {declared} bytes its header declares, like a zip bomb (limit zip_declared_size); nothing was imported")]
    ZipDeclared {
        /// The archive.
        file: String,
        /// The member.
        member: String,
        /// What its header says it inflates to, bytes.
        declared: u64,
    },
    /// A geometry has more vertices than [`Limits::vertices`].
    #[error("{file}: feature {index} has {vertices} vertices; a geometry may have at most {max} (limit vertices_per_geometry): simplify it, or split it; nothing was imported")]
    Vertices {
        /// The file.
        file: String,
        /// The feature's 0-based position in the file.
        index: usize,
        /// Its vertices (at least this many).
        vertices: usize,
        /// The limit.
        max: usize,
    },
    /// The file holds more features than [`Limits::features`].
    #[error("{file}: more than {max} features (limit features_per_import): split the file; nothing was imported")]
    Features {
        /// The file.
        file: String,
        /// The limit.
        max: usize,
    },
}

/// A `Read` that counts the bytes through it and fails once they would pass a budget, so
/// that a stream (a zip member inflating) is stopped at the limit instead of after it was
/// read whole; [`Counted::exceeded`] tells that failure from the inner reader's own.
#[derive(Debug)]
pub struct Counted<R> {
    inner: R,
    read: u64,
    budget: u64,
    exceeded: bool,
}

impl<R: Read> Counted<R> {
    /// Reads at most `budget` bytes of `inner`; one byte more is an error.
    pub fn new(inner: R, budget: u64) -> Self {
        Self {
            inner,
            read: 0,
            budget,
            exceeded: false,
        }
    }

    /// Bytes read so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.read
    }

    /// Whether a read failed because the budget was spent and more was coming.
    #[must_use]
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.exceeded {
            return Err(over_budget());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let left = self.budget - self.read;
        if left == 0 {
            // The budget is spent: one more byte decides whether the stream ends here
            // (exactly at the limit is allowed) or goes on past it.
            let mut probe = [0_u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded = true;
            return Err(over_budget());
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        Ok(n)
    }
}

fn over_budget() -> std::io::Error {
    std::io::Error::other("read limit reached")
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, LineString, Point, Polygon};

    fn read_all(data: &[u8], budget: u64) -> (std::io::Result<Vec<u8>>, u64, bool) {
        let mut c = Counted::new(data, budget);
        let mut out = Vec::new();
        let r = c.read_to_end(&mut out).map(|_| out);
        (r, c.count(), c.exceeded())
    }

    #[test]
    fn counted_allows_exactly_the_budget_and_not_one_byte_more() {
        let data = vec![7_u8; 1000];
        let (r, n, over) = read_all(&data, 1000);
        assert_eq!(r.unwrap().len(), 1000);
        assert_eq!(n, 1000);
        assert!(!over);
        let (r, n, over) = read_all(&data, 999);
        assert!(r.is_err());
        assert_eq!(n, 999, "never more than the budget is handed out");
        assert!(over);
        let (r, _, over) = read_all(&data, 1001);
        assert_eq!(r.unwrap().len(), 1000);
        assert!(!over);
        let (r, _, over) = read_all(&[], 0);
        assert!(r.unwrap().is_empty());
        assert!(!over);
        let (r, _, over) = read_all(&[1], 0);
        assert!(r.is_err() && over);
    }

    #[test]
    fn counted_stays_failed() {
        let data = [1_u8; 10];
        let mut c = Counted::new(&data[..], 4);
        let mut buf = [0_u8; 4];
        assert_eq!(c.read(&mut buf).unwrap(), 4);
        assert!(c.read(&mut buf).is_err());
        assert!(c.read(&mut buf).is_err());
        assert_eq!(c.count(), 4);
    }

    #[test]
    fn features_and_vertices_at_the_boundary() {
        let limits = Limits {
            vertices: 5,
            features: 2,
            ..Limits::default()
        };
        let ring = |n: usize| {
            let mut cs: Vec<_> = (0..n - 1)
                .map(|i| coord! { x: i as f64, y: (i % 2) as f64 })
                .collect();
            cs.push(cs[0]);
            Geometry::Polygon(Polygon::new(LineString::new(cs), vec![]))
        };
        assert!(limits.check_feature("f", 0, 0, Some(&ring(5))).is_ok());
        let e = limits.check_feature("f", 1, 1, Some(&ring(6))).unwrap_err();
        assert_eq!(
            e,
            LimitError::Vertices {
                file: "f".into(),
                index: 1,
                vertices: 6,
                max: 5
            }
        );
        assert!(e.to_string().contains("feature 1 has 6 vertices"), "{e}");
        assert!(limits.check_feature("f", 1, 1, None).is_ok());
        let p = Geometry::Point(Point::new(1.0, 2.0));
        let e = limits.check_feature("f", 7, 2, Some(&p)).unwrap_err();
        assert!(matches!(e, LimitError::Features { max: 2, .. }), "{e}");
        assert!(e.to_string().contains("more than 2 features"), "{e}");
    }
}
