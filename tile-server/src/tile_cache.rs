//! The tile cache: encoded tiles (plain and gzipped) by layer, address, filter and scope,
//! bounded in bytes, with invalidation by the region a write touched. The scope is part of
//! the key: a township user never gets the tile cut for the county.
//!
//! Eviction is `quick_cache`'s (S3-FIFO, weighted by bytes). A write calls
//! [`TileCache::invalidate`] with the store's [`Applied`]: every cached tile of a touched
//! layer whose area meets the written box goes (aggregates, the heatmap and incident
//! clusters, with the reach of their H3 cells). A generation counter stops a tile rendered
//! from the old data from being stored after the write that outdated it.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::http::HeaderValue;
use flate2::write::GzEncoder;
use flate2::Compression;
use geo_core::access::Scope;
use geo_core::model::Layer;
use geo_core::render::bounds::buffered_bounds;
use geo_core::render::cover::grow_km;
use geo_core::render::{
    cluster_resolution, heatmap_resolution, tile_options, TileFilter, TileLayer, RAW_MIN_ZOOM,
};
use geo_core::store::Applied;
use geo_core::tile::TileCoord;
use geo_types::Rect;
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// What identifies a tile: layer, address, (normalized) filter and the scope it is cut to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// The tile layer.
    pub layer: TileLayer,
    /// The tile address.
    pub coord: TileCoord,
    /// The filter, lists sorted and deduplicated.
    pub filter: TileFilter,
    /// The region the tile is cut to.
    pub scope: Scope,
}

impl TileKey {
    /// The key of `layer`'s tile `coord` under `filter`, cut to `scope`.
    #[must_use]
    pub fn new(layer: TileLayer, coord: TileCoord, filter: TileFilter, scope: Scope) -> Self {
        Self {
            layer,
            coord,
            filter: filter.normalized(),
            scope,
        }
    }

    /// Whether this tile's content depends on data inside `dirty` (lon/lat).
    fn meets(&self, dirty: Rect<f64>) -> bool {
        let area = buffered_bounds(self.coord, tile_options());
        let z = self.coord.z();
        // A cell's count changes with any incident in it, and the cell reaches this far
        // from its center (the point drawn, or the hexagon's middle).
        let reach_km = match self.layer {
            TileLayer::Heatmap => 3.0 * heatmap_resolution(z).edge_length_km(),
            TileLayer::Data(Layer::Incidents) if !self.filter.raw && z < RAW_MIN_ZOOM => {
                3.0 * cluster_resolution(z).edge_length_km()
            }
            TileLayer::Data(_) => 0.0,
        };
        let a = grow_km(area, reach_km);
        a.min().x <= dirty.max().x
            && dirty.min().x <= a.max().x
            && a.min().y <= dirty.max().y
            && dirty.min().y <= a.max().y
    }
}

/// An encoded tile as served: the bytes, their gzip and the strong `ETag`.
#[derive(Debug, Clone)]
pub struct CachedTile {
    /// The MVT bytes (empty: an empty tile).
    pub bytes: Bytes,
    /// The same bytes gzipped (empty for an empty tile).
    pub gzip: Bytes,
    /// The strong `ETag` of `bytes`.
    pub etag: HeaderValue,
}

impl CachedTile {
    /// Wraps freshly rendered bytes: gzips them (when `gzip`) and computes the `ETag`.
    #[must_use]
    pub fn new(bytes: Vec<u8>, gzip: bool) -> Self {
        let etag =
            HeaderValue::from_str(&etag(&bytes)).unwrap_or(HeaderValue::from_static("\"0\""));
        let gzip = if bytes.is_empty() || !gzip {
            Bytes::new()
        } else {
            let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::fast());
            // Writing into a Vec cannot fail; an empty gzip just means "serve plain".
            match enc.write_all(&bytes).and_then(|()| enc.finish()) {
                Ok(z) if z.len() < bytes.len() => Bytes::from(z),
                _ => Bytes::new(),
            }
        };
        Self {
            bytes: Bytes::from(bytes),
            gzip,
            etag,
        }
    }

    fn weight(&self) -> u64 {
        // Key, entry and header overhead: about two hundred bytes.
        (self.bytes.len() + self.gzip.len() + 200) as u64
    }
}

