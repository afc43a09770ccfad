//! OGC API - Features Part 1 (core, GeoJSON) read side: landing page, conformance,
//! collections, items with bbox, datetime, limit and paging, and single items.

use crate::extract::{base_url, ApiQuery};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo_core::index::{Core, Filter};
use geo_core::model::Layer;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::params;
use crate::state::AppState;

const GEOJSON: &str = "application/geo+json";
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 10_000;

/// Conformance classes this server implements (Part 4 on the grids collection only).
const CONFORMANCE: [&str; 5] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
];

fn title(layer: Layer) -> (&'static str, &'static str) {
    match layer {
        Layer::Admin => ("行政区划", "Admin units: counties, townships, villages"),
        Layer::Grids => ("网格", "Governance grids, every revision"),
        Layer::Cameras => ("视频点位", "Cameras (GB/T 28181)"),
        Layer::Incidents => ("事件", "Incidents and their lifecycle"),
        Layer::Patrols => ("巡查轨迹", "Patrol tracks with a time per vertex"),
        Layer::Workers => ("网格员", "Grid workers, last known position"),
        Layer::Centers => ("综治中心", "Comprehensive governance centers"),
    }
}

fn layer_of(id: &str) -> ApiResult<Layer> {
    id.parse::<Layer>().map_err(|_| {
        ApiError::NotFound(format!(
            "collection {id:?} does not exist; see /collections"
        ))
    })
}

/// `GET /` as JSON: the OGC landing page.
#[must_use]
pub fn landing(headers: &HeaderMap) -> Value {
    let base = base_url(headers);
    json!({
        "title": "onemap",
        "description": "一张图: admin units, grids, cameras, incidents and patrols as OGC API Features",
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{base}/?f=json")},
            {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "href": format!("{base}/openapi.json")},
            {"rel": "conformance", "type": "application/json", "href": format!("{base}/conformance")},
            {"rel": "data", "type": "application/json", "href": format!("{base}/collections")},
        ]
    })
}

/// `GET /conformance`
pub async fn conformance() -> Json<Value> {
    Json(json!({ "conformsTo": CONFORMANCE }))
}

fn collection_json(core: &Core, layer: Layer, base: &str) -> Value {
    let (zh, en) = title(layer);
    let id = layer.as_str();
    let mut extent = json!({ "spatial": { "bbox": [core.extent(layer).map_or_else(
        || vec![-180.0, -90.0, 180.0, 90.0],
        |r| vec![r.min().x, r.min().y, r.max().x, r.max().y],
    )], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84" } });
    if let Some((from, to)) = core.time_extent(layer) {
        extent["temporal"] = json!({ "interval": [[rfc3339(from), rfc3339(to)]] });
    }
    json!({
        "id": id,
        "title": zh,
        "description": en,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": extent,
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{base}/collections/{id}")},
            {"rel": "items", "type": GEOJSON, "href": format!("{base}/collections/{id}/items")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json", "href": format!("{base}/collections/{id}/queryables")},
        ]
    })
}

/// `GET /collections/{id}/queryables`: the properties `items` filters on server-side, as
/// a JSON Schema (OGC API Features Part 3), so that clients such as GDAL's OAPIF driver
/// send those filters instead of fetching everything.
pub async fn queryables(Path(id): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    use geo_core::model::{Category, Step};
    let layer = layer_of(&id)?;
    let base = base_url(&headers);
    let mut properties = serde_json::Map::new();
    if layer == Layer::Incidents {
        properties.insert(
            "category".into(),
            json!({"type": "string", "title": "事件类别 category", "enum": Category::ALL.map(Category::as_str)}),
        );
        properties.insert(
            "status".into(),
            json!({"type": "string", "title": "状态 status", "enum": Step::ALL.map(Step::as_str)}),
        );
    }
    if matches!(layer, Layer::Incidents | Layer::Grids | Layer::Patrols) {
        properties.insert(
            "datetime".into(),
            json!({"type": "string", "format": "date-time", "title": "time (the items query's datetime)"}),
        );
    }
    let body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/collections/{id}/queryables"),
        "type": "object",
        "title": id,
        "properties": properties,
        "additionalProperties": false,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        Json(body),
    )
        .into_response())
}

/// `GET /openapi.json`: the API's OpenAPI 3.0 description (every route, its parameters,
/// roles and answers).
pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        include_str!("../openapi.json"),
    )
        .into_response()
}

fn rfc3339(t: i64) -> Value {
    chrono::DateTime::from_timestamp(t, 0).map_or(Value::Null, |d| {
        Value::String(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    })
}

/// `GET /collections`
pub async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let core = state.core()?;
    let base = base_url(&headers);
    let list: Vec<Value> = Layer::ALL
        .iter()
        .map(|&l| collection_json(&core, l, &base))
        .collect();
    Ok(Json(json!({
        "links": [{"rel": "self", "type": "application/json", "href": format!("{base}/collections")}],
        "collections": list,
    })))
}

