//! Rendering the core's layers into Mapbox Vector Tiles: one tile of one layer, filtered.
//!
//! ```no_run
//! use geo_core::access::Scope;
//! use geo_core::demo::{generate, DemoConfig};
//! use geo_core::index::Core;
//! use geo_core::render::{render_tile, TileFilter, TileLayer};
//! use geo_core::tile::TileCoord;
//! let core = Core::new(generate(&DemoConfig::prefecture().with_counties(1)).unwrap());
//! let coord = TileCoord::containing(109.74, 28.31, 12).unwrap();
//! let bytes = render_tile(&core, TileLayer::Incidents, coord, &TileFilter::default(), &Scope::ALL)
//!     .unwrap();
//! // An empty Vec means an empty tile (no feature in any layer).
//! # let _ = bytes;
//! ```
//!
//! Every data layer is selected with [`Core::query`] over the tile's lon/lat bounds grown by
//! the buffer ([`bounds::buffered_bounds`]); the MVT layer carries the layer's name.
//! Incidents below [`RAW_MIN_ZOOM`] are aggregated into H3 cells ([`cluster`]); the
//! `heatmap` layer is H3 hexagons with filtered counts ([`heatmap`]).
//!
//! Admin and grid tiles carry a second MVT layer of label points ([`ADMIN_LABEL_LAYER`],
//! [`GRID_LABEL_LAYER`]): each unit's or grid's [`Core::admin_label`]/[`Core::grid_label`],
//! written only in the tile that contains it, so that a name is drawn once per feature
//! rather than once per tile fragment of its polygon. They come from the same hits as the
//! polygons, so the scope and the revision rule are the same.
//!
//! Every layer is cut to the caller's [`Scope`] (SPEC 11): features of other units are left
//! out ([`Core::in_scope`]: polygons by code, points by their grid, tracks by the grid of
//! their first vertex) and clusters and hexagons count only the unit's incidents
//! ([`cover::counted_cells`]). A tile that cannot meet the unit is empty without a query.
//! [`Scope::ALL`] takes the unscoped path unchanged.

pub mod bounds;
pub mod cluster;
pub mod cover;
mod features;
pub mod heatmap;
mod layer;
pub mod schema;

use crate::access::Scope;
use crate::codes::AdminLevel;
use crate::h3::CellFilter;
use crate::index::{Core, Filter};
use crate::model::{Category, IncidentStatus, Layer, UnixTime};
use crate::mvt::TileBuilder;
use crate::tile::{TileCoord, TileOptions};
use crate::Result;

pub use cluster::{cluster_resolution, RAW_MIN_ZOOM};
pub use heatmap::heatmap_resolution;
pub use layer::TileLayer;

/// Which features a tile shows. Empty lists and `None` select everything.
///
/// `categories`, `statuses` and `raw` apply to incidents; `from`/`to` to incidents (report
/// time, `from <= t < to`) and patrols (tracks overlapping the window). Other layers ignore
/// the filter; grids always show their current revisions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TileFilter {
    /// Start of the time window, inclusive.
    pub from: Option<UnixTime>,
    /// End of the time window, exclusive.
    pub to: Option<UnixTime>,
    /// Incident categories to keep.
    pub categories: Vec<Category>,
    /// Incident statuses to keep.
    pub statuses: Vec<IncidentStatus>,
    /// Incident points at every zoom instead of H3 clusters below [`RAW_MIN_ZOOM`].
    pub raw: bool,
}

impl TileFilter {
    /// The core filter over `bbox` for `layer` (time and classes only where they apply).
    fn core_filter(&self, layer: Layer, bbox: geo_types::Rect<f64>) -> Filter {
        let mut f = Filter {
            bbox: Some(bbox),
            ..Filter::default()
        };
        if matches!(layer, Layer::Incidents | Layer::Patrols) {
            f.from = self.from;
            f.to = self.to;
        }
        if layer == Layer::Incidents {
            f.categories.clone_from(&self.categories);
            f.statuses.clone_from(&self.statuses);
        }
        f
    }

    /// The same filter with its lists sorted and deduplicated: equal filters, equal values.
    #[must_use]
    pub fn normalized(mut self) -> Self {
        self.categories.sort_unstable();
        self.categories.dedup();
        self.statuses.sort_unstable();
        self.statuses.dedup();
        self
    }

