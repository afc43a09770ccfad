//! Map descriptions: TileJSON 3.0 per tile layer (`/tiles/{layer}.json`) and a MapLibre
//! style drawing every layer (`/style.json`). Every URL in them points back to this server:
//! nothing is fetched from elsewhere unless a basemap is configured.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use geo_core::access::Scope;
use geo_core::index::Core;
use geo_core::render::{
    schema, TileLayer, ADMIN_LABEL_LAYER, GRID_LABEL_LAYER, TOWNSHIP_MIN_ZOOM, VILLAGE_MIN_ZOOM,
};
use geo_core::tile::MAX_ZOOM;
use serde_json::{json, Map, Value};

use super::tiles::tile_filter;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::base_url;
use crate::state::AppState;

/// The font stack of every label; its glyphs are served at `/fonts/{fontstack}/{range}.pbf`
/// (CJK is drawn by the browser's local fonts: MapLibre's `localIdeographFontFamily`).
pub const FONT_STACK: &str = "Noto Sans Regular";

/// The layers the style draws, bottom to top.
const STYLED: [TileLayer; 7] = [
    TileLayer::Heatmap,
    TileLayer::Data(geo_core::model::Layer::Grids),
    TileLayer::Data(geo_core::model::Layer::Admin),
    TileLayer::Data(geo_core::model::Layer::Patrols),
    TileLayer::Data(geo_core::model::Layer::Cameras),
    TileLayer::Data(geo_core::model::Layer::Incidents),
    TileLayer::Data(geo_core::model::Layer::Centers),
];

/// `[west, south, east, north]` of a layer as `scope` sees it (its unit's box for a
/// scoped caller: their tiles hold nothing outside it), or the whole Web Mercator world.
fn bounds(core: &Core, layer: TileLayer, scope: &Scope) -> [f64; 4] {
    let extent = if scope.is_all() {
        core.extent(layer.source())
    } else {
        core.bounds_in(scope)
    };
    extent.map_or([-180.0, -85.051_128, 180.0, 85.051_128], |r| {
        [r.min().x, r.min().y, r.max().x, r.max().y]
    })
}

/// The TileJSON document of `layer`; `query` (already validated) is passed on to tiles.
fn tilejson(
    core: &Core,
    base: &str,
    layer: TileLayer,
    query: Option<&str>,
    scope: &Scope,
) -> Value {
    let suffix = query
        .filter(|q| !q.is_empty())
        .map_or_else(String::new, |q| format!("?{q}"));
    let [w, s, e, n] = bounds(core, layer, scope);
    json!({
        "tilejson": "3.0.0",
        "name": format!("onemap {layer}"),
        "description": schema::description(layer),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": "onemap",
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt{suffix}")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM.min(18),
        "bounds": [w, s, e, n],
        "center": [f64::midpoint(w, e), f64::midpoint(s, n), 9],
        "vector_layers": vector_layers(layer),
    })
}

/// TileJSON `vector_layers`: the layer's own features and, for polygon layers with names,
/// their label points (a second MVT layer in the same tiles).
fn vector_layers(layer: TileLayer) -> Vec<Value> {
    let maxzoom = MAX_ZOOM.min(18);
    let fields = |fields: &[schema::Field]| -> Map<String, Value> {
        fields
            .iter()
            .map(|(k, ty)| ((*k).to_owned(), json!(ty)))
            .collect()
    };
    let mut out = vec![json!({
        "id": layer.as_str(),
        "description": schema::description(layer),
        "minzoom": 0,
        "maxzoom": maxzoom,
        "fields": fields(schema::fields(layer)),
    })];
    if let Some(label) = schema::label_layer(layer) {
        out.push(json!({
            "id": label.name,
            "description": label.description,
            "minzoom": label.minzoom,
            "maxzoom": maxzoom,
            "fields": fields(label.fields),
        }));
    }
    out
}

/// `GET /tiles/{layer}.json`: TileJSON 3.0; filter parameters are checked and carried into
/// the tile URLs (`/tiles/heatmap.json?from=...&category=fire_hazard`).
pub async fn tile_json(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let name = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound(format!("{file:?}: TileJSON lives at /tiles/{{layer}}.json"))
    })?;
    let layer: TileLayer = name.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no tile layer {name:?}; one of {}",
            TileLayer::ALL.map(TileLayer::as_str).join(", ")
        ))
    })?;
    tile_filter(raw.as_deref())?;
    let core = state.core()?;
    Ok(Json(tilejson(
        &core,
        &base_url(&headers),
        layer,
        raw.as_deref(),
        &caller.scope(),
    )))
}

/// Heatmap fill by incidents per km²: pale yellow to deep red.
fn heat_color() -> Value {
    json!([
        "interpolate",
        ["linear"],
        ["get", "per_km2"],
        0,
        "#ffffb2",
        5,
        "#fed976",
        20,
        "#feb24c",
        60,
        "#fd8d3c",
        150,
        "#f03b20",
        400,
        "#bd0026"
    ])
}

/// Incident colour by category.
fn category_color() -> Value {
    json!([
        "match",
        ["get", "category"],
        "dispute",
        "#e6550d",
        "public_security",
        "#3182bd",
        "fire_hazard",
        "#de2d26",
        "safety_hazard",
        "#fdae6b",
        "environment",
        "#31a354",
        "petition",
        "#756bb1",
        "#636363"
    ])
}

