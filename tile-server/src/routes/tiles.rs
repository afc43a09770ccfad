//! Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
//!
//! - 200 with `application/vnd.mapbox-vector-tile` bytes (gzip by the compression layer
//!   when the client accepts it);
//! - 204 No Content when the tile holds no feature (MapLibre treats it as an empty tile,
//!   and it costs no body);
//! - a strong `ETag` (length and 64-bit FNV-1a hash of the bytes) and 304 Not Modified when
//!   `If-None-Match` names it; `Cache-Control: public, max-age=60` (edits change tiles, so
//!   clients revalidate after a minute and get a 304 when nothing changed);
//! - 404 for an unknown layer or a last segment without `.mvt`, 400 for a bad `z/x/y` or
//!   filter.
//!
//! Filters: `from`, `to` (RFC 3339), `category`, `status` (comma lists), `raw` (`1`/`true`:
//! incident points at every zoom). Rendering runs on the blocking pool: dense low-zoom
//! incident tiles take milliseconds of CPU.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use geo_core::render::{render_tile, TileFilter, TileLayer};
use geo_core::tile::TileCoord;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::params;
use crate::state::AppState;

/// The MVT media type.
pub const CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// How long clients may reuse a tile before revalidating it.
const CACHE_CONTROL: &str = "public, max-age=60";

/// Query parameters of a tile request.
#[derive(Debug, Default, Deserialize)]
pub struct TileQuery {
    /// RFC 3339: incidents reported (patrols active) from this time on.
    from: Option<String>,
    /// RFC 3339: ... before this time.
    to: Option<String>,
    /// Comma list of incident categories.
    category: Option<String>,
    /// Comma list of incident statuses.
    status: Option<String>,
    /// `1`/`true` for raw incident points at every zoom.
    raw: Option<String>,
}

impl TileQuery {
    /// The render filter these parameters describe.
    fn filter(&self) -> ApiResult<TileFilter> {
        let raw = match self.raw.as_deref().map(str::trim) {
            None | Some("" | "0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "raw {other:?} must be 1, true, 0 or false"
                )))
            }
        };
        let filter = TileFilter {
            from: self.from.as_deref().map(params::time).transpose()?,
            to: self.to.as_deref().map(params::time).transpose()?,
            categories: self
                .category
                .as_deref()
                .map(params::categories)
                .transpose()?
                .unwrap_or_default(),
            statuses: self
                .status
                .as_deref()
                .map(params::statuses)
                .transpose()?
                .unwrap_or_default(),
            raw,
        };
        if let (Some(f), Some(t)) = (filter.from, filter.to) {
            if f > t {
                return Err(ApiError::BadRequest(format!(
                    "from {} is after to {}",
                    self.from.as_deref().unwrap_or_default(),
                    self.to.as_deref().unwrap_or_default()
                )));
            }
        }
        Ok(filter)
    }
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
    let coord: TileCoord = format!("{z}/{x}/{y}")
        .parse()
        .map_err(|e: geo_core::tile::TileError| ApiError::BadRequest(e.to_string()))?;
    Ok((layer, coord))
}

/// 64-bit FNV-1a: a stable content hash for the `ETag` (not security-sensitive).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The strong `ETag` of a tile's bytes.
#[must_use]
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{:x}-{:016x}\"", bytes.len(), fnv1a(bytes))
}

/// Whether an `If-None-Match` header names `tag` (or is `*`).
fn matches_etag(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t == tag)
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    State(state): State<AppState>,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<TileQuery>,
) -> ApiResult<Response> {
    let (layer, coord) = parse_path(&layer, &z, &x, &y)?;
    let filter = q.filter()?;
    let core = state.core()?;
    let bytes = tokio::task::spawn_blocking(move || render_tile(&core, layer, coord, &filter))
        .await
        .map_err(|e| ApiError::Internal(format!("tile rendering stopped: {e}")))??;
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if bytes.is_empty() {
        return Ok((StatusCode::NO_CONTENT, [cache]).into_response());
    }
    let tag = etag(&bytes);
    let tag_value = HeaderValue::from_str(&tag).map_err(|e| ApiError::Internal(e.to_string()))?;
    if matches_etag(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, [cache, (header::ETAG, tag_value)]).into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            cache,
            (header::ETAG, tag_value),
        ],
        Body::from(bytes),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_with_content_and_match_lists() {
        assert_ne!(etag(b"abc"), etag(b"abd"));
        assert_eq!(etag(b"abc"), etag(b"abc"));
        let mut h = HeaderMap::new();
        let t = etag(b"abc");
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {t}")).unwrap(),
        );
        assert!(matches_etag(&h, &t));
        assert!(!matches_etag(&h, &etag(b"abd")));
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
