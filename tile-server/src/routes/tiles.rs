//! Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
//!
//! - 200 with `application/vnd.mapbox-vector-tile` bytes, gzipped when the client accepts
//!   it (compressed once, when the tile is rendered, and cached with it);
//! - 204 No Content when the tile holds no feature (MapLibre treats it as an empty tile,
//!   and it costs no body);
//! - a strong `ETag` (length and 64-bit FNV-1a hash of the bytes) and 304 Not Modified when
//!   `If-None-Match` names it; `Cache-Control: public, max-age=60` (edits change tiles, so
//!   clients revalidate after a minute and get a 304 when nothing changed);
//! - 404 for an unknown layer or a last segment without `.mvt`, 400 for a bad `z/x/y` or
//!   filter.
//!
//! Filters: `from`, `to` (RFC 3339), `category`, `status` (comma lists), `raw` (`1`/`true`:
//! incident points at every zoom). Tiles come from the [`crate::tile_cache`] when there;
//! rendering runs on the blocking pool: dense low-zoom tiles take milliseconds of CPU.

use axum::body::Body;
use axum::extract::{RawPathParams, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use geo_core::render::{render_tile, TileFilter, TileLayer};
use geo_core::tile::TileCoord;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::params;
use crate::state::AppState;
use crate::tile_cache::{CachedTile, TileKey};

/// The MVT media type.
pub const CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// How long clients may reuse a tile before revalidating it.
const CACHE_CONTROL: &str = "public, max-age=60";
/// The same for a signed-in caller: their tiles are cut to their unit, so no shared cache
/// may hand them to someone else.
const CACHE_CONTROL_PRIVATE: &str = "private, max-age=60";

/// The render filter of a tile request's query string: `from`, `to` (RFC 3339),
/// `category`, `status` (comma lists) and `raw` (`1`/`true`: incident points at every zoom).
/// Other parameters are ignored; a repeated one counts once, the last. Parsed without
/// copying unless a value is percent-encoded: this runs on every tile request.
pub fn tile_filter(query: Option<&str>) -> ApiResult<TileFilter> {
    let (mut from, mut to, mut category, mut status, mut raw) = (None, None, None, None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "from" => from = Some(v),
            "to" => to = Some(v),
            "category" => category = Some(v),
            "status" => status = Some(v),
            "raw" => raw = Some(v),
            _ => {}
        }
    }
    let raw = match raw.as_deref().map(str::trim) {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "raw {other:?} must be 1, true, 0 or false"
            )))
        }
    };
    let w = params::incident_window(
        from.as_deref(),
        to.as_deref(),
        category.as_deref(),
        status.as_deref(),
    )?;
    Ok(TileFilter {
        from: w.from,
        to: w.to,
        categories: w.categories,
        statuses: w.statuses,
        raw,
    })
}

/// Layer and tile address from the path (`{y}` carries the `.mvt` suffix).
fn parse_path(layer: &str, z: &str, x: &str, y_mvt: &str) -> ApiResult<(TileLayer, TileCoord)> {
    let layer: TileLayer = layer.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no tile layer {layer:?}; one of {}",
            TileLayer::ALL.map(TileLayer::as_str).join(", ")
        ))
    })?;
    let y = y_mvt.strip_suffix(".mvt").ok_or_else(|| {
        ApiError::NotFound(format!(
            "tile {y_mvt:?} must end in .mvt (e.g. /tiles/{layer}/12/3300/1711.mvt)"
        ))
    })?;
    let number = |s: &str| {
        s.parse::<u32>().map_err(|_| {
            ApiError::BadRequest(format!("tile address {z}/{x}/{y}: {s:?} is not a number"))
        })
    };
    let coord = TileCoord::new(number(z)?, number(x)?, number(y)?)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((layer, coord))
}

/// Whether an `If-None-Match` header names `tag` (or is `*`).
fn matches_etag(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let tag = tag.as_bytes();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .any(|t| t == b"*" || t == tag)
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let refused = |p: &str| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            };
            parts.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip")) && !parts.any(refused)
        })
}

