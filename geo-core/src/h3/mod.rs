//! H3 cells (h3o) for point features: the cell of a point at a resolution, and per-cell
//! incident counts at a few resolutions (the base of the heatmap).

mod cell;
mod counts;

pub(crate) use cell::check_lon_lat;
pub use cell::{cell_at, CellError, BASE_RESOLUTION};
pub use counts::CellCounts;
pub use h3o::{CellIndex, Resolution};
