//! KML and KMZ (`read`).

pub(crate) mod read;
