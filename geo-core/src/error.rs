//! geo-core's error type: every fallible operation returns [`Error`].

use crate::codes::CodeError;

/// Everything that can go wrong in geo-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A code or id was malformed.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// A layer name that onemap does not have.
    #[error("unknown layer {0:?}; layers are admin, grids, cameras, incidents, patrols, workers, centers")]
    UnknownLayer(String),
    /// Input that is well-formed but not acceptable (coordinates out of range, bad time...).
    #[error("{0}")]
    Invalid(String),
    /// A feature that was asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The store could not be reached or is not writable now (HTTP 503).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store's content is not what onemap wrote (corrupt file, foreign schema).
    #[error("store corrupt: {0}")]
    Corrupt(String),
    /// SQLite (embedded GeoPackage store).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL (PostGIS store), other than a lost connection (`Unavailable`) or a
    /// refused constraint (`Invalid`).
    #[error("postgres: {0}")]
    Postgres(String),
    /// File system.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Input past one of the import limits (HTTP 413).
    #[error(transparent)]
    Limit(#[from] crate::limits::LimitError),
    /// JSON (de)serialisation.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// geo-core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
