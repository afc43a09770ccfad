//! GPX track segments, each with its points' times (`read`).

pub(crate) mod read;

pub use read::GPX_ID_BASE;
