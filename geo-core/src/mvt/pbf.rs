//! The few protobuf wire-format primitives an MVT writer needs (varints, keys, packed
//! fields), written by hand: sizes are known before writing, so nothing is encoded twice.

/// Wire type of varint fields.
pub(crate) const VARINT: u8 = 0;
/// Wire type of 64-bit fixed fields (double).
pub(crate) const FIXED64: u8 = 1;
/// Wire type of length-delimited fields (strings, messages, packed arrays).
pub(crate) const LEN: u8 = 2;
/// Wire type of 32-bit fixed fields (float).
pub(crate) const FIXED32: u8 = 5;

/// Appends `v` as a base-128 varint.
#[inline]
pub(crate) fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Bytes [`varint`] writes for `v`.
#[inline]
pub(crate) const fn varint_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends a field key (field number and wire type).
#[inline]
pub(crate) fn key(buf: &mut Vec<u8>, field: u32, wire: u8) {
    varint(buf, u64::from(field << 3 | u32::from(wire)));
}

/// Appends a length-delimited field holding `data`.
pub(crate) fn bytes_field(buf: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(buf, field, LEN);
    varint(buf, data.len() as u64);
    buf.extend_from_slice(data);
}

/// Appends a varint field.
pub(crate) fn varint_field(buf: &mut Vec<u8>, field: u32, v: u64) {
    key(buf, field, VARINT);
    varint(buf, v);
}

/// Payload bytes of a packed repeated `uint32` field.
pub(crate) fn packed_payload_len(vals: &[u32]) -> usize {
    vals.iter().map(|&v| varint_len(u64::from(v))).sum()
}

/// Appends a packed repeated `uint32` field whose payload length is `payload_len`.
pub(crate) fn packed_field(buf: &mut Vec<u8>, field: u32, vals: &[u32], payload_len: usize) {
    key(buf, field, LEN);
    varint(buf, payload_len as u64);
    for &v in vals {
        varint(buf, u64::from(v));
    }
}

/// Bytes of a whole length-delimited field (key, length, payload) for fields 1..=15.
#[inline]
pub(crate) const fn len_field_size(payload_len: usize) -> usize {
    1 + varint_len(payload_len as u64) + payload_len
}

/// Zigzag-encodes a signed 32-bit integer (MVT geometry parameters).
#[inline]
pub(crate) const fn zigzag32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

/// Zigzag-encodes a signed 64-bit integer (`sint64` values).
#[inline]
pub(crate) const fn zigzag64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force protobuf varint decoder for the round trip.
    fn decode(buf: &[u8]) -> (u64, usize) {
        let mut v = 0u64;
        for (i, &b) in buf.iter().enumerate() {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return (v, i + 1);
            }
        }
        panic!("truncated varint");
    }

    #[test]
    fn varints_round_trip_and_lengths_agree() {
        let mut samples = vec![
            0,
            1,
            127,
            128,
            255,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        samples.extend((0..64).map(|s| 1u64 << s));
        samples.extend((1..64).map(|s| (1u64 << s) - 1));
        for v in samples {
            let mut buf = Vec::new();
            varint(&mut buf, v);
            assert_eq!(buf.len(), varint_len(v), "{v}");
            assert_eq!(decode(&buf), (v, buf.len()), "{v}");
        }
    }

    #[test]
    fn zigzag_matches_the_protobuf_definition() {
        for n in [0i32, -1, 1, -2, 2, 4095, -4096, i32::MAX, i32::MIN] {
            let want = if n >= 0 {
                2 * i64::from(n)
            } else {
                -2 * i64::from(n) - 1
            };
            assert_eq!(i64::from(zigzag32(n)), want, "{n}");
            assert_eq!(zigzag64(i64::from(n)), want as u64, "{n}");
        }
    }
}
