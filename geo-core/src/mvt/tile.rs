//! `TileBuilder`: collects layers and writes the tile message (`Tile.layers`, field 3).

use super::layer::LayerBuilder;
use super::pbf;
use crate::tile::{TileCoord, TileError, TileOptions, TileProjection};

/// A vector tile under construction: get layers with [`Self::layer`], then [`Self::finish`].
#[derive(Debug)]
pub struct TileBuilder {
    proj: TileProjection,
    layers: Vec<LayerBuilder>,
}

impl TileBuilder {
    /// A tile for `coord`; fails when `options` has a zero or too large extent or buffer.
    pub fn new(coord: TileCoord, options: TileOptions) -> Result<Self, TileError> {
        Ok(Self {
            proj: TileProjection::new(coord, options)?,
            layers: Vec::new(),
        })
    }

    /// The projection of this tile (lon/lat to tile units).
    #[must_use]
    pub const fn projection(&self) -> &TileProjection {
        &self.proj
    }

    /// The layer called `name`, created on first use; layers are written in creation order.
    pub fn layer(&mut self, name: &str) -> &mut LayerBuilder {
        let i = if let Some(i) = self.layers.iter().position(|l| l.name() == name) {
            i
        } else {
            self.layers.push(LayerBuilder::new(name, self.proj));
            self.layers.len() - 1
        };
        &mut self.layers[i]
    }

    /// Whether no layer holds a feature (then [`Self::finish`] returns no bytes).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(LayerBuilder::is_empty)
    }

    /// The encoded MVT 2.1 tile; layers without features are left out.
    #[must_use]
    pub fn finish(self) -> Vec<u8> {
        let layers: Vec<(&LayerBuilder, usize)> = self
            .layers
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| (l, l.encoded_len()))
            .collect();
        let total = layers.iter().map(|&(_, n)| pbf::len_field_size(n)).sum();
        let mut out = Vec::with_capacity(total);
        for (l, n) in layers {
            pbf::key(&mut out, 3, pbf::LEN);
            pbf::varint(&mut out, n as u64);
            l.write_body(&mut out);
        }
        out
    }
}
