//! What each tile layer's features carry: property names and types, for TileJSON's
//! `vector_layers` and for clients' legends. Kept beside the writers and checked against
//! rendered tiles in the tests.

use super::{TileLayer, ADMIN_LABEL_LAYER, GRID_LABEL_LAYER, GRID_LABEL_MIN_ZOOM};
use crate::model::Layer;

/// A property: name and its TileJSON type (`String`, `Number` or `Boolean`).
pub type Field = (&'static str, &'static str);

/// The properties features of `layer` may carry (incident clusters below
/// [`super::RAW_MIN_ZOOM`] carry `count` and `resolution` instead of the point properties).
#[must_use]
pub fn fields(layer: TileLayer) -> &'static [Field] {
    const S: &str = "String";
    const N: &str = "Number";
    match layer {
        TileLayer::Data(Layer::Admin) => &[("code", S), ("name", S), ("level", S), ("parent", S)],
        TileLayer::Data(Layer::Grids) => &[
            ("code", S),
            ("name", S),
            ("village", S),
            ("kind", S),
            ("workers", N),
            ("households", N),
            ("population", N),
            ("revision", N),
        ],
        TileLayer::Data(Layer::Cameras) => &[
            ("id", S),
            ("name", S),
            ("ptz_type", S),
            ("position_type", S),
            ("status", S),
            ("facing_deg", N),
            ("fov_deg", N),
            ("range_m", N),
        ],
        TileLayer::Data(Layer::Incidents) => &[
            ("category", S),
            ("subcategory", S),
            ("source", S),
            ("status", S),
            ("supervision", S),
            ("people", N),
            ("reported_at", N),
            ("count", N),
            ("resolution", N),
        ],
        TileLayer::Data(Layer::Patrols) => {
            &[("worker", S), ("start", N), ("end", N), ("points", N)]
        }
        TileLayer::Data(Layer::Workers) => &[("id", S), ("grids", N), ("seen_at", N)],
        TileLayer::Data(Layer::Centers) => &[("code", S), ("name", S), ("level", S)],
        TileLayer::Heatmap => &[("count", N), ("resolution", N), ("per_km2", N)],
    }
}

/// One line on what a tile layer shows, for TileJSON and legends.
#[must_use]
pub fn description(layer: TileLayer) -> &'static str {
    match layer {
        TileLayer::Data(Layer::Admin) => {
            "Admin units: counties from z0, townships from z8, villages from z11 (property level)"
        }
        TileLayer::Data(Layer::Grids) => "Governance grids, current revisions",
        TileLayer::Data(Layer::Cameras) => "Video cameras (GB/T 28181) with facing and view sector",
        TileLayer::Data(Layer::Incidents) => {
            "Incidents: H3 clusters with count below z14, points from z14 (raw=1: points at every zoom); filters from, to, category, status"
        }
        TileLayer::Data(Layer::Patrols) => "Patrol tracks; filters from, to",
        TileLayer::Data(Layer::Workers) => "Grid workers at their last known position",
        TileLayer::Data(Layer::Centers) => "Comprehensive governance centers",
        TileLayer::Heatmap => {
            "Incident heatmap: H3 hexagons with count and per_km2, resolution by zoom; filters from, to, category, status"
        }
    }
}

/// The label-point layer a tile layer's tiles carry beside their polygons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelLayer {
    /// The MVT layer name (`source-layer` in a style).
    pub name: &'static str,
    /// Its properties.
    pub fields: &'static [Field],
    /// One line on what it holds.
    pub description: &'static str,
    /// The first zoom whose tiles hold it.
    pub minzoom: u8,
}

/// The label points of `layer`'s polygons (admin units and grids), if it has them.
#[must_use]
pub fn label_layer(layer: TileLayer) -> Option<LabelLayer> {
    const S: &str = "String";
    match layer {
        TileLayer::Data(Layer::Admin) => Some(LabelLayer {
            name: ADMIN_LABEL_LAYER,
            fields: &[("code", S), ("name", S), ("level", S)],
            description: "One label point per admin unit of the tile's levels (inside its outline), in the one tile holding it",
            minzoom: 0,
        }),
        TileLayer::Data(Layer::Grids) => Some(LabelLayer {
            name: GRID_LABEL_LAYER,
            fields: &[("code", S), ("name", S)],
            description: "One label point per current grid (inside its outline), in the one tile holding it",
            minzoom: GRID_LABEL_MIN_ZOOM,
        }),
        _ => None,
    }
}
