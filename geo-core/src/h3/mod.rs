//! H3 cells (h3o) for point features: the cell of a point at a resolution, per-cell
//! incident counts at a few resolutions, and incidents ordered by cell for filtered counts
//! (the base of the heatmap).

mod cell;
mod incident_cells;

pub(crate) use cell::check_lon_lat;
pub use cell::{cell_at, counted_cells, CellError, BASE_RESOLUTION};
pub use h3o::{CellIndex, Resolution};
pub use incident_cells::{CellFilter, IncidentCells, IncidentRow};
