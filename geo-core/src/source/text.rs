//! Decoding attribute text: the declared encoding when there is one, else UTF-8 when the
//! bytes are valid UTF-8, else GB18030 (the superset of GBK/CP936/GB2312 that Chinese
//! Windows tools write).

use encoding_rs::{Encoding, GB18030, UTF_8};

use super::EncodingUsed;

/// The encoding a label names (`.cpg` content, `--encoding`): WHATWG labels plus the code
/// page numbers and names ESRI and Excel write (`936`, `CP936`, `GB2312`, `GB18030`, `65001`).
#[must_use]
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    match l.as_str() {
        "936" | "cp936" | "ansi 936" | "gbk" | "gb2312" | "gb_2312" | "gb18030" | "54936" => {
            Some(GB18030)
        }
        "65001" | "utf8" | "utf-8" => Some(UTF_8),
        _ => Encoding::for_label(l.as_bytes()),
    }
}

/// Picks the encoding for `samples` (all the text of a file, or a large part of it): the
/// declared one when given, UTF-8 when every sample is valid UTF-8, GB18030 otherwise.
#[must_use]
pub fn choose<'a>(
    declared: Option<&'static Encoding>,
    samples: impl IntoIterator<Item = &'a [u8]>,
) -> (&'static Encoding, EncodingUsed) {
    if let Some(enc) = declared {
        return (
            enc,
            EncodingUsed {
                name: enc.name().to_owned(),
                declared: true,
            },
        );
    }
    let utf8 = samples.into_iter().all(|s| std::str::from_utf8(s).is_ok());
    let enc = if utf8 { UTF_8 } else { GB18030 };
    (
        enc,
        EncodingUsed {
            name: enc.name().to_owned(),
            declared: false,
        },
    )
}

/// Decodes `bytes` with `enc`, dropping a UTF-8 byte-order mark; undecodable bytes become
/// U+FFFD, which the encoding check reports.
#[must_use]
pub fn decode(enc: &'static Encoding, bytes: &[u8]) -> String {
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_bytes_are_detected_and_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("吉首市乾州街道");
        let (enc, used) = choose(None, [gbk.as_ref()]);
        assert!(!used.declared);
        assert_eq!(used.name, "gb18030");
        assert_eq!(decode(enc, &gbk), "吉首市乾州街道");
    }

    #[test]
    fn utf8_stays_utf8_and_labels_resolve() {
        let (_, used) = choose(None, ["世纪社区".as_bytes(), b"abc"]);
        assert_eq!(used.name, "UTF-8");
        assert_eq!(encoding_for_label("CP936"), Some(GB18030));
        assert_eq!(encoding_for_label("\u{feff}UTF-8"), Some(UTF_8));
        assert_eq!(encoding_for_label("no such"), None);
    }
}