/// The tile for `key`: from the cache, or rendered (on the blocking pool: dense tiles take
/// milliseconds of CPU) and stored.
async fn cached_or_rendered(state: &AppState, key: TileKey, gzip: bool) -> ApiResult<CachedTile> {
    let cache = state.tiles();
    if let Some(tile) = cache.get(&key) {
        state.metrics().tile_hit(key.layer);
        return Ok(tile);
    }
    let generation = cache.generation();
    let core = state.core()?;
    let k = key.clone();
    // A cached tile is gzipped once for every later client; uncached, only when asked.
    let gzip = gzip || cache.is_enabled();
    let (tile, took) = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let tile = render_tile(&core, k.layer, k.coord, &k.filter, &k.scope)
            .map(|b| CachedTile::new(b, gzip));
        (tile, started.elapsed())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("tile rendering stopped: {e}")))?;
    let tile = tile?;
    state.metrics().tile_rendered(key.layer, took);
    cache.insert(key, tile.clone(), generation);
    Ok(tile)
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    State(state): State<AppState>,
    caller: Caller,
    path: RawPathParams,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let mut parts = path.iter().map(|(_, v)| v);
    let (Some(layer), Some(z), Some(x), Some(y)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ApiError::NotFound(
            "tiles live at /tiles/{layer}/{z}/{x}/{y}.mvt".into(),
        ));
    };
    let (layer, coord) = parse_path(layer, z, x, y)?;
    let key = TileKey::new(layer, coord, tile_filter(query.as_deref())?, caller.scope());
    let gzip = accepts_gzip(&headers);
    let tile = cached_or_rendered(&state, key, gzip).await?;
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static(if caller.user().is_some() {
            CACHE_CONTROL_PRIVATE
        } else {
            CACHE_CONTROL
        }),
    );
    let cors = (
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if tile.bytes.is_empty() {
        return Ok((StatusCode::NO_CONTENT, [cache, cors]).into_response());
    }
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    if matches_etag(&headers, &tile.etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [cache, cors, vary, (header::ETAG, tile.etag)],
        )
            .into_response());
    }
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if !tile.gzip.is_empty() && gzip {
        // Served already compressed: the compression layer leaves encoded bodies alone.
        let gzip = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        state.metrics().tile_sent(tile.gzip.len());
        return Ok((
            StatusCode::OK,
            [
                content_type,
                cache,
                cors,
                vary,
                (header::ETAG, tile.etag),
                gzip,
            ],
            Body::from(tile.gzip),
        )
            .into_response());
    }
    state.metrics().tile_sent(tile.bytes.len());
    Ok((
        StatusCode::OK,
        [content_type, cache, cors, vary, (header::ETAG, tile.etag)],
        Body::from(tile.bytes),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile_cache::etag;

    #[test]
    fn etags_match_lists() {
        let mut h = HeaderMap::new();
        let t = HeaderValue::from_str(&etag(b"abc")).unwrap();
        let other = HeaderValue::from_str(&etag(b"abd")).unwrap();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {}", etag(b"abc"))).unwrap(),
        );
        assert!(matches_etag(&h, &t));
        assert!(!matches_etag(&h, &other));
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip"));
        assert!(with("br, GZIP;q=0.5"));
        assert!(with("deflate, gzip"));
        assert!(!with("gzip;q=0"));
        assert!(!with("gzip; q=0.0"));
        assert!(!with("br"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn paths_are_checked() {
        assert!(parse_path("cameras", "12", "3300", "1711.mvt").is_ok());
        assert!(matches!(
            parse_path("roads", "12", "1", "1.mvt"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            parse_path("cameras", "12", "1", "1.png"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            parse_path("cameras", "23", "1", "1.mvt"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_path("cameras", "2", "4", "1.mvt"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_path("cameras", "a", "1", "1.mvt"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