    /// The filter of incident cell counts (clusters and heatmap).
    #[must_use]
    pub fn cell_filter(&self) -> CellFilter {
        CellFilter::new(self.from, self.to, &self.categories, &self.statuses)
    }
}

/// The finest admin level drawn at zoom `z`: counties (and above) from zoom 0, townships
/// from [`TOWNSHIP_MIN_ZOOM`], villages from [`VILLAGE_MIN_ZOOM`] (a z10 tile over a
/// prefecture would otherwise carry ~2,000 village outlines no one can read).
#[must_use]
pub fn deepest_admin_level(z: u8) -> AdminLevel {
    if z >= VILLAGE_MIN_ZOOM {
        AdminLevel::Village
    } else if z >= TOWNSHIP_MIN_ZOOM {
        AdminLevel::Township
    } else {
        AdminLevel::County
    }
}

/// Township outlines are drawn from this zoom on.
pub const TOWNSHIP_MIN_ZOOM: u8 = 8;
/// Village outlines are drawn from this zoom on.
pub const VILLAGE_MIN_ZOOM: u8 = 11;

/// The MVT layer of admin tiles holding one label point per unit (`code`, `name`, `level`),
/// in the one tile that contains it: a name drawn from the polygons would repeat in every
/// tile the unit crosses.
pub const ADMIN_LABEL_LAYER: &str = "admin_label";
/// The MVT layer of grid tiles holding one label point per current grid (`code`, `name`).
pub const GRID_LABEL_LAYER: &str = "grids_label";
/// Grid label points are written from this zoom on (a grid's name is unreadable below it,
/// and a z10 tile would carry thousands).
pub const GRID_LABEL_MIN_ZOOM: u8 = 12;

/// The tile options every rendered tile uses (extent 4096, buffer 64).
#[must_use]
pub fn tile_options() -> TileOptions {
    TileOptions::default()
}

/// Encodes `layer` in tile `coord` under `filter`, cut to `scope`; an empty `Vec` is an
/// empty tile.
pub fn render_tile(
    core: &Core,
    layer: impl Into<TileLayer>,
    coord: TileCoord,
    filter: &TileFilter,
    scope: &Scope,
) -> Result<Vec<u8>> {
    let layer = layer.into();
    let options = tile_options();
    let mut tile = TileBuilder::new(coord, options)?;
    let name = layer.as_str();
    let layer = match layer {
        TileLayer::Heatmap => {
            heatmap::write_heatmap(core, &mut tile, name, filter, scope);
            return Ok(tile.finish());
        }
        TileLayer::Data(Layer::Incidents) if !filter.raw && coord.z() < RAW_MIN_ZOOM => {
            cluster::write_clusters(core, &mut tile, name, filter, scope);
            return Ok(tile.finish());
        }
        TileLayer::Data(layer) => layer,
    };
    let mut bbox = bounds::buffered_bounds(coord, options);
    if !scope.is_all() && layer != Layer::Patrols {
        // Everything the scope sees lies in its extent (a track may leave it: tracks are
        // placed by their first vertex, so they are queried over the whole tile).
        match core.scope_extent(scope).map(|e| cover::overlap(bbox, e)) {
            Some(None) => return Ok(tile.finish()),
            Some(Some(cut)) => bbox = cut,
            None => {}
        }
    }
    let mut hits = core.query(layer, &filter.core_filter(layer, bbox))?;
    if layer == Layer::Admin {
        let deepest = deepest_admin_level(coord.z());
        hits.retain(|&i| core.admin().get(i).is_some_and(|a| a.level() <= deepest));
    }
    core.retain_in_scope(layer, scope, &mut hits);
    let out = tile.layer(name);
    match layer {
        Layer::Admin => {
            features::admin(out, core, &hits);
            features::admin_labels(tile.layer(ADMIN_LABEL_LAYER), core, &hits, coord);
        }
        Layer::Grids => {
            features::grids(out, core, &hits);
            if coord.z() >= GRID_LABEL_MIN_ZOOM {
                features::grid_labels(tile.layer(GRID_LABEL_LAYER), core, &hits, coord);
            }
        }
        Layer::Cameras => features::cameras(out, core, &hits),
        Layer::Incidents => features::incidents(out, core, &hits),
        Layer::Patrols => features::patrols(out, core, &hits),
        Layer::Workers => features::workers(out, core, &hits),
        Layer::Centers => features::centers(out, core, &hits),
    }
    Ok(tile.finish())
}
