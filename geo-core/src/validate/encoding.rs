//! Garbled names (mojibake): text decoded with the wrong encoding somewhere upstream.
//!
//! Three signatures, each undone to propose the probable text:
//! - U+FFFD (the replacement character): bytes that were not valid in the encoding used,
//!   lost for good; the rest may still be recoverable as below.
//! - UTF-8 bytes read as GBK (a UTF-8 DBF without `.cpg` opened as GBK): the text is CJK,
//!   but its GB18030 bytes are valid UTF-8 that decodes to other CJK text.
//! - GBK (or UTF-8) bytes read as Latin-1/Windows-1252: runs of U+0080..U+00FF whose bytes
//!   decode as GBK (or UTF-8) into CJK text.
//!
//! A real Chinese name is never flagged by accident in practice: its GB18030 bytes are almost
//! never valid UTF-8 (the unit tests run every village name of Hunan through it).

use encoding_rs::{GB18030, GBK, WINDOWS_1252};

/// What was found wrong with a name, and the text it probably should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Garbled {
    /// How the text was garbled, in words.
    pub(crate) how: &'static str,
    /// The probable correct text, when it can be recovered.
    pub(crate) guess: Option<String>,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Text a name could plausibly be: CJK, ASCII letters/digits/punctuation, common CJK
/// punctuation and full-width forms; and some CJK at all.
fn plausible(s: &str) -> bool {
    s.chars().any(is_cjk)
        && s.chars().all(|c| {
            is_cjk(c)
                || c.is_ascii_graphic()
                || c == ' '
                || matches!(c as u32, 0x3000..=0x303F | 0xFF01..=0xFF5E | 0x00B7 | 0x2014 | 0x2026)
        })
}

/// Undoes "UTF-8 bytes decoded as GBK": the GB18030 bytes of `s` as UTF-8.
fn utf8_read_as_gbk(s: &str) -> Option<String> {
    if !s.chars().any(is_cjk) {
        return None;
    }
    // GBK first: its decoder reads a lone 0x80 (a UTF-8 continuation byte) as €, which
    // only GBK's encoder turns back into 0x80; then GB18030 for what GBK cannot encode.
    [GBK, GB18030].into_iter().find_map(|enc| {
        let (bytes, _, unmappable) = enc.encode(s);
        if unmappable {
            return None;
        }
        let text = std::str::from_utf8(&bytes).ok()?;
        (text != s && plausible(text)).then(|| text.to_owned())
    })
}

/// Undoes "UTF-8 read as GBK" where bytes were lost: what decodes, with `?` for the rest.
fn partly_utf8_read_as_gbk(s: &str) -> Option<String> {
    if !s.chars().any(is_cjk) {
        return None;
    }
    let (bytes, _, unmappable) = GBK.encode(s);
    if unmappable {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes).replace('\u{FFFD}', "?");
    (text != s && plausible(&text)).then_some(text)
}

