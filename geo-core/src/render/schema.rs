//! What each tile layer's features carry: property names and types, for TileJSON's
//! `vector_layers` and for clients' legends. Kept beside the writers and checked against
//! rendered tiles in the tests.

use super::TileLayer;
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