/// `GET /collections/{id}`
pub async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let layer = layer_of(&id)?;
    let core = state.core()?;
    Ok(Json(collection_json(&core, layer, &base_url(&headers))))
}

/// Query parameters of `/collections/{id}/items`.
#[derive(Debug, Deserialize)]
pub struct ItemsQuery {
    bbox: Option<String>,
    datetime: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    category: Option<String>,
    status: Option<String>,
}

impl ItemsQuery {
    fn filter(&self) -> ApiResult<Filter> {
        let mut filter = Filter::default();
        if let Some(b) = &self.bbox {
            filter.bbox = Some(params::bbox(b)?);
        }
        if let Some(d) = &self.datetime {
            (filter.from, filter.to) = params::datetime(d)?;
        }
        if let Some(c) = &self.category {
            filter.categories = params::categories(c)?;
        }
        if let Some(s) = &self.status {
            filter.statuses = params::statuses(s)?;
        }
        Ok(filter)
    }

    fn page(&self) -> ApiResult<(usize, usize)> {
        let limit = match &self.limit {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("limit {l:?} must be a whole number >= 1"))
                })?
                .min(MAX_LIMIT),
        };
        let offset = match &self.offset {
            None => 0,
            Some(o) => o.parse::<usize>().map_err(|_| {
                ApiError::BadRequest(format!("offset {o:?} must be a whole number >= 0"))
            })?,
        };
        Ok((limit, offset))
    }
}

fn page_link(
    base: &str,
    id: &str,
    q: &ItemsQuery,
    limit: usize,
    offset: usize,
    rel: &str,
) -> Value {
    let mut pairs = vec![format!("limit={limit}"), format!("offset={offset}")];
    for (k, v) in [
        ("bbox", &q.bbox),
        ("datetime", &q.datetime),
        ("category", &q.category),
        ("status", &q.status),
    ] {
        if let Some(v) = v {
            pairs.push(format!("{k}={}", urlencode(v)));
        }
    }
    json!({"rel": rel, "type": GEOJSON, "href": format!("{base}/collections/{id}/items?{}", pairs.join("&"))})
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn geojson_response(body: Value) -> Response {
    ([(header::CONTENT_TYPE, GEOJSON)], Json(body)).into_response()
}

/// `GET /collections/{id}/items`
pub async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let layer = layer_of(&id)?;
    let filter = q.filter()?;
    let (limit, offset) = q.page()?;
    let core = state.core()?;
    let mut matched = core.query(layer, &filter)?;
    core.retain_in_scope(layer, &caller.scope(), &mut matched);
    let page: Vec<usize> = matched.iter().copied().skip(offset).take(limit).collect();
    let features: Vec<_> = page
        .iter()
        .filter_map(|&i| core.to_feature(layer, i, caller.sees_personal()))
        .collect();
    let base = base_url(&headers);
    let mut links = vec![page_link(&base, &id, &q, limit, offset, "self")];
    if offset + page.len() < matched.len() {
        links.push(page_link(
            &base,
            &id,
            &q,
            limit,
            offset + page.len(),
            "next",
        ));
    }
    if offset > 0 {
        links.push(page_link(
            &base,
            &id,
            &q,
            limit,
            offset.saturating_sub(limit),
            "prev",
        ));
    }
    Ok(geojson_response(json!({
        "type": "FeatureCollection",
        "numberMatched": matched.len(),
        "numberReturned": page.len(),
        "timeStamp": rfc3339(chrono::Utc::now().timestamp()),
        "features": features,
        "links": links,
    })))
}

/// `GET /collections/{id}/items/{fid}`
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let layer = layer_of(&id)?;
    let core = state.core()?;
    // A feature outside the caller's unit does not exist for them.
    let index = core
        .find(layer, &fid)
        .filter(|&i| core.in_scope(layer, &caller.scope(), i))
        .ok_or_else(|| ApiError::NotFound(format!("{id} has no feature {fid:?}")))?;
    let mut feature = serde_json::to_value(
        core.to_feature(layer, index, caller.sees_personal())
            .ok_or_else(|| ApiError::Internal("feature vanished".into()))?,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let base = base_url(&headers);
    feature["links"] = json!([
        {"rel": "self", "type": GEOJSON, "href": format!("{base}/collections/{id}/items/{}", urlencode(&fid))},
        {"rel": "collection", "type": "application/json", "href": format!("{base}/collections/{id}")},
    ]);
    let mut r = geojson_response(feature);
    // Grids are editable (Part 4): the ETag names the revision an If-Match must give.
    if layer == Layer::Grids {
        if let Some(v) = core
            .grids()
            .get(index)
            .and_then(|g| axum::http::HeaderValue::from_str(&super::edits::etag(g)).ok())
        {
            r.headers_mut().insert(header::ETAG, v);
        }
    }
    Ok(r)
}