/// Undoes "bytes decoded as Latin-1/Windows-1252": the single-byte values as UTF-8, else as
/// GBK.
fn read_as_latin1(s: &str) -> Option<(&'static str, String)> {
    if s.chars().filter(|&c| c as u32 >= 0x80).count() < 2 {
        return None;
    }
    let mut bytes = Vec::with_capacity(s.len());
    for c in s.chars() {
        if (c as u32) < 0x100 {
            bytes.push(c as u8);
        } else {
            // Windows-1252 puts € ‚ ƒ ... at 0x80-0x9F.
            let mut buf = [0u8; 4];
            let (b, _, unmappable) = WINDOWS_1252.encode(c.encode_utf8(&mut buf));
            if unmappable || b.len() != 1 {
                return None;
            }
            bytes.push(b[0]);
        }
    }
    if let Ok(text) = std::str::from_utf8(&bytes) {
        if plausible(text) {
            return Some(("UTF-8 text read as Latin-1", text.to_owned()));
        }
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(&bytes);
    (!had_errors && plausible(&text)).then(|| ("GBK text read as Latin-1", text.into_owned()))
}

/// Whether `name` is garbled, and what it probably was.
pub(crate) fn garbled(name: &str) -> Option<Garbled> {
    if name.is_ascii() {
        return None;
    }
    if name.contains('\u{FFFD}') {
        // What survived may still be recoverable: an odd UTF-8 byte count read as GBK
        // leaves a replacement character at the end.
        let rest: String = name.chars().filter(|&c| c != '\u{FFFD}').collect();
        let guess = utf8_read_as_gbk(&rest)
            .or_else(|| read_as_latin1(&rest).map(|(_, t)| t))
            .or_else(|| partly_utf8_read_as_gbk(&rest));
        return Some(Garbled {
            how: "contains U+FFFD (bytes lost when the text was decoded with the wrong encoding)",
            guess,
        });
    }
    if let Some(text) = utf8_read_as_gbk(name) {
        return Some(Garbled {
            how: "UTF-8 text read as GBK",
            guess: Some(text),
        });
    }
    read_as_latin1(name).map(|(how, text)| Garbled {
        how,
        guess: Some(text),
    })
}

/// The finding's message for a garbled `name`.
pub(crate) fn message(name: &str, g: &Garbled) -> String {
    match &g.guess {
        Some(t) => format!(
            "name {name:?} is garbled ({}); probably {t:?}: re-read the file with its encoding declared (--encoding or a .cpg)",
            g.how
        ),
        None => format!(
            "name {name:?} is garbled ({}): re-read the file with its encoding declared (--encoding or a .cpg)",
            g.how
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_gbk(s: &str) -> String {
        GB18030
            .decode_without_bom_handling(s.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn utf8_read_as_gbk_is_undone() {
        // 6 characters = 18 bytes: decodes as GBK without a replacement character.
        let real = "吉首市峒河街道";
        let bad = as_gbk("吉首市峒河街");
        let g = garbled(&bad).unwrap();
        assert_eq!(g.guess.as_deref(), Some("吉首市峒河街"));
        assert!(garbled(real).is_none());
    }

    #[test]
    fn odd_byte_counts_leave_fffd_but_still_guess() {
        let bad = as_gbk("花垣县");
        assert!(bad.contains('\u{FFFD}'), "{bad}");
        let g = garbled(&bad).unwrap();
        assert!(g.how.contains("U+FFFD"));
        let guess = g.guess.unwrap();
        assert!(guess.starts_with("花垣"), "{guess}");
    }

    #[test]
    fn gbk_read_as_latin1_is_undone() {
        let (bytes, _, _) = GB18030.encode("保靖县");
        let bad: String = bytes.iter().map(|&b| b as char).collect();
        let g = garbled(&bad).unwrap();
        assert_eq!(g.guess.as_deref(), Some("保靖县"));
        assert_eq!(g.how, "GBK text read as Latin-1");
        let bad = WINDOWS_1252
            .decode_without_bom_handling("龙山县".as_bytes())
            .0;
        assert_eq!(garbled(&bad).unwrap().guess.as_deref(), Some("龙山县"));
    }

    #[test]
    fn plain_names_pass() {
        for n in [
            "世纪社区",
            "Zoë",
            "Café de Flore",
            "吉首市·乾州",
            "第3网格",
            "ＡＢ村",
        ] {
            assert!(garbled(n).is_none(), "{n}");
        }
    }

    #[test]
    fn no_real_village_name_of_hunan_is_flagged() {
        let csv = include_str!("../../../data/hunan_villages.csv");
        let mut n = 0;
        for line in csv.lines().skip(1) {
            let name = line.split(',').nth(1).unwrap();
            assert!(
                garbled(name).is_none(),
                "{name} flagged: {:?}",
                garbled(name)
            );
            // And each one garbled is caught (UTF-8 read as GBK).
            let bad = as_gbk(name);
            if bad != name {
                assert!(garbled(&bad).is_some(), "{name} -> {bad} not caught");
            }
            n += 1;
        }
        assert!(n > 29_000);
    }
}
