//! Feature property values and the per-layer key and value dictionaries that deduplicate
//! them (MVT stores each distinct key and value once per layer; features hold indexes).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::pbf;

/// A typed MVT property value; the variant picks the protobuf field it is written to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// `string_value`.
    String(&'a str),
    /// `float_value` (32-bit).
    Float(f32),
    /// `double_value` (64-bit).
    Double(f64),
    /// `int_value` (int64; negative numbers take 10 bytes, prefer `SInt` for them).
    Int(i64),
    /// `uint_value`.
    UInt(u64),
    /// `sint_value` (zigzag, compact for negative numbers).
    SInt(i64),
    /// `bool_value`.
    Bool(bool),
}

/// A non-string value as a hashable key (floats by their bits, so NaN dedupes too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ScalarKey {
    Float(u32),
    Double(u64),
    Int(i64),
    UInt(u64),
    SInt(i64),
    Bool(bool),
}

/// `FxHash` (rustc's hasher): dictionary lookups are on the per-feature hot path and the
/// keys are not attacker-controlled hash-flooding material worth `SipHash`'s cost.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let mut w = [0u8; 8];
        let rest = chunks.remainder();
        w[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(w));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Keys looked up by linear scan before the hash map.
const RECENT_KEYS: usize = 16;

/// A layer's keys (field 3) or string values, deduplicated, already protobuf-encoded.
#[derive(Debug, Default, Clone)]
pub(crate) struct Dictionary {
    by_str: FxMap<Box<str>, u32>,
    by_scalar: FxMap<ScalarKey, u32>,
    /// The first keys, in index order, for the linear scan in `key_index`.
    recent: Vec<Box<str>>,
    /// Encoded repeated field, ready to be copied into the layer message.
    pub(crate) encoded: Vec<u8>,
    len: u32,
    /// Reused for each new value message (one allocation per layer, not per value).
    scratch: Vec<u8>,
}

impl Dictionary {
    /// Room for `n` more distinct strings without rehashing (a layer of unique names).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.by_str.reserve(n);
    }

    /// Index of `key`, added as protobuf field `field` of the layer if new.
    pub(crate) fn key_index(&mut self, key: &str, field: u32) -> u32 {
        // A layer has a handful of keys: a linear scan beats hashing the key every time.
        if let Some(i) = self.recent.iter().position(|k| **k == *key) {
            return i as u32;
        }
        if let Some(&i) = self.by_str.get(key) {
            return i;
        }
        if self.recent.len() < RECENT_KEYS {
            self.recent.push(key.into());
        }
        let i = self.len;
        self.len += 1;
        pbf::bytes_field(&mut self.encoded, field, key.as_bytes());
        self.by_str.insert(key.into(), i);
        i
    }

    /// Index of `value` in the layer's values (field 4), added (as a `Value` message) if new.
    pub(crate) fn value_index(&mut self, value: Value<'_>) -> u32 {
        let scalar = match value {
            Value::String(s) => {
                if let Some(&i) = self.by_str.get(s) {
                    return i;
                }
                let i = self.push_value(value);
                self.by_str.insert(s.into(), i);
                return i;
            }
            Value::Float(f) => ScalarKey::Float(f.to_bits()),
            Value::Double(f) => ScalarKey::Double(f.to_bits()),
            Value::Int(n) => ScalarKey::Int(n),
            Value::UInt(n) => ScalarKey::UInt(n),
            Value::SInt(n) => ScalarKey::SInt(n),
            Value::Bool(b) => ScalarKey::Bool(b),
        };
        if let Some(&i) = self.by_scalar.get(&scalar) {
            return i;
        }
        let i = self.push_value(value);
        self.by_scalar.insert(scalar, i);
        i
    }

    fn push_value(&mut self, value: Value<'_>) -> u32 {
        let mut msg = std::mem::take(&mut self.scratch);
        msg.clear();
        match value {
            Value::String(s) => pbf::bytes_field(&mut msg, 1, s.as_bytes()),
            Value::Float(f) => {
                pbf::key(&mut msg, 2, pbf::FIXED32);
                msg.extend_from_slice(&f.to_le_bytes());
            }
            Value::Double(f) => {
                pbf::key(&mut msg, 3, pbf::FIXED64);
                msg.extend_from_slice(&f.to_le_bytes());
            }
            Value::Int(n) => pbf::varint_field(&mut msg, 4, n as u64),
            Value::UInt(n) => pbf::varint_field(&mut msg, 5, n),
            Value::SInt(n) => pbf::varint_field(&mut msg, 6, pbf::zigzag64(n)),
            Value::Bool(b) => pbf::varint_field(&mut msg, 7, u64::from(b)),
        }
        pbf::bytes_field(&mut self.encoded, 4, &msg);
        self.scratch = msg;
        let i = self.len;
        self.len += 1;
        i
    }

    /// Number of distinct entries.
    #[cfg(test)]
    pub(crate) const fn len(&self) -> u32 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_get_dense_indexes_past_the_linear_scan() {
        let mut d = Dictionary::default();
        let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        for round in 0..2 {
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(d.key_index(k, 3), i as u32, "round {round} key {k}");
            }
        }
        assert_eq!(d.len(), 40);
    }

    #[test]
    fn equal_values_share_an_index_and_types_stay_distinct() {
        let mut d = Dictionary::default();
        let vals = [
            Value::String("a"),
            Value::String("1"),
            Value::Int(1),
            Value::UInt(1),
            Value::SInt(1),
            Value::Double(1.0),
            Value::Float(1.0),
            Value::Bool(true),
            Value::Double(f64::NAN),
        ];
        let first: Vec<u32> = vals.iter().map(|&v| d.value_index(v)).collect();
        let again: Vec<u32> = vals.iter().map(|&v| d.value_index(v)).collect();
        assert_eq!(first, again);
        assert_eq!(first, (0..vals.len() as u32).collect::<Vec<_>>());
        assert_eq!(d.len(), vals.len() as u32);
    }
}