/// FNV-1a over 64-bit words (then the tail bytes): a stable content hash for the `ETag`,
/// not security-sensitive; eight times fewer steps than byte-wise FNV on 200 KB tiles.
fn content_hash(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut words = bytes.chunks_exact(8);
    let mut h = words.by_ref().fold(0xcbf2_9ce4_8422_2325_u64, |h, w| {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        (h ^ u64::from_le_bytes(word)).wrapping_mul(PRIME)
    });
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    h
}

/// The strong `ETag` of a tile's bytes: length and 64-bit hash.
#[must_use]
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{:x}-{:016x}\"", bytes.len(), content_hash(bytes))
}

#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<TileKey, CachedTile> for ByBytes {
    fn weight(&self, _key: &TileKey, tile: &CachedTile) -> u64 {
        tile.weight()
    }
}

/// Encoded tiles, at most `capacity` bytes of them; a capacity of 0 turns caching off.
pub struct TileCache {
    cache: Option<Cache<TileKey, CachedTile, ByBytes>>,
    generation: AtomicU64,
}

impl TileCache {
    /// A cache holding up to `capacity_bytes` of tiles (0: no cache).
    #[must_use]
    pub fn new(capacity_bytes: u64) -> Self {
        // Tiles average a few kilobytes; the estimate only sizes the hash table.
        let items = usize::try_from(capacity_bytes / 4096)
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            cache: (capacity_bytes > 0)
                .then(|| Cache::with_weighter(items, capacity_bytes, ByBytes)),
            generation: AtomicU64::new(0),
        }
    }

    /// Whether caching is on.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// The cached tile for `key`, if any.
    #[must_use]
    pub fn get(&self, key: &TileKey) -> Option<CachedTile> {
        self.cache.as_ref()?.get(key)
    }

    /// The generation to pass to [`Self::insert`]: read it before reading the data a tile
    /// is rendered from.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a tile rendered at `generation`, unless a write has invalidated tiles since.
    pub fn insert(&self, key: TileKey, tile: CachedTile, generation: u64) {
        let Some(cache) = &self.cache else { return };
        if self.generation() == generation {
            cache.insert(key, tile);
        }
    }

    /// Drops every tile a committed write may have changed.
    pub fn invalidate(&self, applied: &Applied) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let Some(cache) = &self.cache else { return };
        cache.retain(|key, _| {
            let touched = applied.layers.contains(&key.layer.source());
            let stale = touched && applied.dirty.is_none_or(|r| key.meets(r));
            !stale
        });
    }

    /// Number of tiles and bytes held.
    #[must_use]
    pub fn usage(&self) -> (usize, u64) {
        self.cache
            .as_ref()
            .map_or((0, 0), |c| (c.len(), c.weight()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn key(layer: TileLayer, lon: f64, lat: f64, z: u32) -> TileKey {
        TileKey::new(
            layer,
            TileCoord::containing(lon, lat, z).unwrap(),
            TileFilter::default(),
            Scope::ALL,
        )
    }

    fn applied(layer: Layer, lon: f64, lat: f64) -> Applied {
        Applied {
            layers: vec![layer],
            dirty: Some(Rect::new(
                coord! { x: lon, y: lat },
                coord! { x: lon, y: lat },
            )),
            ..Applied::default()
        }
    }

    #[test]
    fn writes_drop_the_tiles_they_touch_and_keep_the_rest() {
        let cache = TileCache::new(1 << 20);
        let here = key(TileLayer::Data(Layer::Cameras), 109.74, 28.31, 14);
        let there = key(TileLayer::Data(Layer::Cameras), 110.5, 29.0, 14);
        let grids_here = key(TileLayer::Data(Layer::Grids), 109.74, 28.31, 14);
        let heat_near = key(TileLayer::Heatmap, 109.74, 28.31, 10);
        for k in [&here, &there, &grids_here, &heat_near] {
            cache.insert(
                k.clone(),
                CachedTile::new(vec![1, 2, 3], true),
                cache.generation(),
            );
        }
        assert_eq!(cache.usage().0, 4);
        cache.invalidate(&applied(Layer::Cameras, 109.74, 28.31));
        assert!(cache.get(&here).is_none());
        assert!(cache.get(&there).is_some());
        assert!(cache.get(&grids_here).is_some());
        assert!(cache.get(&heat_near).is_some());
        cache.invalidate(&applied(Layer::Incidents, 109.74, 28.31));
        assert!(cache.get(&heat_near).is_none());
    }

    #[test]
    fn a_tile_rendered_before_a_write_is_not_stored_after_it() {
        let cache = TileCache::new(1 << 20);
        let k = key(TileLayer::Data(Layer::Cameras), 109.74, 28.31, 14);
        let before = cache.generation();
        cache.invalidate(&applied(Layer::Cameras, 0.0, 0.0));
        cache.insert(k.clone(), CachedTile::new(vec![1], true), before);
        assert!(cache.get(&k).is_none());
    }

    #[test]
    fn capacity_bounds_the_bytes_held_and_zero_disables() {
        let cache = TileCache::new(100_000);
        for x in 0..200 {
            let k = TileKey::new(
                TileLayer::Heatmap,
                TileCoord::new(12, x, 1).unwrap(),
                TileFilter::default(),
                Scope::ALL,
            );
            cache.insert(k, CachedTile::new(vec![7; 2_000], true), cache.generation());
        }
        assert!(cache.usage().1 <= 100_000, "{:?}", cache.usage());
        assert!(cache.usage().0 > 10);
        let off = TileCache::new(0);
        let k = key(TileLayer::Heatmap, 109.7, 28.3, 10);
        off.insert(k.clone(), CachedTile::new(vec![1], true), off.generation());
        assert!(off.get(&k).is_none() && !off.is_enabled());
    }

    #[test]
    fn equal_filters_share_a_key() {
        use geo_core::model::Category;
        let c = TileCoord::new(10, 1, 1).unwrap();
        let a = TileFilter {
            categories: vec![Category::Petition, Category::Dispute, Category::Petition],
            ..TileFilter::default()
        };
        let b = TileFilter {
            categories: vec![Category::Dispute, Category::Petition],
            ..TileFilter::default()
        };
        assert_eq!(
            TileKey::new(TileLayer::Heatmap, c, a.clone(), Scope::ALL),
            TileKey::new(TileLayer::Heatmap, c, b, Scope::ALL)
        );
        // A township's tile is not the county's, nor another township's.
        let t = |code: &str| Scope::unit(code.parse().unwrap());
        let key = |scope| TileKey::new(TileLayer::Heatmap, c, a.clone(), scope);
        assert_ne!(key(t("433101001")), key(Scope::ALL));
        assert_ne!(key(t("433101001")), key(t("433101")));
        assert_ne!(key(t("433101001")), key(t("433101002")));
        let cache = TileCache::new(1 << 20);
        cache.insert(
            key(t("433101")),
            CachedTile::new(vec![1, 2, 3], true),
            cache.generation(),
        );
        assert!(cache.get(&key(t("433101"))).is_some());
        assert!(cache.get(&key(t("433101001"))).is_none());
        assert!(cache.get(&key(Scope::ALL)).is_none());
    }

    #[test]
    fn gzip_round_trips_and_etags_follow_content() {
        use std::io::Read;
        let t = CachedTile::new(vec![42; 10_000], true);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&t.gzip[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, vec![42; 10_000]);
        assert_ne!(etag(b"abc"), etag(b"abd"));
        assert_eq!(etag(b"abc"), etag(b"abc"));
    }
}