/// The style's layers, bottom to top.
#[allow(clippy::too_many_lines)] // one declarative list
fn style_layers(basemap: bool) -> Vec<Value> {
    let font = json!([FONT_STACK]);
    let mut layers = vec![json!({
        "id": "background", "type": "background",
        "paint": { "background-color": "#f3f1ec" }
    })];
    if basemap {
        layers.push(json!({ "id": "basemap", "type": "raster", "source": "basemap" }));
    }
    layers.extend([
        json!({
            "id": "heatmap-fill", "type": "fill", "source": "heatmap", "source-layer": "heatmap",
            "paint": { "fill-color": heat_color(), "fill-opacity": 0.65, "fill-outline-color": "rgba(255,255,255,0.3)" }
        }),
        json!({
            "id": "grids-fill", "type": "fill", "source": "grids", "source-layer": "grids",
            "minzoom": 11,
            "paint": { "fill-color": "#4a90d9", "fill-opacity": 0.06 }
        }),
        json!({
            "id": "grids-line", "type": "line", "source": "grids", "source-layer": "grids",
            "minzoom": 11,
            "paint": { "line-color": "#4a90d9", "line-width": 0.8, "line-opacity": 0.8 }
        }),
        json!({
            "id": "admin-village-line", "type": "line", "source": "admin", "source-layer": "admin",
            "minzoom": VILLAGE_MIN_ZOOM, "filter": ["==", ["get", "level"], "village"],
            "paint": { "line-color": "#8c8c8c", "line-width": 0.8, "line-dasharray": [3, 2] }
        }),
        json!({
            "id": "admin-township-line", "type": "line", "source": "admin", "source-layer": "admin",
            "minzoom": TOWNSHIP_MIN_ZOOM, "filter": ["==", ["get", "level"], "township"],
            "paint": { "line-color": "#6b6b6b", "line-width": 1.2 }
        }),
        json!({
            "id": "admin-county-line", "type": "line", "source": "admin", "source-layer": "admin",
            "filter": ["match", ["get", "level"], ["county", "prefecture", "province"], true, false],
            "paint": { "line-color": "#333333", "line-width": 2.2 }
        }),
        json!({
            "id": "patrols-line", "type": "line", "source": "patrols", "source-layer": "patrols",
            "minzoom": 12,
            "paint": { "line-color": "#2ca25f", "line-width": 1.5, "line-opacity": 0.7 }
        }),
        json!({
            "id": "cameras-circle", "type": "circle", "source": "cameras", "source-layer": "cameras",
            "minzoom": 12,
            "paint": {
                "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 1.5, 16, 4],
                "circle-color": ["match", ["get", "status"], "online", "#1f78b4", "#bdbdbd"],
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 0.5
            }
        }),
        json!({
            "id": "incidents-cluster", "type": "circle", "source": "incidents", "source-layer": "incidents",
            "filter": ["has", "count"],
            "paint": {
                "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 4, 30, 14, 300, 30],
                "circle-color": "#e6550d", "circle-opacity": 0.55,
                "circle-stroke-color": "#a63603", "circle-stroke-width": 1
            }
        }),
        json!({
            "id": "incidents-point", "type": "circle", "source": "incidents", "source-layer": "incidents",
            "filter": ["!", ["has", "count"]],
            "paint": {
                "circle-radius": 4, "circle-color": category_color(),
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1
            }
        }),
        json!({
            "id": "centers-circle", "type": "circle", "source": "centers", "source-layer": "centers",
            "paint": { "circle-radius": 5, "circle-color": "#000000", "circle-stroke-color": "#ffd700", "circle-stroke-width": 2 }
        }),
        json!({
            "id": "incidents-cluster-count", "type": "symbol", "source": "incidents", "source-layer": "incidents",
            "filter": ["has", "count"],
            "layout": { "text-field": ["to-string", ["get", "count"]], "text-font": font, "text-size": 10, "text-allow-overlap": false },
            "paint": { "text-color": "#ffffff", "text-halo-color": "#a63603", "text-halo-width": 1 }
        }),
        // Names from the label points (one per feature, in the one tile holding it), never
        // from the polygons, whose name MapLibre would draw in every tile they cross.
        json!({
            "id": "grids-label", "type": "symbol", "source": "grids", "source-layer": GRID_LABEL_LAYER,
            "minzoom": 14,
            "layout": { "text-field": ["get", "name"], "text-font": font, "text-size": 11 },
            "paint": { "text-color": "#1864ab", "text-halo-color": "#ffffff", "text-halo-width": 1.2 }
        }),
        json!({
            "id": "admin-label", "type": "symbol", "source": "admin", "source-layer": ADMIN_LABEL_LAYER,
            "layout": {
                "text-field": ["get", "name"], "text-font": font,
                "text-size": ["match", ["get", "level"], "county", 15, "township", 12, 11],
                "symbol-placement": "point"
            },
            "paint": { "text-color": "#222222", "text-halo-color": "#ffffff", "text-halo-width": 1.5 }
        }),
    ]);
    layers
}

/// `GET /style.json`: a MapLibre style (version 8) over every tile layer of this server.
pub async fn style(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let core = state.core()?;
    let base = base_url(&headers);
    let mut sources = Map::new();
    for layer in STYLED {
        sources.insert(
            layer.as_str().to_owned(),
            json!({ "type": "vector", "url": format!("{base}/tiles/{layer}.json") }),
        );
    }
    let basemap = state.config().basemap_url.clone();
    if let Some(url) = &basemap {
        sources.insert(
            "basemap".to_owned(),
            json!({ "type": "raster", "tiles": [url], "tileSize": 256 }),
        );
    }
    let [w, s, e, n] = bounds(
        &core,
        TileLayer::Data(geo_core::model::Layer::Admin),
        &caller.scope(),
    );
    Ok(Json(json!({
        "version": 8,
        "name": "onemap",
        "center": [f64::midpoint(w, e), f64::midpoint(s, n)],
        "zoom": 8,
        "glyphs": format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"),
        "sources": sources,
        "layers": style_layers(basemap.is_some()),
    })))
}
