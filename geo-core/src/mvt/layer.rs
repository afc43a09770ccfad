//! `LayerBuilder`: one MVT layer being written; features are encoded as they are added.

use super::command::GeomType;
use super::pbf;
use super::shape::{GeomRef, Input, Shaper};
use super::value::{Dictionary, Value};
use crate::tile::TileProjection;

/// MVT specification version written in every layer.
const VERSION: u64 = 2;

/// A layer of a tile under construction (see [`super::TileBuilder::layer`]).
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    /// Encoded `features` fields (field 2 of the layer), back to back.
    features: Vec<u8>,
    count: usize,
    keys: Dictionary,
    values: Dictionary,
    shaper: Shaper,
    cmds: Vec<u32>,
    tags: Vec<u32>,
}

impl LayerBuilder {
    pub(crate) fn new(name: &str, proj: TileProjection) -> Self {
        Self {
            name: name.to_owned(),
            features: Vec::new(),
            count: 0,
            keys: Dictionary::default(),
            values: Dictionary::default(),
            shaper: Shaper::new(proj),
            cmds: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The layer's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of features written so far.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether no feature has been written.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Makes room for `n` distinct string values (unique ids and names of `n` features)
    /// so that the value dictionary does not rehash as it grows.
    pub fn reserve_strings(&mut self, n: usize) {
        self.values.reserve(n);
    }

    /// Sets the Douglas-Peucker tolerance in tile units (default 1; 0 keeps every vertex).
    pub fn set_tolerance(&mut self, tolerance: f64) {
        self.shaper.tolerance = if tolerance.is_finite() {
            tolerance.max(0.0)
        } else {
            1.0
        };
    }

    /// Adds a lon/lat feature, clipped to the buffered tile and simplified; returns whether
    /// anything of it was left to write (nothing, e.g., for a feature outside the tile).
    pub fn add_feature<'g>(
        &mut self,
        id: Option<u64>,
        geometry: impl Into<GeomRef<'g>>,
        props: &[(&str, Value<'_>)],
    ) -> bool {
        self.add(Input::LonLat, id, geometry.into(), props)
    }

    /// As [`Self::add_feature`] for geometry already in Web Mercator (EPSG:3857) metres.
    pub fn add_feature_mercator<'g>(
        &mut self,
        id: Option<u64>,
        geometry: impl Into<GeomRef<'g>>,
        props: &[(&str, Value<'_>)],
    ) -> bool {
        self.add(Input::Mercator, id, geometry.into(), props)
    }

    fn add(
        &mut self,
        input: Input,
        id: Option<u64>,
        geometry: GeomRef<'_>,
        props: &[(&str, Value<'_>)],
    ) -> bool {
        match self.shaper.shape(input, geometry, &mut self.cmds) {
            Some(ty) => {
                self.write_feature(id, ty, props);
                true
            }
            None => false,
        }
    }

    /// Adds a lon/lat point if it falls in the buffered tile (no `Geometry` needed).
    pub fn add_point(
        &mut self,
        id: Option<u64>,
        lon: f64,
        lat: f64,
        props: &[(&str, Value<'_>)],
    ) -> bool {
        let (x, y) = self.shaper.proj.project(lon, lat);
        if !self.shaper.proj.in_buffer(x, y) {
            return false;
        }
        self.add_tile_point(id, x.round() as i32, y.round() as i32, props);
        true
    }

    /// Fast path: adds a point already in tile units, known by the caller to be in the tile.
    pub fn add_tile_point(&mut self, id: Option<u64>, x: i32, y: i32, props: &[(&str, Value<'_>)]) {
        self.cmds.clear();
        self.cmds.extend([9, pbf::zigzag32(x), pbf::zigzag32(y)]);
        self.write_feature(id, GeomType::Point, props);
    }

    fn write_feature(&mut self, id: Option<u64>, ty: GeomType, props: &[(&str, Value<'_>)]) {
        self.tags.clear();
        for &(k, v) in props {
            self.tags.push(self.keys.key_index(k, 3));
            self.tags.push(self.values.value_index(v));
        }
        let tags_len = pbf::packed_payload_len(&self.tags);
        let geom_len = pbf::packed_payload_len(&self.cmds);
        let mut body = 2 + pbf::len_field_size(geom_len);
        if let Some(id) = id {
            body += 1 + pbf::varint_len(id);
        }
        if !self.tags.is_empty() {
            body += pbf::len_field_size(tags_len);
        }
        let f = &mut self.features;
        f.reserve(body + 4);
        pbf::key(f, 2, pbf::LEN);
        pbf::varint(f, body as u64);
        if let Some(id) = id {
            pbf::varint_field(f, 1, id);
        }
        if !self.tags.is_empty() {
            pbf::packed_field(f, 2, &self.tags, tags_len);
        }
        pbf::varint_field(f, 3, ty as u64);
        pbf::packed_field(f, 4, &self.cmds, geom_len);
        self.count += 1;
    }

    /// Bytes of the layer message body.
    pub(crate) fn encoded_len(&self) -> usize {
        let extent = u64::from(self.shaper.proj.options().extent);
        pbf::len_field_size(self.name.len())
            + self.features.len()
            + self.keys.encoded.len()
            + self.values.encoded.len()
            + 1
            + pbf::varint_len(extent)
            + 1
            + pbf::varint_len(VERSION)
    }

    /// Appends the layer message body (name, features, keys, values, extent, version).
    pub(crate) fn write_body(&self, out: &mut Vec<u8>) {
        pbf::bytes_field(out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        out.extend_from_slice(&self.keys.encoded);
        out.extend_from_slice(&self.values.encoded);
        pbf::varint_field(out, 5, u64::from(self.shaper.proj.options().extent));
        pbf::varint_field(out, 15, VERSION);
    }
}
